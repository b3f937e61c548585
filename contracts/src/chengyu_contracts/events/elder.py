"""Elder-allowance (高龄津贴) events: the household registers of both cities, the allowance
granted without application (免申即享) and paid by exactly one city, verifications (审验) and
applications accepted in either city (异地受理), capability assessments recognised by both
cities (老年人能力评估) and the elder-care institution map (养老服务地图).

``elder.allowance`` is keyed by ``person_ref``: one person's registrations, grants,
suspensions, verifications, applications and recovery claims stay in one partition, in the
order they were published, for every reader. The **paying city** of a month is the city
whose household register holds the person that month (see ``ElderRegistrationChanged``);
a month that both registers claim is paid by neither until a clerk resolves it
(``ElderDuplicateRegistrationFlagged``).

``elder.payment`` is keyed by city: the outcome of each monthly payment run.
``elder.assessment`` is keyed by ``person_ref``; ``elder.institution`` by institution id.

No names, ID numbers, bank accounts or phone numbers of persons: a person is only their
``person_ref``; those stay in the paying city's database. Institutions are public bodies:
their names, addresses and phones are public data. Months are ``YYYY-MM``; amounts are fen.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from chengyu_contracts.cities import City
from chengyu_contracts.registry import REGISTRY, EventData, event

__all__ = [
    "ALLOWANCE_TOPIC",
    "ASSESSMENT_TOPIC",
    "INSTITUTION_TOPIC",
    "PAYMENT_TOPIC",
    "ElderAllowanceApplicationDecided",
    "ElderAllowanceApplicationOverdue",
    "ElderAllowanceApplied",
    "ElderAllowanceBandChanged",
    "ElderAllowanceGranted",
    "ElderAllowancePaymentRunCompleted",
    "ElderAllowanceRecoveryClaimed",
    "ElderAllowanceResumed",
    "ElderAllowanceSuspended",
    "ElderAllowanceTerminated",
    "ElderCapabilityAssessed",
    "ElderCareInstitutionPublished",
    "ElderDuplicateRegistrationCleared",
    "ElderDuplicateRegistrationFlagged",
    "ElderRegistrationChanged",
    "ElderVerificationRecorded",
]

ALLOWANCE_TOPIC = "elder.allowance"
PAYMENT_TOPIC = "elder.payment"
ASSESSMENT_TOPIC = "elder.assessment"
INSTITUTION_TOPIC = "elder.institution"

PersonRef = Annotated[str, Field(min_length=1, max_length=128)]
Id = Annotated[str, Field(min_length=1, max_length=128)]
MonthText = Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]
Fen = Annotated[int, Field(ge=0, description="amount in fen (1/100 yuan)")]
Count = Annotated[int, Field(ge=0)]
ReasonCode = Annotated[str, Field(pattern=r"^[a-z0-9-]+$", max_length=64)]
ReasonText = Annotated[str, Field(max_length=500)]
Band = Literal["80-89", "90-99", "100+"]
Assistance = Literal["none", "dibao", "tekun"]
RegistrationStatus = Literal["registered", "moved-out", "deceased", "withdrawn"]


# --------------------------------------------------------------------------------------------
# household registers (户籍)


@event(
    REGISTRY,
    type="cn.chengyu.elder.registration-changed.v1",
    topic=ALLOWANCE_TOPIC,
    key="person_ref",
)
class ElderRegistrationChanged(EventData):
    """A new version of one city's household registration of a person of (or nearly of)
    allowance age: entered the register, moved out to the other city, died, or was withdrawn
    (registered in error).

    The city is registered for every month from ``registered_from`` (open: from before any
    month either city pays) through ``registered_until`` (open: still registered). A reader
    keeps the highest ``version`` of each (person_ref, city) whatever order they arrive in.
    """

    person_ref: PersonRef
    city: City
    version: Annotated[int, Field(ge=1)]
    status: RegistrationStatus
    registered_from: MonthText | None = None
    registered_until: MonthText | None = None
    # The city the household moved to, for ``moved-out``.
    moved_to: City | None = None
    changed_on: date


@event(
    REGISTRY,
    type="cn.chengyu.elder.duplicate-registration-flagged.v1",
    topic=ALLOWANCE_TOPIC,
    key="person_ref",
)
class ElderDuplicateRegistrationFlagged(EventData):
    """Both cities' registers claim the person from ``first_month`` on (重复享受): neither city
    pays those months until a clerk ends one registration. Each city flags for itself."""

    person_ref: PersonRef
    city: City
    first_month: MonthText
    flagged_on: date


@event(
    REGISTRY,
    type="cn.chengyu.elder.duplicate-registration-cleared.v1",
    topic=ALLOWANCE_TOPIC,
    key="person_ref",
)
class ElderDuplicateRegistrationCleared(EventData):
    """The two registrations no longer overlap: each city pays its own months again."""

    person_ref: PersonRef
    city: City
    cleared_on: date


# --------------------------------------------------------------------------------------------
# the allowance of one person in its paying city


@event(
    REGISTRY,
    type="cn.chengyu.elder.allowance-granted.v1",
    topic=ALLOWANCE_TOPIC,
    key="person_ref",
)
class ElderAllowanceGranted(EventData):
    """The paying city granted the allowance from ``first_month`` (免申即享 by the monthly
    run, or on an application)."""

    person_ref: PersonRef
    paying_city: City
    band: Band
    first_month: MonthText
    monthly_amount_fen: Fen
    granted_on: date
    via: Literal["automatic", "application"]
    application_id: Id | None = None
    # The first verification (审验) falls due in this month.
    verification_due: MonthText


@event(
    REGISTRY,
    type="cn.chengyu.elder.allowance-band-changed.v1",
    topic=ALLOWANCE_TOPIC,
    key="person_ref",
)
class ElderAllowanceBandChanged(EventData):
    """The person reached the next age band: the band's amount applies from ``from_month``
    (the difference for earlier months is never back paid)."""

    person_ref: PersonRef
    paying_city: City
    band: Band
    from_month: MonthText
    monthly_amount_fen: Fen


@event(
    REGISTRY,
    type="cn.chengyu.elder.allowance-suspended.v1",
    topic=ALLOWANCE_TOPIC,
    key="person_ref",
)
class ElderAllowanceSuspended(EventData):
    """Payment withheld from ``from_month`` (a verification overdue past its grace period)."""

    person_ref: PersonRef
    paying_city: City
    from_month: MonthText
    reason_code: ReasonCode
    reason: ReasonText
    # The last month in which a verification still resumes payment.
    resume_by: MonthText


@event(
    REGISTRY,
    type="cn.chengyu.elder.allowance-resumed.v1",
    topic=ALLOWANCE_TOPIC,
    key="person_ref",
)
class ElderAllowanceResumed(EventData):
    """Payment resumed; the suspended months are back paid by the next payment run."""

    person_ref: PersonRef
    paying_city: City
    from_month: MonthText
    back_paid_months: Count
    verification_due: MonthText


@event(
    REGISTRY,
    type="cn.chengyu.elder.allowance-terminated.v1",
    topic=ALLOWANCE_TOPIC,
    key="person_ref",
)
class ElderAllowanceTerminated(EventData):
    """The paying city stopped the allowance; ``last_month`` is the last month it pays."""

    person_ref: PersonRef
    paying_city: City
    last_month: MonthText
    reason_code: Literal[
        "death", "household-moved", "verification-lapsed", "registration-withdrawn"
    ]
    reason: ReasonText
    terminated_on: date


@event(
    REGISTRY,
    type="cn.chengyu.elder.verification-recorded.v1",
    topic=ALLOWANCE_TOPIC,
    key="person_ref",
)
class ElderVerificationRecorded(EventData):
    """A periodic verification (审验) of a recipient, recorded in either city; the paying
    city applies it (the other city accepted it on the person's behalf: 异地受理)."""

    verification_id: Id
    person_ref: PersonRef
    recorded_in: City
    paying_city: City
    verified_on: date


@event(
    REGISTRY,
    type="cn.chengyu.elder.allowance-recovery-claimed.v1",
    topic=ALLOWANCE_TOPIC,
    key="person_ref",
)
class ElderAllowanceRecoveryClaimed(EventData):
    """Months already paid after the allowance ended (a death recorded late): the amount is
    to be recovered (追缴)."""

    claim_id: Id
    person_ref: PersonRef
    paying_city: City
    months: Annotated[list[MonthText], Field(min_length=1)]
    amount_fen: Annotated[int, Field(gt=0)]
    reason_code: ReasonCode
    claimed_on: date


# --------------------------------------------------------------------------------------------
# applications accepted in either city (异地受理)


@event(
    REGISTRY,
    type="cn.chengyu.elder.allowance-applied.v1",
    topic=ALLOWANCE_TOPIC,
    key="person_ref",
)
class ElderAllowanceApplied(EventData):
    """A person applied in ``accepted_in``; the paying city decides by ``decide_by``."""

    application_id: Id
    person_ref: PersonRef
    accepted_in: City
    paying_city: City
    submitted_on: date
    decide_by: date


@event(
    REGISTRY,
    type="cn.chengyu.elder.allowance-application-decided.v1",
    topic=ALLOWANCE_TOPIC,
    key="person_ref",
)
class ElderAllowanceApplicationDecided(EventData):
    """The paying city's answer to an application."""

    application_id: Id
    person_ref: PersonRef
    accepted_in: City
    paying_city: City
    outcome: Literal["approved", "refused"]
    reason_code: ReasonCode | None = None
    reason: ReasonText | None = None
    decided_on: date


@event(
    REGISTRY,
    type="cn.chengyu.elder.allowance-application-overdue.v1",
    topic=ALLOWANCE_TOPIC,
    key="person_ref",
)
class ElderAllowanceApplicationOverdue(EventData):
    """An application not decided by its deadline (flagged by the paying city)."""

    application_id: Id
    person_ref: PersonRef
    accepted_in: City
    paying_city: City
    decide_by: date
    flagged_on: date


# --------------------------------------------------------------------------------------------
# payment runs


@event(
    REGISTRY,
    type="cn.chengyu.elder.allowance-payment-run-completed.v1",
    topic=PAYMENT_TOPIC,
    key="city",
)
class ElderAllowancePaymentRunCompleted(EventData):
    """A city's monthly payment run: how many payments of how much went into its bank file."""

    run_id: Id
    city: City
    month: MonthText
    payments: Count
    amount_fen: Fen
    # Payments for earlier months in this run: back pay (补发) and retries of failed ones.
    back_payments: Count
    retried: Count
    bank_file_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    completed_at: AwareDatetime


# --------------------------------------------------------------------------------------------
# capability assessments (GB/T 42195-2022)

AssessmentReason = Literal["first", "routine", "immediate", "re-assessment"]
Adjustment = Literal["coma", "dementia-or-mental-disorder", "care-risk-events"]


@event(
    REGISTRY,
    type="cn.chengyu.elder.capability-assessed.v1",
    topic=ASSESSMENT_TOPIC,
    key="person_ref",
)
class ElderCapabilityAssessed(EventData):
    """An older person's capability assessment (老年人能力评估, GB/T 42195-2022), recognised
    by both cities without a new assessment until ``valid_until``."""

    assessment_id: Id
    person_ref: PersonRef
    city: City
    assessed_on: date
    reason: AssessmentReason
    self_care: Annotated[int, Field(ge=0, le=32)]
    basic_mobility: Annotated[int, Field(ge=0, le=15)]
    mental_state: Annotated[int, Field(ge=0, le=28)]
    perception_and_social: Annotated[int, Field(ge=0, le=15)]
    total: Annotated[int, Field(ge=0, le=90)]
    # Level by the total alone (0 完好 ... 4 完全失能), then after the adjustments applied.
    base_level: Annotated[int, Field(ge=0, le=4)]
    level: Annotated[int, Field(ge=0, le=4)]
    adjustments: list[Adjustment]
    valid_until: date


# --------------------------------------------------------------------------------------------
# elder-care institutions (养老服务地图): public data


@event(
    REGISTRY,
    type="cn.chengyu.elder.care-institution-published.v1",
    topic=INSTITUTION_TOPIC,
    key="institution_id",
)
class ElderCareInstitutionPublished(EventData):
    """A version of one city's elder-care institution (public data); a reader keeps the
    highest ``version``; ``closed`` takes it off the map."""

    institution_id: Id
    city: City
    version: Annotated[int, Field(ge=1)]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    district: Annotated[str, Field(pattern=r"^[0-9]{6}$")]
    address: Annotated[str, Field(min_length=1, max_length=300)]
    # WGS 84 coordinates in millionths of a degree (canonical JSON carries no floats).
    latitude_e6: Annotated[int, Field(ge=-90_000_000, le=90_000_000)]
    longitude_e6: Annotated[int, Field(ge=-180_000_000, le=180_000_000)]
    # GB/T 37276 grade 一级 (1) to 五级 (5); None: not yet graded.
    grade: Annotated[int, Field(ge=1, le=5)] | None = None
    beds: Count
    nursing_beds: Count
    vacancies: Count
    phone: Annotated[str, Field(max_length=40)]
    closed: bool = False
    updated_on: date
