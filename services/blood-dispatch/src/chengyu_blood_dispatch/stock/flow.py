"""The stock area's event handlers and background work."""

from __future__ import annotations

from chengyu_contracts.events.blood import BloodUnitConflictFlagged, BloodUnitMoved
from chengyu_kit.handling import EventHandlers
from chengyu_kit.inbox import EventContext
from chengyu_kit.runtime import ServiceRuntime

from ..policy import PolicyBook
from . import usecases

#: How often units in stock past their expiry are expired (and their lines recomputed).
EXPIRY_SWEEP_SECONDS = 60.0


def declare(handlers: EventHandlers, book: PolicyBook) -> None:
    """Declare the stock handlers on ``handlers``."""

    # A city publishes the movements it records; the other city keeps them (its own come
    # back and change nothing).
    @handlers.on(BloodUnitMoved, issued_by=lambda e: e.city, acts="other")
    async def on_blood_unit_moved(event: BloodUnitMoved, unit: EventContext) -> None:
        await usecases.receive_moved(event, unit)

    # Each city flags a DIN in both stocks for itself; the other's flag is kept so that
    # both cities show both flags.
    @handlers.on(BloodUnitConflictFlagged, issued_by=lambda e: e.city, acts="other")
    async def on_blood_unit_conflict_flagged(
        event: BloodUnitConflictFlagged, unit: EventContext
    ) -> None:
        await usecases.receive_conflict(event, unit)


def schedule(runtime: ServiceRuntime, book: PolicyBook) -> None:
    """Register the expiry sweep."""

    async def sweep() -> int:
        return await usecases.expire_due(runtime, book)

    runtime.every(EXPIRY_SWEEP_SECONDS, "blood-unit-expiry-sweep", sweep)
