"""Human-resources (人社) events of job-matching: job postings and key-group job seekers shared
between both cities (岗位需求信息共享), joint recruitment fairs, citizens' and enterprises'
12333 requests forwarded to the city they belong to (诉求互转), and personnel files
(人事档案): where each is held, transfers between the cities' talent-service centres, and
certificates based on a file.

``hr.posting`` is keyed by ``posting_id``: every version of an employer's posting (a reader
keeps the highest ``version``) and its closing. Postings are public information.

``hr.seeker`` is keyed by ``seeker_ref``: the pseudonymous matching profile of a job seeker
who consented to be matched in the other city, and the withdrawal of that consent. A
profile holds only what matching needs (occupations, skills, education, desired places,
salary floor, willingness to move, commute radius from the *district* of residence,
interest keywords); the seeker's name, ID number and phone stay in the registering city.

``hr.fair`` is keyed by ``fair_id``: versions of a joint recruitment fair (专场招聘)
grouping postings of both cities.

``hr.hotline`` is keyed by ``request_id``: a 12333 request forwarded by the city that took the
call (``from_city``) to the city it belongs to (``to_city``)::

    from_city: hotline-request-forwarded      (sign_by = 1 working day of to_city's calendar;
                                               again, attempt n+1, when left unsigned)
    to_city:   hotline-request-signed         (resolve_by = the category's limit)
             | hotline-request-returned       (wrongly routed; only up to sign_by)
    to_city:   hotline-extension-requested    (only before resolve_by)
    from_city: hotline-extension-decided      (approved: a new resolve_by)
    to_city:   hotline-request-resolved
    from_city: hotline-callback-recorded      (the caller's feedback: closed, or reopened)
    from_city: hotline-request-overdue        (a reminder on the next working day after a
                                               deadline passed with its step not done)

Deadlines are dates counted on the working-day calendar of the city that owes the step;
both cities compute them from the same policy data, and the events carry them for readers.
The summary and resolution are a clerk's free text about the matter: no names, ID numbers
or phones (the service refuses text that looks like one); the caller's phone stays in
``from_city``, which makes the callback.

``hr.personnel-file`` is keyed by ``person_ref``: where a person's file is held (a city's
index, so either city can answer "where is it?"), transfers between centres::

    to_city:   personnel-file-transfer-requested   (dispatch_by = N working days, holder's calendar)
    holder:    personnel-file-dispatched           (confidential courier or tracked post)
    to_city:   personnel-file-received             (complete, or incomplete with the missing parts)
    holder:    personnel-file-supplemented         (the missing parts sent)
    to_city:   personnel-file-transfer-completed   (the file is held by to_city from now)
    either:    personnel-file-overdue              (a step past its deadline)

and certificates based on a file (出具证明): requested in either city, answered by the holder.

Times are RFC 3339 with an offset; coordinates are integer micro-degrees (``*_e6``) and
money integer yuan per month: canonical JSON carries no floats.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from chengyu_contracts.cities import City
from chengyu_contracts.registry import REGISTRY, EventData, event

__all__ = [
    "FAIR_TOPIC",
    "HOTLINE_TOPIC",
    "PERSONNEL_FILE_TOPIC",
    "POSTING_TOPIC",
    "SEEKER_TOPIC",
    "HotlineCallbackRecorded",
    "HotlineExtensionDecided",
    "HotlineExtensionRequested",
    "HotlineRequestForwarded",
    "HotlineRequestOverdue",
    "HotlineRequestResolved",
    "HotlineRequestReturned",
    "HotlineRequestSigned",
    "JobFairCancelled",
    "JobFairScheduled",
    "JobPostingClosed",
    "JobPostingPublished",
    "JobSeekerConsentWithdrawn",
    "JobSeekerProfileShared",
    "PersonnelFileCertificateAnswered",
    "PersonnelFileCertificateRequested",
    "PersonnelFileDispatched",
    "PersonnelFileHeld",
    "PersonnelFileOverdue",
    "PersonnelFileReceived",
    "PersonnelFileSupplemented",
    "PersonnelFileTransferCompleted",
    "PersonnelFileTransferRequested",
]

POSTING_TOPIC = "hr.posting"
SEEKER_TOPIC = "hr.seeker"
FAIR_TOPIC = "hr.fair"
HOTLINE_TOPIC = "hr.hotline"
PERSONNEL_FILE_TOPIC = "hr.personnel-file"

Id = Annotated[str, Field(min_length=1, max_length=128)]
Version = Annotated[int, Field(ge=1)]
# 2022 national occupation classification (国家职业分类大典): major-minor-... ``X-XX-XX-XX``.
OccupationCode = Annotated[str, Field(pattern=r"^[1-8]-[0-9]{2}-[0-9]{2}-[0-9]{2}$")]
# GB/T 2260 six-digit district (区县) code.
DistrictCode = Annotated[str, Field(pattern=r"^[0-9]{6}$")]
Education = Literal[
    "junior-middle", "senior-middle", "junior-college", "bachelor", "master", "doctor"
]
Skill = Annotated[str, Field(min_length=1, max_length=40)]
Keyword = Annotated[str, Field(min_length=1, max_length=40)]
Yuan = Annotated[int, Field(ge=0, le=10_000_000)]
LatE6 = Annotated[int, Field(ge=-90_000_000, le=90_000_000)]
LonE6 = Annotated[int, Field(ge=-180_000_000, le=180_000_000)]
ClerkText = Annotated[str, Field(min_length=1, max_length=2000)]
ReasonText = Annotated[str, Field(min_length=1, max_length=500)]
WorkingDays = Annotated[int, Field(ge=0, le=365)]


# --------------------------------------------------------------------------------------------
# postings


@event(
    REGISTRY, type="cn.chengyu.hr.job-posting-published.v1", topic=POSTING_TOPIC, key="posting_id"
)
class JobPostingPublished(EventData):
    """A version of an employer's posting, open to seekers of both cities. ``salary_min_yuan``
    and ``salary_max_yuan`` are both ``None`` for 面议 (salary negotiable)."""

    posting_id: Id
    city: City
    version: Version
    employer_name: Annotated[str, Field(min_length=1, max_length=200)]
    title: Annotated[str, Field(min_length=1, max_length=100)]
    description: Annotated[str, Field(max_length=5000)]
    occupation_code: OccupationCode
    education: Education
    skills: Annotated[list[Skill], Field(max_length=30)]
    salary_min_yuan: Yuan | None
    salary_max_yuan: Yuan | None
    district: DistrictCode
    lat_e6: LatE6
    lon_e6: LonE6
    openings: Annotated[int, Field(ge=1, le=100_000)]
    closing_on: date
    published_at: AwareDatetime


@event(REGISTRY, type="cn.chengyu.hr.job-posting-closed.v1", topic=POSTING_TOPIC, key="posting_id")
class JobPostingClosed(EventData):
    """The posting no longer takes applicants: filled, withdrawn by the employer, or past its
    closing date."""

    posting_id: Id
    city: City
    version: Version
    reason: Literal["filled", "withdrawn", "expired"]
    closed_at: AwareDatetime


# --------------------------------------------------------------------------------------------
# seekers


@event(
    REGISTRY,
    type="cn.chengyu.hr.job-seeker-profile-shared.v1",
    topic=SEEKER_TOPIC,
    key="seeker_ref",
)
class JobSeekerProfileShared(EventData):
    """A version of the pseudonymous matching profile of a seeker who consented to be matched
    in the other city. ``groups`` are key-group tags (``college-graduate``,
    ``migrant-worker``, ...); ``graduation_year`` only for college graduates."""

    seeker_ref: Id
    city: City
    version: Version
    groups: Annotated[
        list[Annotated[str, Field(pattern=r"^[a-z0-9-]{1,40}$")]], Field(max_length=10)
    ]
    graduation_year: Annotated[int, Field(ge=1950, le=2100)] | None
    occupation_codes: Annotated[list[OccupationCode], Field(min_length=1, max_length=5)]
    skills: Annotated[list[Skill], Field(max_length=30)]
    interests: Annotated[list[Keyword], Field(max_length=20)]
    education: Education
    desired_cities: Annotated[list[City], Field(min_length=1, max_length=2)]
    desired_districts: Annotated[list[DistrictCode], Field(max_length=60)]
    home_district: DistrictCode
    salary_floor_yuan: Yuan | None
    willing_to_move: bool
    commute_radius_km: Annotated[int, Field(ge=1, le=500)]
    shared_at: AwareDatetime


@event(
    REGISTRY,
    type="cn.chengyu.hr.job-seeker-consent-withdrawn.v1",
    topic=SEEKER_TOPIC,
    key="seeker_ref",
)
class JobSeekerConsentWithdrawn(EventData):
    """The seeker withdrew consent: the other city deletes the profile at once."""

    seeker_ref: Id
    city: City
    version: Version
    withdrawn_at: AwareDatetime


# --------------------------------------------------------------------------------------------
# fairs


@event(REGISTRY, type="cn.chengyu.hr.job-fair-scheduled.v1", topic=FAIR_TOPIC, key="fair_id")
class JobFairScheduled(EventData):
    """A version of a joint recruitment fair (专场招聘) and the postings of both cities in it."""

    fair_id: Id
    city: City
    version: Version
    title: Annotated[str, Field(min_length=1, max_length=200)]
    venue: Annotated[str, Field(min_length=1, max_length=200)]
    starts_on: date
    ends_on: date
    posting_ids: Annotated[list[Id], Field(max_length=5000)]
    scheduled_at: AwareDatetime


@event(REGISTRY, type="cn.chengyu.hr.job-fair-cancelled.v1", topic=FAIR_TOPIC, key="fair_id")
class JobFairCancelled(EventData):
    """The organising city called the fair off."""

    fair_id: Id
    city: City
    version: Version
    reason: ReasonText
    cancelled_at: AwareDatetime


# --------------------------------------------------------------------------------------------
# 12333 requests between the cities (诉求互转)

HotlineCategory = Literal["consultation", "help", "complaint", "suggestion", "urgent"]


@event(
    REGISTRY,
    type="cn.chengyu.hr.hotline-request-forwarded.v1",
    topic=HOTLINE_TOPIC,
    key="request_id",
)
class HotlineRequestForwarded(EventData):
    """``from_city``'s 12333 took a request that belongs to ``to_city`` and forwards it;
    ``to_city`` must sign for it by ``sign_by``. A request left unsigned past ``sign_by`` can
    no longer be signed: ``from_city`` forwards it again, with the next ``attempt``."""

    request_id: Id
    attempt: Annotated[int, Field(ge=1, le=100)] = 1
    from_city: City
    to_city: City
    category: HotlineCategory
    caller_kind: Literal["citizen", "enterprise"]
    # person_ref of a citizen caller, or the enterprise's unified social credit code.
    caller_ref: Id | None
    summary: ClerkText
    received_at: AwareDatetime
    forwarded_at: AwareDatetime
    sign_by: date


@event(
    REGISTRY, type="cn.chengyu.hr.hotline-request-signed.v1", topic=HOTLINE_TOPIC, key="request_id"
)
class HotlineRequestSigned(EventData):
    """``to_city`` signed for the request (签收) and owes a resolution by ``resolve_by``."""

    request_id: Id
    from_city: City
    to_city: City
    signed_at: AwareDatetime
    resolve_by: date


@event(
    REGISTRY,
    type="cn.chengyu.hr.hotline-request-returned.v1",
    topic=HOTLINE_TOPIC,
    key="request_id",
)
class HotlineRequestReturned(EventData):
    """``to_city`` returned a wrongly routed request within the sign-for window: ``from_city``
    handles it again (final for the cross-city request)."""

    request_id: Id
    from_city: City
    to_city: City
    reason: ReasonText
    returned_at: AwareDatetime


@event(
    REGISTRY,
    type="cn.chengyu.hr.hotline-extension-requested.v1",
    topic=HOTLINE_TOPIC,
    key="request_id",
)
class HotlineExtensionRequested(EventData):
    """``to_city`` asks for more working days, before ``resolve_by``."""

    request_id: Id
    extension_id: Id
    from_city: City
    to_city: City
    working_days: Annotated[int, Field(ge=1, le=60)]
    reason: ReasonText
    requested_at: AwareDatetime


@event(
    REGISTRY,
    type="cn.chengyu.hr.hotline-extension-decided.v1",
    topic=HOTLINE_TOPIC,
    key="request_id",
)
class HotlineExtensionDecided(EventData):
    """``from_city`` approved (``resolve_by`` moves) or refused an extension."""

    request_id: Id
    extension_id: Id
    from_city: City
    to_city: City
    approved: bool
    resolve_by: date
    reason: ReasonText | None = None
    decided_at: AwareDatetime


@event(
    REGISTRY,
    type="cn.chengyu.hr.hotline-request-resolved.v1",
    topic=HOTLINE_TOPIC,
    key="request_id",
)
class HotlineRequestResolved(EventData):
    """``to_city`` resolved the request (办结) and says how; ``from_city`` calls the caller back."""

    request_id: Id
    from_city: City
    to_city: City
    resolution: ClerkText
    resolved_at: AwareDatetime


@event(
    REGISTRY,
    type="cn.chengyu.hr.hotline-callback-recorded.v1",
    topic=HOTLINE_TOPIC,
    key="request_id",
)
class HotlineCallbackRecorded(EventData):
    """``from_city`` called the caller back (回访). Satisfied or basically satisfied closes the
    request; dissatisfied reopens it with a new ``resolve_by`` for ``to_city``."""

    request_id: Id
    from_city: City
    to_city: City
    feedback: Literal["satisfied", "basically-satisfied", "dissatisfied", "unreachable"]
    outcome: Literal["closed", "reopened"]
    resolve_by: date | None = None
    recorded_at: AwareDatetime


@event(
    REGISTRY, type="cn.chengyu.hr.hotline-request-overdue.v1", topic=HOTLINE_TOPIC, key="request_id"
)
class HotlineRequestOverdue(EventData):
    """A reminder: ``step`` was due by ``due_on`` and is not done (sent once per step and
    deadline, on the first working day after it)."""

    request_id: Id
    from_city: City
    to_city: City
    step: Literal["sign", "resolve"]
    due_on: date
    flagged_on: date


# --------------------------------------------------------------------------------------------
# personnel files (人事档案)

FileMethod = Literal["confidential-courier", "tracked-post"]


@event(
    REGISTRY,
    type="cn.chengyu.hr.personnel-file-held.v1",
    topic=PERSONNEL_FILE_TOPIC,
    key="person_ref",
)
class PersonnelFileHeld(EventData):
    """A version of where ``city`` holds the person's file: the talent-service centre and since
    when; ``held`` false when the file left ``city`` (transferred out)."""

    person_ref: Id
    city: City
    version: Version
    held: bool
    centre_id: Id
    centre_name: Annotated[str, Field(min_length=1, max_length=200)]
    held_since: date


@event(
    REGISTRY,
    type="cn.chengyu.hr.personnel-file-transfer-requested.v1",
    topic=PERSONNEL_FILE_TOPIC,
    key="person_ref",
)
class PersonnelFileTransferRequested(EventData):
    """``to_city`` asks ``holder_city`` to send the file to one of its centres; the holder
    dispatches by ``dispatch_by``."""

    transfer_id: Id
    person_ref: Id
    holder_city: City
    to_city: City
    to_centre_id: Id
    requested_at: AwareDatetime
    dispatch_by: date


@event(
    REGISTRY,
    type="cn.chengyu.hr.personnel-file-dispatched.v1",
    topic=PERSONNEL_FILE_TOPIC,
    key="person_ref",
)
class PersonnelFileDispatched(EventData):
    """The holder sent the file (机要通道 or tracked post) with its tracking number."""

    transfer_id: Id
    person_ref: Id
    holder_city: City
    to_city: City
    method: FileMethod
    tracking_number: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{4,40}$")]
    dispatched_at: AwareDatetime
    receive_by: date


@event(
    REGISTRY,
    type="cn.chengyu.hr.personnel-file-received.v1",
    topic=PERSONNEL_FILE_TOPIC,
    key="person_ref",
)
class PersonnelFileReceived(EventData):
    """``to_city`` received the file: complete, or held as incomplete with the missing parts
    named (the holder supplements them by ``supplement_by``)."""

    transfer_id: Id
    person_ref: Id
    holder_city: City
    to_city: City
    complete: bool
    missing_parts: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=100)]], Field(max_length=30)
    ]
    received_at: AwareDatetime
    supplement_by: date | None = None


@event(
    REGISTRY,
    type="cn.chengyu.hr.personnel-file-supplemented.v1",
    topic=PERSONNEL_FILE_TOPIC,
    key="person_ref",
)
class PersonnelFileSupplemented(EventData):
    """The holder sent the missing parts."""

    transfer_id: Id
    person_ref: Id
    holder_city: City
    to_city: City
    method: FileMethod
    tracking_number: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{4,40}$")]
    supplemented_at: AwareDatetime


@event(
    REGISTRY,
    type="cn.chengyu.hr.personnel-file-transfer-completed.v1",
    topic=PERSONNEL_FILE_TOPIC,
    key="person_ref",
)
class PersonnelFileTransferCompleted(EventData):
    """``to_city`` holds the complete file from ``completed_at``."""

    transfer_id: Id
    person_ref: Id
    holder_city: City
    to_city: City
    completed_at: AwareDatetime


@event(
    REGISTRY,
    type="cn.chengyu.hr.personnel-file-overdue.v1",
    topic=PERSONNEL_FILE_TOPIC,
    key="person_ref",
)
class PersonnelFileOverdue(EventData):
    """A reminder: a transfer step or a certificate was due by ``due_on`` and is not done."""

    person_ref: Id
    holder_city: City
    to_city: City
    transfer_id: Id | None = None
    certificate_id: Id | None = None
    step: Literal["dispatch", "receive", "supplement", "certificate"]
    due_on: date
    flagged_on: date


@event(
    REGISTRY,
    type="cn.chengyu.hr.personnel-file-certificate-requested.v1",
    topic=PERSONNEL_FILE_TOPIC,
    key="person_ref",
)
class PersonnelFileCertificateRequested(EventData):
    """A certificate based on the file (出具证明), asked in ``requesting_city`` and answered by
    the holder by ``answer_by``."""

    certificate_id: Id
    person_ref: Id
    holder_city: City
    requesting_city: City
    kind: Literal["file-held", "employment-history", "cadre-status", "political-review", "other"]
    purpose: ReasonText
    requested_at: AwareDatetime
    answer_by: date


@event(
    REGISTRY,
    type="cn.chengyu.hr.personnel-file-certificate-answered.v1",
    topic=PERSONNEL_FILE_TOPIC,
    key="person_ref",
)
class PersonnelFileCertificateAnswered(EventData):
    """The holder issued the certificate (its number and the sha256 of the document it keeps),
    or refused it with a reason."""

    certificate_id: Id
    person_ref: Id
    holder_city: City
    requesting_city: City
    issued: bool
    certificate_number: Annotated[str, Field(max_length=64)] | None = None
    document_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None
    reason: ReasonText | None = None
    answered_at: AwareDatetime
