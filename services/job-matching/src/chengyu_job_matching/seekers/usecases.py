"""The seekers area's use cases: register this city's key-group seekers (one, or a batch),
restate them, give or withdraw their consent to be matched in the other city, deregister
them, show and list profiles; and the steps the handlers take on the other city's events.
Each runs in the caller's unit of work; time is only the unit's.

The ID number is checked and turned into the person's reference (``unit.person_ref``) and
is never stored, returned or logged; the name and phone stay in ``seeker_identity`` and
are shown masked to this city's clerks only. What leaves for the other city is the
pseudonymous profile under a random ``seeker_ref`` (uuid4, no person_ref), and only while
the seeker is active and consents.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from chengyu_contracts.cities import CITIES, CITY_NAMES, City
from chengyu_contracts.domain_error import Conflict, DomainError, Forbidden, NotFound
from chengyu_contracts.events.hr import JobSeekerConsentWithdrawn, JobSeekerProfileShared
from chengyu_contracts.resident_id import checked_resident_id
from chengyu_kit.unit import Unit

from . import store
from .profile import (
    KEY_GROUPS,
    Contact,
    KeyGroup,
    Profile,
    ProfileDraft,
    check_contact,
    check_profile,
    parse_group,
)
from .seeker import Seeker, deregister, give_consent, publication, registered, restate
from .store import ContactChange, NewIdentity, OwnSeeker, ProfileQuery, Withdrawal

log = structlog.get_logger(__name__)

#: The most profiles one page of a list holds.
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class Written:
    """This city's seeker after a write and how to reach them; ``changed``: whether
    anything was written."""

    seeker: Seeker
    contact: Contact
    changed: bool = True


def _shared_event(seeker: Seeker, unit: Unit) -> JobSeekerProfileShared:
    p = seeker.profile
    return JobSeekerProfileShared(
        seeker_ref=seeker.seeker_ref,
        city=seeker.city,
        version=seeker.version,
        groups=list(p.groups),
        graduation_year=p.graduation_year,
        occupation_codes=list(p.occupation_codes),
        skills=list(p.skills),
        interests=list(p.interests),
        education=p.education,
        desired_cities=list(p.desired_cities),
        desired_districts=list(p.desired_districts),
        home_district=p.home_district,
        salary_floor_yuan=p.salary_floor_yuan,
        willing_to_move=p.willing_to_move,
        commute_radius_km=p.commute_radius_km,
        shared_at=unit.now,
    )


async def _save(unit: Unit, before: Seeker | None, after: Seeker) -> None:
    """Write ``after`` (when it is a new version) and tell the other city what it must
    learn of the change."""
    if before is not None and before == after:
        return
    await store.save_own(unit.conn, after, unit.now)
    match publication(before, after):
        case "share":
            unit.emit(_shared_event(after, unit))
        case "withdraw":
            unit.emit(
                JobSeekerConsentWithdrawn(
                    seeker_ref=after.seeker_ref,
                    city=after.city,
                    version=after.version,
                    withdrawn_at=unit.now,
                )
            )
        case None:
            pass


async def _keep_contact(unit: Unit, own: OwnSeeker, contact: Contact) -> None:
    if contact != own.contact:
        change = ContactChange(own.seeker.seeker_ref, contact, unit.now, unit.acted_by())
        await store.change_contact(unit.conn, change)


@dataclass(frozen=True)
class RegisterSeeker:
    """A clerk registers a person of this city as a key-group seeker."""

    id_number: str
    name: str
    phone: str
    draft: ProfileDraft
    consent_other_city: bool


@dataclass(frozen=True)
class _Checked:
    person_ref: str
    contact: Contact
    profile: Profile


def _check(command: RegisterSeeker, unit: Unit) -> _Checked:
    resident = checked_resident_id(command.id_number, unit.today)
    contact = check_contact(command.name, command.phone)
    profile = check_profile(command.draft, unit.city, unit.today.year)
    return _Checked(unit.person_ref(resident), contact, profile)


def _exists(seeker_ref: str) -> Conflict:
    return Conflict(
        "seeker-exists",
        f"This person is registered here already as seeker {seeker_ref};"
        f" change the registration with PUT /seekers/{seeker_ref}.",
    )


async def _register_checked(
    checked: _Checked, consent: bool, unit: Unit, *, same_is_fine: bool = False
) -> Written:
    known = await store.seeker_of_person(unit.conn, checked.person_ref, for_update=True)
    if known is not None:
        if known.seeker.active:
            same = restate(known.seeker, checked.profile, consent) == known.seeker
            if same_is_fine and same and known.contact == checked.contact:
                return Written(known.seeker, known.contact, changed=False)
            raise _exists(known.seeker.seeker_ref)
        # A deregistered person registers again: the same seeker, active again.
        after = restate(known.seeker, checked.profile, consent, reactivate=True)
        await _keep_contact(unit, known, checked.contact)
        await _save(unit, known.seeker, after)
        return Written(after, checked.contact)
    seeker_ref = str(uuid.uuid4())
    identity = NewIdentity(
        seeker_ref, checked.person_ref, checked.contact, unit.now, unit.acted_by()
    )
    if not await store.claim_person(unit.conn, identity):
        raced = await store.seeker_of_person(unit.conn, checked.person_ref)
        raise _exists(raced.seeker.seeker_ref if raced is not None else "(being registered)")
    seeker = registered(seeker_ref, unit.city, checked.profile, consent)
    await _save(unit, None, seeker)
    return Written(seeker, checked.contact)


async def register(command: RegisterSeeker, unit: Unit) -> Written:
    """Register a person as this city's seeker under a new random ``seeker_ref``; with
    consent, the profile is shared with the other city. A deregistered person registering
    again is active again (the same ``seeker_ref``, the next version).

    Refusals: the resident ID's (``wrong-length``, ``bad-check-digit``, ...),
    ``invalid-name``, ``invalid-phone``, those of
    :func:`~chengyu_job_matching.seekers.profile.check_profile`, and ``seeker-exists``
    (409, naming the seeker) when the person is registered and active already.
    """
    return await _register_checked(_check(command, unit), command.consent_other_city, unit)


@dataclass(frozen=True)
class BatchRow:
    """A row of a batch: its index and the registration, or why it could not be read."""

    index: int
    command: RegisterSeeker | DomainError


@dataclass(frozen=True)
class Accepted:
    """A row registered (or found registered exactly so already)."""

    index: int
    seeker_ref: str


@dataclass(frozen=True)
class Refused:
    """A row refused, with the rule it broke."""

    index: int
    code: str
    message: str


@dataclass(frozen=True)
class BatchReport:
    """What a batch did, row by row."""

    accepted: list[Accepted]
    refused: list[Refused]


async def register_batch(rows: Sequence[BatchRow], unit: Unit) -> BatchReport:
    """Register each row as :func:`register` would; a refused row is reported with its
    index and writes nothing. A row registered exactly so already (the same file sent
    again) is accepted with its seeker unchanged; a person registered with other details
    is refused ``seeker-exists``."""
    accepted: list[Accepted] = []
    refused: list[Refused] = []
    for row in rows:
        try:
            if isinstance(row.command, DomainError):
                raise row.command
            checked = _check(row.command, unit)
            done = await _register_checked(
                checked, row.command.consent_other_city, unit, same_is_fine=True
            )
        except DomainError as error:
            refused.append(Refused(row.index, error.code, error.sentence))
            continue
        accepted.append(Accepted(row.index, done.seeker.seeker_ref))
    log.info("seekers imported", received=len(rows), accepted=len(accepted), refused=len(refused))
    return BatchReport(accepted, refused)


async def _own_or_refuse(unit: Unit, seeker_ref: str) -> OwnSeeker:
    own = await store.own_seeker(unit.conn, seeker_ref, for_update=True)
    if own is not None:
        return own
    other = await store.profile_of(unit.conn, seeker_ref)
    if other is not None and other.city != unit.city:
        raise Forbidden(
            "other-citys-seeker",
            f"Seeker {seeker_ref} is registered in {CITY_NAMES[other.city]},"
            " whose clerks alone change the registration.",
        )
    raise NotFound("unknown-seeker", f"There is no seeker {seeker_ref} here.")


@dataclass(frozen=True)
class UpdateSeeker:
    """A clerk restates this city's seeker (everything but the ID number)."""

    seeker_ref: str
    name: str
    phone: str
    draft: ProfileDraft
    consent_other_city: bool


async def update(command: UpdateSeeker, unit: Unit) -> Written:
    """Restate this city's seeker: the next version when the profile or consent changed
    (shared again with consent; withdrawn from the other city when consent is no longer
    given); nothing written when nothing changed.

    Refusals: ``invalid-name``, ``invalid-phone``, those of ``check_profile``,
    ``unknown-seeker``, ``other-citys-seeker``, ``seeker-deregistered``.
    """
    contact = check_contact(command.name, command.phone)
    profile = check_profile(command.draft, unit.city, unit.today.year)
    own = await _own_or_refuse(unit, command.seeker_ref)
    after = restate(own.seeker, profile, command.consent_other_city)
    await _keep_contact(unit, own, contact)
    await _save(unit, own.seeker, after)
    return Written(after, contact, changed=after != own.seeker or contact != own.contact)


@dataclass(frozen=True)
class SetConsent:
    """The seeker gives or withdraws consent to be matched in the other city."""

    seeker_ref: str
    given: bool


async def set_consent(command: SetConsent, unit: Unit) -> Written:
    """Record the seeker's consent: given, the profile is shared; withdrawn, the other city
    deletes it at once when it reads the withdrawal. The consent as it was already writes
    nothing. Refusals: ``unknown-seeker``, ``other-citys-seeker``, ``seeker-deregistered``."""
    own = await _own_or_refuse(unit, command.seeker_ref)
    after = give_consent(own.seeker, command.given)
    await _save(unit, own.seeker, after)
    return Written(after, own.contact, changed=after != own.seeker)


async def deregister_seeker(seeker_ref: str, unit: Unit) -> Written:
    """Deregister this city's seeker: inactive, out of matching here and, when shared,
    withdrawn from the other city. A second deregistration writes nothing. Refusals:
    ``unknown-seeker``, ``other-citys-seeker``."""
    own = await _own_or_refuse(unit, seeker_ref)
    after = deregister(own.seeker)
    await _save(unit, own.seeker, after)
    return Written(after, own.contact, changed=after != own.seeker)


@dataclass(frozen=True)
class SeekerView:
    """A seeker as this city shows it; ``contact`` only for this city's own seekers."""

    seeker: Seeker
    contact: Contact | None


async def seeker(seeker_ref: str, unit: Unit) -> SeekerView:
    """This city's seeker (with the contact, for its clerks) or the other city's consenting
    seeker (the profile only). Refusal: ``unknown-seeker`` (also a withdrawn one)."""
    own = await store.own_seeker(unit.conn, seeker_ref)
    if own is not None:
        return SeekerView(own.seeker, own.contact)
    other = await store.profile_of(unit.conn, seeker_ref)
    if other is None or other.city == unit.city:
        raise NotFound("unknown-seeker", f"There is no seeker {seeker_ref} here.")
    return SeekerView(other, None)


@dataclass(frozen=True)
class ListSeekers:
    """A clerk's list of profiles, by city and key group."""

    city: str | None = None
    group: str | None = None
    page: int = 1
    per_page: int = 50


async def seekers(query: ListSeekers, unit: Unit) -> tuple[list[Seeker], int]:
    """A page of the active profiles known here (this city's, and the other city's
    consenting seekers) and their total. Refusals: ``unknown-city``, ``unknown-group``,
    ``invalid-page``."""
    city: City | None = None
    if query.city is not None:
        city = next((c for c in CITIES if c == query.city), None)
        if city is None:
            raise DomainError("unknown-city", f"city is one of {', '.join(CITIES)}.")
    group: KeyGroup | None = None if query.group is None else parse_group(query.group)
    if query.page < 1 or not 1 <= query.per_page <= MAX_PER_PAGE:
        raise DomainError(
            "invalid-page", f"page is at least 1 and per_page between 1 and {MAX_PER_PAGE}."
        )
    return await store.profiles(unit.conn, ProfileQuery(city, group, query.page, query.per_page))


# --------------------------------------------------------------------------------------------
# the other city's events


def _group(text: str) -> KeyGroup:
    # A tag this city does not know (the other city's list grew) is matched as "other".
    return next((g for g in KEY_GROUPS if g == text), "other")


async def handle_shared(unit: Unit, event: JobSeekerProfileShared) -> None:
    """Keep the other city's consenting seeker at the event's version, unless a version as
    high is held or was withdrawn here (redelivery and replay change nothing)."""
    profile = Profile(
        groups=tuple(dict.fromkeys(_group(g) for g in event.groups)),
        graduation_year=event.graduation_year,
        occupation_codes=tuple(event.occupation_codes),
        skills=tuple(event.skills),
        interests=tuple(event.interests),
        education=event.education,
        desired_cities=tuple(event.desired_cities),
        desired_districts=tuple(event.desired_districts),
        home_district=event.home_district,
        salary_floor_yuan=event.salary_floor_yuan,
        willing_to_move=event.willing_to_move,
        commute_radius_km=event.commute_radius_km,
    )
    seen = Seeker(event.seeker_ref, event.city, event.version, profile, shared=True)
    await store.see_profile(unit.conn, seen, event.shared_at)


async def handle_withdrawn(unit: Unit, event: JobSeekerConsentWithdrawn) -> None:
    """Delete the other city's seeker's profile here at once and remember the withdrawn
    version, so an older profile read later is not kept again."""
    withdrawal = Withdrawal(event.seeker_ref, event.city, event.version, event.withdrawn_at)
    await store.see_withdrawal(unit.conn, withdrawal)
