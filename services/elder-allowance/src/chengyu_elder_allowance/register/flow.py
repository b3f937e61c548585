"""The register area's event handlers.

Each city publishes the versions of its own registrations; the other city keeps the
highest version of each person (``household``), re-checks the duplicate for itself and
lets the allowance follow. The duplicate flags (``ElderDuplicateRegistrationFlagged`` /
``Cleared``) are not declared: each city flags for itself from the same registration
versions, so the other city's flags need nothing here, and the kit's inbox records an
event type without a handler as ``ignored`` (never dead-lettered).
"""

from __future__ import annotations

from chengyu_contracts.events.elder import ElderRegistrationChanged
from chengyu_kit.handling import EventHandlers
from chengyu_kit.inbox import EventContext
from chengyu_kit.runtime import ServiceRuntime

from ..policy import PolicyBook
from . import usecases


def declare(handlers: EventHandlers, book: PolicyBook) -> None:
    """Declare the register handlers on ``handlers``."""

    # Only a city publishes versions of its own registration; the other city keeps them
    # (its own come back and change nothing).
    @handlers.on(ElderRegistrationChanged, issued_by=lambda e: e.city, acts="other")
    async def on_elder_registration_changed(
        event: ElderRegistrationChanged, unit: EventContext
    ) -> None:
        await usecases.receive_registration(event, unit, book)


def schedule(runtime: ServiceRuntime, book: PolicyBook) -> None:
    """The register has no background work: it changes on imports, clerks and events."""
