"""This city's units, their movements, the other city's units as seen, and conflicts
(explicit asyncpg SQL; rows <-> the pure :mod:`..unit` values here only)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from chengyu_contracts.cities import CITIES, City
from chengyu_kit.db import Connection, one_of

from ..blood_groups import ABOS, PRODUCTS, RHDS, StockKey
from ..din import parse_din
from ..unit import BloodUnit, Location, UnitState

UNIT_STATES: tuple[UnitState, ...] = (
    "available",
    "reserved",
    "quarantined",
    "in-transit",
    "issued",
    "expired",
    "discarded",
)
#: What a BloodUnitMoved names a movement.
MOVEMENTS = (
    "collected",
    "issued",
    "expired",
    "discarded",
    "reserved",
    "reservation-released",
    "dispatched",
    "received",
)

_COLUMNS = (
    "din, product, abo, rhd, collected_at, expires_at, collected_in, state, reserved_for,"
    " shipment_id, to_city, sequence, updated_at, updated_by"
)


@dataclass(frozen=True)
class StoredUnit:
    """A unit of this city's records: what it is, where it is, and its movement count."""

    unit: BloodUnit
    location: Location
    collected_in: City
    sequence: int
    updated_at: datetime
    updated_by: str | None


@dataclass(frozen=True)
class Written:
    """Who wrote a change and in which request."""

    at: datetime
    by: str | None
    request_id: str | None


@dataclass(frozen=True)
class MovementRow:
    """One movement recorded here."""

    din: str
    sequence: int
    movement: str
    state: UnitState
    key: StockKey
    note: str | None = None
    #: When it happened, as reported (None: when it was recorded).
    at: datetime | None = None


@dataclass(frozen=True)
class SeenUnit:
    """The other city's unit as its latest BloodUnitMoved shows it."""

    unit: BloodUnit
    city: City
    sequence: int
    movement: str
    state: UnitState
    moved_at: datetime
    shipment_id: str | None


def _unit(row: asyncpg.Record) -> BloodUnit:
    return BloodUnit(
        din=parse_din(row["din"]),
        product=one_of(row["product"], PRODUCTS, "product"),
        abo=one_of(row["abo"], ABOS, "abo"),
        rhd=one_of(row["rhd"], RHDS, "rhd"),
        collected_at=row["collected_at"],
        expires_at=row["expires_at"],
    )


def _stored(row: asyncpg.Record, city: City) -> StoredUnit:
    # One city's database: a unit it records is in its stock, or gone from it, or on its
    # way from it (the sending city is the location's city in transit).
    to_city = row["to_city"]
    return StoredUnit(
        unit=_unit(row),
        location=Location(
            state=one_of(row["state"], UNIT_STATES, "state"),
            city=city,
            reservation=row["reserved_for"],
            shipment_id=row["shipment_id"],
            to_city=None if to_city is None else one_of(to_city, CITIES, "to_city"),
        ),
        collected_in=one_of(row["collected_in"], CITIES, "collected_in"),
        sequence=row["sequence"],
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
    )


async def load_unit(
    conn: Connection, din: str, city: City, *, for_update: bool = False
) -> StoredUnit | None:
    """This city's record of ``din`` (locked for the transaction with ``for_update``)."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM blood_unit WHERE din = $1" + (" FOR UPDATE" if for_update else ""),
        din,
    )
    return None if row is None else _stored(row, city)


async def load_units(
    conn: Connection, dins: Sequence[str], city: City, *, for_update: bool = False
) -> dict[str, StoredUnit]:
    """This city's records of ``dins`` by DIN (locked in DIN order with ``for_update``)."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM blood_unit WHERE din = ANY($1::text[])"
        " ORDER BY din" + (" FOR UPDATE" if for_update else ""),
        list(dins),
    )
    return {row["din"]: _stored(row, city) for row in rows}


async def units_reserved_for(
    conn: Connection, offer_id: str, city: City, *, for_update: bool = False
) -> list[StoredUnit]:
    """The units held for ``offer_id``, in DIN order."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM blood_unit"
        " WHERE state = 'reserved' AND reserved_for = $1 ORDER BY din"
        + (" FOR UPDATE" if for_update else ""),
        offer_id,
    )
    return [_stored(row, city) for row in rows]


async def units_in_stock(
    conn: Connection, key: StockKey, city: City, *, state: UnitState = "available"
) -> list[StoredUnit]:
    """This city's units of line ``key`` in ``state``, first-expiring first (DIN breaks
    ties): what an offer picks from."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM blood_unit"
        " WHERE product = $1 AND abo = $2 AND rhd = $3 AND state = $4"
        " ORDER BY expires_at, din",
        key.product,
        key.abo,
        key.rhd,
        state,
    )
    return [_stored(row, city) for row in rows]


def _values(stored: StoredUnit) -> tuple[object, ...]:
    u, loc = stored.unit, stored.location
    return (
        u.din.text,
        u.product,
        u.abo,
        u.rhd,
        u.collected_at,
        u.expires_at,
        stored.collected_in,
        loc.state,
        loc.reservation,
        loc.shipment_id,
        loc.to_city,
        stored.sequence,
        stored.updated_at,
        stored.updated_by,
    )


async def save_units(conn: Connection, units: Iterable[StoredUnit]) -> None:
    """Insert or replace these units' rows (state, place and sequence as given)."""
    await conn.executemany(
        f"INSERT INTO blood_unit ({_COLUMNS})"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        " ON CONFLICT (din) DO UPDATE SET state = EXCLUDED.state,"
        " reserved_for = EXCLUDED.reserved_for, shipment_id = EXCLUDED.shipment_id,"
        " to_city = EXCLUDED.to_city, sequence = EXCLUDED.sequence,"
        " updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by",
        [_values(u) for u in units],
    )


async def record_movements(
    conn: Connection, movements: Iterable[MovementRow], written: Written
) -> None:
    """Append these movements to the units' history."""
    await conn.executemany(
        "INSERT INTO unit_movement (din, sequence, movement, state, product, abo, rhd, at,"
        " by, request_id, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        [
            (
                m.din,
                m.sequence,
                m.movement,
                m.state,
                m.key.product,
                m.key.abo,
                m.key.rhd,
                written.at if m.at is None else m.at,
                written.by,
                written.request_id,
                m.note,
            )
            for m in movements
        ],
    )


@dataclass(frozen=True)
class MovementView:
    """A movement of the history, as a clerk reads it."""

    sequence: int
    movement: str
    state: str
    at: datetime
    by: str | None
    note: str | None


async def movements_of(conn: Connection, din: str) -> list[MovementView]:
    """The movements recorded here of ``din``, in order."""
    rows = await conn.fetch(
        "SELECT sequence, movement, state, at, by, note FROM unit_movement WHERE din = $1"
        " ORDER BY sequence",
        din,
    )
    return [
        MovementView(r["sequence"], r["movement"], r["state"], r["at"], r["by"], r["note"])
        for r in rows
    ]


async def last_movement_at(conn: Connection, din: str) -> datetime | None:
    """When the latest movement of ``din`` recorded here happened (None: none)."""
    at: datetime | None = await conn.fetchval(
        "SELECT max(at) FROM unit_movement WHERE din = $1", din
    )
    return at


async def expired_in_stock(conn: Connection, now: datetime, limit: int) -> list[str]:
    """DINs of units in stock whose expiry has come at ``now`` (earliest first), locked
    (skipping those another transaction holds)."""
    rows = await conn.fetch(
        "SELECT din FROM blood_unit WHERE state IN ('available', 'reserved', 'quarantined')"
        " AND expires_at <= $1 ORDER BY expires_at, din LIMIT $2 FOR UPDATE SKIP LOCKED",
        now,
        limit,
    )
    return [r["din"] for r in rows]


# --------------------------------------------------------------------------------------------
# the other city's units


def _seen(row: asyncpg.Record) -> SeenUnit:
    return SeenUnit(
        unit=_unit(row),
        city=one_of(row["city"], CITIES, "city"),
        sequence=row["sequence"],
        movement=row["movement"],
        state=one_of(row["state"], UNIT_STATES, "state"),
        moved_at=row["moved_at"],
        shipment_id=row["shipment_id"],
    )


async def save_seen(conn: Connection, seen: SeenUnit) -> bool:
    """Keep ``seen`` unless a record of the same or a higher sequence is already kept;
    whether it was kept."""
    u = seen.unit
    status = await conn.execute(
        "INSERT INTO unit_seen (din, city, sequence, movement, state, product, abo, rhd,"
        " collected_at, expires_at, moved_at, shipment_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        " ON CONFLICT (din, city) DO UPDATE SET sequence = EXCLUDED.sequence,"
        " movement = EXCLUDED.movement, state = EXCLUDED.state, product = EXCLUDED.product,"
        " abo = EXCLUDED.abo, rhd = EXCLUDED.rhd, collected_at = EXCLUDED.collected_at,"
        " expires_at = EXCLUDED.expires_at, moved_at = EXCLUDED.moved_at,"
        " shipment_id = EXCLUDED.shipment_id WHERE unit_seen.sequence < EXCLUDED.sequence",
        u.din.text,
        seen.city,
        seen.sequence,
        seen.movement,
        seen.state,
        u.product,
        u.abo,
        u.rhd,
        u.collected_at,
        u.expires_at,
        seen.moved_at,
        seen.shipment_id,
    )
    return bool(status.endswith(" 1"))


async def load_seen(conn: Connection, din: str, city: City) -> SeenUnit | None:
    """``city``'s unit ``din`` as seen here."""
    row = await conn.fetchrow("SELECT * FROM unit_seen WHERE din = $1 AND city = $2", din, city)
    return None if row is None else _seen(row)


# --------------------------------------------------------------------------------------------
# conflicts


@dataclass(frozen=True)
class ConflictFlag:
    """A DIN both centres hold in stock, as ``city`` flagged it."""

    din: str
    city: City
    flagged_at: datetime


async def flag_conflict(conn: Connection, din: str, city: City, at: datetime) -> bool:
    """Record ``city``'s flag of ``din`` (once); whether it is new."""
    status = await conn.execute(
        "INSERT INTO unit_conflict (din, city, flagged_at) VALUES ($1, $2, $3)"
        " ON CONFLICT (din, city) DO NOTHING",
        din,
        city,
        at,
    )
    return bool(status.endswith(" 1"))


async def conflicts_of(conn: Connection, din: str | None = None) -> list[ConflictFlag]:
    """Every conflict flag (of ``din`` only, when given), oldest first."""
    rows = await conn.fetch(
        "SELECT din, city, flagged_at FROM unit_conflict WHERE $1::text IS NULL OR din = $1"
        " ORDER BY flagged_at, din, city",
        din,
    )
    return [
        ConflictFlag(r["din"], one_of(r["city"], CITIES, "city"), r["flagged_at"]) for r in rows
    ]


# --------------------------------------------------------------------------------------------
# counts for GET /stock


@dataclass(frozen=True)
class LineCounts:
    """A city's units of one line by state; ``usable`` = available and unexpired."""

    key: StockKey
    available: int = 0
    reserved: int = 0
    quarantined: int = 0
    in_transit: int = 0
    usable: int = 0


_COUNTS = (
    "count(*) FILTER (WHERE state = 'available') AS available,"
    " count(*) FILTER (WHERE state = 'reserved') AS reserved,"
    " count(*) FILTER (WHERE state = 'quarantined') AS quarantined,"
    " count(*) FILTER (WHERE state = 'in-transit') AS in_transit,"
    " count(*) FILTER (WHERE state = 'available' AND expires_at > $1) AS usable"
)


def _counts(rows: Iterable[asyncpg.Record]) -> dict[StockKey, LineCounts]:
    found: dict[StockKey, LineCounts] = {}
    for r in rows:
        key = StockKey(
            one_of(r["product"], PRODUCTS, "product"),
            one_of(r["abo"], ABOS, "abo"),
            one_of(r["rhd"], RHDS, "rhd"),
        )
        found[key] = LineCounts(
            key, r["available"], r["reserved"], r["quarantined"], r["in_transit"], r["usable"]
        )
    return found


async def own_counts(conn: Connection, now: datetime) -> dict[StockKey, LineCounts]:
    """This city's units per line and state (lines with none are absent)."""
    rows = await conn.fetch(
        f"SELECT product, abo, rhd, {_COUNTS} FROM blood_unit"
        " WHERE state IN ('available', 'reserved', 'quarantined', 'in-transit')"
        " GROUP BY product, abo, rhd",
        now,
    )
    return _counts(rows)


async def seen_counts(conn: Connection, city: City, now: datetime) -> dict[StockKey, LineCounts]:
    """``city``'s units per line and state as its events show them."""
    rows = await conn.fetch(
        f"SELECT product, abo, rhd, {_COUNTS} FROM unit_seen WHERE city = $2"
        " AND state IN ('available', 'reserved', 'quarantined', 'in-transit')"
        " GROUP BY product, abo, rhd",
        now,
        city,
    )
    return _counts(rows)
