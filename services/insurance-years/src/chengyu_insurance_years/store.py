"""The cross-city ledger in this city's PostgreSQL database: explicit asyncpg SQL.

Rows are turned into the domain's :class:`ContributionPeriod` and :class:`Ledger` here and
nowhere else. Every function takes a connection, so the caller decides the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import asyncpg

from chengyu_contracts.cities import CITIES, City
from chengyu_contracts.months import Month
from chengyu_kit.db import Connection, one_of

from .ledger import Ledger
from .periods import KINDS, ContributionPeriod

# Advisory locks of this service live under their own first key (two-int form, a key
# space apart from the kit's one-bigint migration lock): 'MI' for medical insurance. The
# function medins_locked_ledger (migration 002) takes the same lock.
_PERSON_LOCK_CLASS = 0x4D49

_PERIOD_COLUMNS = "period_id, person_ref, city, start_month, end_month, kind, version, cancelled"


async def lock_person(conn: Connection, person_ref: str) -> None:
    """Serialise every change of one person's ledger, retirement claims and flags in this
    city until the transaction ends.

    A decision and a change of history must not interleave: without the lock, a period
    recorded while a retirement is being determined could be neither in the figures nor
    flagged for review.
    """
    await conn.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext($2))", _PERSON_LOCK_CLASS, person_ref
    )


def period_from_row(row: asyncpg.Record) -> ContributionPeriod:
    """A period version from a row of ``contribution_period`` or its history table."""
    return ContributionPeriod(
        period_id=row["period_id"],
        person_ref=row["person_ref"],
        city=one_of(row["city"], CITIES, "city"),
        start=Month.parse(row["start_month"]),
        end=Month.parse(row["end_month"]),
        kind=one_of(row["kind"], KINDS, "kind"),
        version=row["version"],
        cancelled=row["cancelled"],
    )


async def load_ledger(conn: Connection, person_ref: str) -> Ledger:
    """The person's ledger: the current version of each of their periods, both cities,
    cancelled ones included (as tombstones)."""
    rows = await conn.fetch(
        f"SELECT {_PERIOD_COLUMNS} FROM contribution_period WHERE person_ref = $1"
        " ORDER BY period_id",
        person_ref,
    )
    return Ledger(person_ref, tuple(period_from_row(row) for row in rows))


async def lock_and_load(conn: Connection, person_ref: str) -> tuple[Ledger, City | None]:
    """Take the person's lock (as :func:`lock_person`), then read their ledger and the city
    of their retirement determination if this city knows one: one round trip, the path of
    every period version applied (``medins_locked_ledger``, migration 002)."""
    rows = await conn.fetch("SELECT * FROM medins_locked_ledger($1)", person_ref)
    periods = tuple(period_from_row(row) for row in rows if row["period_id"] is not None)
    determined = rows[0]["determined_city"] if rows else None
    return (
        Ledger(person_ref, periods),
        None if determined is None else one_of(determined, CITIES, "city"),
    )


async def load_period(conn: Connection, period_id: str) -> ContributionPeriod | None:
    """The current version of ``period_id``, if this city knows the period."""
    row = await conn.fetchrow(
        f"SELECT {_PERIOD_COLUMNS} FROM contribution_period WHERE period_id = $1", period_id
    )
    return None if row is None else period_from_row(row)


# One round trip per version received: the history row (a version already kept with other
# content is "updated" to itself, so that the statement returns it as a conflict) and, if
# asked, the current row (only ever moved to a higher version). Returns no row for a
# duplicate, ``inserted`` for a new version, ``NOT inserted`` for a conflict.
_SAVE_VERSION = """
INSERT INTO contribution_period_version
    (period_id, version, person_ref, city, start_month, end_month, kind, cancelled,
     recorded_by, request_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (period_id, version) DO UPDATE SET period_id = excluded.period_id
    WHERE (contribution_period_version.person_ref, contribution_period_version.city,
           contribution_period_version.start_month, contribution_period_version.end_month,
           contribution_period_version.kind, contribution_period_version.cancelled)
        IS DISTINCT FROM (excluded.person_ref, excluded.city, excluded.start_month,
                          excluded.end_month, excluded.kind, excluded.cancelled)
RETURNING xmax = 0 AS inserted
"""
_SAVE_CURRENT = """
INSERT INTO contribution_period
    (period_id, version, person_ref, city, start_month, end_month, kind, cancelled)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (period_id) DO UPDATE SET start_month = excluded.start_month,
    end_month = excluded.end_month, kind = excluded.kind, version = excluded.version,
    cancelled = excluded.cancelled, updated_at = clock_timestamp()
WHERE contribution_period.version < excluded.version
"""
_SAVE_VERSION_AND_CURRENT = f"""
WITH kept AS ({_SAVE_VERSION}),
current AS ({_SAVE_CURRENT})
SELECT inserted FROM kept
"""
#: The history row of a version that becomes current, for a consumer batch's deferred
#: writes (see :func:`save_current`). A plain INSERT: a unique violation here would mean
#: the current version is not the highest received, and must fail loudly.
KEEP_NEW_VERSION = """
INSERT INTO contribution_period_version
    (period_id, version, person_ref, city, start_month, end_month, kind, cancelled,
     recorded_by, request_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
"""


#: Who recorded a version and in which request (``$9``, ``$10`` of the history statements).
Recorded = tuple[str | None, str | None]


def version_row(period: ContributionPeriod) -> tuple[str, int, str, str, str, str, str, bool]:
    """The arguments ``$1``-``$8`` of the statements that write a period version."""
    return (
        period.period_id,
        period.version,
        period.person_ref,
        period.city,
        str(period.start),
        str(period.end),
        period.kind,
        period.cancelled,
    )


async def save_current(conn: Connection, period: ContributionPeriod) -> None:
    """Make ``period`` the current version of its period, when it is higher than the one
    kept; its history row is the caller's (:data:`KEEP_NEW_VERSION`). Call holding the
    person's lock, only for a version higher than every one received: the current version
    is the highest received, so such a version has no history row yet and cannot
    conflict with one."""
    await conn.execute(_SAVE_CURRENT, *version_row(period))


async def save_version(
    conn: Connection,
    period: ContributionPeriod,
    *,
    current: bool,
    recorded: Recorded = (None, None),
) -> Literal["new", "duplicate", "conflict"]:
    """Keep ``period`` in the period's history (any version, also a stale one) and, when
    ``current``, make it the current version if it is higher than the one kept. Call
    holding the person's lock.

    ``duplicate``: this version was kept already, with the same content; ``conflict``: a
    version of that number with other content is kept (nothing may be written then: the
    caller refuses the version and rolls back).
    """
    row = await conn.fetchrow(
        _SAVE_VERSION_AND_CURRENT if current else _SAVE_VERSION, *version_row(period), *recorded
    )
    if row is None:
        return "duplicate"
    return "new" if row["inserted"] else "conflict"


@dataclass(frozen=True)
class ReceivedVersion:
    """A version of a period as this city received it, and who recorded it (see
    ``Unit.acted_by``) in which request."""

    period: ContributionPeriod
    received_at: datetime
    recorded_by: str | None = None
    request_id: str | None = None


async def period_history(conn: Connection, period_id: str) -> list[ReceivedVersion]:
    """Every version of ``period_id`` this city received, by version number."""
    rows = await conn.fetch(
        f"SELECT {_PERIOD_COLUMNS}, received_at, recorded_by, request_id"
        " FROM contribution_period_version WHERE period_id = $1 ORDER BY version",
        period_id,
    )
    return [
        ReceivedVersion(
            period_from_row(row), row["received_at"], row["recorded_by"], row["request_id"]
        )
        for row in rows
    ]
