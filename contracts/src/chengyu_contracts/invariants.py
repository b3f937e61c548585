"""Cross-city invariants recomputed from the event log alone: the one interface by which a
service tells the audit (``chengyu audit verify``) what must hold across both cities.

A service contributes its invariants in a module ``<package>/invariants.py`` that defines::

    def invariants() -> list[Invariant]: ...

The audit loads that module for every service of the workspace, replays every verified
event of the log to each invariant's ``observe`` (in log order within a partition; across
partitions in no particular order, as any Kafka reader sees them), then asks each for its
``violations`` as of the audit's time. An invariant keeps only what it needs (sums per
person, the state of each case), never a copy of the log. Pure: no I/O, no clock.

A violation names the invariant, says what is wrong in a sentence without personal data
(a ``person_ref`` is no personal data; a name or ID number is), and gives the coordinates of
the event that shows it where one does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chengyu_contracts.envelope import Envelope
from chengyu_contracts.registry import EventData

__all__ = ["Coordinates", "FirstSight", "Invariant", "LoggedEvent", "Violation"]


@dataclass(frozen=True, order=True)
class Coordinates:
    """Where a record sits in the log."""

    topic: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.topic}/{self.partition}@{self.offset}"


@dataclass(frozen=True)
class LoggedEvent:
    """A verified event as the audit read it: where it sits, its envelope, its typed data."""

    at: Coordinates
    envelope: Envelope
    data: EventData


@dataclass(frozen=True)
class Violation:
    """One way the log breaks an invariant."""

    invariant: str
    message: str
    at: Coordinates | None = None
    subject: str | None = None


class Invariant(Protocol):
    """A rule over the whole log that must hold across both cities."""

    #: ``<service>.<rule>``, e.g. ``fund-transfer.money-conserved``.
    name: str
    #: One sentence: what must hold.
    description: str

    def observe(self, event: LoggedEvent) -> None:
        """Take one verified event into account (ignore the types it does not need)."""
        ...

    def violations(self, now: datetime) -> list[Violation]:
        """Every violation seen, judged as of ``now`` (for deadlines still running)."""
        ...


class FirstSight:
    """Tells the first record of an event from its redeliveries.

    A service that publishes again after a crash writes the same event (same id) a second
    time; the audit counts those as redeliveries, and an invariant must not count their
    money or steps twice. Keyed by topic and event id, as the audit's own check is.
    """

    def __init__(self) -> None:
        self._seen: set[tuple[str, str]] = set()

    def first(self, event: LoggedEvent) -> bool:
        """True the first time this event (topic, id) is seen, False for a redelivery."""
        mark = (event.at.topic, event.envelope.id)
        if mark in self._seen:
            return False
        self._seen.add(mark)
        return True
