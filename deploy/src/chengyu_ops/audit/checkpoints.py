"""The checkpoints on ``audit.checkpoints``, judged: each note signed by its city's
checkpointer with a key valid at the time, each witness record co-signed by both cities,
no two checkpoints of one log and size that disagree; then each checkpoint's root compared
with the root recomputed from the log. Pure.

Why comparing roots is enough for consistency: a checkpoint of size m and a later one of
size n are consistent (RFC 9162 2.1.4) exactly when the first m records under the second
are the records under the first. The audit recomputes both roots from one read of the log,
so when both match, the consistency proof between them exists and verifies; when one does
not match, the finding names the records between the last matching size and the first
failing one, which is more than a failed proof would say. Consistency proofs are what a
party without the log checks (the evidence bundle's verifier).
"""

from __future__ import annotations

import base64
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from chengyu_contracts.checkpoint import Checkpoint
from chengyu_contracts.checkpointers import checkpointer_keys, signed_checkpoint
from chengyu_contracts.events.audit import (
    CheckpointDisputed,
    CheckpointPublished,
    CheckpointWitnessed,
)
from chengyu_contracts.invariants import Coordinates, LoggedEvent
from chengyu_contracts.keys import KeyRegistry
from chengyu_contracts.timefmt import parse_rfc3339
from chengyu_ops.audit.findings import Finding
from chengyu_ops.audit.partition_check import TreeAt


@dataclass(frozen=True)
class Claim:
    """One checkpoint's claim about a log: its first ``size`` records have ``root``."""

    size: int
    root: bytes
    at: Coordinates
    witnessed: bool


@dataclass
class CheckpointBook:
    """What the checkpoint topic says, per log (``(topic, partition)``)."""

    claims: dict[tuple[str, int], list[Claim]] = field(default_factory=lambda: defaultdict(list))
    findings: list[Finding] = field(default_factory=list)
    published: int = 0
    witnessed: int = 0
    disputed: int = 0

    def sizes(self, topic: str, partition: int) -> frozenset[int]:
        """Every size some valid checkpoint claims for the log."""
        return frozenset(claim.size for claim in self.claims.get((topic, partition), ()))

    def unwitnessed(self) -> int:
        """Published checkpoints no witness record confirms (yet)."""
        confirmed = {
            (log, claim.size, claim.root)
            for log, claims in self.claims.items()
            for claim in claims
            if claim.witnessed
        }
        return sum(
            1
            for log, claims in self.claims.items()
            for claim in claims
            if not claim.witnessed and (log, claim.size, claim.root) not in confirmed
        )


def _root(text: str) -> bytes:
    return base64.b64decode(text)


def read_checkpoints(events: Iterable[LoggedEvent], keys: KeyRegistry) -> CheckpointBook:
    """Sort the checkpoint topic's verified events into claims per log, with a finding for
    every note whose signatures or fields do not hold."""
    book = CheckpointBook()
    for event in events:
        data, at = event.data, event.at
        time = event.envelope.time
        if isinstance(data, CheckpointDisputed):
            book.disputed += 1
            book.findings.append(
                Finding(
                    "checkpoint-disputed",
                    f"{data.witness_city} disputes {data.checkpointer_city}'s checkpoint of"
                    f" {data.log} at size {data.tree_size}: {data.reason}",
                    at.topic,
                    at.partition,
                    at.offset,
                )
            )
            continue
        if not isinstance(data, CheckpointPublished | CheckpointWitnessed):
            continue
        signers = [data.checkpointer_city]
        if isinstance(data, CheckpointWitnessed):
            signers.append(data.witness_city)
        checkpoint: Checkpoint | None = None
        for city in signers:
            checkpoint = signed_checkpoint(
                data.note, checkpointer_keys(keys, city, parse_rfc3339(time))
            )
            if checkpoint is None:
                book.findings.append(
                    Finding(
                        "checkpoint-signature",
                        f"the checkpoint note of {data.log} at size {data.tree_size} is not"
                        f" signed by {city}'s checkpointer with a key valid at {time}",
                        at.topic,
                        at.partition,
                        at.offset,
                    )
                )
                break
        if checkpoint is None:
            continue
        if (
            checkpoint.size != data.tree_size
            or checkpoint.root_hash != _root(data.root_hash)
            or checkpoint.origin != data.origin
        ):
            book.findings.append(
                Finding(
                    "checkpoint-signature",
                    f"the signed note of {data.log} does not say what the event says"
                    " (origin, size or root)",
                    at.topic,
                    at.partition,
                    at.offset,
                )
            )
            continue
        witnessed = isinstance(data, CheckpointWitnessed)
        if witnessed:
            book.witnessed += 1
        else:
            book.published += 1
        log = (data.topic, data.partition)
        claim = Claim(data.tree_size, checkpoint.root_hash, at, witnessed)
        for earlier in book.claims[log]:
            if earlier.size == claim.size and earlier.root != claim.root:
                book.findings.append(
                    Finding(
                        "checkpoint-conflict",
                        f"two checkpoints of {data.log} at size {claim.size} have different"
                        f" roots (the other at {earlier.at})",
                        at.topic,
                        at.partition,
                        at.offset,
                    )
                )
        book.claims[log].append(claim)
    return book


def compare_with_log(
    topic: str,
    partition: int,
    claims: Iterable[Claim],
    trees: Iterable[TreeAt],
    final: TreeAt,
) -> list[Finding]:
    """Each claim's root against the root recomputed at its size; the first failing size
    names the records between the last size that matched and itself."""
    by_size = {tree.size: tree for tree in trees}
    findings: list[Finding] = []
    good = TreeAt(0, b"", -1)
    for claim in sorted(claims, key=lambda c: c.size):
        if claim.size > final.size:
            findings.append(
                Finding(
                    "log-shorter-than-checkpoint",
                    f"the partition holds {final.size} records but the checkpoint at"
                    f" {claim.at} covers {claim.size}: records from offset"
                    f" {final.last_offset + 1} on are gone",
                    topic,
                    partition,
                    final.last_offset + 1,
                )
            )
            break
        tree = by_size.get(claim.size)
        if tree is None:
            continue
        if tree.root == claim.root:
            good = tree
            continue
        findings.append(
            Finding(
                "checkpoint-root-mismatch",
                f"the first {claim.size} records do not have the root the checkpoint at"
                f" {claim.at} signed: a record from offset {good.last_offset + 1} to"
                f" {tree.last_offset} was changed, removed, inserted or moved",
                topic,
                partition,
                good.last_offset + 1,
                tree.last_offset,
            )
        )
        break
    return findings
