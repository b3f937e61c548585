"""The seekers area's event handlers. The seeker's city publishes the pseudonymous profile
of each consenting seeker (every version) and the withdrawal of consent; the other city
keeps the highest version for matching and deletes it at once on withdrawal, keeping a
tombstone of the withdrawn version so that an older profile delivered again is not kept
again. Redelivery and replay change nothing."""

from __future__ import annotations

from chengyu_contracts.events.hr import JobSeekerConsentWithdrawn, JobSeekerProfileShared
from chengyu_kit.handling import EventHandlers
from chengyu_kit.inbox import EventContext
from chengyu_kit.runtime import ServiceRuntime

from ..policy import PolicyBook
from . import usecases


def declare(handlers: EventHandlers, book: PolicyBook) -> None:
    """Declare the seekers area's handlers on ``handlers``."""

    # Only the seeker's city publishes its seekers; it keeps its own already.
    @handlers.on(JobSeekerProfileShared, issued_by=lambda e: e.city, acts="other")
    async def on_job_seeker_profile_shared(
        event: JobSeekerProfileShared, unit: EventContext
    ) -> None:
        await usecases.handle_shared(unit, event)

    @handlers.on(JobSeekerConsentWithdrawn, issued_by=lambda e: e.city, acts="other")
    async def on_job_seeker_consent_withdrawn(
        event: JobSeekerConsentWithdrawn, unit: EventContext
    ) -> None:
        await usecases.handle_withdrawn(unit, event)


def schedule(runtime: ServiceRuntime, book: PolicyBook) -> None:
    """The seekers area has no background work."""
