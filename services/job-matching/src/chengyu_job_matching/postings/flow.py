"""The postings area's event handlers and background work. Each city publishes its own
postings and fairs; the other city keeps them at the highest version it has read, so a
redelivered, replayed or older event changes nothing. The daily sweep closes this city's
postings past their closing date."""

from __future__ import annotations

from chengyu_contracts.events.hr import (
    JobFairCancelled,
    JobFairScheduled,
    JobPostingClosed,
    JobPostingPublished,
)
from chengyu_kit.handling import EventHandlers
from chengyu_kit.inbox import EventContext
from chengyu_kit.runtime import ServiceRuntime

from ..policy import PolicyBook
from . import usecases

#: How often the expiry sweep looks (it closes a posting on the day after its closing date;
#: hourly, so a restart or a missed round costs at most an hour).
EXPIRY_SWEEP_SECONDS = 3600.0


def declare(handlers: EventHandlers, book: PolicyBook) -> None:
    """Declare the postings area's handlers on ``handlers``."""

    # Only the posting's city publishes it; it keeps its own already.
    @handlers.on(JobPostingPublished, issued_by=lambda e: e.city, acts="other")
    async def on_job_posting_published(event: JobPostingPublished, unit: EventContext) -> None:
        await usecases.handle_published(unit, event)

    @handlers.on(JobPostingClosed, issued_by=lambda e: e.city, acts="other")
    async def on_job_posting_closed(event: JobPostingClosed, unit: EventContext) -> None:
        await usecases.handle_closed(unit, event)

    # Only the organising city schedules and cancels its fairs.
    @handlers.on(JobFairScheduled, issued_by=lambda e: e.city, acts="other")
    async def on_job_fair_scheduled(event: JobFairScheduled, unit: EventContext) -> None:
        await usecases.handle_fair_scheduled(unit, event)

    @handlers.on(JobFairCancelled, issued_by=lambda e: e.city, acts="other")
    async def on_job_fair_cancelled(event: JobFairCancelled, unit: EventContext) -> None:
        await usecases.handle_fair_cancelled(unit, event)


def schedule(runtime: ServiceRuntime, book: PolicyBook) -> None:
    """Register the expiry sweep."""

    async def sweep() -> int:
        return await usecases.expire_due(runtime)

    runtime.every(EXPIRY_SWEEP_SECONDS, "job-posting-expiry-sweep", sweep)
