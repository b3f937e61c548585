"""Build and sign the envelope of a payload: the producer side of ``decode_event``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from chengyu_contracts.envelope import Envelope
from chengyu_contracts.keys import SigningKey
from chengyu_contracts.registry import EventData, Registry
from chengyu_contracts.signing import sign_event
from chengyu_contracts.timefmt import format_event_time

__all__ = ["encode_event"]


def encode_event(
    data: EventData,
    *,
    source: str,
    key: SigningKey,
    registry: Registry,
    event_id: str | None = None,
    time: datetime | None = None,
    traceparent: str | None = None,
    tracestate: str | None = None,
    actor: str | None = None,
) -> Envelope:
    """Wrap ``data`` in a signed envelope.

    Type, dataschema, subject and partitionkey come from the registry spec of
    ``type(data)`` and its key field. ``event_id`` defaults to a new uuid4 and ``time``
    to now; pass both for deterministic output. ``actor`` is the acting office's reference
    (``chengyu_contracts.actor.actor_reference``), signed with the rest. Raises ``KeyError`` for an
    unregistered model, ``ValueError`` for a naive ``time`` or a key that may not sign
    for ``source``, and ``pydantic.ValidationError`` for a malformed attribute.
    """
    spec = registry.spec_for_model(type(data))
    aggregate_id = registry.key_of(data)
    wire: dict[str, Any] = {
        "specversion": "1.0",
        "id": event_id if event_id is not None else str(uuid.uuid4()),
        "source": source,
        "type": spec.type,
        "subject": aggregate_id,
        "time": format_event_time(time if time is not None else datetime.now(UTC)),
        "datacontenttype": "application/json",
        "dataschema": spec.dataschema,
        "partitionkey": aggregate_id,
        "data": data.model_dump(mode="json"),
    }
    if traceparent is not None:
        wire["traceparent"] = traceparent
    if tracestate is not None:
        wire["tracestate"] = tracestate
    if actor is not None:
        wire["chengyuactor"] = actor
    # Sign the wire form, then validate the envelope once (not before and after).
    return Envelope.model_validate(sign_event(wire, key))
