"""Levels in this city's database: the figures of a line (usable units, issues in the
window) from the stock's tables, the shown level with its hysteresis (``level_state``) and
the other city's levels (``level_seen``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from chengyu_contracts.cities import CITIES, City
from chengyu_kit.db import Connection, one_of

from ..blood_groups import ABOS, PRODUCTS, RHDS, StockKey
from ..levels import LEVELS, Level, LevelState


async def usable_units(conn: Connection, key: StockKey, now: datetime) -> int:
    """This city's available units of ``key`` not expired at ``now``."""
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM blood_unit WHERE product = $1 AND abo = $2 AND rhd = $3"
            " AND state = 'available' AND expires_at > $4",
            key.product,
            key.abo,
            key.rhd,
            now,
        )
    )


async def issues_in_window(conn: Connection, key: StockKey, now: datetime, days: int) -> int:
    """Units of ``key`` issued here in the trailing window ``(now - days, now]``."""
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM unit_movement WHERE movement = 'issued' AND product = $1"
            " AND abo = $2 AND rhd = $3 AND at > $4 AND at <= $5",
            key.product,
            key.abo,
            key.rhd,
            now - timedelta(days=days),
            now,
        )
    )


@dataclass(frozen=True)
class StoredLevel:
    """A line's shown level with its hysteresis, the last computation's figures and the
    stock-low requests it made."""

    key: StockKey
    state: LevelState
    computed_level: Level
    usable_units: int
    issues_in_window: int
    days_of_supply_centi: int | None
    units_needed: int
    low_count: int
    low_request_id: str | None
    computed_at: datetime


def _key(row: asyncpg.Record) -> StockKey:
    return StockKey(
        one_of(row["product"], PRODUCTS, "product"),
        one_of(row["abo"], ABOS, "abo"),
        one_of(row["rhd"], RHDS, "rhd"),
    )


def _stored(row: asyncpg.Record) -> StoredLevel:
    candidate = row["candidate"]
    return StoredLevel(
        key=_key(row),
        state=LevelState(
            level=one_of(row["level"], LEVELS, "level"),
            since=row["since"],
            candidate=None if candidate is None else one_of(candidate, LEVELS, "candidate"),
            better_since=row["better_since"],
        ),
        computed_level=one_of(row["computed_level"], LEVELS, "computed_level"),
        usable_units=row["usable_units"],
        issues_in_window=row["issues_in_window"],
        days_of_supply_centi=row["days_of_supply_centi"],
        units_needed=row["units_needed"],
        low_count=row["low_count"],
        low_request_id=row["low_request_id"],
        computed_at=row["computed_at"],
    )


async def lock_level(conn: Connection, key: StockKey, now: datetime) -> StoredLevel:
    """The line's stored level, locked for the transaction; a line never computed is
    first stored green since ``now`` (so that two first computations queue on one row)."""
    await conn.execute(
        "INSERT INTO level_state (product, abo, rhd, level, since, computed_level,"
        " usable_units, issues_in_window, units_needed, computed_at)"
        " VALUES ($1, $2, $3, 'green', $4, 'green', 0, 0, 0, $4)"
        " ON CONFLICT (product, abo, rhd) DO NOTHING",
        key.product,
        key.abo,
        key.rhd,
        now,
    )
    row = await conn.fetchrow(
        "SELECT * FROM level_state WHERE product = $1 AND abo = $2 AND rhd = $3 FOR UPDATE",
        key.product,
        key.abo,
        key.rhd,
    )
    assert row is not None  # inserted above unless there
    return _stored(row)


async def save_level(conn: Connection, level: StoredLevel) -> None:
    """Insert or replace the line's stored level."""
    s, k = level.state, level.key
    await conn.execute(
        "INSERT INTO level_state (product, abo, rhd, level, since, candidate, better_since,"
        " computed_level, usable_units, issues_in_window, days_of_supply_centi, units_needed,"
        " low_count, low_request_id, computed_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        " ON CONFLICT (product, abo, rhd) DO UPDATE SET level = EXCLUDED.level,"
        " since = EXCLUDED.since, candidate = EXCLUDED.candidate,"
        " better_since = EXCLUDED.better_since, computed_level = EXCLUDED.computed_level,"
        " usable_units = EXCLUDED.usable_units, issues_in_window = EXCLUDED.issues_in_window,"
        " days_of_supply_centi = EXCLUDED.days_of_supply_centi,"
        " units_needed = EXCLUDED.units_needed, low_count = EXCLUDED.low_count,"
        " low_request_id = EXCLUDED.low_request_id, computed_at = EXCLUDED.computed_at",
        k.product,
        k.abo,
        k.rhd,
        s.level,
        s.since,
        s.candidate,
        s.better_since,
        level.computed_level,
        level.usable_units,
        level.issues_in_window,
        level.days_of_supply_centi,
        level.units_needed,
        level.low_count,
        level.low_request_id,
        level.computed_at,
    )


async def own_levels(conn: Connection) -> dict[StockKey, StoredLevel]:
    """Every line's stored level here."""
    rows = await conn.fetch("SELECT * FROM level_state")
    return {level.key: level for level in map(_stored, rows)}


# --------------------------------------------------------------------------------------------
# the other city's levels


@dataclass(frozen=True)
class SeenLevel:
    """The other city's shown level of a line, from its latest level event."""

    city: City
    key: StockKey
    level: Level
    usable_units: int | None
    days_of_supply_centi: int | None
    low_request_id: str | None
    at: datetime


async def save_seen_level(conn: Connection, seen: SeenLevel, *, low: bool | None) -> None:
    """Keep ``seen`` unless a later event of the line is kept already. ``low``: True for a
    stock-low (its request id kept), False for a recovery (cleared), None to keep it."""
    k = seen.key
    await conn.execute(
        "INSERT INTO level_seen (city, product, abo, rhd, level, usable_units,"
        " days_of_supply_centi, low_request_id, at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (city, product, abo, rhd) DO UPDATE SET level = EXCLUDED.level,"
        " usable_units = coalesce(EXCLUDED.usable_units, level_seen.usable_units),"
        " days_of_supply_centi = EXCLUDED.days_of_supply_centi,"
        " low_request_id = CASE WHEN $10::boolean IS NULL THEN level_seen.low_request_id"
        " ELSE EXCLUDED.low_request_id END, at = EXCLUDED.at"
        " WHERE level_seen.at <= EXCLUDED.at",
        seen.city,
        k.product,
        k.abo,
        k.rhd,
        seen.level,
        seen.usable_units,
        seen.days_of_supply_centi,
        seen.low_request_id,
        seen.at,
        low,
    )


async def seen_levels(conn: Connection, city: City) -> dict[StockKey, SeenLevel]:
    """``city``'s levels as its events showed them."""
    rows = await conn.fetch("SELECT * FROM level_seen WHERE city = $1", city)
    return {
        _key(r): SeenLevel(
            city=one_of(r["city"], CITIES, "city"),
            key=_key(r),
            level=one_of(r["level"], LEVELS, "level"),
            usable_units=r["usable_units"],
            days_of_supply_centi=r["days_of_supply_centi"],
            low_request_id=r["low_request_id"],
            at=r["at"],
        )
        for r in rows
    }


def sorted_keys(keys: Iterable[StockKey]) -> list[StockKey]:
    """``keys`` in one order (locks are taken in it, so two units never deadlock)."""
    return sorted(set(keys))
