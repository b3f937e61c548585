"""Sign and verify events: Ed25519 over the RFC 8785 canonical JSON (see README)."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from chengyu_contracts.canonical import KEY_ID_MEMBER, SIGNATURE_MEMBER, signing_input
from chengyu_contracts.envelope import Envelope
from chengyu_contracts.errors import (
    BadSignature,
    KeyNotAuthorised,
    MissingSignature,
    SignatureError,
    UnknownKeyId,
)
from chengyu_contracts.keys import KeyRegistry, PublicKeyEntry, SigningKey, agency_may_sign
from chengyu_contracts.timefmt import parse_rfc3339

__all__ = [
    "BadSignature",
    "KeyNotAuthorised",
    "KeyRegistry",
    "MissingSignature",
    "PublicKeyEntry",
    "SignatureError",
    "SigningKey",
    "UnknownKeyId",
    "sign_envelope",
    "sign_event",
    "signing_input",
    "verify_event",
]

# 64 signature bytes are exactly 86 base64url characters without padding; the last one
# carries 2 spare bits, so only A, Q, g, w are canonical there (no malleable spellings).
_SIGNATURE_RE = re.compile(r"^[A-Za-z0-9_-]{85}[AQgw]$")


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def sign_event(event: dict[str, Any], key: SigningKey) -> dict[str, Any]:
    """Return a copy of ``event`` with ``chengyukeyid`` and then ``chengyusig`` set.

    ``event`` is the JSON object as it will be written (JSON-native values only).
    Raises ``ValueError`` if ``key`` may not sign for the event's ``source``: every
    consumer would reject such an event, so it is a bug to produce it.
    """
    source = event.get("source")
    if not isinstance(source, str) or not agency_may_sign(key.agency, source):
        raise ValueError(f"key {key.key_id!r} of {key.agency} may not sign for this source")
    signed = {name: value for name, value in event.items() if name != SIGNATURE_MEMBER}
    signed[KEY_ID_MEMBER] = key.key_id
    signed[SIGNATURE_MEMBER] = _b64url(key.sign(signing_input(signed)))
    return signed


def sign_envelope(envelope: Envelope, key: SigningKey) -> Envelope:
    """Return ``envelope`` signed by ``key`` (see :func:`sign_event`)."""
    return Envelope.model_validate(sign_event(envelope.to_wire_dict(), key))


def _authorise(entry: PublicKeyEntry, event: dict[str, Any]) -> None:
    source = event.get("source")
    if not isinstance(source, str) or not agency_may_sign(entry.agency, source):
        raise KeyNotAuthorised(
            f"key {entry.key_id!r} belongs to {entry.agency} and may not sign for this source"
        )
    if entry.has_window():
        time = event.get("time")
        try:
            instant = parse_rfc3339(time) if isinstance(time, str) else None
        except ValueError:
            instant = None
        if instant is None:
            raise KeyNotAuthorised("event has no valid time to check the key's validity window")
        if not entry.valid_at(instant):
            raise KeyNotAuthorised(f"key {entry.key_id!r} is not valid at the event's time")


def verify_event(event: dict[str, Any], keys: KeyRegistry) -> None:
    """Check that ``event`` (the JSON object as received) is signed by an authorised key.

    Returns nothing on success. Raises ``MissingSignature``, ``UnknownKeyId``,
    ``KeyNotAuthorised`` or ``BadSignature`` (all ``SignatureError``). Pure and
    thread-safe: it only reads ``event`` and the immutable ``keys``.
    """
    signature = event.get(SIGNATURE_MEMBER)
    key_id = event.get(KEY_ID_MEMBER)
    if not isinstance(signature, str) or not signature:
        raise MissingSignature("event has no chengyusig attribute")
    if not isinstance(key_id, str) or not key_id:
        raise MissingSignature("event has no chengyukeyid attribute")
    entry = keys.get(key_id)
    _authorise(entry, event)
    if not _SIGNATURE_RE.match(signature):
        raise BadSignature("chengyusig is not base64url (no padding) of 64 bytes")
    try:
        raw_signature = base64.urlsafe_b64decode(signature + "==")
        message = signing_input(event)
    except (binascii.Error, ValueError):
        raise BadSignature("event cannot be decoded or canonicalised for verification") from None
    if not keys.public_key(key_id).verify(raw_signature, message):
        raise BadSignature(f"signature does not verify with key {key_id!r}")
