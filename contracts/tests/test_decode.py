from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from chengyu_contracts.decode import (
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
    VerifiedEvent,
    decode_event,
    encode_event,
)
from chengyu_contracts.envelope import KafkaRecord, to_kafka_record
from chengyu_contracts.keys import KeyRegistry, SigningKey
from chengyu_contracts.registry import Registry
from chengyu_contracts.signing import sign_event

from .conftest import FIXED_ID, SAMPLE_TYPE, SampleTransferRequested, unsigned_event


def wire(event: dict[str, Any]) -> bytes:
    return json.dumps(event, ensure_ascii=False).encode("utf-8")


def decode(
    value: bytes | None, key: bytes | None, registry: Registry, keys: KeyRegistry
) -> VerifiedEvent:
    return decode_event(value, key, registry, keys)


def test_round_trip_encode_record_decode(
    record: KafkaRecord,
    registry: Registry,
    keys: KeyRegistry,
    sample_data: SampleTransferRequested,
) -> None:
    verified = decode(record.value, record.key, registry, keys)
    assert verified.data == sample_data
    assert verified.spec.type == SAMPLE_TYPE
    assert (verified.envelope.id, verified.envelope.subject) == (FIXED_ID, "tr-0001")


def test_encode_event_fills_attributes_from_the_registry(
    sample_data: SampleTransferRequested, cq_key: SigningKey, registry: Registry
) -> None:
    envelope = encode_event(
        sample_data, source="/cq/hpf/fund-transfer", key=cq_key, registry=registry
    )
    assert envelope.type == SAMPLE_TYPE
    assert envelope.dataschema == "urn:chengyu:schema:" + SAMPLE_TYPE
    assert envelope.subject == envelope.partitionkey == "tr-0001"
    assert envelope.chengyukeyid == "cq-hpf-2025" and envelope.chengyusig


def test_encode_event_defaults_to_a_fresh_id_and_the_current_time(
    sample_data: SampleTransferRequested, cq_key: SigningKey, registry: Registry
) -> None:
    before = datetime.now(UTC)
    first = encode_event(sample_data, source="/cq/hpf/fund-transfer", key=cq_key, registry=registry)
    second = encode_event(
        sample_data, source="/cq/hpf/fund-transfer", key=cq_key, registry=registry
    )
    assert first.id != second.id
    assert datetime.fromisoformat(first.time) >= before.replace(microsecond=0)


def test_encode_event_rejects_unregistered_model(cq_key: SigningKey) -> None:
    data = SampleTransferRequested(transfer_id="t", person_ref="p", amount_fen=1)
    with pytest.raises(KeyError, match="not registered"):
        encode_event(data, source="/cq/hpf/fund-transfer", key=cq_key, registry=Registry())


def test_tombstone_is_invalid_json(registry: Registry, keys: KeyRegistry) -> None:
    with pytest.raises(InvalidJson, match="no value"):
        decode(None, b"k", registry, keys)


def test_value_that_is_not_utf8_is_invalid_json(registry: Registry, keys: KeyRegistry) -> None:
    with pytest.raises(InvalidJson, match="UTF-8"):
        decode(b"\xff\xfe{}", b"k", registry, keys)


def test_value_that_is_not_json_is_invalid_json(registry: Registry, keys: KeyRegistry) -> None:
    with pytest.raises(InvalidJson, match="not valid JSON"):
        decode(b"{not json", b"k", registry, keys)


def test_json_array_is_invalid_json(registry: Registry, keys: KeyRegistry) -> None:
    with pytest.raises(InvalidJson, match="not an object"):
        decode(b"[1, 2]", b"k", registry, keys)


def test_repeated_member_is_invalid_json(registry: Registry, keys: KeyRegistry) -> None:
    with pytest.raises(InvalidJson, match="repeats a member"):
        decode(b'{"id": "a", "id": "b"}', b"k", registry, keys)


def test_nan_is_invalid_json(registry: Registry, keys: KeyRegistry) -> None:
    with pytest.raises(InvalidJson):
        decode(b'{"n": NaN}', b"k", registry, keys)


def test_missing_attribute_is_an_invalid_envelope_naming_it(
    registry: Registry, keys: KeyRegistry
) -> None:
    event = unsigned_event()
    del event["source"]
    with pytest.raises(InvalidEnvelope, match="source: Field required"):
        decode(wire(event), b"tr-0001", registry, keys)


def test_unknown_event_type_is_rejected_before_the_signature(
    registry: Registry, keys: KeyRegistry
) -> None:
    event = unsigned_event(
        type="cn.chengyu.sample.other.v1",
        dataschema="urn:chengyu:schema:cn.chengyu.sample.other.v1",
    )
    with pytest.raises(UnknownEventType):
        decode(wire(event), b"tr-0001", registry, keys)


def test_unsigned_event_is_missing_signature(registry: Registry, keys: KeyRegistry) -> None:
    with pytest.raises(MissingSignature):
        decode(wire(unsigned_event()), b"tr-0001", registry, keys)


def test_event_signed_by_unregistered_key_is_unknown_key(
    registry: Registry, keys: KeyRegistry
) -> None:
    stranger = SigningKey.generate("stranger", "/cq/hpf")
    with pytest.raises(UnknownKeyId):
        decode(wire(sign_event(unsigned_event(), stranger)), b"tr-0001", registry, keys)


def test_event_signed_for_another_agency_is_not_authorised(
    registry: Registry, keys: KeyRegistry, cd_key: SigningKey
) -> None:
    forged = sign_event(unsigned_event(source="/cd/hpf/fund-transfer"), cd_key)
    forged["source"] = "/cq/hpf/fund-transfer"
    with pytest.raises(KeyNotAuthorised):
        decode(wire(forged), b"tr-0001", registry, keys)


def test_tampered_event_has_bad_signature(
    signed_event: dict[str, Any], registry: Registry, keys: KeyRegistry
) -> None:
    tampered = {**signed_event, "data": {**signed_event["data"], "amount_fen": 1}}
    with pytest.raises(BadSignature):
        decode(wire(tampered), b"tr-0001", registry, keys)


def test_signed_data_that_fails_the_model_is_schema_invalid(
    registry: Registry, keys: KeyRegistry, cq_key: SigningKey
) -> None:
    data = {"transfer_id": "tr-0001", "person_ref": "pr1_secret", "amount_fen": "12"}
    event = sign_event(unsigned_event(data=data), cq_key)
    with pytest.raises(SchemaInvalid, match="amount_fen") as raised:
        decode(wire(event), b"tr-0001", registry, keys)
    assert "12" not in raised.value.detail and "pr1_secret" not in raised.value.detail


def test_schema_invalid_names_missing_and_unknown_fields(
    registry: Registry, keys: KeyRegistry, cq_key: SigningKey
) -> None:
    data = {"transfer_id": "tr-0001", "amount_fen": 12, "colour": "crimson-secret"}
    event = sign_event(unsigned_event(data=data), cq_key)
    with pytest.raises(SchemaInvalid, match=r"person_ref: Field required.*colour") as raised:
        decode(wire(event), b"tr-0001", registry, keys)
    assert "crimson-secret" not in raised.value.detail


def test_record_key_differing_from_partitionkey_is_key_mismatch(
    record: KafkaRecord, registry: Registry, keys: KeyRegistry
) -> None:
    with pytest.raises(KeyMismatch, match="record key"):
        decode(record.value, b"tr-9999", registry, keys)


def test_record_without_key_is_key_mismatch(
    record: KafkaRecord, registry: Registry, keys: KeyRegistry
) -> None:
    with pytest.raises(KeyMismatch, match="no Kafka key"):
        decode(record.value, None, registry, keys)


def test_partitionkey_differing_from_key_field_is_key_mismatch(
    registry: Registry, keys: KeyRegistry, cq_key: SigningKey
) -> None:
    event = sign_event(unsigned_event(subject="tr-9", partitionkey="tr-9"), cq_key)
    with pytest.raises(KeyMismatch, match="transfer_id"):
        decode(wire(event), b"tr-9", registry, keys)


def test_subject_differing_from_partitionkey_is_key_mismatch(
    registry: Registry, keys: KeyRegistry, cq_key: SigningKey
) -> None:
    event = sign_event(unsigned_event(subject="tr-9"), cq_key)
    with pytest.raises(KeyMismatch, match="subject"):
        decode(wire(event), b"tr-0001", registry, keys)


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (InvalidJson, "invalid-json"),
        (InvalidEnvelope, "invalid-envelope"),
        (MissingSignature, "missing-signature"),
        (KeyNotAuthorised, "key-not-authorised"),
        (BadSignature, "bad-signature"),
        (SchemaInvalid, "schema-invalid"),
        (KeyMismatch, "key-mismatch"),
    ],
)
def test_rejections_carry_stable_reason_codes(error: type[EventRejected], reason: str) -> None:
    rejected = error("a sentence")
    assert (rejected.reason, rejected.detail) == (reason, "a sentence")


def test_unknown_type_and_key_reason_codes() -> None:
    assert UnknownEventType("cn.chengyu.a.b.v1").reason == "unknown-type"
    assert UnknownKeyId("k").reason == "unknown-key"


def test_decoding_is_safe_from_many_threads(
    record: KafkaRecord, registry: Registry, keys: KeyRegistry
) -> None:
    def subject(_: int) -> str:
        return decode(record.value, record.key, registry, keys).envelope.subject

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(subject, range(200))) == {"tr-0001"}


def test_round_trip_through_the_record_keeps_the_trace_context(
    record: KafkaRecord, registry: Registry, keys: KeyRegistry
) -> None:
    verified = decode(record.value, record.key, registry, keys)
    assert to_kafka_record(verified.envelope) == record


def test_an_actor_reference_travels_signed_and_is_read_back(
    sample_data: SampleTransferRequested, cq_key: SigningKey, registry: Registry, keys: KeyRegistry
) -> None:
    envelope = encode_event(
        sample_data,
        source="/cq/hpf/fund-transfer",
        key=cq_key,
        registry=registry,
        actor="cq/hpf/c0123456789abcdef",
    )
    record = to_kafka_record(envelope)
    verified = decode(record.value, record.key, registry, keys)
    assert verified.envelope.chengyuactor == "cq/hpf/c0123456789abcdef"


def test_a_changed_actor_reference_breaks_the_signature(
    sample_data: SampleTransferRequested, cq_key: SigningKey, registry: Registry, keys: KeyRegistry
) -> None:
    envelope = encode_event(
        sample_data,
        source="/cq/hpf/fund-transfer",
        key=cq_key,
        registry=registry,
        actor="cq/hpf/c0123456789abcdef",
    )
    event = json.loads(to_kafka_record(envelope).value)
    event["chengyuactor"] = "cq/hpf/cfedcba9876543210"
    with pytest.raises(BadSignature):
        decode(wire(event), b"tr-0001", registry, keys)


def test_an_actor_reference_that_is_not_a_reference_is_an_invalid_envelope(
    sample_data: SampleTransferRequested, cq_key: SigningKey, registry: Registry
) -> None:
    with pytest.raises(ValueError, match="chengyuactor"):
        encode_event(
            sample_data,
            source="/cq/hpf/fund-transfer",
            key=cq_key,
            registry=registry,
            actor="cq/hpf/Zhang San",
        )
