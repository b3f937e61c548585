"""The elder-allowance consumers: both cities read every ``elder`` topic (their own events
come back too, and change nothing). Each area declares its own handlers."""

from __future__ import annotations

from chengyu_kit.handling import EventHandlers

from .allowance import flow as allowance
from .applications import flow as applications
from .assessments import flow as assessments
from .institutions import flow as institutions
from .policy import PolicyBook
from .register import flow as register

AREAS = (register, allowance, applications, assessments, institutions)


def elder_handlers(book: PolicyBook) -> EventHandlers:
    """The handler of every elder event type, deciding by ``book``."""
    handlers = EventHandlers()
    for area in AREAS:
        area.declare(handlers, book)
    return handlers
