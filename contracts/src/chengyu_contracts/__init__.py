"""Shared event contracts of Chengyu: envelope, registry, signing, decoding, identities.

Importing this package does no I/O. Import ``chengyu_contracts.events`` to fill
``REGISTRY`` with every domain event type.
"""

from chengyu_contracts.decode import VerifiedEvent, decode_event
from chengyu_contracts.encode import encode_event
from chengyu_contracts.envelope import Envelope, KafkaRecord, format_event_time, to_kafka_record
from chengyu_contracts.errors import (
    BadSignature,
    EventRejected,
    InvalidEnvelope,
    InvalidJson,
    KeyMismatch,
    KeyNotAuthorised,
    MissingSignature,
    SchemaInvalid,
    SignatureError,
    UnknownEventType,
    UnknownKeyId,
    UpcastFailed,
)
from chengyu_contracts.keys import KeyRegistry, PublicKeyEntry, SigningKey
from chengyu_contracts.person_ref import PersonRefKey, person_ref
from chengyu_contracts.registry import (
    REGISTRY,
    EventData,
    EventSpec,
    Registry,
    dead_letter_topic,
    event,
)
from chengyu_contracts.resident_id import InvalidResidentId, ResidentId, parse_resident_id
from chengyu_contracts.signing import sign_envelope, sign_event, verify_event

__all__ = [
    "REGISTRY",
    "BadSignature",
    "Envelope",
    "EventData",
    "EventRejected",
    "EventSpec",
    "InvalidEnvelope",
    "InvalidJson",
    "InvalidResidentId",
    "KafkaRecord",
    "KeyMismatch",
    "KeyNotAuthorised",
    "KeyRegistry",
    "MissingSignature",
    "PersonRefKey",
    "PublicKeyEntry",
    "Registry",
    "ResidentId",
    "SchemaInvalid",
    "SignatureError",
    "SigningKey",
    "UnknownEventType",
    "UnknownKeyId",
    "UpcastFailed",
    "VerifiedEvent",
    "dead_letter_topic",
    "decode_event",
    "encode_event",
    "event",
    "format_event_time",
    "parse_resident_id",
    "person_ref",
    "sign_envelope",
    "sign_event",
    "to_kafka_record",
    "verify_event",
]
