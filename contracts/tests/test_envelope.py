from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from chengyu_contracts.envelope import Envelope, format_event_time, to_kafka_record

from .conftest import unsigned_event


def test_format_event_time_writes_utc_with_microseconds_and_z() -> None:
    assert format_event_time(datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)) == (
        "2025-01-02T03:04:05.000000Z"
    )


def test_format_event_time_converts_other_offsets_to_utc() -> None:
    beijing = timezone(timedelta(hours=8))
    assert format_event_time(datetime(2025, 1, 2, 8, 0, 0, 7, tzinfo=beijing)) == (
        "2025-01-02T00:00:00.000007Z"
    )


def test_format_event_time_rejects_naive_datetime() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_event_time(datetime(2025, 1, 2))


def test_envelope_omits_unset_optional_attributes() -> None:
    wire = Envelope.model_validate(unsigned_event()).to_wire_dict()
    assert not {"traceparent", "tracestate", "chengyukeyid", "chengyusig"} & wire.keys()


def test_envelope_keeps_null_values_inside_data() -> None:
    data = {"transfer_id": "tr-1", "note": None}
    wire = Envelope.model_validate(unsigned_event(data=data)).to_wire_dict()
    assert wire["data"] == data


def test_envelope_rejects_unknown_attribute() -> None:
    with pytest.raises(ValidationError, match="extra"):
        Envelope.model_validate(unsigned_event(colour="red"))


def test_envelope_rejects_source_outside_the_two_cities() -> None:
    with pytest.raises(ValidationError, match="source"):
        Envelope.model_validate(unsigned_event(source="/sh/hpf/fund-transfer"))


def test_envelope_rejects_type_without_version_suffix() -> None:
    with pytest.raises(ValidationError, match="type"):
        Envelope.model_validate(unsigned_event(type="cn.chengyu.fund.transfer-requested"))


def test_envelope_rejects_time_in_another_format() -> None:
    with pytest.raises(ValidationError, match="time"):
        Envelope.model_validate(unsigned_event(time="2025-03-01T08:30:00+08:00"))


def test_envelope_rejects_time_that_is_not_a_real_instant() -> None:
    with pytest.raises(ValidationError, match="time"):
        Envelope.model_validate(unsigned_event(time="2025-13-01T08:30:00.000000Z"))


def test_envelope_rejects_dataschema_of_another_type() -> None:
    with pytest.raises(ValidationError, match="dataschema"):
        Envelope.model_validate(unsigned_event(dataschema="urn:chengyu:schema:cn.chengyu.a.b.v1"))


def test_envelope_rejects_id_that_is_not_a_uuid() -> None:
    with pytest.raises(ValidationError, match="id"):
        Envelope.model_validate(unsigned_event(id="42"))


def test_envelope_is_frozen() -> None:
    envelope = Envelope.model_validate(unsigned_event())
    with pytest.raises(ValidationError):
        envelope.subject = "other"  # type: ignore[misc]


def test_kafka_record_key_is_the_partitionkey() -> None:
    record = to_kafka_record(Envelope.model_validate(unsigned_event(partitionkey="tr-0001")))
    assert record.key == b"tr-0001"


def test_kafka_record_value_is_compact_utf8_json_of_the_envelope() -> None:
    envelope = Envelope.model_validate(unsigned_event(subject="成渝-1", partitionkey="成渝-1"))
    record = to_kafka_record(envelope)
    assert json.loads(record.value.decode("utf-8")) == envelope.to_wire_dict()
    assert b": " not in record.value and "成渝".encode() in record.value


def test_kafka_record_has_cloudevents_content_type_header() -> None:
    record = to_kafka_record(Envelope.model_validate(unsigned_event()))
    assert record.headers == (("content-type", b"application/cloudevents+json; charset=utf-8"),)


def test_kafka_record_carries_trace_context_headers_when_present() -> None:
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    envelope = Envelope.model_validate(
        unsigned_event(traceparent=traceparent, tracestate="chengyu=cq")
    )
    headers = dict(to_kafka_record(envelope).headers)
    assert headers["traceparent"] == traceparent.encode()
    assert headers["tracestate"] == b"chengyu=cq"
