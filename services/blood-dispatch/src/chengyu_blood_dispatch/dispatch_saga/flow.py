"""The dispatch saga's event handlers (each city plays its part; each event applied once)
and the escalation sweep."""

from __future__ import annotations

from chengyu_contracts.events.blood import (
    BloodDispatchCancelled,
    BloodDispatchClosed,
    BloodDispatchEscalated,
    BloodDispatchOfferAccepted,
    BloodDispatchOfferDeclined,
    BloodDispatchOffered,
    BloodDispatchRequested,
    BloodShipmentDispatched,
    BloodShipmentReceived,
    BloodStockLow,
)
from chengyu_kit.handling import EventHandlers
from chengyu_kit.inbox import EventContext
from chengyu_kit.runtime import ServiceRuntime

from ..policy import PolicyBook
from . import usecases

#: How often overdue steps are escalated.
ESCALATION_SWEEP_SECONDS = 30.0


def declare(handlers: EventHandlers, book: PolicyBook) -> None:
    """Declare the dispatch saga's handlers on ``handlers``."""

    # A stock-low is a request: the low city keeps it; the other city keeps the level (for
    # the levels area) and answers it. The only handler of BloodStockLow.
    @handlers.on(BloodStockLow, issued_by=lambda e: e.city, acts="both")
    async def on_blood_stock_low(event: BloodStockLow, unit: EventContext) -> None:
        await usecases.receive_stock_low(event, unit, book)

    @handlers.on(BloodDispatchRequested, issued_by=lambda e: e.requesting_city, acts="other")
    async def on_blood_dispatch_requested(
        event: BloodDispatchRequested, unit: EventContext
    ) -> None:
        await usecases.receive_requested(event, unit, book)

    @handlers.on(BloodDispatchOffered, issued_by=lambda e: e.offering_city, acts="other")
    async def on_blood_dispatch_offered(event: BloodDispatchOffered, unit: EventContext) -> None:
        await usecases.receive_offered(event, unit, book)

    @handlers.on(BloodDispatchOfferAccepted, issued_by=lambda e: e.requesting_city, acts="other")
    async def on_blood_dispatch_offer_accepted(
        event: BloodDispatchOfferAccepted, unit: EventContext
    ) -> None:
        await usecases.receive_accepted(event, unit, book)

    @handlers.on(BloodDispatchOfferDeclined, issued_by=lambda e: e.requesting_city, acts="other")
    async def on_blood_dispatch_offer_declined(
        event: BloodDispatchOfferDeclined, unit: EventContext
    ) -> None:
        await usecases.receive_declined(event, unit, book)

    @handlers.on(BloodShipmentDispatched, issued_by=lambda e: e.from_city, acts="other")
    async def on_blood_shipment_dispatched(
        event: BloodShipmentDispatched, unit: EventContext
    ) -> None:
        await usecases.receive_dispatched(event, unit, book)

    @handlers.on(BloodShipmentReceived, issued_by=lambda e: e.to_city, acts="other")
    async def on_blood_shipment_received(event: BloodShipmentReceived, unit: EventContext) -> None:
        await usecases.receive_received(event, unit, book)

    @handlers.on(BloodDispatchCancelled, issued_by=lambda e: e.cancelled_by, acts="other")
    async def on_blood_dispatch_cancelled(
        event: BloodDispatchCancelled, unit: EventContext
    ) -> None:
        await usecases.receive_cancelled(event, unit, book)

    @handlers.on(BloodDispatchEscalated, issued_by=lambda e: e.city, acts="other")
    async def on_blood_dispatch_escalated(
        event: BloodDispatchEscalated, unit: EventContext
    ) -> None:
        await usecases.receive_escalated(event, unit)

    @handlers.on(BloodDispatchClosed, issued_by=lambda e: e.requesting_city, acts="other")
    async def on_blood_dispatch_closed(event: BloodDispatchClosed, unit: EventContext) -> None:
        await usecases.receive_closed(event, unit, book)


def schedule(runtime: ServiceRuntime, book: PolicyBook) -> None:
    """Register the escalation sweep."""
    del book

    async def sweep() -> int:
        return await usecases.escalate_due(runtime)

    runtime.every(ESCALATION_SWEEP_SECONDS, "blood-dispatch-escalation-sweep", sweep)
