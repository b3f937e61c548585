"""Judging the other city's checkpoint inside a unit of work: the pure verdict
(:mod:`.witness`) against this city's own root, then the witness event or the dispute, with
the rows that remember them, in the same transaction."""

from __future__ import annotations

import base64

from chengyu_contracts.checkpoint import add_signature, parse_note
from chengyu_contracts.checkpointers import checkpointer_keys
from chengyu_contracts.events.audit import CheckpointDisputed, CheckpointWitnessed, log_name
from chengyu_contracts.keys import KeyRegistry, SigningKey
from chengyu_kit.logs import get_logger
from chengyu_kit.unit import Unit

from . import store
from .witness import Claim, Confirmed, judge

__all__ = ["b64", "witness_claim"]

log = get_logger(__name__)


def b64(digest: bytes) -> str:
    """A hash as the events and notes carry it (standard base64, padded)."""
    return base64.b64encode(digest).decode()


async def witness_claim(
    unit: Unit,
    claim: store.PendingClaim,
    own_root: bytes,
    *,
    keys: KeyRegistry,
    signing_key: SigningKey,
) -> bool:
    """Co-sign ``claim`` or dispute it; False if it was already confirmed (the checkpoint
    last confirmed, published again: same size, same root)."""
    last = await store.last_witnessed(
        unit.conn, claim.topic, claim.partition, claim.checkpointer_city
    )
    if last == (claim.size, claim.root_hash):
        return False
    verdict = judge(
        Claim(claim.topic, claim.partition, claim.size, claim.root_hash, claim.origin, claim.note),
        signer_keys=checkpointer_keys(keys, claim.checkpointer_city, claim.published_at),
        own_root=own_root,
        last_witnessed_size=None if last is None else last[0],
    )
    log_id = log_name(claim.topic, claim.partition)
    if isinstance(verdict, Confirmed):
        cosigned = add_signature(parse_note(claim.note), signing_key.key_id, signing_key)
        unit.emit(
            CheckpointWitnessed(
                log=log_id,
                topic=claim.topic,
                partition=claim.partition,
                origin=claim.origin,
                tree_size=claim.size,
                root_hash=b64(claim.root_hash),
                checkpointer_city=claim.checkpointer_city,
                witness_city=unit.city,
                note=cosigned.text(),
            )
        )
        await store.set_witnessed(unit.conn, claim)
        return True
    unit.emit(
        CheckpointDisputed(
            log=log_id,
            topic=claim.topic,
            partition=claim.partition,
            tree_size=claim.size,
            claimed_root_hash=b64(claim.root_hash),
            witnessed_root_hash=b64(own_root),
            checkpointer_city=claim.checkpointer_city,
            witness_city=unit.city,
            reason=verdict.reason,
            detail=verdict.detail,
        )
    )
    await store.insert_dispute(
        unit.conn,
        store.RaisedDispute(
            topic=claim.topic,
            partition=claim.partition,
            size=claim.size,
            checkpointer_city=claim.checkpointer_city,
            witness_city=unit.city,
            reason=verdict.reason,
            detail=verdict.detail,
            raised_at=unit.now,
        ),
    )
    log.error(
        "checkpoint disputed",
        log=log_id,
        size=claim.size,
        checkpointer_city=claim.checkpointer_city,
        reason=verdict.reason,
    )
    return True
