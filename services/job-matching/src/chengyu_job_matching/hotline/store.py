"""The 12333 requests this city forwarded or received, their extensions, overdue reminders
and (forwarding city only) the caller's phone: explicit asyncpg SQL; rows <-> the pure
:mod:`.request` values here only."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from chengyu_contracts.cities import CITIES
from chengyu_contracts.policy_book import policy_day
from chengyu_kit.db import Connection, one_of

from ..policy import HOTLINE_CATEGORIES
from .request import (
    FEEDBACKS,
    STATES,
    Extension,
    ExtensionState,
    HistoryEntry,
    HotlineRequest,
)
from .rules import CALLER_KINDS

EXTENSION_STATES: tuple[ExtensionState, ...] = ("requested", "approved", "refused")
DUE_STEPS = ("sign", "resolve")


@dataclass(frozen=True)
class Flag:
    """An overdue reminder: ``step`` was due by ``due_on`` and was flagged on
    ``flagged_on``."""

    step: str
    due_on: date
    flagged_on: date


@dataclass(frozen=True)
class StoredRequest:
    """A request as this city keeps it: the pure request, the steps applied (``version``)
    and the overdue reminders."""

    request: HotlineRequest
    version: int
    flags: tuple[Flag, ...] = ()


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _history(value: Any) -> tuple[HistoryEntry, ...]:
    return tuple(
        HistoryEntry(h["step"], datetime.fromisoformat(h["at"]), h["detail"]) for h in _json(value)
    )


def _history_json(history: Sequence[HistoryEntry]) -> str:
    return json.dumps(
        [{"step": h.step, "at": h.at.isoformat(), "detail": h.detail} for h in history],
        ensure_ascii=False,
    )


def _extension(row: asyncpg.Record) -> Extension:
    return Extension(
        extension_id=row["extension_id"],
        working_days=row["working_days"],
        reason=row["reason"],
        requested_at=row["requested_at"],
        state=one_of(row["state"], EXTENSION_STATES, "state"),
        decided_at=row["decided_at"],
        decision_reason=row["decision_reason"],
        resolve_by=row["resolve_by"],
    )


def _stored(
    row: asyncpg.Record, extensions: Sequence[asyncpg.Record], flags: Sequence[asyncpg.Record]
) -> StoredRequest:
    request = HotlineRequest(
        request_id=row["request_id"],
        from_city=one_of(row["from_city"], CITIES, "from_city"),
        to_city=one_of(row["to_city"], CITIES, "to_city"),
        category=one_of(row["category"], HOTLINE_CATEGORIES, "category"),
        caller_kind=one_of(row["caller_kind"], CALLER_KINDS, "caller_kind"),
        caller_ref=row["caller_ref"],
        summary=row["summary"],
        received_at=row["received_at"],
        state=one_of(row["state"], STATES, "state"),
        attempt=row["attempt"],
        forwarded_at=row["forwarded_at"],
        sign_by=row["sign_by"],
        first_sign_by=row["first_sign_by"],
        signed_at=row["signed_at"],
        signed_attempt=row["signed_attempt"],
        resolve_by=row["resolve_by"],
        resolved_at=row["resolved_at"],
        resolution=row["resolution"],
        return_reason=row["return_reason"],
        feedback=None if row["feedback"] is None else one_of(row["feedback"], FEEDBACKS, "fb"),
        callback_at=row["callback_at"],
        reopens=row["reopens"],
        extensions=tuple(_extension(e) for e in extensions),
        history=_history(row["history"]),
    )
    return StoredRequest(
        request=request,
        version=row["version"],
        flags=tuple(Flag(f["step"], f["due_on"], f["flagged_on"]) for f in flags),
    )


async def _complete(conn: Connection, rows: Sequence[asyncpg.Record]) -> list[StoredRequest]:
    ids = [r["request_id"] for r in rows]
    extensions = await conn.fetch(
        "SELECT * FROM hotline_extension WHERE request_id = ANY($1::text[])"
        " ORDER BY request_id, position",
        ids,
    )
    flags = await conn.fetch(
        "SELECT * FROM hotline_overdue WHERE request_id = ANY($1::text[])"
        " ORDER BY request_id, due_on, step",
        ids,
    )
    return [
        _stored(
            r,
            [e for e in extensions if e["request_id"] == r["request_id"]],
            [f for f in flags if f["request_id"] == r["request_id"]],
        )
        for r in rows
    ]


async def load_request(
    conn: Connection, request_id: str, *, for_update: bool = False
) -> StoredRequest | None:
    """The request ``request_id`` (locked for the transaction with ``for_update``)."""
    row = await conn.fetchrow(
        "SELECT * FROM hotline_request WHERE request_id = $1"
        + (" FOR UPDATE" if for_update else ""),
        request_id,
    )
    if row is None:
        return None
    return (await _complete(conn, [row]))[0]


@dataclass(frozen=True)
class Listing:
    """Which requests to list: ``direction`` forwarded / received (from this city's side),
    ``state``, only those flagged overdue at their current step."""

    city: str
    direction: str | None = None
    state: str | None = None
    overdue: bool | None = None
    limit: int = 500


_CURRENT_FLAG = (
    "EXISTS (SELECT 1 FROM hotline_overdue o WHERE o.request_id = r.request_id AND"
    " ((r.state = 'forwarded' AND o.step = 'sign' AND o.due_on = r.sign_by) OR"
    " (r.state IN ('signed', 'reopened') AND o.step = 'resolve' AND o.due_on = r.resolve_by)))"
)


async def requests(conn: Connection, listing: Listing) -> list[StoredRequest]:
    """The requests known here as ``listing`` says, newest first."""
    rows = await conn.fetch(
        "SELECT r.* FROM hotline_request r WHERE"
        " ($2::text IS NULL OR ($2 = 'forwarded' AND r.from_city = $1)"
        "  OR ($2 = 'received' AND r.to_city = $1))"
        " AND ($3::text IS NULL OR r.state = $3)"
        f" AND ($4::boolean IS NULL OR ({_CURRENT_FLAG}) = $4)"
        " ORDER BY r.forwarded_at DESC, r.request_id LIMIT $5",
        listing.city,
        listing.direction,
        listing.state,
        listing.overdue,
        listing.limit,
    )
    return await _complete(conn, rows)


async def sweep_candidates(conn: Connection, city: str, today: date, limit: int) -> list[str]:
    """Requests this city forwarded that wait for a step whose deadline is before
    ``today`` (the sweep decides on the calendar whether a reminder is due)."""
    rows = await conn.fetch(
        "SELECT request_id FROM hotline_request WHERE from_city = $1 AND"
        " ((state = 'forwarded' AND sign_by < $2)"
        "  OR (state IN ('signed', 'reopened') AND resolve_by < $2))"
        " ORDER BY forwarded_at, request_id LIMIT $3",
        city,
        today,
        limit,
    )
    return [str(r["request_id"]) for r in rows]


async def save_request(conn: Connection, stored: StoredRequest, at: datetime) -> None:
    """Insert or replace the request and its extensions (version as given)."""
    r = stored.request
    await conn.execute(
        "INSERT INTO hotline_request (request_id, from_city, to_city, category, caller_kind,"
        " caller_ref, summary, received_at, state, attempt, forwarded_at, sign_by,"
        " first_sign_by, signed_at, signed_on, signed_attempt, resolve_by, resolved_at,"
        " resolved_on, resolution, return_reason, feedback, callback_at, reopens, history,"
        " version, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
        " $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25::jsonb, $26, $27)"
        " ON CONFLICT (request_id) DO UPDATE SET state = EXCLUDED.state,"
        " attempt = EXCLUDED.attempt, forwarded_at = EXCLUDED.forwarded_at,"
        " sign_by = EXCLUDED.sign_by, signed_at = EXCLUDED.signed_at,"
        " signed_on = EXCLUDED.signed_on, signed_attempt = EXCLUDED.signed_attempt,"
        " resolve_by = EXCLUDED.resolve_by, resolved_at = EXCLUDED.resolved_at,"
        " resolved_on = EXCLUDED.resolved_on, resolution = EXCLUDED.resolution,"
        " return_reason = EXCLUDED.return_reason, feedback = EXCLUDED.feedback,"
        " callback_at = EXCLUDED.callback_at, reopens = EXCLUDED.reopens,"
        " history = EXCLUDED.history, version = EXCLUDED.version,"
        " updated_at = EXCLUDED.updated_at",
        r.request_id,
        r.from_city,
        r.to_city,
        r.category,
        r.caller_kind,
        r.caller_ref,
        r.summary,
        r.received_at,
        r.state,
        r.attempt,
        r.forwarded_at,
        r.sign_by,
        r.first_sign_by,
        r.signed_at,
        None if r.signed_at is None else policy_day(r.signed_at),
        r.signed_attempt,
        r.resolve_by,
        r.resolved_at,
        None if r.resolved_at is None else policy_day(r.resolved_at),
        r.resolution,
        r.return_reason,
        r.feedback,
        r.callback_at,
        r.reopens,
        _history_json(r.history),
        stored.version,
        at,
    )
    await conn.executemany(
        "INSERT INTO hotline_extension (extension_id, request_id, position, working_days,"
        " reason, requested_at, state, decided_at, decision_reason, resolve_by)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        " ON CONFLICT (extension_id) DO UPDATE SET state = EXCLUDED.state,"
        " decided_at = EXCLUDED.decided_at, decision_reason = EXCLUDED.decision_reason,"
        " resolve_by = EXCLUDED.resolve_by",
        [
            (
                e.extension_id,
                r.request_id,
                n,
                e.working_days,
                e.reason,
                e.requested_at,
                e.state,
                e.decided_at,
                e.decision_reason,
                e.resolve_by,
            )
            for n, e in enumerate(r.extensions, start=1)
        ],
    )


async def save_flag(conn: Connection, request_id: str, flag: Flag) -> bool:
    """Record an overdue reminder once; whether it is new."""
    status = await conn.execute(
        "INSERT INTO hotline_overdue (request_id, step, due_on, flagged_on)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        request_id,
        flag.step,
        flag.due_on,
        flag.flagged_on,
    )
    return bool(status.endswith(" 1"))


async def save_caller_phone(conn: Connection, request_id: str, phone: str) -> None:
    """Keep the caller's phone for the callback (forwarding city only)."""
    await conn.execute(
        "INSERT INTO hotline_caller (request_id, phone) VALUES ($1, $2)", request_id, phone
    )


async def caller_phone(conn: Connection, request_id: str) -> str | None:
    """The caller's phone, where this city took the call."""
    found = await conn.fetchval(
        "SELECT phone FROM hotline_caller WHERE request_id = $1", request_id
    )
    return None if found is None else str(found)


@dataclass(frozen=True)
class CategoryCount:
    """Finished requests of one receiving city and category, and those on time."""

    to_city: str
    category: str
    finished: int
    on_time: int


async def metrics(conn: Connection) -> list[CategoryCount]:
    """Per receiving city and category: requests resolved or closed, and those signed by the
    first attempt's ``sign_by`` on the first attempt and resolved by the final
    ``resolve_by``."""
    rows = await conn.fetch(
        "SELECT to_city, category, count(*) AS finished, count(*) FILTER (WHERE"
        " signed_attempt = 1 AND signed_on <= first_sign_by AND resolved_on <= resolve_by)"
        " AS on_time FROM hotline_request WHERE state IN ('resolved', 'closed')"
        " GROUP BY to_city, category ORDER BY to_city, category"
    )
    return [
        CategoryCount(r["to_city"], r["category"], int(r["finished"]), int(r["on_time"]))
        for r in rows
    ]
