"""The register area's event handlers and background work (to be written)."""

from __future__ import annotations

from chengyu_kit.handling import EventHandlers
from chengyu_kit.runtime import ServiceRuntime

from ..policy import PolicyBook


def declare(handlers: EventHandlers, book: PolicyBook) -> None:
    """Declare the register handlers on ``handlers``."""


def schedule(runtime: ServiceRuntime, book: PolicyBook) -> None:
    """Register the register background jobs with ``runtime.every``."""
