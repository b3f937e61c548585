"""The rare-blood registry's use cases: register and update this city's donors, withdraw
consent, record donations, search both cities' consenting donors, request a recall and
answer one; and the steps the handlers take on the other city's events. Each runs in the
caller's unit of work; time is only the unit's.

Names, phones and ID numbers stay in the donor's city: the events carry the donor's
pseudonymous reference (the person_ref of the ID number), the group, the phenotypes and
the availability only.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import date

from chengyu_contracts.cities import CITY_NAMES
from chengyu_contracts.domain_error import Conflict, DomainError, Forbidden, NotFound
from chengyu_contracts.events.blood import (
    RareDonorConsentWithdrawn,
    RareDonorRecallAnswered,
    RareDonorRecallRequested,
    RareDonorRegistered,
)
from chengyu_contracts.resident_id import checked_resident_id
from chengyu_kit.unit import Unit

from ..blood_groups import parse_abo, parse_rhd
from ..policy import (
    DONATION_KINDS,
    RHD_NEGATIVE_PHENOTYPE,
    URGENCIES,
    CityPolicy,
    DonationKind,
    PolicyBook,
    Urgency,
)
from ..rare_donors import (
    RECALL_ANSWERS,
    DonorMatch,
    DonorQuery,
    RareDonor,
    Recall,
    RecallAnswer,
    available_on,
    record_donation,
    register_donor,
    request_recall,
    search,
    withdraw_consent,
)
from ..rare_donors import answer_recall as answered
from . import store
from .store import Contact, DonorVersion, OwnDonor, StoredRecall

NAME_MAX = 64
_PHONE = re.compile(r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$")
_REASON_CODE = re.compile(r"^[a-z0-9-]{1,64}$")


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DomainError(
            "invalid-date", f"{field} is a day written YYYY-MM-DD, e.g. 2026-03-31."
        ) from None


def _name(raw: str) -> str:
    name = raw.strip()
    if not name or len(name) > NAME_MAX:
        raise DomainError("invalid-name", f"The name must have 1 to {NAME_MAX} characters.")
    return name


def _phone(raw: str) -> str:
    phone = raw.strip()
    if not _PHONE.match(phone):
        raise DomainError(
            "invalid-phone",
            "The phone must be an 11-digit mobile number or a landline with its area code.",
        )
    return phone


def _kind(text: str) -> DonationKind:
    for kind in DONATION_KINDS:
        if text == kind:
            return kind
    raise DomainError(
        "unknown-donation-kind", f"A donation kind is one of {', '.join(DONATION_KINDS)}."
    )


def _urgency(text: str) -> Urgency:
    for urgency in URGENCIES:
        if text == urgency:
            return urgency
    raise DomainError("unknown-urgency", f"An urgency is one of {', '.join(URGENCIES)}.")


def _answer(text: str) -> RecallAnswer:
    for answer in RECALL_ANSWERS:
        if text == answer:
            return answer
    raise DomainError("unknown-answer", f"A recall is answered {', '.join(RECALL_ANSWERS)}.")


def _not_in_future(day: date, field: str, today: date) -> date:
    if day > today:
        raise DomainError("date-in-future", f"{field} cannot be after today ({today.isoformat()}).")
    return day


def _policy(unit: Unit, book: PolicyBook) -> CityPolicy:
    return book.policy_for(unit.city, unit.today)


def registered_event(own: OwnDonor, policy: CityPolicy, today: date) -> RareDonorRegistered:
    """The pseudonymous version of this city's consenting donor the other city keeps."""
    donor = own.donor
    return RareDonorRegistered(
        donor_ref=donor.donor_ref,
        city=donor.city,
        version=own.version,
        abo=donor.abo,
        rhd=donor.rhd,
        phenotypes=sorted(donor.phenotypes),
        last_donation_on=donor.last_donation,
        available_on=available_on(donor, policy) or today,
    )


async def _save(unit: Unit, own: OwnDonor) -> None:
    record = DonorVersion(own.donor, own.contact, own.version, unit.now, unit.acted_by())
    await store.save_own_donor(unit.conn, record)


@dataclass(frozen=True)
class RegisterDonor:
    """A clerk of this city registers (or restates) a rare donor."""

    id_number: str
    name: str
    phone: str
    abo: str
    rhd: str
    phenotypes: tuple[str, ...]
    consent_given: bool
    last_donation_on: str | None = None
    last_donation_kind: str = "whole-blood"


@dataclass(frozen=True)
class Registered:
    """A donor as registered here, and whether this registration wrote a new version."""

    own: OwnDonor
    changed: bool
    available_on: date | None


async def register(command: RegisterDonor, unit: Unit, book: PolicyBook) -> Registered:
    """Register this city's donor, or write a new version when anything changed (nothing is
    written when nothing did); publish the pseudonymous version for the other city.

    Refusals: resident ID codes, ``invalid-name``, ``invalid-phone``, ``unknown-abo``,
    ``unknown-rhd``, ``inconsistent-rhd``, ``unknown-phenotype``, ``not-rare``,
    ``consent-required``, ``invalid-date``, ``date-in-future``, ``unknown-donation-kind``,
    ``donation-out-of-order`` (an earlier last donation than the one recorded).
    """
    resident = checked_resident_id(command.id_number, unit.today)
    contact = Contact(_name(command.name), _phone(command.phone))
    policy = _policy(unit, book)
    rhd = parse_rhd(command.rhd)
    if rhd == "pos" and RHD_NEGATIVE_PHENOTYPE in command.phenotypes:
        raise DomainError(
            "inconsistent-rhd", f"A donor listed {RHD_NEGATIVE_PHENOTYPE} has rhd neg, not pos."
        )
    last = None
    if command.last_donation_on is not None:
        day = _day(command.last_donation_on, "last_donation_on")
        last = _not_in_future(day, "last_donation_on", unit.today)
    donor = register_donor(
        RareDonor(
            donor_ref=unit.person_ref(resident),
            city=unit.city,
            abo=parse_abo(command.abo),
            rhd=rhd,
            phenotypes=frozenset(command.phenotypes),
            consent="given",
            last_donation=last,
            last_donation_kind=_kind(command.last_donation_kind),
        ),
        policy,
    )
    if not command.consent_given:
        raise DomainError(
            "consent-required", "The registry keeps a donor only with their consent given."
        )
    known = await store.own_donor(unit.conn, unit.city, donor.donor_ref, for_update=True)
    if known is not None:
        previous = known.donor.last_donation
        if previous is not None and (last is None or last < previous):
            raise DomainError(
                "donation-out-of-order",
                f"The donor's last donation is recorded on {previous.isoformat()};"
                " a registration cannot move it back.",
            )
        if known.donor == donor and known.contact == contact:
            return Registered(known, False, available_on(donor, policy))
    version = 1 if known is None else known.version + 1
    own = OwnDonor(donor, contact, version, unit.now, unit.acted_by())
    await _save(unit, own)
    unit.emit(registered_event(own, policy, unit.today))
    return Registered(own, True, available_on(donor, policy))


async def _own_or_refuse(unit: Unit, donor_ref: str) -> OwnDonor:
    own = await store.own_donor(unit.conn, unit.city, donor_ref, for_update=True)
    if own is not None:
        return own
    seen = await store.seen_donor(unit.conn, donor_ref)
    if seen is not None:
        raise Forbidden(
            "other-citys-donor",
            f"Donor {donor_ref} is kept by {CITY_NAMES[seen.city]}'s centre, which alone"
            " records their consent and donations.",
        )
    raise NotFound("unknown-donor", f"There is no rare donor {donor_ref} here.")


async def withdraw(donor_ref: str, unit: Unit, book: PolicyBook) -> Registered:
    """This city's donor withdrew consent: out of every search here at once, and out of the
    other city's once it reads the withdrawal (a second withdrawal writes nothing).

    Refusals: ``unknown-donor``, ``other-citys-donor``.
    """
    own = await _own_or_refuse(unit, donor_ref)
    policy = _policy(unit, book)
    if own.donor.consent == "withdrawn":
        return Registered(own, False, available_on(own.donor, policy))
    changed = replace(own, donor=withdraw_consent(own.donor), version=own.version + 1)
    await _save(unit, changed)
    unit.emit(
        RareDonorConsentWithdrawn(
            donor_ref=donor_ref,
            city=unit.city,
            version=changed.version,
            withdrawn_on=unit.today,
        )
    )
    return Registered(changed, True, available_on(changed.donor, policy))


@dataclass(frozen=True)
class RecordDonation:
    """This city's donor donated."""

    donor_ref: str
    donated_on: str
    kind: str = "whole-blood"


async def donate(command: RecordDonation, unit: Unit, book: PolicyBook) -> Registered:
    """Record a donation of this city's donor: their availability moves; the other city
    reads the new availability (unless the donor withdrew consent: then nothing leaves).
    The same donation twice writes nothing.

    Refusals: ``invalid-date``, ``date-in-future``, ``unknown-donation-kind``,
    ``unknown-donor``, ``other-citys-donor``, ``donation-out-of-order``.
    """
    day = _not_in_future(_day(command.donated_on, "donated_on"), "donated_on", unit.today)
    kind = _kind(command.kind)
    own = await _own_or_refuse(unit, command.donor_ref)
    policy = _policy(unit, book)
    donor = record_donation(own.donor, day, kind)
    if donor == own.donor:
        return Registered(own, False, available_on(donor, policy))
    changed = replace(own, donor=donor, version=own.version + 1)
    await _save(unit, changed)
    if donor.consent == "given":
        unit.emit(registered_event(changed, policy, unit.today))
    return Registered(changed, True, available_on(donor, policy))


@dataclass(frozen=True)
class DonorSearch:
    """A search of both cities' registries."""

    phenotype: str
    abo: str | None = None
    rhd: str | None = None


def _sort_key(match: DonorMatch) -> tuple[bool, date, str]:
    return (not match.available_now, match.available_on or date.min, match.donor_ref)


async def search_donors(query: DonorSearch, unit: Unit, book: PolicyBook) -> list[DonorMatch]:
    """The consenting donors of both cities with the phenotype (and ABO, RhD if given),
    available ones first: pseudonymous references, the donor's city and availability (the
    other city's donors' as that city published it).

    Refusals: ``unknown-phenotype``, ``unknown-abo``, ``unknown-rhd``.
    """
    abo = None if query.abo is None else parse_abo(query.abo)
    rhd = None if query.rhd is None else parse_rhd(query.rhd)
    found = await store.searchable_donors(unit.conn, unit.city)
    published = {s.donor_ref: s.available_on for s in found.seen}
    donors = found.own + [s.donor for s in found.seen if s.donor is not None]
    matches = []
    for match in search(donors, DonorQuery(query.phenotype, abo), _policy(unit, book), unit.today):
        if rhd is not None and match.rhd != rhd:
            continue
        if match.donor_ref in published:
            on = published[match.donor_ref]
            now = on is None or on <= unit.today
            matches.append(replace(match, available_on=on, available_now=now))
        else:
            matches.append(match)
    return sorted(matches, key=_sort_key)


@dataclass(frozen=True)
class DonorView:
    """A donor as this city shows it; ``contact`` only for this city's own donors."""

    donor: RareDonor
    version: int
    available_on: date | None
    contact: Contact | None


async def donor(donor_ref: str, unit: Unit, book: PolicyBook) -> DonorView:
    """A donor known here: this city's (with the contact, for its clerks to reach them) or
    the other city's (pseudonymous, consenting only). Refusal: ``unknown-donor``."""
    own = await store.own_donor(unit.conn, unit.city, donor_ref)
    if own is not None:
        on = available_on(own.donor, _policy(unit, book))
        return DonorView(own.donor, own.version, on, own.contact)
    seen = await store.seen_donor(unit.conn, donor_ref)
    if seen is None or seen.donor is None or not seen.consenting:
        raise NotFound("unknown-donor", f"There is no consenting rare donor {donor_ref} here.")
    return DonorView(seen.donor, seen.version, seen.available_on, None)


@dataclass(frozen=True)
class RequestRecall:
    """A clerk of either city asks the donor's city to contact a donor."""

    donor_ref: str
    urgency: str
    needed_by: str


async def _donor_to_recall(unit: Unit, donor_ref: str) -> RareDonor:
    own = await store.own_donor(unit.conn, unit.city, donor_ref)
    if own is not None:
        return own.donor
    seen = await store.seen_donor(unit.conn, donor_ref)
    if seen is None:
        raise NotFound("unknown-donor", f"There is no rare donor {donor_ref} in either registry.")
    if seen.donor is None:
        raise Conflict("no-consent", "This donor is not to be contacted.")
    return seen.donor


async def request(command: RequestRecall, unit: Unit) -> StoredRecall:
    """Ask the donor's city to contact the donor (it shows the recall among its requested
    ones and answers).

    Refusals: ``unknown-urgency``, ``invalid-date``, ``needed-by-past``, ``unknown-donor``,
    ``no-consent``.
    """
    urgency = _urgency(command.urgency)
    needed_by = _day(command.needed_by, "needed_by")
    if needed_by < unit.today:
        raise DomainError(
            "needed-by-past", f"needed_by cannot be before today ({unit.today.isoformat()})."
        )
    target = await _donor_to_recall(unit, command.donor_ref)
    recall = request_recall(f"rcl-{unit.city}-{uuid.uuid4().hex}", target, unit.city, unit.now)
    stored = StoredRecall(recall, urgency, needed_by, None, unit.acted_by(), None)
    await store.insert_recall(unit.conn, stored)
    unit.emit(
        RareDonorRecallRequested(
            recall_id=recall.recall_id,
            donor_ref=recall.donor_ref,
            donor_city=recall.donor_city,
            requesting_city=recall.requesting_city,
            urgency=urgency,
            needed_by=needed_by,
            requested_at=recall.requested_at,
        )
    )
    return stored


@dataclass(frozen=True)
class AnswerRecall:
    """A clerk of the donor's city answers a recall after contacting the donor."""

    recall_id: str
    answer: str
    reason_code: str | None = None


def _answered_event(stored: StoredRecall) -> RareDonorRecallAnswered:
    recall = stored.recall
    if recall.state == "requested" or recall.answered_at is None:
        raise ValueError("an unanswered recall has no answer to publish")
    return RareDonorRecallAnswered(
        recall_id=recall.recall_id,
        donor_ref=recall.donor_ref,
        donor_city=recall.donor_city,
        requesting_city=recall.requesting_city,
        answer=recall.state,
        reason_code=stored.reason_code,
        answered_at=recall.answered_at,
    )


async def answer(command: AnswerRecall, unit: Unit) -> StoredRecall:
    """Answer a recall of this city's donor (once); the requesting city shows the answer.

    Refusals: ``unknown-answer``, ``invalid-reason-code``, ``unknown-recall``,
    ``not-the-donors-city`` (only the donor's city answers), ``recall-answered``.
    """
    reply = _answer(command.answer)
    if command.reason_code is not None and not _REASON_CODE.match(command.reason_code):
        raise DomainError(
            "invalid-reason-code", "reason_code is 1 to 64 lower-case letters, digits or '-'."
        )
    stored = await store.recall_of(unit.conn, command.recall_id, for_update=True)
    if stored is None:
        raise NotFound("unknown-recall", f"There is no recall {command.recall_id} here.")
    donor_city = stored.recall.donor_city
    if donor_city != unit.city:
        raise Forbidden(
            "not-the-donors-city",
            f"Recall {command.recall_id} is answered by the donor's city,"
            f" {CITY_NAMES[donor_city]}.",
        )
    recall = answered(stored.recall, reply, unit.now)
    done = replace(
        stored, recall=recall, reason_code=command.reason_code, answered_by=unit.acted_by()
    )
    await store.answer_recall(
        unit.conn,
        store.AnsweredRecall(
            recall.recall_id, recall.state, command.reason_code, unit.now, done.answered_by
        ),
    )
    unit.emit(_answered_event(done))
    return done


async def recall(recall_id: str, unit: Unit) -> StoredRecall:
    """A recall known here (asked by this city, or of this city's donor);
    ``unknown-recall``."""
    stored = await store.recall_of(unit.conn, recall_id)
    if stored is None:
        raise NotFound("unknown-recall", f"There is no recall {recall_id} here.")
    return stored


async def recalls(state: str | None, unit: Unit) -> list[StoredRecall]:
    """The recalls known here, of ``state`` if given; ``unknown-recall-state``."""
    if state is not None and state not in store.RECALL_STATES:
        raise DomainError(
            "unknown-recall-state",
            f"A recall's state is one of {', '.join(store.RECALL_STATES)}.",
        )
    return await store.recalls(unit.conn, state)


# --------------------------------------------------------------------------------------------
# the other city's events


async def handle_registered(unit: Unit, event: RareDonorRegistered) -> None:
    """Keep the other city's donor at the event's version, unless a version as high is
    known (redelivery and replay change nothing)."""
    donor = RareDonor(
        donor_ref=event.donor_ref,
        city=event.city,
        abo=event.abo,
        rhd=event.rhd,
        phenotypes=frozenset(event.phenotypes),
        consent="given",
        last_donation=event.last_donation_on,
    )
    on = None if event.last_donation_on is None else event.available_on
    await store.see_donor(unit.conn, store.SeenVersion(donor, event.version, on, unit.now))


async def handle_withdrawn(unit: Unit, event: RareDonorConsentWithdrawn) -> None:
    """Take the other city's donor out of searches here at once (a later version only)."""
    seen = store.SeenWithdrawal(event.donor_ref, event.city, event.version, unit.now)
    await store.see_withdrawal(unit.conn, seen)


async def handle_recall_requested(unit: Unit, event: RareDonorRecallRequested) -> None:
    """Show the other city's recall of this city's donor among the requested ones; a donor
    who withdrew consent is not contacted: the recall is answered ``declined``
    (``consent-withdrawn``) at once. A recall known already changes nothing.

    Refusals: ``not-this-citys-donor``, ``unknown-donor``.
    """
    if event.donor_city != unit.city:
        raise DomainError(
            "not-this-citys-donor",
            f"Recall {event.recall_id} names a donor of {event.donor_city}, not of {unit.city}.",
        )
    if await store.recall_of(unit.conn, event.recall_id) is not None:
        return
    own = await store.own_donor(unit.conn, unit.city, event.donor_ref)
    if own is None:
        raise NotFound("unknown-donor", f"There is no rare donor {event.donor_ref} here.")
    base = StoredRecall(
        request_recall_from(event), event.urgency, event.needed_by, None, None, None
    )
    if own.donor.consent == "given":
        await store.insert_recall(unit.conn, base)
        return
    declined = replace(
        base,
        recall=answered(base.recall, "declined", unit.now),
        reason_code="consent-withdrawn",
    )
    await store.insert_recall(unit.conn, declined)
    unit.emit(_answered_event(declined))


def request_recall_from(event: RareDonorRecallRequested) -> Recall:
    """The recall as the requesting city published it."""
    return Recall(
        recall_id=event.recall_id,
        donor_ref=event.donor_ref,
        donor_city=event.donor_city,
        requesting_city=event.requesting_city,
        state="requested",
        requested_at=event.requested_at,
    )


async def handle_recall_answered(unit: Unit, event: RareDonorRecallAnswered) -> None:
    """Show the donor's city's answer on this city's recall (the first answer counts; a
    second copy changes nothing). Refusals: ``not-this-citys-recall``, ``unknown-recall``."""
    if event.requesting_city != unit.city:
        raise DomainError(
            "not-this-citys-recall",
            f"Recall {event.recall_id} was asked by {event.requesting_city}, not {unit.city}.",
        )
    if await store.recall_of(unit.conn, event.recall_id) is None:
        raise NotFound("unknown-recall", f"There is no recall {event.recall_id} here.")
    await store.answer_recall(
        unit.conn,
        store.AnsweredRecall(
            event.recall_id, event.answer, event.reason_code, event.answered_at, unit.acted_by()
        ),
    )
