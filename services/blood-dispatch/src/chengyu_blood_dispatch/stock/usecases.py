"""The stock's use cases on the pure state machine of :mod:`..unit`: record collected
units (one, or a batch by lines), issue, expire, discard; and for the dispatch area
reserve for an offer, release, dispatch and receive. Each movement is saved with the next
sequence of the DIN here, appended to the history, published (``BloodUnitMoved``) and
followed in the same unit by the levels of the lines it touched.

Stock never goes negative: a movement of a unit that is not in this city's stock (or not
in the state the movement needs) is refused by :func:`..unit.move` before anything is
written, and a batch of movements is refused whole when one of them is.

The other city's units arrive as its ``BloodUnitMoved`` events (``unit_seen``, the highest
sequence kept); a DIN this city holds in stock that the other city also shows in its stock
is flagged (``unit_conflict``, ``BloodUnitConflictFlagged``): shown to both, never merged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from chengyu_contracts.cities import CITY_NAMES, City, other_city
from chengyu_contracts.domain_error import Conflict, DomainError, NotFound
from chengyu_contracts.events.blood import BloodUnitConflictFlagged, BloodUnitMoved
from chengyu_kit.logs import get_logger
from chengyu_kit.unit import Unit

from ..din import parse_din
from ..policy import PolicyBook
from ..stock_levels import usecases as levels
from ..unit import (
    STOCK_STATES,
    BloodUnit,
    CollectAndRelease,
    Discard,
    Dispatch,
    Expire,
    Issue,
    Location,
    Movement,
    Receive,
    ReleaseReservation,
    Reserve,
    UnitRecord,
    move,
    new_unit,
)
from . import store
from .store import MovementRow, SeenUnit, StoredUnit

log = get_logger(__name__)

NOTE_MAX = 200
#: Units the expiry sweep moves in one transaction.
EXPIRY_BATCH = 500


class UnitSource(Protocol):
    """Anything that opens units of work: the runtime, a test's city."""

    def unit(self) -> contextlib.AbstractAsyncContextManager[Unit]:
        """A unit of work, committed when the block ends."""
        ...


def movement_name(movement: Movement) -> str:
    """What a BloodUnitMoved calls ``movement``."""
    names: dict[type[Movement], str] = {
        CollectAndRelease: "collected",
        Issue: "issued",
        Expire: "expired",
        Discard: "discarded",
        Reserve: "reserved",
        ReleaseReservation: "reservation-released",
        Dispatch: "dispatched",
        Receive: "received",
    }
    return names[type(movement)]


def moved_event(stored: StoredUnit, movement: str, city: City, at: datetime) -> BloodUnitMoved:
    """The published form of ``stored`` after ``movement`` recorded by ``city``."""
    u = stored.unit
    return BloodUnitMoved(
        din=u.din.text,
        city=city,
        sequence=stored.sequence,
        movement=movement,
        state=stored.location.state,
        product=u.product,
        abo=u.abo,
        rhd=u.rhd,
        collected_at=u.collected_at,
        expires_at=u.expires_at,
        moved_at=at,
        shipment_id=stored.location.shipment_id,
    )


@dataclass(frozen=True)
class Moved:
    """A unit after a movement here, and the movement's row."""

    stored: StoredUnit
    row: MovementRow


def _moved(
    unit: Unit, before: StoredUnit, location: Location, movement: Movement, note: str | None
) -> Moved:
    after = replace(
        before,
        location=location,
        sequence=before.sequence + 1,
        updated_at=unit.now,
        updated_by=unit.acted_by(),
    )
    row = MovementRow(
        din=before.unit.din.text,
        sequence=after.sequence,
        movement=movement_name(movement),
        state=location.state,
        key=before.unit.key,
        note=note,
    )
    return Moved(after, row)


def _first(
    unit: Unit,
    blood: BloodUnit,
    location: Location,
    collected_in: City,
    at: datetime | None = None,
) -> Moved:
    """A unit new to this city's records (collected here, or received)."""
    movement = "collected" if collected_in == unit.city else "received"
    stored = StoredUnit(
        unit=blood,
        location=location,
        collected_in=collected_in,
        sequence=1,
        updated_at=unit.now,
        updated_by=unit.acted_by(),
    )
    row = MovementRow(blood.din.text, 1, movement, location.state, blood.key, at=at)
    return Moved(stored, row)


async def _commit(unit: Unit, moved: Sequence[Moved], book: PolicyBook) -> None:
    """Save, record and publish ``moved``; check conflicts of units now in stock; follow the
    levels of the lines touched."""
    if not moved:
        return
    await store.save_units(unit.conn, [m.stored for m in moved])
    written = store.Written(at=unit.now, by=unit.acted_by(), request_id=unit.request_id)
    await store.record_movements(unit.conn, [m.row for m in moved], written)
    for m in moved:
        at = unit.now if m.row.at is None else m.row.at
        unit.emit(moved_event(m.stored, m.row.movement, unit.city, at))
    for m in moved:
        if m.row.movement in ("collected", "received"):
            await check_conflict(unit, m.stored.unit.din.text)
    await levels.recompute_lines(unit, {m.stored.unit.key for m in moved}, book)


async def _own(unit: Unit, din_text: str) -> StoredUnit:
    din = parse_din(din_text)
    stored = await store.load_unit(unit.conn, din.text, unit.city, for_update=True)
    if stored is None:
        raise NotFound(
            "unknown-unit", f"Unit {din} is not in the records of {CITY_NAMES[unit.city]}."
        )
    return stored


@dataclass(frozen=True)
class _OneMove:
    din: str
    movement: Callable[[datetime], Movement]
    note: str | None
    at: str | None


async def _move_one(unit: Unit, command: _OneMove, book: PolicyBook) -> StoredUnit:
    stored = await _own(unit, command.din)
    at = reported_time(command.at, unit, book)
    await _after_last_movement(unit, stored.unit.din.text, at)
    movement = command.movement(at)
    location = move(stored.unit, stored.location, movement)
    reported = None if command.at is None else at
    moved = _moved(unit, stored, location, movement, _note(command.note))
    moved = Moved(moved.stored, replace(moved.row, at=reported))
    await _commit(unit, [moved], book)
    return moved.stored


def reported_time(text: str | None, unit: Unit, book: PolicyBook) -> datetime:
    """When a reported movement happened: ``text`` (RFC 3339 with an offset), or now when
    None; refused ``movement-in-future`` after now and ``movement-too-old`` before the
    policy's report window (a centre's system reports after the fact, within days)."""
    if text is None:
        return unit.now
    at = parse_time(text, "movement")
    if at > unit.now:
        raise DomainError("movement-in-future", "A movement cannot be reported before it happens.")
    window = book.policy_for(unit.city, unit.today).report_window
    if at < unit.now - window:
        raise DomainError(
            "movement-too-old",
            f"A movement is reported within {window.days} days of when it happened.",
        )
    return at


async def _after_last_movement(unit: Unit, din: str, at: datetime) -> None:
    last = await store.last_movement_at(unit.conn, din)
    if last is not None and at < last:
        raise DomainError(
            "movement-out-of-order",
            f"Unit {din} moved later than that already; report its movements in order.",
        )


# --------------------------------------------------------------------------------------------
# recording collected units


@dataclass(frozen=True)
class UnitRow:
    """A collected unit as the centre's information system reports it: text as sent
    (``line``: its line in the file, the header being 1; 0 for a unit posted alone)."""

    line: int
    din: str
    product: str
    abo: str
    rhd: str
    collected_at: str
    expires_at: str
    #: When it was released into stock, as reported (None: now).
    at: str | None = None


def parse_time(text: str, what: str) -> datetime:
    """``text`` as an RFC 3339 instant with an offset; else ``invalid-time`` naming
    ``what``."""
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        at = None
    if at is None or at.tzinfo is None or at.utcoffset() is None:
        raise DomainError(
            "invalid-time", f"The {what} time must be RFC 3339 with an offset (…+08:00)."
        )
    return at


def checked_unit(row: UnitRow, unit: Unit, book: PolicyBook) -> BloodUnit:
    """The unit ``row`` reports, under this city's policy today; refused by code
    (``invalid-din``, ``unknown-product``, ``unknown-abo``, ``unknown-rhd``,
    ``invalid-time``, ``expiry-before-collection``, ``expiry-beyond-shelf-life``)."""
    record = UnitRecord(
        din=row.din,
        product=row.product,
        abo=row.abo,
        rhd=row.rhd,
        collected_at=parse_time(row.collected_at, "collection"),
        expires_at=parse_time(row.expires_at, "expiry"),
    )
    return new_unit(record, book.policy_for(unit.city, unit.today))


def _already_known(din: str, stored: StoredUnit) -> Conflict:
    return Conflict(
        "din-already-known", f"Unit {din} is already recorded here ({stored.location.state})."
    )


async def record_unit(row: UnitRow, unit: Unit, book: PolicyBook) -> StoredUnit:
    """Record one collected unit released into this city's stock; refused with the rule's
    code (nothing written), ``din-already-known`` (409) when the DIN is recorded here."""
    blood = checked_unit(row, unit, book)
    at = reported_time(row.at, unit, book)
    known = await store.load_unit(unit.conn, blood.din.text, unit.city, for_update=True)
    if known is not None:
        raise _already_known(blood.din.text, known)
    location = move(blood, None, CollectAndRelease(unit.city, at))
    moved = _first(unit, blood, location, unit.city, None if row.at is None else at)
    await _commit(unit, [moved], book)
    log.info("blood unit recorded", din=blood.din.text, product=blood.product)
    return moved.stored


@dataclass(frozen=True)
class RowError:
    """A refused row: its line, the rule's code and a sentence."""

    line: int
    code: str
    message: str


@dataclass(frozen=True)
class ImportReport:
    """What a batch did: rows received, units recorded, rows that were already recorded as
    they are (unchanged), and the rows refused by line."""

    received: int
    recorded: int
    unchanged: int
    rejected: list[RowError]


async def import_rows(rows: Sequence[UnitRow], unit: Unit, book: PolicyBook) -> ImportReport:
    """Record a batch of collected units: good rows are recorded, bad rows reported by
    line with the reason; a row the records already hold exactly as it says (here or
    earlier in the batch) is unchanged, so the same file twice changes nothing; a row
    naming a recorded DIN with other data is refused ``din-already-known``."""
    checked: list[tuple[int, BloodUnit, datetime | None]] = []
    rejected: list[RowError] = []
    for row in rows:
        try:
            blood = checked_unit(row, unit, book)
            at = None if row.at is None else reported_time(row.at, unit, book)
            checked.append((row.line, blood, at))
        except DomainError as error:
            rejected.append(RowError(row.line, error.code, error.sentence))
    known = await store.load_units(
        unit.conn, sorted({b.din.text for _, b, _ in checked}), unit.city, for_update=True
    )
    batch: dict[str, BloodUnit] = {}
    moved: list[Moved] = []
    unchanged = 0
    for line, blood, at in checked:
        din = blood.din.text
        before = known[din].unit if din in known else batch.get(din)
        if before is not None:
            if before == blood:
                unchanged += 1
            else:
                rejected.append(
                    RowError(line, "din-already-known", f"Unit {din} is already recorded here.")
                )
            continue
        try:
            location = move(blood, None, CollectAndRelease(unit.city, at or unit.now))
        except DomainError as error:
            rejected.append(RowError(line, error.code, error.sentence))
            continue
        batch[din] = blood
        moved.append(_first(unit, blood, location, unit.city, at))
    await _commit(unit, moved, book)
    log.info(
        "blood units imported",
        received=len(rows),
        recorded=len(moved),
        unchanged=unchanged,
        rejected=len(rejected),
    )
    return ImportReport(
        received=len(rows),
        recorded=len(moved),
        unchanged=unchanged,
        rejected=sorted(rejected, key=lambda e: e.line),
    )


# --------------------------------------------------------------------------------------------
# issue, expire, discard


@dataclass(frozen=True)
class MoveUnit:
    """A clerk's movement of one unit, with an optional note (the hospital, the reason)
    and when it happened (RFC 3339; None: now)."""

    din: str
    note: str | None = None
    at: str | None = None


def _note(note: str | None) -> str | None:
    if note is None or not note.strip():
        return None
    if len(note) > NOTE_MAX:
        raise DomainError("note-too-long", f"A note has at most {NOTE_MAX} characters.")
    return note.strip()


async def issue_unit(command: MoveUnit, unit: Unit, book: PolicyBook) -> StoredUnit:
    """Issue an available, unexpired unit to a hospital."""
    return await _move_one(unit, _OneMove(command.din, Issue, command.note, command.at), book)


async def expire_unit(command: MoveUnit, unit: Unit, book: PolicyBook) -> StoredUnit:
    """Record that a unit in stock reached its expiry (``unit-not-expired`` before)."""
    return await _move_one(unit, _OneMove(command.din, Expire, command.note, command.at), book)


async def discard_unit(command: MoveUnit, unit: Unit, book: PolicyBook) -> StoredUnit:
    """Discard a unit in stock (damaged, failed inspection, a breach not cleared)."""
    return await _move_one(unit, _OneMove(command.din, Discard, command.note, command.at), book)


async def expire_due(units: UnitSource, book: PolicyBook, *, limit: int = EXPIRY_BATCH) -> int:
    """Expire every unit in stock whose expiry has come, ``limit`` per transaction (each
    published, the levels followed); how many were expired."""
    total = 0
    while True:
        async with units.unit() as unit:
            dins = await store.expired_in_stock(unit.conn, unit.now, limit)
            found = await store.load_units(unit.conn, dins, unit.city)
            moved = []
            for din in dins:
                stored = found[din]
                location = move(stored.unit, stored.location, Expire(unit.now))
                moved.append(_moved(unit, stored, location, Expire(unit.now), None))
            await _commit(unit, moved, book)
        total += len(moved)
        if len(dins) < limit:
            return total


# --------------------------------------------------------------------------------------------
# for the dispatch area: reserve, release, dispatch, receive


@dataclass(frozen=True)
class ReserveUnits:
    """Hold ``dins`` (available here) for ``offer_id``."""

    offer_id: str
    dins: tuple[str, ...]


@dataclass(frozen=True)
class ReleaseUnits:
    """Release the units held for ``offer_id`` (declined, cancelled); all when ``dins`` is
    None."""

    offer_id: str
    dins: tuple[str, ...] | None = None


@dataclass(frozen=True)
class DispatchUnits:
    """Send the units held for ``offer_id`` on ``shipment_id`` to ``to_city``."""

    offer_id: str
    shipment_id: str
    to_city: City


@dataclass(frozen=True)
class ReceiveUnits:
    """Unpack ``shipment_id`` from the other city: its ``units`` (as its dispatch event
    lists them); ``temperature_ok`` from the logger."""

    shipment_id: str
    from_city: City
    units: tuple[BloodUnit, ...]
    temperature_ok: bool


async def _move_many(
    unit: Unit, stored: Iterable[StoredUnit], movement: Movement, book: PolicyBook
) -> list[StoredUnit]:
    # Every movement is checked before anything is written: one refusal refuses all.
    moved = [_moved(unit, s, move(s.unit, s.location, movement), movement, None) for s in stored]
    await _commit(unit, moved, book)
    return [m.stored for m in moved]


async def reserve_units(command: ReserveUnits, unit: Unit, book: PolicyBook) -> list[StoredUnit]:
    """Reserve each unit of ``command.dins`` for the offer (all or none): each must be
    available and unexpired here (``unknown-unit``, ``unit-reserved``, ``unit-expired``, ...)."""
    if not command.dins:
        raise DomainError("no-units", "An offer holds at least one unit.")
    dins = sorted({parse_din(d).text for d in command.dins})
    found = await store.load_units(unit.conn, dins, unit.city, for_update=True)
    for din in dins:
        if din not in found:
            raise NotFound("unknown-unit", f"Unit {din} is not in this city's records.")
    return await _move_many(
        unit, (found[d] for d in dins), Reserve(command.offer_id, unit.now), book
    )


async def release_units(command: ReleaseUnits, unit: Unit, book: PolicyBook) -> list[StoredUnit]:
    """Release the offer's reserved units into available stock (those expired meanwhile
    too: the sweep expires them)."""
    held = await store.units_reserved_for(unit.conn, command.offer_id, unit.city, for_update=True)
    if command.dins is not None:
        wanted = {parse_din(d).text for d in command.dins}
        held = [s for s in held if s.unit.din.text in wanted]
    return await _move_many(unit, held, ReleaseReservation(command.offer_id), book)


async def dispatch_units(command: DispatchUnits, unit: Unit, book: PolicyBook) -> list[StoredUnit]:
    """The offer's reserved units leave this city's stock on the shipment (in transit);
    ``nothing-reserved`` (409) when the offer holds none here."""
    held = await store.units_reserved_for(unit.conn, command.offer_id, unit.city, for_update=True)
    if not held:
        raise Conflict("nothing-reserved", "No unit is held here for this offer.")
    movement = Dispatch(command.offer_id, command.shipment_id, command.to_city, unit.now)
    return await _move_many(unit, held, movement, book)


async def receive_units(command: ReceiveUnits, unit: Unit, book: PolicyBook) -> list[StoredUnit]:
    """Take the shipment's units into this city's records: available, quarantined on a
    temperature breach, or expired if they expired on the way (:func:`..unit.receipt_state`).
    A DIN this city holds in stock is refused (``din-already-known``, nothing written); one
    it recorded and that left (sent away, gone) is received again."""
    if command.from_city == unit.city:
        raise DomainError("same-city", "A shipment comes from the other city.")
    dins = sorted(u.din.text for u in command.units)
    if len(set(dins)) != len(dins) or not dins:
        raise DomainError("bad-shipment", "A shipment lists each unit once, and at least one.")
    known = await store.load_units(unit.conn, dins, unit.city, for_update=True)
    movement = Receive(command.shipment_id, unit.city, unit.now, command.temperature_ok)
    on_the_way = Location(
        "in-transit", command.from_city, shipment_id=command.shipment_id, to_city=unit.city
    )
    moved: list[Moved] = []
    for blood in sorted(command.units, key=lambda u: u.din.text):
        location = move(blood, on_the_way, movement)
        before = known.get(blood.din.text)
        if before is None:
            moved.append(_first(unit, blood, location, command.from_city))
        elif before.location.state in STOCK_STATES:
            raise _already_known(blood.din.text, before)
        else:
            moved.append(_moved(unit, before, location, movement, None))
    await _commit(unit, moved, book)
    return [m.stored for m in moved]


# --------------------------------------------------------------------------------------------
# the other city's units, and conflicts


def seen_from_event(event: BloodUnitMoved) -> SeenUnit:
    """The other city's unit as ``event`` shows it."""
    return SeenUnit(
        unit=BloodUnit(
            din=parse_din(event.din),
            product=event.product,
            abo=event.abo,
            rhd=event.rhd,
            collected_at=event.collected_at,
            expires_at=event.expires_at,
        ),
        city=event.city,
        sequence=event.sequence,
        movement=event.movement,
        state=event.state,
        moved_at=event.moved_at,
        shipment_id=event.shipment_id,
    )


async def receive_moved(event: BloodUnitMoved, unit: Unit) -> None:
    """Keep the other city's movement (the highest sequence wins; a redelivery or an older
    one changes nothing) and check whether the DIN is now in both stocks."""
    if await store.save_seen(unit.conn, seen_from_event(event)):
        await check_conflict(unit, event.din)


def in_both_stocks(own: StoredUnit, seen: SeenUnit) -> bool:
    """Whether this city's record and the other city's show the DIN in both stocks. A unit
    received here from the other city is not a conflict while the other city still shows
    it reserved (its dispatch has not been seen here yet)."""
    if own.location.state not in STOCK_STATES or seen.state not in STOCK_STATES:
        return False
    received_from_there = own.collected_in == seen.city
    return not (received_from_there and seen.state == "reserved")


async def check_conflict(unit: Unit, din: str) -> bool:
    """Flag ``din`` (once) when this city holds it in stock and the other city shows it in
    its stock; whether a new flag was raised."""
    own = await store.load_unit(unit.conn, din, unit.city)
    seen = await store.load_seen(unit.conn, din, other_city(unit.city))
    if own is None or seen is None or not in_both_stocks(own, seen):
        return False
    if not await store.flag_conflict(unit.conn, din, unit.city, unit.now):
        return False
    unit.emit(BloodUnitConflictFlagged(din=din, city=unit.city, flagged_at=unit.now))
    log.warning("blood unit in both stocks", din=din)
    return True


async def receive_conflict(event: BloodUnitConflictFlagged, unit: Unit) -> None:
    """Keep the other city's flag, so that both cities show it."""
    await store.flag_conflict(unit.conn, event.din, event.city, event.flagged_at)


# --------------------------------------------------------------------------------------------
# reading


@dataclass(frozen=True)
class UnitView:
    """A DIN as this city knows it: its own record and history, the other city's record as
    seen, and the conflict flags."""

    own: StoredUnit | None
    history: list[store.MovementView]
    seen: SeenUnit | None
    conflicts: list[store.ConflictFlag]


async def unit_view(din_text: str, unit: Unit) -> UnitView:
    """``din`` here and as the other city shows it; ``unknown-unit`` (404) when neither."""
    din = parse_din(din_text).text
    own = await store.load_unit(unit.conn, din, unit.city)
    seen = await store.load_seen(unit.conn, din, other_city(unit.city))
    if own is None and seen is None:
        raise NotFound("unknown-unit", f"Neither centre has reported unit {din}.")
    history = [] if own is None else await store.movements_of(unit.conn, din)
    return UnitView(own, history, seen, await store.conflicts_of(unit.conn, din))
