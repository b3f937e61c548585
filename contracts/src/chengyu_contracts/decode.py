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
    UpcastFailed,
)
from chengyu_contracts.keys import KeyRegistry
from chengyu_contracts.problems import describe_validation_error
from chengyu_contracts.registry import EventData, EventSpec, Registry
from chengyu_contracts.signing import verify_event
from chengyu_contracts.upcasting import apply_upcaster

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
    "UpcastFailed",
    "VerifiedEvent",
    "decode_event",
    "encode_event",
]


@dataclass(frozen=True)
class VerifiedEvent:
    """An event whose envelope, signature, payload and keys have all been checked, read as
    the latest version of its type.

    - ``envelope``: the event as its type's latest version: ``type`` and ``dataschema`` name
      the latest version and ``data`` is the upcast payload; every other attribute (id,
      source, subject, time, actor, trace, key id, signature) is as written. Handlers are
      looked up by ``envelope.type``, so a service only ever handles the latest version.
      When the record was upcast this envelope is a *reading*, not a record: its signature
      belongs to ``written``; never publish it.
    - ``data`` / ``spec``: the latest version's payload model and spec.
    - ``written``: the envelope exactly as signed and stored on the log (the same object as
      ``envelope`` when no upcast happened); ``written_type`` is its type, what an auditor
      reports, and ``verify_event(written.to_wire_dict(), keys)`` re-verifies it.
    """

    envelope: Envelope
    data: EventData
    spec: EventSpec
    written: Envelope

    @property
    def written_type(self) -> str:
        """The type the record was written (and signed) as, e.g. ``….v1`` read as ``….v2``."""
        return self.written.type

    @property
    def upcast(self) -> bool:
        """Whether the record was written as an older version and read through upcasters."""
        return self.written.type != self.envelope.type


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


def _upcast(
    registry: Registry, written: Envelope, spec: EventSpec, data: EventData
) -> VerifiedEvent:
    """Read a verified event of an older version as the latest one, upcaster by upcaster."""
    latest = registry.latest(spec.type)
    if latest is spec:
        return VerifiedEvent(envelope=written, data=data, spec=spec, written=written)
    # The data as the written version's model reads it (its defaults filled in).
    payload: Any = data.model_dump(mode="json")
    current = spec
    for following in registry.versions(spec.type)[spec.version :]:
        upcaster = registry.upcaster_from(current.type)
        assert upcaster is not None  # Registry.register guarantees the chain
        try:
            payload = apply_upcaster(upcaster, payload)
        except Exception as error:
            raise UpcastFailed(
                f"the upcaster from {current.type} to {following.type} raised "
                f"{type(error).__name__}"
            ) from None
        if not isinstance(payload, dict):
            raise UpcastFailed(
                f"the upcaster from {current.type} to {following.type} did not return an object"
            )
        try:
            data = _parse_data(following, payload)
        except SchemaInvalid as invalid:
            raise UpcastFailed(
                f"the upcaster from {current.type} to {following.type} gave invalid data: "
                + invalid.detail
            ) from None
        current = following
    if str(getattr(data, latest.key_field)) != written.partitionkey:
        raise UpcastFailed(f"upcasting to {latest.type} changed the key field {latest.key_field!r}")
    envelope = written.model_copy(
        update={"type": latest.type, "dataschema": latest.dataschema, "data": payload}
    )
    return VerifiedEvent(envelope=envelope, data=data, spec=latest, written=written)


def decode_event(
    value: bytes | None, key: bytes | None, registry: Registry, keys: KeyRegistry
) -> VerifiedEvent:
    """Parse, authenticate and validate one Kafka record, and read it as the latest version.

    Checks in order: JSON object -> CloudEvents envelope -> known type -> signature
    (over the raw object, as written) -> payload against the written version's model ->
    key consistency; then, for an older version, upcasts the data to the latest version
    and checks it against that model. Raises an ``EventRejected`` subclass naming the
    first failure. Thread-safe: no shared mutable state, so it may run in a worker pool.
    """
    raw = _parse_object(value)
    envelope = _parse_envelope(raw)
    spec = registry.spec_for(envelope.type)
    verify_event(raw, keys)
    data = _parse_data(spec, envelope.data)
    _check_keys(key, envelope, spec, data)
    return _upcast(registry, envelope, spec, data)
