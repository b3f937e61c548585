"""Checkpoints in signed notes (C2SP tlog-checkpoint and signed-note): the body's format,
signatures by a city's checkpointer and the other city's witness, and every way a note can
be malformed or forged."""

from __future__ import annotations

import base64
import hashlib

import pytest

from chengyu_contracts.checkpoint import (
    Checkpoint,
    NoteError,
    add_signature,
    key_hash,
    parse_note,
    sign_note,
    verified_signers,
)
from chengyu_contracts.keys import SigningKey

ROOT = hashlib.sha256(b"some tree").digest()
CQ = SigningKey.generate("cq-audit-1", "/cq/audit")
CD = SigningKey.generate("cd-audit-1", "/cd/audit")
KEYS = {"cq-audit": CQ.public_key_bytes(), "cd-audit": CD.public_key_bytes()}


def checkpoint(**changes: object) -> Checkpoint:
    values: dict[str, object] = {
        "origin": "chengyu.cn/cq/fund.transfer/0",
        "size": 1234,
        "root_hash": ROOT,
        **changes,
    }
    return Checkpoint(**values)  # type: ignore[arg-type]


def test_a_checkpoint_body_is_origin_size_and_base64_root_each_on_a_line() -> None:
    body = checkpoint(extensions=("last-offset 1233",)).body()
    assert body == (
        f"chengyu.cn/cq/fund.transfer/0\n1234\n{base64.b64encode(ROOT).decode()}\n"
        "last-offset 1233\n"
    )
    assert Checkpoint.parse(body) == checkpoint(extensions=("last-offset 1233",))


@pytest.mark.parametrize(
    "body",
    [
        "origin\n12\n",
        "origin\n-1\nAAAA\n",
        "origin\n012\n" + base64.b64encode(ROOT).decode() + "\n",
        "origin\n12\nnot base64!\n",
        "origin\n12\n" + base64.b64encode(b"short").decode() + "\n",
        "origin\n12\n" + base64.b64encode(ROOT).decode(),
    ],
)
def test_a_malformed_checkpoint_is_refused(body: str) -> None:
    with pytest.raises(NoteError):
        Checkpoint.parse(body)


def test_a_note_signed_by_its_city_and_cosigned_by_the_witness_verifies_for_both() -> None:
    note = add_signature(sign_note(checkpoint().body(), "cq-audit", CQ), "cd-audit", CD)
    stored = note.text()
    assert stored.startswith(checkpoint().body() + "\n\u2014 cq-audit ")
    assert verified_signers(parse_note(stored), KEYS) == {"cq-audit", "cd-audit"}


def test_the_key_hash_names_the_key_and_its_signer() -> None:
    public = CQ.public_key_bytes()
    expected = hashlib.sha256(b"cq-audit\n\x01" + public).digest()[:4]
    assert key_hash("cq-audit", public) == expected != key_hash("cd-audit", public)


def test_a_changed_body_verifies_for_nobody() -> None:
    note = sign_note(checkpoint().body(), "cq-audit", CQ)
    forged = note.text().replace("\n1234\n", "\n1235\n", 1)
    assert verified_signers(parse_note(forged), KEYS) == frozenset()


def test_a_signature_by_a_key_not_the_signers_is_not_trusted() -> None:
    intruder = SigningKey.generate("x-1", "/cq/audit")
    note = sign_note(checkpoint().body(), "cq-audit", intruder)
    assert verified_signers(parse_note(note.text()), KEYS) == frozenset()


def test_an_unknown_signer_is_ignored() -> None:
    stranger = SigningKey.generate("x-2", "/cd/audit")
    note = add_signature(sign_note(checkpoint().body(), "cq-audit", CQ), "stranger", stranger)
    assert verified_signers(parse_note(note.text()), KEYS) == {"cq-audit"}


@pytest.mark.parametrize(
    "text",
    [
        "origin\n12\nAAAA\n",  # no signature block
        "origin\n12\nAAAA\n\n\u2014 cq-audit\n",  # no signature
        "origin\n12\nAAAA\n\n- cq-audit AAAA\n",  # not an em dash
        "origin\n12\nAAAA\n\n\u2014 cq-audit AAAA\n",  # too short for a key hash + signature
    ],
)
def test_a_malformed_note_is_refused(text: str) -> None:
    with pytest.raises(NoteError):
        parse_note(text)
