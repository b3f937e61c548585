"""The service's SQL: cases, read and written on the unit's connection."""

from __future__ import annotations

from datetime import datetime

from chengyu_contracts.cities import CITIES
from chengyu_kit.db import Connection, one_of

from .case import Case


async def count_open_cases(conn: Connection, person_ref: str, city: str) -> int:
    """How many cases ``person_ref`` has in ``city``."""
    count: int = await conn.fetchval(
        "SELECT count(*) FROM blood_case WHERE person_ref = $1 AND city = $2", person_ref, city
    )
    return count


async def save_case(conn: Connection, case: Case, opened_at: datetime) -> bool:
    """Insert ``case``; False when it was already there (a redelivered event)."""
    result = await conn.execute(
        "INSERT INTO blood_case (case_id, person_ref, city, opened_at) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (case_id) DO NOTHING",
        case.case_id,
        case.person_ref,
        case.city,
        opened_at,
    )
    return result.endswith(" 1")


async def load_case(conn: Connection, case_id: str) -> tuple[Case, datetime] | None:
    """The case ``case_id`` and when it was opened, or None."""
    row = await conn.fetchrow(
        "SELECT case_id, person_ref, city, opened_at FROM blood_case WHERE case_id = $1", case_id
    )
    if row is None:
        return None
    case = Case(row["case_id"], row["person_ref"], one_of(row["city"], CITIES, "city"))
    return case, row["opened_at"]
