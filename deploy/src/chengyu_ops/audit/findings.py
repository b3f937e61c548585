"""What ``chengyu audit verify`` reports: one finding per problem, at the first offset that
shows it, in words an auditor can act on (no personal data: coordinates, ids, hashes)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

#: Every kind of finding, and what it means.
FindingKind = Literal[
    # a record that does not decode and verify (signature, key authorised for the source and
    # valid at the event's own time, schema of its version, Kafka key = partitionkey)
    "rejected-record",
    # an event id seen twice on a topic, not as the same bytes republished shortly after
    # (a relay's redelivery, absorbed by the consumers' inboxes and only counted)
    "duplicate-event-id",
    # offsets missing inside a partition (Chengyu's producers write no transactions, so no
    # control record explains a gap), or records before the log start deleted
    "offset-gap",
    "truncated-start",
    # a checkpoint whose root is not the root of the log's first tree_size records, or that
    # claims more records than the partition holds
    "checkpoint-root-mismatch",
    "log-shorter-than-checkpoint",
    # a checkpoint note not signed by its city's checkpointer, or a witness record whose
    # note lacks either city's valid signature, or two checkpoints of one size that disagree
    "checkpoint-signature",
    "checkpoint-conflict",
    # the checkpointers' own alert: a witness could not confirm a checkpoint
    "checkpoint-disputed",
    # a service's cross-city invariant that the log breaks
    "invariant",
]


@dataclass(frozen=True)
class Finding:
    """One problem in the log, at the first offset that shows it."""

    kind: FindingKind
    message: str
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    #: For a range of suspects (a checkpoint mismatch): the last offset that could be bad.
    last_offset: int | None = None
    #: The rule's name, for invariants.
    rule: str | None = None

    def where(self) -> str:
        """``topic/partition@offset`` (or as much of it as is known)."""
        if self.topic is None:
            return "-"
        place = self.topic if self.partition is None else f"{self.topic}/{self.partition}"
        if self.offset is None:
            return place
        if self.last_offset is not None and self.last_offset != self.offset:
            return f"{place}@{self.offset}..{self.last_offset}"
        return f"{place}@{self.offset}"

    def to_json(self) -> dict[str, Any]:
        """The finding as a JSON object (``where`` included for people reading the file)."""
        return {**asdict(self), "where": self.where()}
