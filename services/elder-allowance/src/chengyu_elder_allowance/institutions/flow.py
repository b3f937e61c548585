"""The institutions area's event handlers: each city keeps the other city's institutions
(the highest version of each) for its map."""

from __future__ import annotations

from chengyu_contracts.events.elder import ElderCareInstitutionPublished
from chengyu_kit.handling import EventHandlers
from chengyu_kit.inbox import EventContext
from chengyu_kit.runtime import ServiceRuntime

from ..policy import PolicyBook
from .usecases import keep_published


def declare(handlers: EventHandlers, book: PolicyBook) -> None:
    """Declare the institutions handlers on ``handlers``."""

    # Only the city of an institution publishes it; the other city keeps the highest
    # version (its own comes back and is already saved). An event whose institution breaks
    # a rule (an id of the other city, coordinates outside the city) is dead-lettered.
    @handlers.on(ElderCareInstitutionPublished, issued_by=lambda e: e.city, acts="other")
    async def on_elder_care_institution_published(
        event: ElderCareInstitutionPublished, unit: EventContext
    ) -> None:
        await keep_published(event, unit)


def schedule(runtime: ServiceRuntime, book: PolicyBook) -> None:
    """The institutions area has no background work."""
