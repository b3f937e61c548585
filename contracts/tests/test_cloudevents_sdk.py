"""Every record we write is a structured-mode CloudEvent for the official SDK.

cloudevents 2.x keeps the 1.x API under ``cloudevents.v1`` and adds ``cloudevents.core``;
both Kafka bindings must parse our records.
"""

from __future__ import annotations

from typing import Any

from cloudevents.core.bindings import kafka as core_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.v1.kafka import KafkaMessage, from_structured

from chengyu_contracts.envelope import Envelope, KafkaRecord

EXTENSIONS = ("partitionkey", "traceparent", "chengyukeyid", "chengyusig")


def test_v1_kafka_binding_parses_our_record(record: KafkaRecord, signed_envelope: Envelope) -> None:
    message = KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)
    parsed: Any = from_structured(message)
    wire = signed_envelope.to_wire_dict()
    for attribute in ("id", "source", "type", "subject", "dataschema", "specversion"):
        assert parsed[attribute] == wire[attribute]
    assert parsed.data == wire["data"]
    for extension in EXTENSIONS:
        assert parsed[extension] == wire[extension]


def test_core_kafka_binding_parses_our_record(
    record: KafkaRecord, signed_envelope: Envelope
) -> None:
    message = core_kafka.KafkaMessage(
        headers=dict(record.headers), key=record.key, value=record.value
    )
    parsed = core_kafka.from_structured(message, JSONFormat())
    wire = signed_envelope.to_wire_dict()
    assert parsed.get_id() == wire["id"]
    assert parsed.get_source() == wire["source"]
    assert parsed.get_type() == wire["type"]
    assert parsed.get_subject() == wire["subject"]
    assert parsed.get_data() == wire["data"]
    for extension in EXTENSIONS:
        assert parsed.get_extension(extension) == wire[extension]
