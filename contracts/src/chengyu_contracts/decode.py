"""The one entry point consumers use: Kafka record -> verified, typed event."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from chengyu_contracts.encode import encode_event
from chengyu_contracts.envelope import Envelope
from chengyu_contracts.errors import (
    BadSignature,
    EventRejected,
    InvalidEnvelope,
    InvalidJson,
    KeyMismatch,
    KeyNotAuthorised,
    MissingSignature,
    SchemaInvalid,
    UnknownEventType,
    UnknownKeyId,
)
from chengyu_contracts.keys import KeyRegistry
from chengyu_contracts.problems import describe_validation_error
from chengyu_contracts.registry import EventData, EventSpec, Registry
from chengyu_contracts.signing import verify_event

__all__ = [
    "BadSignature",
    "EventRejected",
    "InvalidEnvelope",
    "InvalidJson",
    "KeyMismatch",
    "KeyNotAuthorised",
    "MissingSignature",
    "SchemaInvalid",
    "UnknownEventType",
    "UnknownKeyId",
    "VerifiedEvent",
    "decode_event",
    "encode_event",
]


@dataclass(frozen=True)
class VerifiedEvent:
    """An event whose envelope, signature, payload and keys have all been checked."""

    envelope: Envelope
    data: EventData
    spec: EventSpec


def _reject_duplicate_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two parsers may keep different copies of a repeated member; the signer and the
    # verifier must see the same object, so repeated members are not JSON we accept.
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("duplicate member")
    return obj


def _reject_constant(name: str) -> Any:
    raise ValueError("NaN and Infinity are not JSON")


def _parse_object(value: bytes | None) -> dict[str, Any]:
    if value is None:
        raise InvalidJson("record has no value (tombstone)")
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidJson("record value is not UTF-8") from None
    try:
        parsed = json.loads(
            text, object_pairs_hook=_reject_duplicate_members, parse_constant=_reject_constant
        )
    except (ValueError, RecursionError) as exc:
        # json's message quotes a position, not content; still keep it short.
        reason = "repeats a member" if str(exc) == "duplicate member" else "is not valid JSON"
        raise InvalidJson(f"record value {reason}") from None
    if not isinstance(parsed, dict):
        raise InvalidJson("record value is JSON but not an object")
    return parsed


def _parse_envelope(raw: dict[str, Any]) -> Envelope:
    try:
        return Envelope.model_validate(raw)
    except ValidationError as exc:
        raise InvalidEnvelope(describe_validation_error(exc, what="CloudEvents envelope")) from None


def _parse_data(spec: EventSpec, data: dict[str, Any]) -> EventData:
    try:
        # Strict JSON-mode validation: what a consumer in any language would accept
        # from the JSON Schema, with no lax coercions such as "12" -> 12.
        return spec.model.model_validate_json(json.dumps(data), strict=True)
    except ValidationError as exc:
        raise SchemaInvalid(describe_validation_error(exc, what=f"data of {spec.type}")) from None


def _check_keys(
    record_key: bytes | None, envelope: Envelope, spec: EventSpec, data: EventData
) -> None:
    if record_key is None:
        raise KeyMismatch("record has no Kafka key; it must equal partitionkey")
    try:
        key_text = record_key.decode("utf-8")
    except UnicodeDecodeError:
        raise KeyMismatch("record key is not UTF-8; it must equal partitionkey") from None
    if key_text != envelope.partitionkey:
        raise KeyMismatch("Kafka record key differs from partitionkey")
    if envelope.subject != envelope.partitionkey:
        raise KeyMismatch("subject differs from partitionkey")
    if str(getattr(data, spec.key_field)) != envelope.partitionkey:
        raise KeyMismatch(f"partitionkey differs from data field {spec.key_field!r}")


def decode_event(
    value: bytes | None, key: bytes | None, registry: Registry, keys: KeyRegistry
) -> VerifiedEvent:
    """Parse, authenticate and validate one Kafka record.

    Checks in order: JSON object -> CloudEvents envelope -> known type -> signature
    (over the raw object) -> payload model -> key consistency. Raises an
    ``EventRejected`` subclass naming the first failure. Thread-safe: no shared
    mutable state, so it may run in a worker pool.
    """
    raw = _parse_object(value)
    envelope = _parse_envelope(raw)
    spec = registry.spec_for(envelope.type)
    verify_event(raw, keys)
    data = _parse_data(spec, envelope.data)
    _check_keys(key, envelope, spec, data)
    return VerifiedEvent(envelope=envelope, data=data, spec=spec)
