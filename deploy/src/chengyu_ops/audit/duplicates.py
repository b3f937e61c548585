"""Event ids seen twice on a topic: a relay's redelivery (counted) or a finding. Pure.

The outbox relay publishes at least once: after a crash between Kafka's acknowledgement and
marking the row published, it publishes the same row again, the same key and value bytes,
on the same partition, seconds or minutes later; every consumer's inbox absorbs it. Such a
copy is counted, not reported. Any other repetition of an event id is a finding: other
bytes under a used id (a forgery or a bug), another partition (a key changed), or the same
bytes much later than a relay would resend them (a replayed old record).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from chengyu_ops.audit.findings import Finding
from chengyu_ops.audit.partition_check import SeenId

#: How long after the first copy a byte-identical copy still counts as a redelivery: the
#: relay resends at most one restart later (``--redelivery-window`` changes it).
DEFAULT_REDELIVERY_WINDOW_MS = 15 * 60 * 1000


@dataclass(frozen=True)
class DuplicateCount:
    """Redeliveries absorbed and findings, for one topic."""

    redeliveries: int
    findings: list[Finding]


def judge_duplicates(
    topic: str, seen: Iterable[SeenId], window_ms: int = DEFAULT_REDELIVERY_WINDOW_MS
) -> DuplicateCount:
    """Judge every repeated event id of ``topic`` (``seen``: every verified record's id)."""
    first: dict[str, SeenId] = {}
    redeliveries = 0
    findings: list[Finding] = []
    for copy in sorted(seen, key=lambda s: (s.partition, s.offset)):
        original = first.setdefault(copy.event_id, copy)
        if original is copy:
            continue
        if (
            copy.partition == original.partition
            and copy.value_digest == original.value_digest
            and 0 <= copy.timestamp_ms - original.timestamp_ms <= window_ms
        ):
            redeliveries += 1
            continue
        if copy.partition != original.partition:
            why = f"also on partition {original.partition} at offset {original.offset}"
        elif copy.value_digest != original.value_digest:
            why = f"with other bytes than at offset {original.offset}"
        else:
            late = (copy.timestamp_ms - original.timestamp_ms) / 1000
            why = (
                f"the same record as at offset {original.offset}, published again {late:.0f} s"
                " later: a replay, not a redelivery"
            )
        findings.append(
            Finding(
                "duplicate-event-id",
                f"event {copy.event_id} appears again {why}",
                topic,
                copy.partition,
                copy.offset,
            )
        )
    return DuplicateCount(redeliveries, findings)
