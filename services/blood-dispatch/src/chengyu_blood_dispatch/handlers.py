"""The blood-dispatch consumers: both cities read every ``blood`` topic (their own events
come back too, and change nothing). Each area declares its own handlers."""

from __future__ import annotations

from chengyu_kit.handling import EventHandlers

from .policy import PolicyBook
from .rare_registry import flow as rare_registry

AREAS = (rare_registry,)


def blood_handlers(book: PolicyBook) -> EventHandlers:
    """The handler of every blood event type, deciding by ``book``."""
    handlers = EventHandlers()
    for area in AREAS:
        area.declare(handlers, book)
    return handlers
