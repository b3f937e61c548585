"""Audit events: checkpoints of the event log, witnessed by the other city.

Each city runs a checkpointer that reads every domain topic from offset 0 and keeps, per
partition (a *log*, named ``<topic>/<partition>``), an RFC 9162 Merkle tree over the
records with their coordinates (``chengyu_contracts.log_record``). On ``audit.checkpoints``,
keyed by the log name so every checkpoint of one log is read in one order::

    checkpointer_city:  checkpoint-published   (size, root hash, the note it signed)
    witness_city:       checkpoint-witnessed   (the same note with its co-signature,
                                                after recomputing the same root)
                      | checkpoint-disputed    (its own read of the log disagrees: an alert)

The note is a C2SP ``tlog-checkpoint`` in a signed note (``chengyu_contracts.checkpoint``);
its signer names are the key ids of the checkpointers' keys in the key registry, whose
agency is ``/<city>/audit``. Hashes are base64 (standard alphabet, padded), as in notes.

No personal data: only log coordinates and hashes.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from chengyu_contracts.cities import City
from chengyu_contracts.registry import REGISTRY, EventData, event

__all__ = [
    "CHECKPOINT_TOPIC",
    "CheckpointDisputed",
    "CheckpointPublished",
    "CheckpointWitnessed",
    "log_name",
]

CHECKPOINT_TOPIC = "audit.checkpoints"

LogName = Annotated[
    str, Field(pattern=r"^[a-z0-9.-]+/[0-9]+$", max_length=256, description="<topic>/<partition>")
]
Topic = Annotated[str, Field(pattern=r"^[a-z0-9.-]+$", max_length=249)]
Partition = Annotated[int, Field(ge=0)]
Size = Annotated[int, Field(ge=0)]
Offset = Annotated[int, Field(ge=-1, description="-1 when the tree is empty")]
RootHash = Annotated[
    str, Field(pattern=r"^[A-Za-z0-9+/]{43}=$", description="SHA-256 root, base64 padded")
]
Origin = Annotated[str, Field(min_length=1, max_length=256)]
Note = Annotated[str, Field(min_length=1, max_length=8192)]
ReasonText = Annotated[str, Field(max_length=500)]


def log_name(topic: str, partition: int) -> str:
    """The name of one partition's log: ``<topic>/<partition>``."""
    return f"{topic}/{partition}"


@event(
    REGISTRY,
    type="cn.chengyu.audit.checkpoint-published.v1",
    topic=CHECKPOINT_TOPIC,
    key="log",
)
class CheckpointPublished(EventData):
    """``checkpointer_city``'s checkpointer read ``tree_size`` records of ``log`` (offsets up
    to ``last_offset``) and signed the checkpoint of their Merkle tree in ``note``."""

    log: LogName
    topic: Topic
    partition: Partition
    origin: Origin
    tree_size: Size
    root_hash: RootHash
    last_offset: Offset
    checkpointer_city: City
    note: Note


@event(
    REGISTRY,
    type="cn.chengyu.audit.checkpoint-witnessed.v1",
    topic=CHECKPOINT_TOPIC,
    key="log",
)
class CheckpointWitnessed(EventData):
    """``witness_city``'s checkpointer recomputed the same root from its own read of the
    first ``tree_size`` records of ``log`` and co-signed ``checkpointer_city``'s checkpoint:
    ``note`` carries both signatures."""

    log: LogName
    topic: Topic
    partition: Partition
    origin: Origin
    tree_size: Size
    root_hash: RootHash
    checkpointer_city: City
    witness_city: City
    note: Note


@event(
    REGISTRY,
    type="cn.chengyu.audit.checkpoint-disputed.v1",
    topic=CHECKPOINT_TOPIC,
    key="log",
)
class CheckpointDisputed(EventData):
    """An alert: ``witness_city`` could not confirm ``checkpointer_city``'s checkpoint.

    ``reason``: ``root-mismatch`` (its own root of the first ``tree_size`` records differs:
    ``witnessed_root_hash``), ``not-consistent`` (the checkpoint does not extend the last
    one it witnessed), ``bad-signature`` (the note is not signed by the checkpointer's key).
    """

    log: LogName
    topic: Topic
    partition: Partition
    tree_size: Size
    claimed_root_hash: RootHash
    witnessed_root_hash: RootHash | None
    checkpointer_city: City
    witness_city: City
    reason: Literal["root-mismatch", "not-consistent", "bad-signature"]
    detail: ReasonText
