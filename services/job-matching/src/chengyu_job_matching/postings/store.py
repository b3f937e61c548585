"""Postings and fairs in this city's database: both cities' postings (``posting``, read by
the matching area too) and fairs (``job_fair``) at the highest version seen, and the other
city's closings read before their posting or fair (``posting_close_seen``,
``job_fair_cancel_seen``). Explicit asyncpg SQL; rows <-> domain here only.

Every write of a posting stores its ``terms`` (segmented title and description,
:func:`..text_terms.terms`), which the matching area compares with seekers' interests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

import asyncpg

from chengyu_contracts.cities import CITIES, City
from chengyu_kit.db import Connection, one_of

from ..education import EDUCATION_LEVELS, rank
from ..text_terms import terms
from .rules import (
    CLOSE_REASONS,
    Fair,
    FairContent,
    FairState,
    Posting,
    PostingContent,
    PostingState,
)

POSTING_STATES: Final[tuple[PostingState, ...]] = ("open", "closed")
FAIR_STATES: Final[tuple[FairState, ...]] = ("scheduled", "cancelled")

_POSTING_COLUMNS = (
    "posting_id, city, version, state, closed_reason, employer_name, title, description,"
    " occupation_code, education, skills, salary_min_yuan, salary_max_yuan, district,"
    " lat_e6, lon_e6, openings, closing_on, published_at"
)
_FAIR_COLUMNS = (
    "fair_id, city, version, state, title, venue, starts_on, ends_on, posting_ids,"
    " cancel_reason, at"
)


def _posting_from_row(row: asyncpg.Record) -> Posting:
    reason = row["closed_reason"]
    content = PostingContent(
        employer_name=row["employer_name"],
        title=row["title"],
        description=row["description"],
        occupation_code=row["occupation_code"],
        education=EDUCATION_LEVELS[row["education"] - 1],
        skills=tuple(row["skills"]),
        salary_min_yuan=row["salary_min_yuan"],
        salary_max_yuan=row["salary_max_yuan"],
        district=row["district"],
        lat_e6=row["lat_e6"],
        lon_e6=row["lon_e6"],
        openings=row["openings"],
        closing_on=row["closing_on"],
    )
    return Posting(
        posting_id=row["posting_id"],
        city=one_of(row["city"], CITIES, "city"),
        version=row["version"],
        state=one_of(row["state"], POSTING_STATES, "posting state"),
        closed_reason=None if reason is None else one_of(reason, CLOSE_REASONS, "close reason"),
        content=content,
        published_at=row["published_at"],
    )


def _posting_values(posting: Posting, at: datetime) -> tuple[object, ...]:
    content = posting.content
    return (
        posting.posting_id,
        posting.city,
        posting.version,
        posting.state,
        posting.closed_reason,
        content.employer_name,
        content.title,
        content.description,
        content.occupation_code,
        rank(content.education),
        list(content.skills),
        content.salary_min_yuan,
        content.salary_max_yuan,
        content.district,
        content.lat_e6,
        content.lon_e6,
        content.openings,
        content.closing_on,
        posting.published_at,
        terms(content.title, content.description),
        at,
    )


_UPSERT = (
    f"INSERT INTO posting ({_POSTING_COLUMNS}, terms, updated_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,"
    " $19, $20, $21)"
    " ON CONFLICT (posting_id) DO UPDATE SET city = EXCLUDED.city, version = EXCLUDED.version,"
    " state = EXCLUDED.state, closed_reason = EXCLUDED.closed_reason,"
    " employer_name = EXCLUDED.employer_name, title = EXCLUDED.title,"
    " description = EXCLUDED.description, occupation_code = EXCLUDED.occupation_code,"
    " education = EXCLUDED.education, skills = EXCLUDED.skills,"
    " salary_min_yuan = EXCLUDED.salary_min_yuan, salary_max_yuan = EXCLUDED.salary_max_yuan,"
    " district = EXCLUDED.district, lat_e6 = EXCLUDED.lat_e6, lon_e6 = EXCLUDED.lon_e6,"
    " openings = EXCLUDED.openings, closing_on = EXCLUDED.closing_on,"
    " published_at = EXCLUDED.published_at, terms = EXCLUDED.terms,"
    " updated_at = EXCLUDED.updated_at"
    " WHERE posting.version < EXCLUDED.version RETURNING true"
)


async def posting(conn: Connection, posting_id: str, *, for_update: bool = False) -> Posting | None:
    """The posting ``posting_id`` of either city, or None."""
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT {_POSTING_COLUMNS} FROM posting WHERE posting_id = $1{lock}", posting_id
    )
    return None if row is None else _posting_from_row(row)


async def save_posting(conn: Connection, posting: Posting, at: datetime) -> bool:
    """Write ``posting`` (its terms recomputed) unless a version as high is stored; whether
    it was written."""
    return bool(await conn.fetchval(_UPSERT, *_posting_values(posting, at)))


async def see_posting(conn: Connection, posting: Posting, at: datetime) -> bool:
    """Keep the other city's ``posting`` unless a version as high is known; a closing read
    earlier with a higher version closes it at once. Whether anything changed."""
    early = await conn.fetchrow(
        "DELETE FROM posting_close_seen WHERE posting_id = $1 RETURNING version, reason, closed_at",
        posting.posting_id,
    )
    if early is not None and early["version"] > posting.version:
        posting = Posting(
            posting_id=posting.posting_id,
            city=posting.city,
            version=early["version"],
            state="closed",
            closed_reason=one_of(early["reason"], CLOSE_REASONS, "close reason"),
            content=posting.content,
            published_at=early["closed_at"],
        )
    return await save_posting(conn, posting, at)


@dataclass(frozen=True)
class SeenClose:
    """The other city closed a posting, as of ``version``."""

    posting_id: str
    city: City
    version: int
    reason: str
    closed_at: datetime


async def see_close(conn: Connection, seen: SeenClose, at: datetime) -> bool:
    """Close the other city's posting unless a version as high is known; a posting not
    known yet is closed when it arrives. Whether anything changed."""
    closed = await conn.fetchval(
        "UPDATE posting SET version = $2, state = 'closed', closed_reason = $3,"
        " published_at = $4, updated_at = $5 WHERE posting_id = $1 AND version < $2"
        " RETURNING true",
        seen.posting_id,
        seen.version,
        seen.reason,
        seen.closed_at,
        at,
    )
    if closed:
        return True
    if await conn.fetchval("SELECT 1 FROM posting WHERE posting_id = $1", seen.posting_id):
        return False
    return bool(
        await conn.fetchval(
            "INSERT INTO posting_close_seen (posting_id, city, version, reason, closed_at)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (posting_id) DO UPDATE SET"
            " version = EXCLUDED.version, reason = EXCLUDED.reason,"
            " closed_at = EXCLUDED.closed_at"
            " WHERE posting_close_seen.version < EXCLUDED.version RETURNING true",
            seen.posting_id,
            seen.city,
            seen.version,
            seen.reason,
            seen.closed_at,
        )
    )


async def postings_by_id(conn: Connection, posting_ids: Sequence[str]) -> dict[str, Posting]:
    """The postings of ``posting_ids`` known here, by id."""
    rows = await conn.fetch(
        f"SELECT {_POSTING_COLUMNS} FROM posting WHERE posting_id = ANY($1::text[])",
        list(posting_ids),
    )
    return {r["posting_id"]: _posting_from_row(r) for r in rows}


@dataclass(frozen=True)
class PostingQuery:
    """A page of both cities' postings: ``occupation`` a code or a group's prefix
    (``2``, ``2-02``, ``2-02-10``, ``2-02-10-03``)."""

    city: City | None = None
    state: PostingState | None = None
    occupation: str | None = None
    page: int = 1
    per_page: int = 50


async def list_postings(conn: Connection, query: PostingQuery) -> tuple[list[Posting], int]:
    """One page of the postings ``query`` selects, newest first, and how many it selects."""
    where: list[str] = []
    args: list[object] = []
    if query.city is not None:
        args.append(query.city)
        where.append(f"city = ${len(args)}")
    if query.state is not None:
        args.append(query.state)
        where.append(f"state = ${len(args)}")
    if query.occupation is not None:
        if len(query.occupation) == len("X-XX-XX-XX"):
            args.append(query.occupation)
            where.append(f"occupation_code = ${len(args)}")
        else:
            args.append(query.occupation + "-%")
            where.append(f"occupation_code LIKE ${len(args)}")
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    total = int(await conn.fetchval(f"SELECT count(*) FROM posting{clause}", *args))
    args.extend([query.per_page, (query.page - 1) * query.per_page])
    rows = await conn.fetch(
        f"SELECT {_POSTING_COLUMNS} FROM posting{clause}"
        f" ORDER BY published_at DESC, posting_id LIMIT ${len(args) - 1} OFFSET ${len(args)}",
        *args,
    )
    return [_posting_from_row(r) for r in rows], total


async def expiring(conn: Connection, city: City, today: date, limit: int) -> list[Posting]:
    """Up to ``limit`` of ``city``'s open postings past their closing date, locked (others
    running the sweep skip them)."""
    rows = await conn.fetch(
        f"SELECT {_POSTING_COLUMNS} FROM posting WHERE state = 'open' AND city = $1"
        " AND closing_on < $2 ORDER BY closing_on, posting_id LIMIT $3 FOR UPDATE SKIP LOCKED",
        city,
        today,
        limit,
    )
    return [_posting_from_row(r) for r in rows]


# --------------------------------------------------------------------------------------------
# fairs


def _fair_from_row(row: asyncpg.Record) -> Fair:
    return Fair(
        fair_id=row["fair_id"],
        city=one_of(row["city"], CITIES, "city"),
        version=row["version"],
        state=one_of(row["state"], FAIR_STATES, "fair state"),
        content=FairContent(
            title=row["title"],
            venue=row["venue"],
            starts_on=row["starts_on"],
            ends_on=row["ends_on"],
            posting_ids=tuple(row["posting_ids"]),
        ),
        cancel_reason=row["cancel_reason"],
        at=row["at"],
    )


async def fair(conn: Connection, fair_id: str, *, for_update: bool = False) -> Fair | None:
    """The fair ``fair_id`` of either city, or None."""
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT {_FAIR_COLUMNS} FROM job_fair WHERE fair_id = $1{lock}", fair_id
    )
    return None if row is None else _fair_from_row(row)


async def save_fair(conn: Connection, fair: Fair) -> bool:
    """Write ``fair`` unless a version as high is stored; whether it was written."""
    content = fair.content
    return bool(
        await conn.fetchval(
            f"INSERT INTO job_fair ({_FAIR_COLUMNS})"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            " ON CONFLICT (fair_id) DO UPDATE SET version = EXCLUDED.version,"
            " state = EXCLUDED.state, title = EXCLUDED.title, venue = EXCLUDED.venue,"
            " starts_on = EXCLUDED.starts_on, ends_on = EXCLUDED.ends_on,"
            " posting_ids = EXCLUDED.posting_ids, cancel_reason = EXCLUDED.cancel_reason,"
            " at = EXCLUDED.at WHERE job_fair.version < EXCLUDED.version RETURNING true",
            fair.fair_id,
            fair.city,
            fair.version,
            fair.state,
            content.title,
            content.venue,
            content.starts_on,
            content.ends_on,
            list(content.posting_ids),
            fair.cancel_reason,
            fair.at,
        )
    )


async def see_fair(conn: Connection, fair: Fair) -> bool:
    """Keep the other city's ``fair`` unless a version as high is known; a cancellation
    read earlier with a higher version cancels it at once."""
    early = await conn.fetchrow(
        "DELETE FROM job_fair_cancel_seen WHERE fair_id = $1"
        " RETURNING version, reason, cancelled_at",
        fair.fair_id,
    )
    if early is not None and early["version"] > fair.version:
        fair = Fair(
            fair_id=fair.fair_id,
            city=fair.city,
            version=early["version"],
            state="cancelled",
            content=fair.content,
            cancel_reason=early["reason"],
            at=early["cancelled_at"],
        )
    return await save_fair(conn, fair)


@dataclass(frozen=True)
class SeenCancel:
    """The other city cancelled a fair, as of ``version``."""

    fair_id: str
    city: City
    version: int
    reason: str
    cancelled_at: datetime


async def see_cancel(conn: Connection, seen: SeenCancel) -> bool:
    """Cancel the other city's fair unless a version as high is known; a fair not known yet
    is cancelled when it arrives."""
    cancelled = await conn.fetchval(
        "UPDATE job_fair SET version = $2, state = 'cancelled', cancel_reason = $3, at = $4"
        " WHERE fair_id = $1 AND version < $2 RETURNING true",
        seen.fair_id,
        seen.version,
        seen.reason,
        seen.cancelled_at,
    )
    if cancelled:
        return True
    if await conn.fetchval("SELECT 1 FROM job_fair WHERE fair_id = $1", seen.fair_id):
        return False
    return bool(
        await conn.fetchval(
            "INSERT INTO job_fair_cancel_seen (fair_id, city, version, reason, cancelled_at)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (fair_id) DO UPDATE SET"
            " version = EXCLUDED.version, reason = EXCLUDED.reason,"
            " cancelled_at = EXCLUDED.cancelled_at"
            " WHERE job_fair_cancel_seen.version < EXCLUDED.version RETURNING true",
            seen.fair_id,
            seen.city,
            seen.version,
            seen.reason,
            seen.cancelled_at,
        )
    )


async def list_fairs(conn: Connection) -> list[Fair]:
    """Every fair of both cities known here, soonest first."""
    rows = await conn.fetch(f"SELECT {_FAIR_COLUMNS} FROM job_fair ORDER BY starts_on, fair_id")
    return [_fair_from_row(r) for r in rows]
