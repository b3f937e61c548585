"""The SQL of matching: the hard filters and the candidate cut, on both cities' rows of
``posting`` and ``seeker_profile``.

The cut reads rows in tiers of relatedness to the other side (:data:`TIERS`), each found by
index: the same occupation, else the same minor group (小类), else the same sub-major group
(中类); else a common skill; else a common word; else nothing in common. A less related tier
is read only when its best possible score could still enter the answer (``usecases.py``).
Rows related in no way score nothing on the three relevance factors and rank only on
distance, salary and the neutral halves; they are read newest first and at most
:data:`FILLER_ROWS`, to fill an answer that would be short.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import asyncpg

from chengyu_kit.db import Connection

__all__ = [
    "FILLER_ROWS",
    "TIERS",
    "Related",
    "SeekerFilters",
    "Tier",
    "posting_row",
    "postings_for",
    "seeker_row",
    "seekers_for",
]

#: Unrelated rows read at most to fill a short answer.
FILLER_ROWS = 500

#: The tiers of the candidate cut, read in this order until no unread row can reach the
#: answer (``usecases.py``): the same occupation (*unit*), else the same minor group (小类),
#: else the same sub-major group (中类); else a common skill (*skilled*); else a common word
#: (*worded*); else nothing in common (*unrelated*).
Tier = Literal["unit", "minor", "sub-major", "skilled", "worded", "unrelated"]
TIERS: tuple[Tier, ...] = ("unit", "minor", "sub-major", "skilled", "worded", "unrelated")


_POSTING_COLUMNS = """
    posting_id, city, state, title, employer_name, occupation_code, education, skills, terms,
    salary_min_yuan, salary_max_yuan, district, lat_e6, lon_e6, closing_on
"""

_SEEKER_COLUMNS = """
    seeker_ref, city, occupation_codes, skills, interests, education, desired_cities,
    desired_districts, home_district, salary_floor_yuan, willing_to_move, commute_radius_km
"""


@dataclass(frozen=True)
class Related:
    """What the other side shares with a row, tier by tier: the row's own occupation codes,
    the other codes of their minor groups, the other codes of their sub-major groups, the
    skills and the words."""

    unit: Sequence[str]
    minor: Sequence[str]
    sub_major: Sequence[str]
    skills: Sequence[str]
    terms: Sequence[str]


async def posting_row(conn: Connection, posting_id: str) -> asyncpg.Record | None:
    """The posting ``posting_id`` (either city's), if known."""
    return await conn.fetchrow(
        f"SELECT {_POSTING_COLUMNS} FROM posting WHERE posting_id = $1", posting_id
    )


async def seeker_row(conn: Connection, seeker_ref: str) -> asyncpg.Record | None:
    """The active profile ``seeker_ref`` this city may match: its own seekers and the other
    city's consenting ones (a withdrawn one's row is gone)."""
    return await conn.fetchrow(
        f"SELECT {_SEEKER_COLUMNS} FROM seeker_profile WHERE seeker_ref = $1 AND active",
        seeker_ref,
    )


@dataclass(frozen=True)
class SeekerFilters:
    """The hard filters a seeker puts on postings: education held, cities accepted, today."""

    education: int
    cities: Sequence[str]
    today: date


@dataclass(frozen=True)
class _TierSql:
    """A tier's condition and ordering, and the values of the parameters they name."""

    where: str
    order: str
    values: list[object]


def _tier_sql(tier: Tier, related: Related, first: int, columns: tuple[str, str, str]) -> _TierSql:
    """``tier``'s SQL with its parameters numbered from ``$first``; ``columns`` are the
    conditions on codes, skills and words with ``{}`` where the parameter goes."""
    values: list[object] = []

    def bound(condition: str, value: object) -> str:
        values.append(value)
        return condition.format(f"${first + len(values) - 1}")

    codes, skills, words = columns
    if tier == "unit":
        return _TierSql(bound(codes, list(related.unit)), "", values)
    if tier == "minor":
        minor = bound(codes, list(related.minor))
        return _TierSql(f"{minor} AND NOT {bound(codes, list(related.unit))}", "", values)
    if tier == "sub-major":
        sub_major = bound(codes, list(related.sub_major))
        closer = bound(codes, [*related.unit, *related.minor])
        return _TierSql(f"{sub_major} AND NOT {closer}", "", values)
    every = bound(codes, [*related.unit, *related.minor, *related.sub_major])
    skilled = bound(skills, list(related.skills))
    if tier == "skilled":
        return _TierSql(f"NOT {every} AND {skilled}", "", values)
    worded = bound(words, list(related.terms))
    if tier == "worded":
        return _TierSql(f"NOT ({every} OR {skilled}) AND {worded}", "", values)
    limit = bound("LIMIT {}", FILLER_ROWS)
    return _TierSql(f"NOT ({every} OR {skilled} OR {worded})", limit, values)


async def postings_for(
    conn: Connection, related: Related, tier: Tier, filters: SeekerFilters
) -> list[asyncpg.Record]:
    """Open postings of ``tier`` passing the hard filters for a seeker (``unrelated``: at most
    :data:`FILLER_ROWS`, newest first)."""
    sql = _tier_sql(tier, related, 4, ("occupation_code = ANY({})", "skills && {}", "terms && {}"))
    newest = "ORDER BY published_at DESC, posting_id" if sql.order else ""
    return await conn.fetch(
        f"""
        SELECT {_POSTING_COLUMNS} FROM posting
         WHERE state = 'open' AND closing_on >= $1 AND education <= $2 AND city = ANY($3)
           AND {sql.where} {newest} {sql.order}
        """,
        filters.today,
        filters.education,
        list(filters.cities),
        *sql.values,
    )


async def seekers_for(
    conn: Connection, related: Related, tier: Tier, *, education: int, city: str
) -> list[asyncpg.Record]:
    """Active seekers of ``tier`` a posting of ``city`` requiring ``education`` may match:
    this city's and the other city's consenting ones (``unrelated``: at most
    :data:`FILLER_ROWS`, newest first)."""
    sql = _tier_sql(tier, related, 3, ("occupation_codes && {}", "skills && {}", "interests && {}"))
    newest = "ORDER BY updated_at DESC, seeker_ref" if sql.order else ""
    return await conn.fetch(
        f"""
        SELECT {_SEEKER_COLUMNS} FROM seeker_profile
         WHERE active AND education >= $1 AND $2 = ANY(desired_cities)
           AND {sql.where} {newest} {sql.order}
        """,
        education,
        city,
        *sql.values,
    )
