"""Why an incoming event was rejected: one exception class per stable reason code.

Every class lives here (not in the module that raises it) so that signing,
registry and decoding can share them without import cycles. The consumer
runtime turns ``reason`` into a dead-letter header and a metric label, so the
codes are part of the public contract: never rename one.
"""

from __future__ import annotations


class EventRejected(Exception):
    """An event that must not be applied.

    ``reason`` is a stable machine-readable code; ``detail`` is one sentence for
    humans. ``detail`` never contains personal data or the raw payload, because
    it ends up in logs and dead-letter headers.
    """

    reason: str = "rejected"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"


class InvalidJson(EventRejected):
    """The record value is not UTF-8 or not a single JSON object."""

    reason = "invalid-json"


class InvalidEnvelope(EventRejected):
    """CloudEvents attributes are missing or malformed."""

    reason = "invalid-envelope"


class UnknownEventType(EventRejected):
    """The event type is not in the registry."""

    reason = "unknown-type"

    def __init__(self, event_type: str) -> None:
        # The type name is a public contract identifier, never personal data.
        super().__init__(f"event type {event_type!r} is not known to this registry")
        self.event_type = event_type


class SignatureError(EventRejected):
    """Base of every authenticity failure."""

    reason = "signature-error"


class MissingSignature(SignatureError):
    """``chengyusig`` or ``chengyukeyid`` is absent."""

    reason = "missing-signature"


class UnknownKeyId(SignatureError, KeyError):
    """``chengyukeyid`` names no key in the public key registry."""

    reason = "unknown-key"

    def __init__(self, key_id: str) -> None:
        super().__init__(f"signing key {key_id!r} is not in the public key registry")
        self.key_id = key_id

    # KeyError.__str__ would quote the whole message; keep EventRejected's form.
    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"


class KeyNotAuthorised(SignatureError):
    """The key may not sign for the event's source, or not at the event's time."""

    reason = "key-not-authorised"


class BadSignature(SignatureError):
    """The signature is not valid base64url or does not verify."""

    reason = "bad-signature"


class SchemaInvalid(EventRejected):
    """``data`` does not satisfy the event type's model."""

    reason = "schema-invalid"


class KeyMismatch(EventRejected):
    """Kafka key, ``partitionkey``, ``subject`` and the model's key field disagree."""

    reason = "key-mismatch"


class UpcastFailed(EventRejected):
    """A valid record of an older version could not be read as the latest one: an
    upcaster raised or gave data the next version's model rejects (a bug in the upcaster,
    not in the record; re-drive the record once the upcaster is fixed)."""

    reason = "upcast-failed"
