"""A log of signed events for the unit tests of a service's invariants.

An invariant (``chengyu_contracts.invariants``) sees what the audit sees: verified events
with their coordinates. ``EventLog`` writes events as a service of either city would sign
them, each at the next offset of its topic (one partition per topic: the order the audit
replays within a partition), and can write one again with the same id, as a service does
when it publishes a second time after a crash.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from chengyu_contracts.encode import encode_event
from chengyu_contracts.invariants import Coordinates, Invariant, LoggedEvent, Violation
from chengyu_contracts.keys import SigningKey
from chengyu_contracts.registry import REGISTRY, EventData

__all__ = ["EventLog", "violations_of"]

_DEFAULT_TIME = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class EventLog:
    """Events signed by ``/<city>/<agency>/<service>``, in the order they are written."""

    def __init__(self, agency: str, service: str) -> None:
        self._agency = agency
        self._service = service
        self._keys = {
            city: SigningKey.generate(f"{city}-{agency}-test", f"/{city}/{agency}")
            for city in ("cq", "cd")
        }
        self._next_offset: dict[str, int] = defaultdict(int)
        self.events: list[LoggedEvent] = []

    def write(self, data: EventData, *, city: str, time: datetime | None = None) -> LoggedEvent:
        """Sign ``data`` as ``city``'s service and append it to its topic."""
        envelope = encode_event(
            data,
            source=f"/{city}/{self._agency}/{self._service}",
            key=self._keys[city],
            registry=REGISTRY,
            time=time or _DEFAULT_TIME,
        )
        topic = REGISTRY.spec_for(envelope.type).topic
        return self._append(LoggedEvent(self._next(topic), envelope, data))

    def redeliver(self, event: LoggedEvent) -> LoggedEvent:
        """Append ``event`` again with the same id (a second publish after a crash)."""
        return self._append(LoggedEvent(self._next(event.at.topic), event.envelope, event.data))

    def _next(self, topic: str) -> Coordinates:
        offset = self._next_offset[topic]
        self._next_offset[topic] = offset + 1
        return Coordinates(topic, 0, offset)

    def _append(self, event: LoggedEvent) -> LoggedEvent:
        self.events.append(event)
        return event


def violations_of(
    invariant: Invariant, events: Sequence[LoggedEvent], now: datetime = _DEFAULT_TIME
) -> list[Violation]:
    """Replay ``events`` to a fresh ``invariant`` and return what it finds as of ``now``."""
    for event in events:
        invariant.observe(event)
    return invariant.violations(now)
