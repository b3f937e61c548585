"""The assessments area's event handlers: the other city keeps each assessment as
recognised, without a new assessment."""

from __future__ import annotations

from chengyu_contracts.events.elder import ElderCapabilityAssessed
from chengyu_kit.handling import EventHandlers
from chengyu_kit.inbox import EventContext
from chengyu_kit.runtime import ServiceRuntime

from ..policy import PolicyBook
from . import usecases


def declare(handlers: EventHandlers, book: PolicyBook) -> None:
    """Declare the assessments handlers on ``handlers``."""

    # Only the assessing city publishes its assessments; it saved its own already.
    @handlers.on(ElderCapabilityAssessed, issued_by=lambda e: e.city, acts="other")
    async def on_elder_capability_assessed(
        event: ElderCapabilityAssessed, unit: EventContext
    ) -> None:
        await usecases.handle_assessed(unit, event)


def schedule(runtime: ServiceRuntime, book: PolicyBook) -> None:
    """The assessments area has no background work."""
