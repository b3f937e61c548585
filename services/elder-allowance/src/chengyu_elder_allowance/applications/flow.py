"""The applications area's event handlers and background work.

Every city keeps every application (so a person's case is visible in both); the paying
city decides and flags overdue, and the other city copies its answers.
"""

from __future__ import annotations

from chengyu_contracts.events.elder import (
    ElderAllowanceApplicationDecided,
    ElderAllowanceApplicationOverdue,
    ElderAllowanceApplied,
)
from chengyu_kit.handling import EventHandlers
from chengyu_kit.inbox import EventContext
from chengyu_kit.runtime import ServiceRuntime

from ..policy import PolicyBook
from . import usecases

#: How often the paying city looks for applications past their deadline.
OVERDUE_SWEEP_SECONDS = 300.0


def declare(handlers: EventHandlers, book: PolicyBook) -> None:
    """Declare the applications handlers on ``handlers``."""

    # The accepting city issues it; both keep it, and when the accepting city is the paying
    # city the same body decides there on its own event.
    @handlers.on(ElderAllowanceApplied, issued_by=lambda e: e.accepted_in, acts="both")
    async def on_elder_allowance_applied(event: ElderAllowanceApplied, unit: EventContext) -> None:
        await usecases.handle_applied(unit, event, book)

    # The paying city saved its answer when it decided; the other city copies it.
    @handlers.on(ElderAllowanceApplicationDecided, issued_by=lambda e: e.paying_city, acts="other")
    async def on_elder_allowance_application_decided(
        event: ElderAllowanceApplicationDecided, unit: EventContext
    ) -> None:
        await usecases.handle_decided(unit, event)

    @handlers.on(ElderAllowanceApplicationOverdue, issued_by=lambda e: e.paying_city, acts="other")
    async def on_elder_allowance_application_overdue(
        event: ElderAllowanceApplicationOverdue, unit: EventContext
    ) -> None:
        await usecases.handle_overdue(unit, event)


def schedule(runtime: ServiceRuntime, book: PolicyBook) -> None:
    """Register the overdue sweep of the applications this city pays."""

    async def sweep() -> int:
        return await usecases.sweep_overdue(runtime)

    runtime.every(OVERDUE_SWEEP_SECONDS, "application-overdue-sweep", sweep)
