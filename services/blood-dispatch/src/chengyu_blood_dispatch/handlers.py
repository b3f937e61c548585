"""The blood-dispatch consumers: both cities read every ``blood`` topic (their own events
come back too, and change nothing). Each area declares its own handlers and background
work; add an area to :data:`AREAS`."""

from __future__ import annotations

from chengyu_kit.handling import EventHandlers
from chengyu_kit.runtime import ServiceRuntime

from .dispatch_saga import flow as dispatch_saga
from .policy import PolicyBook
from .rare_registry import flow as rare_registry
from .stock import flow as stock
from .stock_levels import flow as stock_levels

AREAS = (stock, stock_levels, rare_registry, dispatch_saga)


def blood_handlers(book: PolicyBook) -> EventHandlers:
    """The handler of every blood event type, deciding by ``book``."""
    handlers = EventHandlers()
    for area in AREAS:
        area.declare(handlers, book)
    return handlers


def schedule(runtime: ServiceRuntime, book: PolicyBook) -> None:
    """Every area's background work."""
    for area in AREAS:
        area.schedule(runtime, book)
