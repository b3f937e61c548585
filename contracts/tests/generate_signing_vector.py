"""Write vectors/signing-v1.json, the cross-language test vector of the signing scheme.

Run once (``uv run python contracts/tests/generate_signing_vector.py``); the file is
committed and ``test_signing_vector.py`` checks the code still reproduces it. Ed25519
is deterministic, so rerunning gives the same file.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from chengyu_contracts.canonical import signing_input
from chengyu_contracts.keys import SigningKey
from chengyu_contracts.signing import sign_event

VECTOR_FILE = Path(__file__).parent / "vectors" / "signing-v1.json"
SEED_HEX = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"  # RFC 8032 test 1
KEY_ID = "cq-hpf-test-1"
AGENCY = "/cq/hpf"

# Members deliberately out of order, non-ASCII text and an escaped control character,
# so a verifier must really implement RFC 8785 to reproduce the bytes.
EVENT: dict[str, Any] = {
    "type": "cn.chengyu.fund.transfer-requested.v1",
    "specversion": "1.0",
    "source": "/cq/hpf/fund-transfer",
    "id": "0b9f5d0e-3c1a-4f7e-9a53-6d2c8e1f4a27",
    "time": "2025-03-01T08:30:00.123456Z",
    "subject": "tr-0001",
    "partitionkey": "tr-0001",
    "datacontenttype": "application/json",
    "dataschema": "urn:chengyu:schema:cn.chengyu.fund.transfer-requested.v1",
    "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "data": {
        "transfer_id": "tr-0001",
        "person_ref": "pr1_" + "0" * 64,
        "amount_fen": 1234500,
        "to_city": "cd",
        "note": "成渝\t双城",
        "months": [3, 1, 2],
        "flags": {"urgent": False, "reviewed": None},
    },
}


def build_vector() -> dict[str, Any]:
    """The vector document (pure)."""
    key = SigningKey.from_seed(KEY_ID, AGENCY, bytes.fromhex(SEED_HEX))
    signed = sign_event(EVENT, key)
    return {
        "description": (
            "Chengyu event signature v1. signing_input = 'chengyu-event-sig-v1\\n' + "
            "RFC 8785 JCS of the event without chengyusig (chengyukeyid included); "
            "signature = Ed25519(seed, signing_input); chengyusig = base64url without padding."
        ),
        "seed_hex": SEED_HEX,
        "public_key_base64": base64.b64encode(key.public_key_bytes()).decode("ascii"),
        "key_id": KEY_ID,
        "agency": AGENCY,
        "event_unsigned": EVENT,
        "signing_input_utf8": signing_input(signed).decode("utf-8"),
        "signature_base64url": signed["chengyusig"],
        "event_signed": signed,
    }


def main() -> None:
    VECTOR_FILE.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(build_vector(), indent=2, ensure_ascii=False) + "\n"
    VECTOR_FILE.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
