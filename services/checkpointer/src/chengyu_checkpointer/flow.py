"""The checkpointer's consumer of ``audit.checkpoints``: the other city's checkpoints are
kept to be judged by the log reader (which alone knows how far this city's read got), and
what the other city said of this city's checkpoints is recorded. Each event once (kit
inbox): a redelivery changes nothing."""

from __future__ import annotations

import base64

from chengyu_contracts.events.audit import (
    CheckpointDisputed,
    CheckpointPublished,
    CheckpointWitnessed,
)
from chengyu_contracts.timefmt import parse_rfc3339
from chengyu_kit.handling import EventHandlers
from chengyu_kit.inbox import EventContext
from chengyu_kit.logs import get_logger

from . import store

__all__ = ["checkpoint_handlers"]

log = get_logger(__name__)


def checkpoint_handlers(_: object) -> EventHandlers:
    """The handlers of the checkpoint topic's events."""
    handlers = EventHandlers()

    @handlers.on(CheckpointPublished, issued_by=lambda e: e.checkpointer_city, acts="other")
    async def on_checkpoint_published(event: CheckpointPublished, unit: EventContext) -> None:
        await store.insert_claim(
            unit.conn,
            store.PendingClaim(
                topic=event.topic,
                partition=event.partition,
                size=event.tree_size,
                root_hash=base64.b64decode(event.root_hash),
                origin=event.origin,
                note=event.note,
                checkpointer_city=event.checkpointer_city,
                published_at=parse_rfc3339(unit.event.envelope.time),
            ),
        )

    @handlers.on(CheckpointWitnessed, issued_by=lambda e: e.witness_city, acts="other")
    async def on_checkpoint_witnessed(event: CheckpointWitnessed, unit: EventContext) -> None:
        if event.checkpointer_city == unit.city:
            log_key = (event.topic, event.partition)
            await store.mark_witnessed(unit.conn, log_key, event.tree_size, event.note, unit.now)

    @handlers.on(CheckpointDisputed, issued_by=lambda e: e.witness_city, acts="other")
    async def on_checkpoint_disputed(event: CheckpointDisputed, unit: EventContext) -> None:
        if event.checkpointer_city != unit.city:
            return
        await store.insert_dispute(
            unit.conn,
            store.RaisedDispute(
                topic=event.topic,
                partition=event.partition,
                size=event.tree_size,
                checkpointer_city=event.checkpointer_city,
                witness_city=event.witness_city,
                reason=event.reason,
                detail=event.detail,
                raised_at=unit.now,
            ),
        )
        log.error(
            "the other city disputes this city's checkpoint",
            log=event.log,
            size=event.tree_size,
            reason=event.reason,
        )

    return handlers
