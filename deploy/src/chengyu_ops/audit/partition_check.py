"""Checking one partition's records in offset order: each record decodes and verifies, the
offsets run on without a gap, and the Merkle tree of the records is grown so its root can
be compared with the checkpoints. Pure: the records come from whoever read them.

A worker process runs one :class:`PartitionCheck` per partition it reads and sends the
:class:`PartitionResult` back; nothing in it depends on other partitions, which is why the
work splits across processes. What needs every partition (duplicate event ids, the
checkpoints, the invariants) is judged afterwards from the results.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from chengyu_contracts.decode import EventRejected, decode_event
from chengyu_contracts.invariants import Coordinates, LoggedEvent
from chengyu_contracts.keys import KeyRegistry
from chengyu_contracts.log_record import LogRecord
from chengyu_contracts.merkle import Frontier
from chengyu_contracts.registry import Registry
from chengyu_ops.audit.findings import Finding

_MS_PER_DAY = 86_400_000


@dataclass(frozen=True)
class RawRecord:
    """A record as the broker served it: coordinates and bytes (what a leaf is made of)."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes | None]] = ()

    def leaf(self) -> bytes:
        """The record's leaf hash in its partition's tree."""
        return LogRecord(
            self.topic,
            self.partition,
            self.offset,
            self.timestamp_ms,
            self.key,
            self.value,
            tuple(self.headers),
        ).leaf()


@dataclass(frozen=True)
class SeenId:
    """An event id where it was seen, with what tells a redelivery from a replay."""

    event_id: str
    partition: int
    offset: int
    value_digest: bytes
    timestamp_ms: int


@dataclass(frozen=True)
class TreeAt:
    """The partition's tree after its first ``size`` records: its root and the offset of
    the last of those records."""

    size: int
    root: bytes
    last_offset: int


@dataclass
class PartitionResult:
    """What one partition's check found and counted."""

    topic: str
    partition: int
    #: The first offset read and the partition's end (next offset) when the read began.
    start: int
    end: int
    records: int = 0
    rejected: int = 0
    #: Verified records written as an older version of their type, read through upcasters.
    upcast: int = 0
    findings: list[Finding] = field(default_factory=list)
    #: Verified events per (type, issuing city).
    by_type_city: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: Records per UTC day of their Kafka timestamp (``YYYY-MM-DD``) and issuing city.
    by_day_city: Counter[tuple[str, str]] = field(default_factory=Counter)
    ids: list[SeenId] = field(default_factory=list)
    #: The tree at each size a checkpoint claims (only when read from offset 0).
    trees: list[TreeAt] = field(default_factory=list)
    #: The tree of every record read (only when read from offset 0).
    final: TreeAt | None = None
    #: The verified events, when the invariants are to be checked.
    events: list[LoggedEvent] = field(default_factory=list)


def _day(timestamp_ms: int) -> str:
    return datetime.fromtimestamp(timestamp_ms // _MS_PER_DAY * 86_400, UTC).date().isoformat()


def _city_of(source: str) -> str:
    return source.strip("/").split("/", 1)[0]


class PartitionCheck:
    """Checks the records of one partition, fed in offset order."""

    def __init__(
        self,
        topic: str,
        partition: int,
        *,
        start: int,
        end: int,
        registry: Registry,
        keys: KeyRegistry,
        tree_sizes: frozenset[int] = frozenset(),
        keep_events: bool = False,
    ) -> None:
        """``start`` is the first offset to read (0 for a whole-log audit, when the tree is
        grown), ``end`` the partition's end offset when the read began."""
        self._result = PartitionResult(topic, partition, start, end)
        self._registry = registry
        self._keys = keys
        self._next = start
        self._grow_tree = start == 0
        self._tree = Frontier()
        self._tree_sizes = tree_sizes
        self._keep_events = keep_events
        self._last_offset = -1

    @property
    def start(self) -> int:
        """The first offset to read."""
        return self._result.start

    @property
    def done(self) -> bool:
        """True once every offset before ``end`` has been accounted for."""
        return self._next >= self._result.end

    def add(self, record: RawRecord) -> None:
        """Check one record (the next one the partition holds)."""
        result = self._result
        if record.offset > self._next:
            result.findings.append(
                Finding(
                    "offset-gap",
                    f"offsets {self._next} to {record.offset - 1} are missing",
                    record.topic,
                    record.partition,
                    self._next,
                    record.offset - 1,
                )
            )
        self._next = record.offset + 1
        self._last_offset = record.offset
        result.records += 1
        if self._grow_tree:
            self._tree.append(record.leaf())
            if self._tree.size in self._tree_sizes:
                result.trees.append(TreeAt(self._tree.size, self._tree.root(), record.offset))
        self._verify(record)

    def _verify(self, record: RawRecord) -> None:
        result = self._result
        try:
            event = decode_event(record.value, record.key, self._registry, self._keys)
        except EventRejected as rejection:
            result.rejected += 1
            result.findings.append(
                Finding(
                    "rejected-record",
                    f"{rejection.reason}: {rejection.detail}",
                    record.topic,
                    record.partition,
                    record.offset,
                )
            )
            result.by_day_city[(_day(record.timestamp_ms), "?")] += 1
            return
        envelope = event.envelope
        city = _city_of(envelope.source)
        # Counted as written: an old version read through its upcasters is still a v1 on the log.
        result.by_type_city[(event.written_type, city)] += 1
        if event.upcast:
            result.upcast += 1
        result.by_day_city[(_day(record.timestamp_ms), city)] += 1
        digest = hashlib.sha256((record.key or b"") + b"\x00" + (record.value or b"")).digest()
        result.ids.append(
            SeenId(envelope.id, record.partition, record.offset, digest[:16], record.timestamp_ms)
        )
        if self._keep_events:
            at = Coordinates(record.topic, record.partition, record.offset)
            result.events.append(LoggedEvent(at=at, envelope=envelope, data=event.data))

    def finish(self) -> PartitionResult:
        """The result, once the read reached ``end`` (or gave up: then the rest is a gap)."""
        result = self._result
        if self._next < result.end:
            result.findings.append(
                Finding(
                    "offset-gap",
                    f"offsets {self._next} to {result.end - 1} are missing before the end",
                    result.topic,
                    result.partition,
                    self._next,
                    result.end - 1,
                )
            )
        if self._grow_tree:
            result.final = TreeAt(self._tree.size, self._tree.root(), self._last_offset)
        return result
