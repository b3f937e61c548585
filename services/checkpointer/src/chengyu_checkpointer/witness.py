"""Witnessing the other city's checkpoint: co-sign it or dispute it. Pure.

The other city's checkpointer claims: "the first ``size`` records of this log have root
``R``", in a note signed by its key. This city's checkpointer, from its own read of the
same log, confirms the claim only if

1. the note is signed by a key of the other city's checkpointer valid when it was
   published, and says what the event says (origin, size, root);
2. it extends the last checkpoint of the log this city confirmed for that city (a log
   never shrinks: a smaller size than one already witnessed is ``not-consistent``);
3. its own root of the first ``size`` records is ``R``.

Checks in that order; the first that fails names the dispute. Because both roots of 2 and 3
are recomputed from one read of the log, a claim that passes 3 is consistent with every
earlier claim that passed it too (RFC 9162's consistency proof between them exists).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from chengyu_contracts.checkpointers import checkpoint_origin, signed_checkpoint

__all__ = ["Claim", "Confirmed", "Disputed", "judge"]

DisputeReason = Literal["root-mismatch", "not-consistent", "bad-signature"]


@dataclass(frozen=True)
class Claim:
    """The other city's checkpoint of one log, as its event states it."""

    topic: str
    partition: int
    size: int
    root_hash: bytes
    origin: str
    note: str


@dataclass(frozen=True)
class Confirmed:
    """The claim holds: co-sign its note."""


@dataclass(frozen=True)
class Disputed:
    """The claim does not hold, and why (no personal data: coordinates and hashes)."""

    reason: DisputeReason
    detail: str


def judge(
    claim: Claim,
    *,
    signer_keys: Mapping[str, bytes],
    own_root: bytes,
    last_witnessed_size: int | None,
) -> Confirmed | Disputed:
    """Judge ``claim`` against this city's own root of its first ``claim.size`` records."""
    checkpoint = signed_checkpoint(claim.note, signer_keys)
    if checkpoint is None:
        return Disputed(
            "bad-signature", "the note is not signed by the checkpointer's key valid then"
        )
    expected_origin = checkpoint_origin(claim.topic, claim.partition)
    if (
        checkpoint.origin != claim.origin
        or claim.origin != expected_origin
        or checkpoint.size != claim.size
        or checkpoint.root_hash != claim.root_hash
    ):
        return Disputed("bad-signature", "the signed note does not say what the event says")
    if last_witnessed_size is not None and claim.size < last_witnessed_size:
        return Disputed(
            "not-consistent",
            f"size {claim.size} is smaller than {last_witnessed_size}, already witnessed",
        )
    if own_root != claim.root_hash:
        return Disputed("root-mismatch", f"this city's root of the first {claim.size} differs")
    return Confirmed()
