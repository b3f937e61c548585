"""The committed cross-language vector still describes what the code does."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from chengyu_contracts.canonical import signing_input
from chengyu_contracts.keys import KeyRegistry, SigningKey
from chengyu_contracts.signing import sign_event, verify_event

VECTOR_FILE = Path(__file__).parent / "vectors" / "signing-v1.json"


@pytest.fixture(scope="module")
def vector() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(VECTOR_FILE.read_text(encoding="utf-8"))
    return loaded


def vector_key(vector: dict[str, Any]) -> SigningKey:
    return SigningKey.from_seed(
        vector["key_id"], vector["agency"], bytes.fromhex(vector["seed_hex"])
    )


def test_vector_public_key_derives_from_seed(vector: dict[str, Any]) -> None:
    public = base64.b64encode(vector_key(vector).public_key_bytes()).decode()
    assert public == vector["public_key_base64"]


def test_vector_canonical_bytes_match_the_code(vector: dict[str, Any]) -> None:
    assert signing_input(vector["event_signed"]).decode("utf-8") == vector["signing_input_utf8"]


def test_vector_signature_matches_the_code(vector: dict[str, Any]) -> None:
    signed = sign_event(vector["event_unsigned"], vector_key(vector))
    assert signed["chengyusig"] == vector["signature_base64url"]


def test_vector_signature_verifies_over_the_stated_bytes(vector: dict[str, Any]) -> None:
    # The check an outsider does with only the vector file and an Ed25519 library.
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(vector["public_key_base64"]))
    signature = base64.urlsafe_b64decode(vector["signature_base64url"] + "==")
    public.verify(signature, vector["signing_input_utf8"].encode("utf-8"))


def test_vector_signed_event_verifies(vector: dict[str, Any]) -> None:
    verify_event(vector["event_signed"], KeyRegistry([vector_key(vector).public_entry()]))
