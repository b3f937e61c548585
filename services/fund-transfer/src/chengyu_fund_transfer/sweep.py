"""The overdue sweep: the receiving city, which owns the saga, escalates transfers that
wait past their deadline. Run periodically by the service on its clock."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from chengyu_kit.issuer import EventIssuer
from chengyu_kit.outbox import add_to_outbox

from .saga import mark_overdue
from .transfer_store import overdue_candidates

SWEEP_BATCH = 500


async def sweep_overdue(
    pool: asyncpg.Pool, issuer: EventIssuer, now: datetime, *, limit: int = SWEEP_BATCH
) -> int:
    """Mark every receiving transfer past its deadline at ``now`` overdue, each in its own
    transaction with its escalation event (one row lock at a time, so the sweep never
    deadlocks with a consumer's batch); how many were marked."""
    async with pool.acquire() as conn:
        candidates = await overdue_candidates(conn, "receiving", now, limit)
    marked = 0
    for transfer_id in candidates:
        async with pool.acquire() as conn, conn.transaction():
            events = await mark_overdue(conn, transfer_id, now)
            await add_to_outbox(conn, [issuer.issue(e) for e in events])
        marked += len(events)
    return marked
