"""The checkpointer's routes: this city's checkpoints of a log and their witnesses (read:
a reader or auditor of the city, a clerk of the audit office, an auditor of the other city),
the open disputes, and a clerk's acknowledgement of one (a write, with its actor)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from chengyu_contracts.domain_error import NotFound
from chengyu_kit.web import UnitOfWork, service_router

from . import store
from .witnessing import b64

__all__ = ["router"]


class CheckpointView(BaseModel):
    """One checkpoint this city published, and its witness."""

    size: int
    root_hash: str
    last_offset: int
    published_at: datetime
    note: str
    witnessed: bool
    witnessed_at: datetime | None
    witnessed_note: str | None


class LogView(BaseModel):
    """This city's read of one log and its latest checkpoints, newest first."""

    log: str
    size: int
    next_offset: int
    checkpoints: list[CheckpointView]


class DisputeView(BaseModel):
    """A disagreement between the cities about one checkpoint."""

    dispute_id: int
    log: str
    size: int
    checkpointer_city: str
    witness_city: str
    reason: str
    detail: str
    raised_at: datetime
    acknowledged_at: datetime | None


def _dispute_view(dispute: store.StoredDispute) -> DisputeView:
    return DisputeView(
        dispute_id=dispute.dispute_id,
        log=f"{dispute.topic}/{dispute.partition}",
        size=dispute.size,
        checkpointer_city=dispute.checkpointer_city,
        witness_city=dispute.witness_city,
        reason=dispute.reason,
        detail=dispute.detail,
        raised_at=dispute.raised_at,
        acknowledged_at=dispute.acknowledged_at,
    )


def router(_: object) -> APIRouter:
    """The checkpointer's HTTP routes."""
    routes = service_router(tags=["checkpoints"])

    @routes.get("/logs/{topic}/{partition}")
    async def read_log(
        topic: str,
        partition: int,
        unit: UnitOfWork,
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
    ) -> LogView:
        """How far this city read the log, and its latest checkpoints."""
        states = await store.load_logs(unit.conn)
        state = states.get((topic, partition))
        if state is None:
            raise NotFound("no-such-log", f"This checkpointer reads no log {topic}/{partition}.")
        checkpoints = await store.checkpoints_of(unit.conn, topic, partition, limit)
        return LogView(
            log=f"{topic}/{partition}",
            size=state.size,
            next_offset=state.next_offset,
            checkpoints=[
                CheckpointView(
                    size=c.size,
                    root_hash=b64(c.root_hash),
                    last_offset=c.last_offset,
                    published_at=c.published_at,
                    note=c.note,
                    witnessed=c.witnessed_note is not None,
                    witnessed_at=c.witnessed_at,
                    witnessed_note=c.witnessed_note,
                )
                for c in checkpoints
            ],
        )

    @routes.get("/disputes")
    async def list_disputes(unit: UnitOfWork) -> list[DisputeView]:
        """The disputes no clerk acknowledged yet (readiness is red while there is one)."""
        return [_dispute_view(d) for d in await store.open_disputes(unit.conn)]

    @routes.post("/disputes/{dispute_id}/acknowledge")
    async def acknowledge(dispute_id: int, unit: UnitOfWork) -> DisputeView:
        """A clerk of the audit office has taken the dispute up (readiness turns green
        once none is open); the dispute and its event stay."""
        assert unit.actor is not None  # a write always has its caller
        done = await store.acknowledge_dispute(
            unit.conn, dispute_id, unit.actor.reference(unit.person_ref_key), unit.now
        )
        if done is None:
            raise NotFound("no-such-dispute", f"There is no dispute {dispute_id}.")
        return _dispute_view(done)

    return routes
