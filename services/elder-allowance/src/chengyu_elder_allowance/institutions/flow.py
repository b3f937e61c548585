"""The institutions area's event handlers and background work (to be written)."""

from __future__ import annotations

from chengyu_kit.handling import EventHandlers
from chengyu_kit.runtime import ServiceRuntime

from ..policy import PolicyBook


def declare(handlers: EventHandlers, book: PolicyBook) -> None:
    """Declare the institutions handlers on ``handlers``."""


def schedule(runtime: ServiceRuntime, book: PolicyBook) -> None:
    """Register the institutions background jobs with ``runtime.every``."""
