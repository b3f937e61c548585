"""The register's use cases: import a batch of rows, record a death, a move out to the
other city, a change of assistance status, a withdrawal; keep the other city's registration
versions; look a person up. Each change of this city's registration is a new version,
saved and published (``ElderRegistrationChanged``); each change of a person's
registrations (either city's) re-checks whether both registers claim a month
(重复享受: flagged or cleared here, for this city) and lets the allowance follow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from chengyu_contracts.cities import City, other_city, parse_city
from chengyu_contracts.domain_error import Conflict, DomainError, NotFound
from chengyu_contracts.events.elder import (
    ElderDuplicateRegistrationCleared,
    ElderDuplicateRegistrationFlagged,
    ElderRegistrationChanged,
)
from chengyu_contracts.months import Month
from chengyu_contracts.resident_id import checked_resident_id
from chengyu_kit.logs import get_logger
from chengyu_kit.unit import Unit

from ..allowance import flow as allowance_flow
from ..policy import CityPolicy, PolicyBook
from . import store
from .assistance import changed_assistance
from .elder import AssistancePeriod
from .households import Registration, first_duplicate_month
from .rows import (
    ImportRow,
    RegisterEntry,
    RowError,
    checked_assistance,
    checked_batch,
    lines_in_order,
    parse_day,
)
from .store import DuplicateFlag, HouseholdVersion, Personal, StoredElder

log = get_logger(__name__)

REASON_MAX = 500
#: Before any policy, when the book has none for the city: no month is paid then anyway.
_BEFORE_ANY_POLICY = Month(1900, 1)


# --------------------------------------------------------------------------------------------
# shared steps


def register_policy(book: PolicyBook, city: City, today: date) -> CityPolicy:
    """The policy that says whom the register holds today: the one in force, or before
    the first one takes effect, the first one (the register is filled ahead of payments)."""
    policy = book.in_force(city, today)
    if policy is not None:
        return policy
    later = book.later_policies(city, today)
    return later[0] if later else book.policy_for(city, today)


def _written(unit: Unit) -> store.Written:
    return store.Written(at=unit.now, by=unit.acted_by(), request_id=unit.request_id)


def _record(unit: Unit, reason: str | None = None) -> store.VersionRecord:
    return store.VersionRecord(
        recorded_at=unit.now, recorded_by=unit.acted_by(), request_id=unit.request_id, reason=reason
    )


def registration_event(version: HouseholdVersion) -> ElderRegistrationChanged:
    """The published form of a version of this city's registration."""
    r = version.registration
    return ElderRegistrationChanged(
        person_ref=version.person_ref,
        city=r.city,
        version=r.version,
        status=r.status,
        registered_from=None if r.registered_from is None else str(r.registered_from),
        registered_until=None if r.registered_until is None else str(r.registered_until),
        moved_to=version.moved_to,
        changed_on=version.changed_on,
    )


def version_from_event(event: ElderRegistrationChanged) -> HouseholdVersion:
    """A received registration version as the store keeps it."""
    return HouseholdVersion(
        person_ref=event.person_ref,
        registration=Registration(
            city=event.city,
            version=event.version,
            status=event.status,
            registered_from=None
            if event.registered_from is None
            else Month.parse(event.registered_from),
            registered_until=None
            if event.registered_until is None
            else Month.parse(event.registered_until),
        ),
        moved_to=event.moved_to,
        changed_on=event.changed_on,
    )


def next_version(
    current: HouseholdVersion, changed: Registration, on: date, moved_to: City | None = None
) -> HouseholdVersion:
    """The version after ``current``: the registration ``changed`` (its version numbered
    one past ``current``'s), changed on ``on``; the household's destination kept unless
    ``moved_to`` names one."""
    return HouseholdVersion(
        person_ref=current.person_ref,
        registration=replace(changed, version=current.registration.version + 1),
        moved_to=moved_to if moved_to is not None else current.moved_to,
        changed_on=on,
    )


def start_after_move_in(me: City, other: HouseholdVersion | None) -> Month | None:
    """Where a registration of ``me`` starts: the month after the other city's registration
    ends, when that city recorded the household moving out to ``me``; else open."""
    if other is None:
        return None
    r = other.registration
    if r.status == "moved-out" and other.moved_to == me and r.registered_until is not None:
        return r.registered_until.next()
    return None


async def _publish(
    unit: Unit, versions: Sequence[HouseholdVersion], reason: str | None = None
) -> None:
    await store.save_versions(unit.conn, versions, _record(unit, reason))
    for version in versions:
        unit.emit(registration_event(version))


def reconcile_duplicate(
    unit: Unit,
    person_ref: str,
    registrations: Mapping[City, Registration],
    flag: DuplicateFlag | None,
    book: PolicyBook,
) -> tuple[str, Month | None] | None:
    """What the duplicate flag must become: ``("raise", first_month)``, ``("clear",
    None)`` or ``None`` (as it is). Months before this city's first policy month never
    count (nobody is paid for them)."""
    not_before = book.earliest_month(unit.city) or _BEFORE_ANY_POLICY
    first = first_duplicate_month(registrations, not_before=not_before)
    is_open = flag is not None and flag.cleared_on is None
    if first is not None and (not is_open or (flag is not None and flag.first_month != first)):
        return ("raise", first)
    if first is None and is_open:
        return ("clear", None)
    return None


async def _apply_duplicate(
    unit: Unit,
    person_ref: str,
    registrations: Mapping[City, Registration],
    flag: DuplicateFlag | None,
    book: PolicyBook,
) -> None:
    decision = reconcile_duplicate(unit, person_ref, registrations, flag, book)
    if decision is None:
        return
    action, first = decision
    if action == "raise" and first is not None:
        await store.raise_flag(unit.conn, person_ref, first, unit.today)
        unit.emit(
            ElderDuplicateRegistrationFlagged(
                person_ref=person_ref,
                city=unit.city,
                first_month=str(first),
                flagged_on=unit.today,
            )
        )
        log.info("duplicate registration flagged", person_ref=person_ref)
    else:
        await store.clear_flag(unit.conn, person_ref, unit.today)
        unit.emit(
            ElderDuplicateRegistrationCleared(
                person_ref=person_ref, city=unit.city, cleared_on=unit.today
            )
        )
        log.info("duplicate registration cleared", person_ref=person_ref)


async def registrations_changed(unit: Unit, person_ref: str, book: PolicyBook) -> None:
    """After any change of the person's registrations: re-check the duplicate and let
    the allowance follow, in the same unit."""
    registrations = await store.registrations_of(unit.conn, person_ref)
    flag = await store.duplicate_flag(unit.conn, person_ref)
    await _apply_duplicate(unit, person_ref, registrations, flag, book)
    await allowance_flow.registration_changed(unit, person_ref, book)


# --------------------------------------------------------------------------------------------
# the import


@dataclass(frozen=True)
class ImportReport:
    """What one batch did: rows received, persons newly registered, updated, unchanged,
    and the rows refused (by line)."""

    received: int
    registered: int
    updated: int
    unchanged: int
    rejected: list[RowError]


def _entry_personal(entry: RegisterEntry) -> Personal:
    return Personal(
        name=entry.name,
        district=entry.district,
        bank_account_token=entry.bank_account_token,
        phone=entry.phone,
    )


async def import_rows(rows: Sequence[ImportRow], unit: Unit, book: PolicyBook) -> ImportReport:
    """Import a batch of register rows: good rows are written, bad rows reported by line.

    A new person is registered (version 1, published; starting the month after the other
    city's registration if that city recorded the household moving here); a known
    person's personal data and assistance status are brought up to date (no new
    registration version: the registration did not change). A row saying what the
    register already holds changes nothing, so the same file imported twice writes and
    publishes nothing the second time. The whole batch is read and written in a few
    bulk statements.
    """
    policy = register_policy(book, unit.city, unit.today)
    entries, rejected = checked_batch(rows, unit.city, unit.today, policy)
    refs = {entry.line: unit.person_ref(entry.resident) for entry in entries}
    # Before reading what the other city recorded: a move-out received meanwhile waits
    # for this batch, then finds the person here (store.lock_persons).
    await store.lock_persons(unit.conn, refs.values())
    known = await store.load_elders(unit.conn, list(refs.values()))
    households = await store.household_versions_of(unit.conn, list(refs.values()))

    new: list[StoredElder] = []
    personal_changes: list[tuple[str, Personal]] = []
    period_changes: list[tuple[str, Sequence[AssistancePeriod]]] = []
    unchanged = 0
    updated_refs: list[str] = []
    for entry in entries:
        ref = refs[entry.line]
        before = known.get(ref)
        try:
            periods = changed_assistance(
                () if before is None else before.assistance,
                entry.assistance,
                entry.assistance_since or unit.today,
            )
        except DomainError as error:
            rejected.append(RowError(entry.line, error.code, error.sentence))
            continue
        personal = _entry_personal(entry)
        if before is None:
            new.append(
                StoredElder(
                    person_ref=ref,
                    id_number=entry.resident.number,
                    birth_date=entry.resident.birth_date,
                    sex=entry.resident.sex,
                    personal=personal,
                    died_on=None,
                    assistance=periods,
                )
            )
            period_changes.append((ref, periods))
            continue
        changed = False
        if personal != before.personal:
            personal_changes.append((ref, personal))
            changed = True
        if periods != before.assistance:
            period_changes.append((ref, periods))
            changed = True
        if changed:
            updated_refs.append(ref)
        else:
            unchanged += 1

    written = _written(unit)
    await store.insert_elders(unit.conn, new, written)
    await store.update_personal(unit.conn, personal_changes, written)
    await store.replace_assistance(unit.conn, period_changes)
    personal_written = {ref for ref, _ in personal_changes}
    for ref in updated_refs:
        if ref not in personal_written:  # only the periods changed: note it on the record
            await store.touch_elder(unit.conn, ref, written)

    first_versions = [
        HouseholdVersion(
            person_ref=elder.person_ref,
            registration=Registration(
                city=unit.city,
                version=1,
                status="registered",
                registered_from=start_after_move_in(
                    unit.city, households.get(elder.person_ref, {}).get(other_city(unit.city))
                ),
                registered_until=None,
            ),
            moved_to=None,
            changed_on=unit.today,
        )
        for elder in new
    ]
    await _publish(unit, first_versions)
    for version in first_versions:
        registrations = {
            c: v.registration for c, v in households.get(version.person_ref, {}).items()
        }
        registrations[unit.city] = version.registration
        # A person new to this register has no flag here yet.
        await _apply_duplicate(unit, version.person_ref, registrations, None, book)
        await allowance_flow.registration_changed(unit, version.person_ref, book)
    for ref in updated_refs:
        await allowance_flow.registration_changed(unit, ref, book)
    log.info(
        "register rows imported",
        received=len(rows),
        registered=len(new),
        updated=len(updated_refs),
        unchanged=unchanged,
        rejected=len(rejected),
    )
    return ImportReport(
        received=len(rows),
        registered=len(new),
        updated=len(updated_refs),
        unchanged=unchanged,
        rejected=lines_in_order(rejected),
    )


# --------------------------------------------------------------------------------------------
# one person's changes


@dataclass(frozen=True)
class RegisterView:
    """A person of this city's register as a clerk sees them: the record, both cities'
    registrations known here and the open duplicate flag."""

    elder: StoredElder
    registrations: dict[City, HouseholdVersion]
    duplicate: DuplicateFlag | None


async def _view(unit: Unit, person_ref: str) -> RegisterView:
    elder = await store.load_elder(unit.conn, person_ref)
    if elder is None:
        raise NotFound("unknown-person", "This city's register holds no such person.")
    flag = await store.duplicate_flag(unit.conn, person_ref)
    return RegisterView(
        elder=elder,
        registrations=await store.household_versions(unit.conn, person_ref),
        duplicate=flag if flag is not None and flag.cleared_on is None else None,
    )


async def view_of(person_ref: str, unit: Unit) -> RegisterView:
    """The person ``person_ref`` of this city's register; ``unknown-person`` (404)."""
    return await _view(unit, person_ref)


async def lookup(id_number: str, unit: Unit) -> RegisterView:
    """The person of this city's register with ``id_number`` (checked first)."""
    resident = checked_resident_id(id_number, unit.today)
    return await _view(unit, unit.person_ref(resident))


async def open_duplicates(unit: Unit) -> list[DuplicateFlag]:
    """Every person both registers claim, as flagged in this city."""
    return await store.open_duplicates(unit.conn)


async def _own(unit: Unit, person_ref: str) -> tuple[StoredElder, HouseholdVersion]:
    await store.lock_persons(unit.conn, [person_ref])
    elder = await store.load_elder(unit.conn, person_ref, for_update=True)
    if elder is None:
        raise NotFound("unknown-person", "This city's register holds no such person.")
    own = (await store.household_versions(unit.conn, person_ref)).get(unit.city)
    if own is None:  # written together with the elder row: a broken register
        raise Conflict("not-registered", "The person has no registration in this city.")
    return elder, own


async def record_death(
    person_ref: str, died_on_text: str, unit: Unit, book: PolicyBook
) -> RegisterView:
    """Record the person's death. The same date again changes nothing; another date is
    refused (``death-already-recorded``, 409). While this city holds the person (or the
    death falls before the move month recorded here), the registration ends with the
    death month (``deceased``)."""
    died_on = parse_day(died_on_text, "date of death")
    if died_on > unit.today:
        raise DomainError("death-in-future", "A date of death cannot be after today.")
    elder, own = await _own(unit, person_ref)
    if died_on < elder.birth_date:
        raise DomainError("death-before-birth", "A date of death cannot be before the birth.")
    if elder.died_on == died_on:
        return await _view(unit, person_ref)
    if elder.died_on is not None:
        raise Conflict(
            "death-already-recorded",
            "A different date of death is already recorded for this person.",
        )
    await store.record_died_on(unit.conn, person_ref, died_on, _written(unit))
    death_month = Month.of(died_on)
    r = own.registration
    holds = r.status == "registered" or (
        r.status == "moved-out"
        and r.registered_until is not None
        and death_month <= r.registered_until
    )
    if holds:
        await _publish(
            unit,
            [
                next_version(
                    own,
                    replace(r, status="deceased", registered_until=death_month),
                    unit.today,
                )
            ],
        )
    await registrations_changed(unit, person_ref, book)
    return await _view(unit, person_ref)


async def move_out(
    person_ref: str, to_city_text: str, move_month_text: str, unit: Unit, book: PolicyBook
) -> RegisterView:
    """Record the household's move to the other city: this city's registration ends with
    the move month (the other city's starts the month after). The move month may be at
    most one month ahead and not before the registration's start
    (``invalid-move-month``); the same move again changes nothing."""
    to_city = parse_city(to_city_text)
    if to_city == unit.city:
        raise DomainError("same-city", "A household moves out to the other city.")
    move_month = Month.parse(move_month_text)
    if move_month > Month.of(unit.today).plus(1):
        raise DomainError(
            "invalid-move-month", "The move month may be at most one month after this month."
        )
    _, own = await _own(unit, person_ref)
    r = own.registration
    if r.status == "moved-out":
        if r.registered_until == move_month and own.moved_to == to_city:
            return await _view(unit, person_ref)
        raise Conflict(
            "move-already-recorded", "A different move out is already recorded for this person."
        )
    if r.status != "registered":
        raise Conflict(
            "not-registered", f"The person's registration here is {r.status}: nothing to move."
        )
    if r.registered_from is not None and move_month < r.registered_from:
        raise DomainError(
            "invalid-move-month",
            "The move month cannot be before the registration here started.",
        )
    await _publish(
        unit,
        [
            next_version(
                own,
                replace(r, status="moved-out", registered_until=move_month),
                unit.today,
                moved_to=to_city,
            )
        ],
    )
    await registrations_changed(unit, person_ref, book)
    return await _view(unit, person_ref)


async def change_assistance(
    person_ref: str, status_text: str, since_text: str, unit: Unit, book: PolicyBook
) -> RegisterView:
    """Record the person's 低保 / 特困 status from ``since`` (``none`` ends the current one
    the day before); the status already held changes nothing."""
    status = checked_assistance(status_text)
    since = parse_day(since_text, "assistance start date")
    if since > unit.today:
        raise DomainError(
            "assistance-since-in-future", "The assistance status cannot start after today."
        )
    elder, _ = await _own(unit, person_ref)
    periods = changed_assistance(elder.assistance, status, since)
    if periods != elder.assistance:
        await store.replace_assistance(unit.conn, [(person_ref, periods)])
        await store.touch_elder(unit.conn, person_ref, _written(unit))
        await allowance_flow.registration_changed(unit, person_ref, book)
    return await _view(unit, person_ref)


async def withdraw(person_ref: str, reason: str, unit: Unit, book: PolicyBook) -> RegisterView:
    """Withdraw the registration (registered in error): it holds no month any more, which
    resolves a duplicate. A withdrawn registration stays withdrawn."""
    reason = reason.strip()
    if not reason or len(reason) > REASON_MAX:
        raise DomainError(
            "invalid-reason", f"A withdrawal needs a reason of 1 to {REASON_MAX} characters."
        )
    _, own = await _own(unit, person_ref)
    if own.registration.status == "withdrawn":
        return await _view(unit, person_ref)
    withdrawn = next_version(own, replace(own.registration, status="withdrawn"), unit.today)
    await _publish(unit, [withdrawn], reason)
    await registrations_changed(unit, person_ref, book)
    return await _view(unit, person_ref)


# --------------------------------------------------------------------------------------------
# the other city's registration versions


async def receive_registration(
    event: ElderRegistrationChanged, unit: Unit, book: PolicyBook
) -> None:
    """Keep the other city's registration version if it is newer than the one kept (an
    older or equal one changes nothing: redelivery and replay are harmless). When it says
    the household moved here while this city holds the person from earlier (a move
    recorded late), this city's registration starts the month after the move month: a
    new version, published. Then the duplicate is re-checked and the allowance follows."""
    incoming = version_from_event(event)
    # Locked as an import and a clerk's change lock it: a person being imported right now
    # is seen once that import commits, and two new versions of this city's registration
    # never share a number.
    await store.lock_persons(unit.conn, [event.person_ref])
    if not await store.keep_if_newer(unit.conn, incoming, _record(unit)):
        return
    start = start_after_move_in(unit.city, incoming)
    if start is not None:
        own = (await store.household_versions(unit.conn, event.person_ref)).get(unit.city)
        if own is not None and _overlaps_before(own.registration, start):
            await _publish(
                unit,
                [next_version(own, replace(own.registration, registered_from=start), unit.today)],
            )
    await registrations_changed(unit, event.person_ref, book)


def _overlaps_before(own: Registration, start: Month) -> bool:
    """Whether this city's registration claims months before ``start`` that the other
    city's (moved-out) registration holds, and still holds ``start`` itself."""
    if own.status not in ("registered", "deceased"):
        return False
    starts_early = own.registered_from is None or own.registered_from < start
    still_holds = own.registered_until is None or own.registered_until >= start
    return starts_early and still_holds


__all__ = [
    "ImportReport",
    "RegisterView",
    "change_assistance",
    "import_rows",
    "lookup",
    "move_out",
    "open_duplicates",
    "receive_registration",
    "record_death",
    "registrations_changed",
    "view_of",
    "withdraw",
]
