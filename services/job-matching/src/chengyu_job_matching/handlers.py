"""The job-matching consumers: both cities read every ``hr`` topic (their own events come
back too, and change nothing). Each area declares its own handlers and background work;
add an area to :data:`AREAS`."""

from __future__ import annotations

from chengyu_kit.handling import EventHandlers
from chengyu_kit.runtime import ServiceRuntime

from .hotline import flow as hotline
from .matching import flow as matching
from .personnel_files import flow as personnel_files
from .policy import PolicyBook
from .postings import flow as postings
from .seekers import flow as seekers

AREAS = (postings, seekers, matching, hotline, personnel_files)


def hr_handlers(book: PolicyBook) -> EventHandlers:
    """The handler of every hr event type, deciding by ``book``."""
    handlers = EventHandlers()
    for area in AREAS:
        area.declare(handlers, book)
    return handlers


def schedule(runtime: ServiceRuntime, book: PolicyBook) -> None:
    """Every area's background work (deadline sweeps, expiring postings)."""
    for area in AREAS:
        area.schedule(runtime, book)
