"""The rare-blood registry's event handlers. The donor's city publishes its donors'
versions and consent withdrawals, and the other city keeps them for its searches; a
recall request goes to the donor's city, whose answer goes back to the requesting city.
Every step is idempotent: donors by version, recalls by id."""

from __future__ import annotations

from chengyu_contracts.events.blood import (
    RareDonorConsentWithdrawn,
    RareDonorRecallAnswered,
    RareDonorRecallRequested,
    RareDonorRegistered,
)
from chengyu_kit.handling import EventHandlers
from chengyu_kit.inbox import EventContext
from chengyu_kit.runtime import ServiceRuntime

from ..policy import PolicyBook
from . import usecases


def declare(handlers: EventHandlers, book: PolicyBook) -> None:
    """Declare the rare-blood registry's handlers on ``handlers``."""

    # Only the donor's city publishes its donors; it keeps its own already.
    @handlers.on(RareDonorRegistered, issued_by=lambda e: e.city, acts="other")
    async def on_rare_donor_registered(event: RareDonorRegistered, unit: EventContext) -> None:
        await usecases.handle_registered(unit, event)

    @handlers.on(RareDonorConsentWithdrawn, issued_by=lambda e: e.city, acts="other")
    async def on_rare_donor_consent_withdrawn(
        event: RareDonorConsentWithdrawn, unit: EventContext
    ) -> None:
        await usecases.handle_withdrawn(unit, event)

    # The requesting city asks; the donor's city (the other one) shows it to its clerks.
    # A recall of this city's own donor never leaves it: nothing to do elsewhere.
    @handlers.on(RareDonorRecallRequested, issued_by=lambda e: e.requesting_city, acts="other")
    async def on_rare_donor_recall_requested(
        event: RareDonorRecallRequested, unit: EventContext
    ) -> None:
        if event.donor_city != event.requesting_city:
            await usecases.handle_recall_requested(unit, event)

    # The donor's city answers; the requesting city (the other one) shows the answer.
    @handlers.on(RareDonorRecallAnswered, issued_by=lambda e: e.donor_city, acts="other")
    async def on_rare_donor_recall_answered(
        event: RareDonorRecallAnswered, unit: EventContext
    ) -> None:
        if event.donor_city != event.requesting_city:
            await usecases.handle_recall_answered(unit, event)


def schedule(runtime: ServiceRuntime, book: PolicyBook) -> None:
    """The rare-blood registry has no background work."""
