"""The SQL of matching: the hard filters and the candidate cut, on both cities' rows of
``posting`` and ``seeker_profile``.

The cut keeps only rows *related* to the other side: an occupation of the same sub-major
group (中类) or closer, a common skill, or a common word. A row related in none of these ways
scores nothing on the three relevance factors, so it can only rank on distance, salary and
the neutral halves; such rows are read (newest first) only when the related ones are fewer
than an answer may hold, so no answer is shorter than it could be.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import asyncpg

from chengyu_kit.db import Connection

__all__ = [
    "FILLER_ROWS",
    "Related",
    "posting_row",
    "postings_for",
    "seeker_row",
    "seekers_for",
]

#: Unrelated rows read at most to fill a short answer.
FILLER_ROWS = 500
#: Fillers are read when fewer related rows than this pass the filters (the most any
#: answer returns, so no answer is ever shorter than it could be).
FILLERS_BELOW = 500

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
    """What the other side must share with a row for the cut to keep it."""

    codes: Sequence[str]
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


async def postings_for(
    conn: Connection, related: Related, *, education: int, cities: Sequence[str], today: date
) -> list[asyncpg.Record]:
    """Open postings passing the hard filters for a seeker, related ones first (every one),
    then unrelated fillers when fewer than :data:`FILLERS_BELOW` are related."""
    found = await conn.fetch(
        f"""
        SELECT {_POSTING_COLUMNS} FROM posting
         WHERE state = 'open' AND closing_on >= $1 AND education <= $2 AND city = ANY($3)
           AND (occupation_code = ANY($4) OR skills && $5 OR terms && $6)
        """,
        today,
        education,
        list(cities),
        list(related.codes),
        list(related.skills),
        list(related.terms),
    )
    if len(found) >= FILLERS_BELOW:
        return list(found)
    fillers = await conn.fetch(
        f"""
        SELECT {_POSTING_COLUMNS} FROM posting
         WHERE state = 'open' AND closing_on >= $1 AND education <= $2 AND city = ANY($3)
           AND NOT (occupation_code = ANY($4) OR skills && $5 OR terms && $6)
         ORDER BY published_at DESC, posting_id
         LIMIT $7
        """,
        today,
        education,
        list(cities),
        list(related.codes),
        list(related.skills),
        list(related.terms),
        FILLER_ROWS,
    )
    return [*found, *fillers]


async def seekers_for(
    conn: Connection, related: Related, *, education: int, city: str
) -> list[asyncpg.Record]:
    """Active seekers a posting of ``city`` requiring ``education`` may match: this city's and
    the other city's consenting ones, related first, fillers when too few."""
    found = await conn.fetch(
        f"""
        SELECT {_SEEKER_COLUMNS} FROM seeker_profile
         WHERE active AND education >= $1 AND $2 = ANY(desired_cities)
           AND (occupation_codes && $3 OR skills && $4 OR interests && $5)
        """,
        education,
        city,
        list(related.codes),
        list(related.skills),
        list(related.terms),
    )
    if len(found) >= FILLERS_BELOW:
        return list(found)
    fillers = await conn.fetch(
        f"""
        SELECT {_SEEKER_COLUMNS} FROM seeker_profile
         WHERE active AND education >= $1 AND $2 = ANY(desired_cities)
           AND NOT (occupation_codes && $3 OR skills && $4 OR interests && $5)
         ORDER BY updated_at DESC, seeker_ref
         LIMIT $6
        """,
        education,
        city,
        list(related.codes),
        list(related.skills),
        list(related.terms),
        FILLER_ROWS,
    )
    return [*found, *fillers]
