"""``person_ref``: the pseudonym both cities derive for a person from their resident ID."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from chengyu_contracts.resident_id import ResidentId, parse_resident_id

__all__ = ["PERSON_REF_PREFIX", "PersonRefKey", "person_ref"]

PERSON_REF_PREFIX = "pr1_"
_MIN_KEY_BYTES = 32


class PersonRefKey:
    """The inter-city HMAC key (at least 32 bytes). Its repr never shows the key."""

    __slots__ = ("_secret",)

    def __init__(self, secret: bytes) -> None:
        if len(secret) < _MIN_KEY_BYTES:
            raise ValueError("person_ref key must be at least 32 bytes")
        self._secret = bytes(secret)

    @classmethod
    def from_hex(cls, text: str) -> PersonRefKey:
        """Key from hexadecimal text."""
        try:
            return cls(bytes.fromhex(text.strip()))
        except ValueError:
            raise ValueError("person_ref key is not valid hex of at least 32 bytes") from None

    @classmethod
    def from_base64(cls, text: str) -> PersonRefKey:
        """Key from standard base64 text."""
        try:
            return cls(base64.b64decode(text.strip(), validate=True))
        except (binascii.Error, ValueError):
            raise ValueError("person_ref key is not valid base64 of at least 32 bytes") from None

    def mac(self, message: bytes) -> bytes:
        """HMAC-SHA256 of ``message`` under this key."""
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def __repr__(self) -> str:
        return f"PersonRefKey(<{len(self._secret)} bytes redacted>)"

    __str__ = __repr__


def person_ref(resident_id: ResidentId | str, key: PersonRefKey) -> str:
    """``"pr1_"`` + hex HMAC-SHA256(key, normalised 18-character number as ASCII).

    A string is validated and normalised first (``InvalidResidentId`` if invalid), so
    ``" 11010519491231002x"`` and ``"11010519491231002X"`` give the same ref.
    """
    parsed = resident_id if isinstance(resident_id, ResidentId) else parse_resident_id(resident_id)
    return PERSON_REF_PREFIX + key.mac(parsed.number.encode("ascii")).hex()
