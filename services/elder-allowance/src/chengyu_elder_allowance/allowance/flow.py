"""The allowance area's event handlers, background work, and what the other areas call
(to be written)."""

from __future__ import annotations

from dataclasses import dataclass

from chengyu_kit.handling import EventHandlers
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.unit import Unit

from ..policy import PolicyBook


def declare(handlers: EventHandlers, book: PolicyBook) -> None:
    """Declare the allowance handlers on ``handlers``."""


def schedule(runtime: ServiceRuntime, book: PolicyBook) -> None:
    """Register the allowance background jobs with ``runtime.every``."""


async def registration_changed(unit: Unit, person_ref: str, book: PolicyBook) -> None:
    """Called by the register area in the same unit after any change of a person's
    registrations (this city's register: new, death, move out, withdrawal, assistance
    change; or the other city's registration version received): the allowance follows
    (terminated on death with recovery claims, on a move out or a withdrawal)."""


@dataclass(frozen=True)
class ApplicationGrant:
    """What :func:`grant_on_application` did: granted now, or already granted before."""

    already_granted: bool
    first_month: str


async def grant_on_application(
    unit: Unit, person_ref: str, application_id: str, book: PolicyBook
) -> ApplicationGrant:
    """Grant the allowance to a person of this city's register on an application (the
    paying city deciding); raises a ``DomainError`` naming why not (``not-registered``,
    ``not-of-allowance-age``, ``deceased``, ``not-paying-city``, ``duplicate-registration``)."""
    raise NotImplementedError("written by the allowance area")
