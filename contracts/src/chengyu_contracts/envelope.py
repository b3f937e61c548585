"""The CloudEvents 1.0 envelope and its structured-mode mapping onto a Kafka record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from chengyu_contracts.timefmt import EVENT_TIME_PATTERN, format_event_time, parse_event_time

__all__ = [
    "CLOUDEVENTS_CONTENT_TYPE",
    "DATASCHEMA_PREFIX",
    "Envelope",
    "KafkaRecord",
    "format_event_time",
    "to_kafka_record",
]

CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
DATASCHEMA_PREFIX = "urn:chengyu:schema:"

SOURCE_PATTERN = r"^/(cq|cd)/[a-z0-9-]+/[a-z0-9-]+$"
TYPE_PATTERN = r"^cn\.chengyu\.[a-z0-9-]+\.[a-z0-9-]+\.v[1-9][0-9]*$"
# Canonical lowercase UUID text. uuid4 is what we generate; any version is accepted so
# that a later producer may derive deterministic ids (uuid5) for idempotent emission.
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
# W3C Trace Context version-format; later versions may append fields after a dash.
TRACEPARENT_PATTERN = r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-[0-9a-zA-Z_.-]*)?$"

# The office that acted: ``<city>/<agency>/<opaque clerk id>``, never a name (see
# chengyu_contracts.actor); covered by the signature like every attribute.
ACTOR_PATTERN = r"^(cq|cd)/[a-z0-9-]+/[a-z0-9-]{1,64}$"

_OPTIONAL_ATTRIBUTES = frozenset(
    {"traceparent", "tracestate", "chengyuactor", "chengyukeyid", "chengyusig"}
)


class Envelope(BaseModel):
    """A CloudEvents 1.0 event as it travels in the value of a Kafka record.

    ``time`` stays a string so the signed bytes round-trip exactly. Unset optional
    attributes are omitted from the JSON rather than written as ``null``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    specversion: Literal["1.0"]
    id: str = Field(pattern=UUID_PATTERN)
    source: str = Field(pattern=SOURCE_PATTERN)
    type: str = Field(pattern=TYPE_PATTERN)
    subject: str = Field(min_length=1, max_length=256)
    time: str = Field(pattern=EVENT_TIME_PATTERN)
    datacontenttype: Literal["application/json"]
    dataschema: str
    partitionkey: str = Field(min_length=1, max_length=256)
    traceparent: str | None = Field(default=None, pattern=TRACEPARENT_PATTERN)
    tracestate: str | None = Field(default=None, max_length=512)
    chengyuactor: str | None = Field(default=None, pattern=ACTOR_PATTERN)
    # Deliberately unconstrained here: a malformed signature is a signature problem
    # (reason "bad-signature"), not an envelope problem.
    chengyukeyid: str | None = None
    chengyusig: str | None = None
    data: dict[str, Any]

    @field_validator("time")
    @classmethod
    def _time_is_a_real_instant(cls, value: str) -> str:
        parse_event_time(value)  # the pattern alone accepts month 13
        return value

    @model_validator(mode="after")
    def _dataschema_names_the_type(self) -> Envelope:
        if self.dataschema != DATASCHEMA_PREFIX + self.type:
            raise ValueError("dataschema must be 'urn:chengyu:schema:' followed by the type")
        return self

    @model_serializer(mode="wrap")
    def _omit_unset_optionals(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        dumped: dict[str, Any] = handler(self)
        return {
            name: value
            for name, value in dumped.items()
            if not (name in _OPTIONAL_ATTRIBUTES and value is None)
        }

    def to_wire_dict(self) -> dict[str, Any]:
        """Return the JSON object exactly as written to Kafka (what the signature covers)."""
        return self.model_dump(mode="json")

    def to_json_bytes(self) -> bytes:
        """Return the compact UTF-8 JSON written as the Kafka record value."""
        return self.model_dump_json().encode("utf-8")


@dataclass(frozen=True)
class KafkaRecord:
    """A client-neutral Kafka record: any producer library can send it as is."""

    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...]


def to_kafka_record(envelope: Envelope) -> KafkaRecord:
    """Map an envelope to a structured-mode CloudEvents Kafka record.

    The key is ``partitionkey`` (the aggregate id, so one case stays in order); trace
    context is copied into W3C headers so OpenTelemetry propagators find it there.
    """
    headers: list[tuple[str, bytes]] = [("content-type", CLOUDEVENTS_CONTENT_TYPE.encode())]
    if envelope.traceparent is not None:
        headers.append(("traceparent", envelope.traceparent.encode("utf-8")))
    if envelope.tracestate is not None:
        headers.append(("tracestate", envelope.tracestate.encode("utf-8")))
    return KafkaRecord(
        key=envelope.partitionkey.encode("utf-8"),
        value=envelope.to_json_bytes(),
        headers=tuple(headers),
    )
