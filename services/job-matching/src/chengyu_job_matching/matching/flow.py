"""Matching has no handlers of its own: it reads the tables the postings and seekers areas
keep from both cities' events."""

from __future__ import annotations

from chengyu_kit.handling import EventHandlers
from chengyu_kit.runtime import ServiceRuntime

from ..policy import PolicyBook


def declare(handlers: EventHandlers, book: PolicyBook) -> None:
    """Nothing to declare: postings and seekers keep the tables matching reads."""


def schedule(runtime: ServiceRuntime, book: PolicyBook) -> None:
    """Matching has no background work."""
