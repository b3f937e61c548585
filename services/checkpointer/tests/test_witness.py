"""Witnessing the other city's checkpoint: confirmed only when signed by its checkpointer,
saying what the event says, extending the last one confirmed, and with this city's root."""

from __future__ import annotations

import hashlib

from chengyu_checkpointer.witness import Claim, Confirmed, Disputed, judge
from chengyu_contracts.checkpoint import Checkpoint, sign_note
from chengyu_contracts.checkpointers import checkpoint_origin
from chengyu_contracts.keys import SigningKey

CQ = SigningKey.generate("cq-audit-1", "/cq/audit")
STRANGER = SigningKey.generate("cq-hpf-1", "/cq/hpf")
ROOT = hashlib.sha256(b"the first 40 records").digest()
OTHER_ROOT = hashlib.sha256(b"something else").digest()
ORIGIN = checkpoint_origin("fund.transfer", 2)


def claim(size: int = 40, root: bytes = ROOT, signer: SigningKey = CQ, **event: object) -> Claim:
    note = sign_note(Checkpoint(ORIGIN, size, root).body(), signer.key_id, signer).text()
    fields: dict[str, object] = {
        "topic": "fund.transfer",
        "partition": 2,
        "size": size,
        "root_hash": root,
        "origin": ORIGIN,
        "note": note,
    }
    fields.update(event)
    return Claim(**fields)  # type: ignore[arg-type]


def verdict(c: Claim, own_root: bytes = ROOT, last: int | None = 20) -> Confirmed | Disputed:
    keys = {CQ.key_id: CQ.public_key_bytes()}
    return judge(c, signer_keys=keys, own_root=own_root, last_witnessed_size=last)


def test_a_claim_with_this_citys_root_is_confirmed() -> None:
    assert verdict(claim()) == Confirmed()


def test_the_first_claim_of_a_log_is_confirmed() -> None:
    assert verdict(claim(), last=None) == Confirmed()


def test_another_root_is_a_root_mismatch() -> None:
    found = verdict(claim(), own_root=OTHER_ROOT)
    assert isinstance(found, Disputed) and found.reason == "root-mismatch"


def test_a_note_signed_by_another_key_is_a_bad_signature() -> None:
    found = verdict(claim(signer=STRANGER))
    assert isinstance(found, Disputed) and found.reason == "bad-signature"


def test_an_event_that_says_another_root_than_its_note_is_a_bad_signature() -> None:
    found = verdict(claim(root_hash=OTHER_ROOT), own_root=OTHER_ROOT)
    assert isinstance(found, Disputed) and found.reason == "bad-signature"


def test_a_note_of_another_log_is_a_bad_signature() -> None:
    found = verdict(claim(partition=3))
    assert isinstance(found, Disputed) and found.reason == "bad-signature"


def test_a_log_that_shrank_is_not_consistent() -> None:
    found = verdict(claim(size=10), last=20)
    assert isinstance(found, Disputed) and found.reason == "not-consistent"
