"""The levels area's event handlers and background work."""

from __future__ import annotations

from chengyu_contracts.events.blood import (
    BloodStockLevelChanged,
    BloodStockRecovered,
)
from chengyu_kit.handling import EventHandlers
from chengyu_kit.inbox import EventContext
from chengyu_kit.runtime import ServiceRuntime

from ..policy import PolicyBook
from . import usecases

#: How often every line is recomputed (expiries, issues leaving the window, de-escalation
#: after the hold: all happen with no movement).
RECOMPUTE_SECONDS = 60.0


def declare(handlers: EventHandlers, book: PolicyBook) -> None:
    """Declare the levels handlers on ``handlers``: the other city's level events are kept
    for GET /stock and the dashboard (the dispatch area answers stock-lows and keeps them
    here with :func:`usecases.receive_stock_low`)."""

    @handlers.on(BloodStockLevelChanged, issued_by=lambda e: e.city, acts="other")
    async def on_blood_stock_level_changed(
        event: BloodStockLevelChanged, unit: EventContext
    ) -> None:
        await usecases.receive_level_changed(event, unit)

    # BloodStockLow is handled by the dispatch area (a stock-low is a request), which keeps
    # the other city's level through usecases.receive_stock_low.

    @handlers.on(BloodStockRecovered, issued_by=lambda e: e.city, acts="other")
    async def on_blood_stock_recovered(event: BloodStockRecovered, unit: EventContext) -> None:
        await usecases.receive_stock_recovered(event, unit)


def schedule(runtime: ServiceRuntime, book: PolicyBook) -> None:
    """Register the periodic recomputation of every line."""

    async def recompute() -> int:
        return await usecases.recompute_all(runtime, book)

    runtime.every(RECOMPUTE_SECONDS, "blood-level-recompute", recompute)
