"""Applications in this city's database. Explicit asyncpg SQL; rows <-> domain here only."""

from __future__ import annotations

from datetime import date, datetime

import asyncpg

from chengyu_contracts.cities import CITIES, City
from chengyu_kit.db import Connection, one_of

from .application import APPLICATION_STATES, Application, ApplicationStatus, Reason

_COLUMNS = (
    "application_id, person_ref, accepted_in, paying_city, submitted_on, decide_by, state,"
    " overdue_on, decided_on, reason_code, reason"
)


def _from_row(row: asyncpg.Record) -> Application:
    reason = None
    if row["reason_code"] is not None:
        reason = Reason(row["reason_code"], row["reason"] or "")
    return Application(
        application_id=row["application_id"],
        person_ref=row["person_ref"],
        accepted_in=one_of(row["accepted_in"], CITIES, "city"),
        paying_city=one_of(row["paying_city"], CITIES, "city"),
        submitted_on=row["submitted_on"],
        decide_by=row["decide_by"],
        state=one_of(row["state"], APPLICATION_STATES, "application state"),
        overdue_on=row["overdue_on"],
        decided_on=row["decided_on"],
        reason=reason,
    )


async def insert_application(
    conn: Connection,
    application: Application,
    at: datetime,
    *,
    by: str | None = None,
    request_id: str | None = None,
) -> bool:
    """Save a new application; ``False`` if one with its id is already known."""
    inserted = await conn.fetchval(
        "INSERT INTO allowance_application (application_id, person_ref, accepted_in,"
        " paying_city, submitted_on, decide_by, state, created_at, updated_at, updated_by,"
        " request_id) VALUES ($1, $2, $3, $4, $5, $6, 'submitted', $7, $7, $8, $9)"
        " ON CONFLICT (application_id) DO NOTHING RETURNING true",
        application.application_id,
        application.person_ref,
        application.accepted_in,
        application.paying_city,
        application.submitted_on,
        application.decide_by,
        at,
        by,
        request_id,
    )
    return bool(inserted)


async def load_application(
    conn: Connection, application_id: str, *, for_update: bool = False
) -> Application | None:
    """The application ``application_id``, locked for the transaction if ``for_update``."""
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM allowance_application WHERE application_id = $1{lock}",
        application_id,
    )
    return None if row is None else _from_row(row)


async def save_application(
    conn: Connection,
    application: Application,
    at: datetime,
    *,
    by: str | None = None,
    request_id: str | None = None,
) -> None:
    """Write ``application``'s state, flag and decision over its row."""
    reason = application.reason
    await conn.execute(
        "UPDATE allowance_application SET state = $2, overdue_on = $3, decided_on = $4,"
        " reason_code = $5, reason = $6, updated_at = $7, updated_by = $8, request_id = $9"
        " WHERE application_id = $1",
        application.application_id,
        application.state,
        application.overdue_on,
        application.decided_on,
        None if reason is None else reason.code,
        None if reason is None else reason.sentence,
        at,
        by,
        request_id,
    )


async def take_first_look(conn: Connection, application_id: str, on: date) -> bool:
    """Note that the paying city tried to decide the application on receipt; ``False`` if
    it had already (a second copy of the application)."""
    taken = await conn.fetchval(
        "UPDATE allowance_application SET first_look_on = $2"
        " WHERE application_id = $1 AND first_look_on IS NULL RETURNING true",
        application_id,
        on,
    )
    return bool(taken)


async def has_pending_application(conn: Connection, person_ref: str) -> bool:
    """Whether the person has an undecided application known here."""
    found = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM allowance_application"
        " WHERE person_ref = $1 AND state = 'submitted')",
        person_ref,
    )
    return bool(found)


async def list_applications(
    conn: Connection, status: ApplicationStatus | None, limit: int
) -> list[Application]:
    """Applications known here with ``status`` (all when ``None``), oldest first."""
    where = {
        None: "TRUE",
        "submitted": "state = 'submitted' AND overdue_on IS NULL",
        "overdue": "state = 'submitted' AND overdue_on IS NOT NULL",
        "approved": "state = 'approved'",
        "refused": "state = 'refused'",
    }[status]
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM allowance_application WHERE {where}"
        " ORDER BY submitted_on, application_id LIMIT $1",
        limit,
    )
    return [_from_row(r) for r in rows]


async def overdue_candidates(
    conn: Connection, paying_city: City, today: date, limit: int
) -> list[str]:
    """Ids of ``paying_city``'s undecided, unflagged applications due before ``today``."""
    rows = await conn.fetch(
        "SELECT application_id FROM allowance_application"
        " WHERE paying_city = $1 AND state = 'submitted' AND overdue_on IS NULL"
        " AND decide_by < $2 ORDER BY decide_by, application_id LIMIT $3",
        paying_city,
        today,
        limit,
    )
    return [r["application_id"] for r in rows]
