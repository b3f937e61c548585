"""The personnel-files area's event handlers and background work (under construction)."""

from __future__ import annotations

from chengyu_kit.handling import EventHandlers
from chengyu_kit.runtime import ServiceRuntime

from ..policy import PolicyBook


def declare(handlers: EventHandlers, book: PolicyBook) -> None:
    """Declare the area's handlers on ``handlers``."""


def schedule(runtime: ServiceRuntime, book: PolicyBook) -> None:
    """The area's background work."""
