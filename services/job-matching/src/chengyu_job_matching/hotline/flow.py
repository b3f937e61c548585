"""The hotline's event handlers (each city plays its part; each event applied once) and the
forwarding city's overdue sweep."""

from __future__ import annotations

from chengyu_contracts.events.hr import (
    HotlineCallbackRecorded,
    HotlineExtensionDecided,
    HotlineExtensionRequested,
    HotlineRequestForwarded,
    HotlineRequestOverdue,
    HotlineRequestResolved,
    HotlineRequestReturned,
    HotlineRequestSigned,
)
from chengyu_kit.handling import EventHandlers
from chengyu_kit.inbox import EventContext
from chengyu_kit.runtime import ServiceRuntime

from ..policy import PolicyBook
from . import usecases

#: How often the forwarding city looks for steps past their deadline (by default; the
#: setting ``HOTLINE_SWEEP_SECONDS`` overrides it).
OVERDUE_SWEEP_SECONDS = 60.0


def declare(handlers: EventHandlers, book: PolicyBook) -> None:
    """Declare the hotline's handlers on ``handlers``."""

    @handlers.on(HotlineRequestForwarded, issued_by=lambda e: e.from_city, acts="other")
    async def on_hotline_request_forwarded(
        event: HotlineRequestForwarded, unit: EventContext
    ) -> None:
        await usecases.receive_forwarded(event, unit)

    @handlers.on(HotlineRequestSigned, issued_by=lambda e: e.to_city, acts="other")
    async def on_hotline_request_signed(event: HotlineRequestSigned, unit: EventContext) -> None:
        await usecases.receive_signed(event, unit)

    @handlers.on(HotlineRequestReturned, issued_by=lambda e: e.to_city, acts="other")
    async def on_hotline_request_returned(
        event: HotlineRequestReturned, unit: EventContext
    ) -> None:
        await usecases.receive_returned(event, unit)

    @handlers.on(HotlineExtensionRequested, issued_by=lambda e: e.to_city, acts="other")
    async def on_hotline_extension_requested(
        event: HotlineExtensionRequested, unit: EventContext
    ) -> None:
        await usecases.receive_extension_requested(event, unit)

    @handlers.on(HotlineExtensionDecided, issued_by=lambda e: e.from_city, acts="other")
    async def on_hotline_extension_decided(
        event: HotlineExtensionDecided, unit: EventContext
    ) -> None:
        await usecases.receive_extension_decided(event, unit)

    @handlers.on(HotlineRequestResolved, issued_by=lambda e: e.to_city, acts="other")
    async def on_hotline_request_resolved(
        event: HotlineRequestResolved, unit: EventContext
    ) -> None:
        await usecases.receive_resolved(event, unit)

    @handlers.on(HotlineCallbackRecorded, issued_by=lambda e: e.from_city, acts="other")
    async def on_hotline_callback_recorded(
        event: HotlineCallbackRecorded, unit: EventContext
    ) -> None:
        await usecases.receive_callback(event, unit, book)

    @handlers.on(HotlineRequestOverdue, issued_by=lambda e: e.from_city, acts="other")
    async def on_hotline_request_overdue(event: HotlineRequestOverdue, unit: EventContext) -> None:
        await usecases.receive_overdue(event, unit)


def schedule(runtime: ServiceRuntime, book: PolicyBook) -> None:
    """Register the overdue sweep (on the runtime's clock)."""

    async def sweep() -> int:
        return await usecases.remind(runtime, book)

    interval = getattr(runtime.settings, "hotline_sweep_seconds", OVERDUE_SWEEP_SECONDS)
    runtime.every(interval, "hotline-overdue-sweep", sweep)
