"""Time as a dependency, so tests can move it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current UTC time."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(UTC)


class ShiftedClock:
    """The real clock moved by a fixed offset: time runs at real speed from another instant.

    For rehearsals and end-to-end tests that must see deadlines pass across days and
    holidays (a process restarted with a later start lives on a later day). Never in
    production: the settings' ``CLOCK_START`` that makes one is unset there."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ShiftedClock needs a timezone-aware start time")
        self._offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        """Return the real UTC time moved by the offset fixed at construction."""
        return datetime.now(UTC) + self._offset


class FixedClock:
    """A clock that only moves when told to; for tests and replays."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware start time")
        self._now = start

    def now(self) -> datetime:
        """Return the clock's current time."""
        return self._now

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by ``delta``."""
        self._now += delta
