"""A tiny example domain used only by the tests: tallies incremented by events.

It exercises every kit mechanism the way a real service does (a use case writing state
and outbox in one transaction; a handler applying events via the inbox) without being
a fake service in the product.
"""

from __future__ import annotations

import asyncpg
from fastapi import APIRouter
from pydantic import BaseModel, Field

from chengyu_contracts.registry import EventData, EventSpec, Registry
from chengyu_kit.handling import EventHandlers
from chengyu_kit.inbox import EventContext, Rejected
from chengyu_kit.issuer import EventIssuer
from chengyu_kit.migrations import Migration
from chengyu_kit.outbox import add_to_outbox
from chengyu_kit.unit import Unit
from chengyu_kit.web import UnitOfWork, service_router

TALLY_TYPE = "cn.chengyu.test.tally-incremented.v1"

TALLY_MIGRATION = Migration(
    namespace="tally",
    version=1,
    name="tallies",
    sql="""
    CREATE TABLE tally (
        tally_id text PRIMARY KEY,
        total    bigint  NOT NULL CHECK (total <= 1000000000),
        events   integer NOT NULL
    );
    CREATE TABLE requested_increment (
        id       bigserial PRIMARY KEY,
        tally_id text   NOT NULL,
        amount   bigint NOT NULL
    );
    """,
)


class TallyIncremented(EventData):
    """A tally was incremented by ``amount`` (a negative amount is refused by handlers)."""

    tally_id: str
    amount: int


def tally_registry(topic: str) -> Registry:
    """A registry holding only the tally event, published on ``topic``."""
    registry = Registry()
    registry.register(
        EventSpec(
            type=TALLY_TYPE, model=TallyIncremented, topic=topic, key_field="tally_id", version=1
        )
    )
    return registry


def tally_handlers() -> EventHandlers:
    """The tally consumer: either city may increment a tally."""
    handlers = EventHandlers()
    handlers.on(TallyIncremented, issued_by=None)(on_tally_incremented)
    return handlers


async def on_tally_incremented(event: TallyIncremented, context: EventContext) -> None:
    """Add the amount to the tally; refuse negative amounts for good."""
    if event.amount < 0:
        raise Rejected("negative-amount", "a tally can only be incremented by amount >= 0")
    context.defer(
        """
        INSERT INTO tally (tally_id, total, events) VALUES ($1, $2, 1)
        ON CONFLICT (tally_id) DO UPDATE
            SET total = tally.total + excluded.total, events = tally.events + 1
        """,
        event.tally_id,
        event.amount,
    )


async def request_increment(
    pool: asyncpg.Pool, issuer: EventIssuer, tally_id: str, amount: int
) -> str:
    """Use case: record the request and its event in one transaction; return the event id."""
    record = issuer.issue(TallyIncremented(tally_id=tally_id, amount=amount))
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO requested_increment (tally_id, amount) VALUES ($1, $2)", tally_id, amount
        )
        await add_to_outbox(conn, [record])
    assert record.event_id is not None
    return record.event_id


async def tally_of(pool: asyncpg.Pool, tally_id: str) -> tuple[int, int] | None:
    """(total, number of events applied) of a tally, or None if it never got one."""
    row = await pool.fetchrow("SELECT total, events FROM tally WHERE tally_id = $1", tally_id)
    return None if row is None else (row["total"], row["events"])


class IncrementRequest(BaseModel):
    """Body of POST /tallies/{tally_id}/increments."""

    amount: int = Field(ge=0)


async def record_increment(unit: Unit, tally_id: str, amount: int) -> int:
    """Use case on a unit of work: record the request and emit its event; the request's id."""
    requested_id: int = await unit.conn.fetchval(
        "INSERT INTO requested_increment (tally_id, amount) VALUES ($1, $2) RETURNING id",
        tally_id,
        amount,
    )
    unit.emit(TallyIncremented(tally_id=tally_id, amount=amount))
    return requested_id


def tally_router() -> APIRouter:
    """HTTP commands of the example domain."""
    router = service_router()

    @router.post("/tallies/{tally_id}/increments", status_code=202)
    async def increment(tally_id: str, body: IncrementRequest, unit: UnitOfWork) -> dict[str, int]:
        return {"requested_id": await record_increment(unit, tally_id, body.amount)}

    return router
