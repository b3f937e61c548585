"""Old versions read as the latest: a test-only family with three versions.

``cn.chengyu.case.fee-charged``: v1 has ``amount_yuan`` (whole yuan); v2 renamed it to
``amount_fen`` (integer fen, like every other amount); v3 added the ``currency``.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest

import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
from chengyu_contracts.asyncapi import generate_asyncapi
from chengyu_contracts.compat import check_contracts
from chengyu_contracts.decode import (
    BadSignature,
    SchemaInvalid,
    UpcastFailed,
    VerifiedEvent,
    decode_event,
)
from chengyu_contracts.encode import encode_event
from chengyu_contracts.envelope import KafkaRecord, to_kafka_record
from chengyu_contracts.events.fund import TransferOverdue, TransferOverdueV1
from chengyu_contracts.keys import KeyRegistry, SigningKey
from chengyu_contracts.registry import REGISTRY, EventData, EventSpec, Registry, event
from chengyu_contracts.schemas import write_schemas
from chengyu_contracts.signing import sign_event, verify_event
from chengyu_contracts.upcasting import family_of, previous_type

from .conftest import FIXED_ID, FIXED_TIME

FAMILY = "cn.chengyu.case.fee-charged"
V1, V2, V3 = (f"{FAMILY}.v{n}" for n in (1, 2, 3))
TOPIC = "case.fee"


class FeeChargedV1(EventData):
    """A fee was charged on a case (v1: whole yuan)."""

    case_id: str
    amount_yuan: int
    note: str = ""


class FeeChargedV2(EventData):
    """A fee was charged on a case (v2: integer fen)."""

    case_id: str
    amount_fen: int
    note: str


class FeeChargedV3(EventData):
    """A fee was charged on a case (v3: with its currency)."""

    case_id: str
    amount_fen: int
    note: str
    currency: Literal["CNY"]


def v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    data["amount_fen"] = data.pop("amount_yuan") * 100
    return data


def v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "currency": "CNY"}


def two_versions() -> Registry:
    registry = Registry()
    event(registry, type=V1, topic=TOPIC, key="case_id")(FeeChargedV1)
    event(registry, type=V2, topic=TOPIC, key="case_id", upcaster=v1_to_v2)(FeeChargedV2)
    return registry


def three_versions() -> Registry:
    registry = two_versions()
    event(registry, type=V3, topic=TOPIC, key="case_id", upcaster=v2_to_v3)(FeeChargedV3)
    return registry


def v1_record(key: SigningKey, registry: Registry, *, amount_yuan: int = 12) -> KafkaRecord:
    envelope = encode_event(
        FeeChargedV1(case_id="case-1", amount_yuan=amount_yuan),
        source="/cq/hpf/fund-transfer",
        key=key,
        registry=registry,
        event_id=FIXED_ID,
        time=FIXED_TIME,
    )
    return to_kafka_record(envelope)


def read(record: KafkaRecord, registry: Registry, keys: KeyRegistry) -> VerifiedEvent:
    return decode_event(record.value, record.key, registry, keys)


# -- reading -------------------------------------------------------------------------------------


def test_a_v1_record_signed_as_written_is_read_as_v2(cq_key: SigningKey, keys: KeyRegistry) -> None:
    registry = two_versions()
    record = v1_record(cq_key, registry)
    assert json.loads(record.value)["type"] == V1  # what stays on the log

    event = read(record, registry, keys)

    assert event.data == FeeChargedV2(case_id="case-1", amount_fen=1200, note="")
    assert event.spec is registry.spec_for(V2)
    assert (event.envelope.type, event.envelope.dataschema) == (V2, "urn:chengyu:schema:" + V2)
    assert event.envelope.data == {"case_id": "case-1", "amount_fen": 1200, "note": ""}
    assert event.upcast and event.written_type == V1
    # Everything but type, dataschema and data is as written.
    assert (event.envelope.id, event.envelope.time) == (FIXED_ID, event.written.time)
    assert event.envelope.chengyusig == event.written.chengyusig


def test_the_signature_of_the_written_v1_record_still_verifies(
    cq_key: SigningKey, keys: KeyRegistry
) -> None:
    registry = two_versions()
    event = read(v1_record(cq_key, registry), registry, keys)
    verify_event(event.written.to_wire_dict(), keys)
    assert event.written.data == {"case_id": "case-1", "amount_yuan": 12, "note": ""}
    # The reading is not the signed record: its signature does not cover it.
    with pytest.raises(BadSignature):
        verify_event(event.envelope.to_wire_dict(), keys)


def test_a_tampered_v1_record_is_still_rejected(cq_key: SigningKey, keys: KeyRegistry) -> None:
    registry = two_versions()
    record = v1_record(cq_key, registry)
    wire = json.loads(record.value)
    wire["data"]["amount_yuan"] = 13
    with pytest.raises(BadSignature):
        decode_event(json.dumps(wire).encode(), record.key, registry, keys)


def test_a_v1_record_is_checked_against_the_v1_model_before_upcasting(
    cq_key: SigningKey, keys: KeyRegistry
) -> None:
    registry = two_versions()
    # Signed, but its data is v2-shaped: the v1 model (still registered) refuses it.
    wire = encode_event(
        FeeChargedV2(case_id="case-1", amount_fen=1, note=""),
        source="/cq/hpf/fund-transfer",
        key=cq_key,
        registry=registry,
    ).to_wire_dict()
    wire["type"], wire["dataschema"] = V1, "urn:chengyu:schema:" + V1
    del wire["chengyusig"]
    signed = sign_event(wire, cq_key)
    with pytest.raises(SchemaInvalid, match=V1.replace(".", r"\.")):
        decode_event(json.dumps(signed).encode(), b"case-1", registry, keys)


def test_the_latest_version_is_read_as_written(cq_key: SigningKey, keys: KeyRegistry) -> None:
    registry = two_versions()
    envelope = encode_event(
        FeeChargedV2(case_id="case-1", amount_fen=5, note="x"),
        source="/cq/hpf/fund-transfer",
        key=cq_key,
        registry=registry,
    )
    event = read(to_kafka_record(envelope), registry, keys)
    assert not event.upcast and event.written is event.envelope
    assert event.written_type == V2 and event.data == FeeChargedV2(
        case_id="case-1", amount_fen=5, note="x"
    )


def test_upcasters_chain_from_v1_through_v2_to_v3(cq_key: SigningKey, keys: KeyRegistry) -> None:
    registry = three_versions()
    from_v1 = read(v1_record(cq_key, registry, amount_yuan=3), registry, keys)
    assert from_v1.data == FeeChargedV3(case_id="case-1", amount_fen=300, note="", currency="CNY")
    assert (from_v1.written_type, from_v1.envelope.type) == (V1, V3)

    v2 = encode_event(
        FeeChargedV2(case_id="case-2", amount_fen=7, note="n"),
        source="/cd/hpf/fund-transfer",
        key=SigningKey.from_seed("cd-hpf-2025", "/cd/hpf", bytes(range(32, 64))),
        registry=registry,
    )
    from_v2 = read(to_kafka_record(v2), registry, keys)
    assert from_v2.data == FeeChargedV3(case_id="case-2", amount_fen=7, note="n", currency="CNY")
    assert (from_v2.written_type, from_v2.spec.type) == (V2, V3)


def test_the_registry_names_versions_latest_and_upcasters() -> None:
    registry = three_versions()
    assert [s.type for s in registry.versions(V2)] == [V1, V2, V3]
    assert registry.latest(V1) is registry.latest(V3) is registry.spec_for(V3)
    assert registry.upcaster_from(V1) is v1_to_v2
    assert registry.upcaster_from(V3) is None
    assert (family_of(V3), previous_type(V3), previous_type(V1)) == (FAMILY, V2, None)


def test_the_upcaster_never_changes_the_data_it_was_given(
    cq_key: SigningKey, keys: KeyRegistry
) -> None:
    registry = two_versions()
    event = read(v1_record(cq_key, registry), registry, keys)
    assert event.written.data["amount_yuan"] == 12 and "amount_fen" not in event.written.data


# -- a broken upcaster is the upcaster's fault, named as such -----------------------------------


def broken_registry(upcaster: Any) -> Registry:
    registry = Registry()
    event(registry, type=V1, topic=TOPIC, key="case_id")(FeeChargedV1)
    event(registry, type=V2, topic=TOPIC, key="case_id", upcaster=upcaster)(FeeChargedV2)
    return registry


@pytest.mark.parametrize(
    ("upcaster", "detail"),
    [
        (lambda data: data, "gave invalid data"),  # amount_yuan is not a v2 field
        (lambda data: data["missing"], "raised KeyError"),
        (lambda data: [data], "did not return an object"),
        (
            lambda data: {"case_id": "other", "amount_fen": 1, "note": ""},
            "changed the key field 'case_id'",
        ),
    ],
)
def test_a_failing_upcaster_rejects_the_record_as_upcast_failed(
    cq_key: SigningKey, keys: KeyRegistry, upcaster: Any, detail: str
) -> None:
    registry = broken_registry(upcaster)
    with pytest.raises(UpcastFailed, match=detail) as raised:
        read(v1_record(cq_key, registry), registry, keys)
    assert raised.value.reason == "upcast-failed"


# -- registration -------------------------------------------------------------------------------


def spec(model: type[EventData], version: int, **overrides: Any) -> EventSpec:
    fields: dict[str, Any] = {
        "type": f"{FAMILY}.v{version}",
        "model": model,
        "topic": TOPIC,
        "key_field": "case_id",
        "version": version,
    }
    fields.update(overrides)
    return EventSpec(**fields)


def only_v1() -> Registry:
    registry = Registry()
    registry.register(spec(FeeChargedV1, 1))
    return registry


def test_a_new_version_without_an_upcaster_is_refused_naming_the_old_one() -> None:
    with pytest.raises(ValueError, match=rf"cannot register '{V2}': no upcaster from {V1}"):
        only_v1().register(spec(FeeChargedV2, 2))


def test_a_new_version_on_another_topic_is_refused() -> None:
    with pytest.raises(ValueError, match=r"topic 'case\.other' differs from 'case\.fee'"):
        only_v1().register(spec(FeeChargedV2, 2, topic="case.other"), upcaster=v1_to_v2)


def test_a_new_version_with_another_key_field_is_refused() -> None:
    class Renamed(EventData):
        fee_id: str

    with pytest.raises(ValueError, match="key field 'fee_id' differs from 'case_id'"):
        only_v1().register(spec(Renamed, 2, key_field="fee_id"), upcaster=v1_to_v2)


def test_a_version_skipping_a_number_is_refused() -> None:
    with pytest.raises(ValueError, match=rf"version 3 skips {V2}"):
        only_v1().register(spec(FeeChargedV3, 3), upcaster=v2_to_v3)


def test_a_family_must_start_at_v1() -> None:
    with pytest.raises(ValueError, match=rf"version 2 skips {V1}"):
        Registry().register(spec(FeeChargedV2, 2), upcaster=v1_to_v2)


def test_a_v1_takes_no_upcaster() -> None:
    with pytest.raises(ValueError, match="no older version to upcast from"):
        Registry().register(spec(FeeChargedV1, 1), upcaster=v1_to_v2)


def test_a_refused_version_leaves_the_registry_unchanged() -> None:
    registry = only_v1()
    with pytest.raises(ValueError):
        registry.register(spec(FeeChargedV2, 2))
    assert V2 not in registry and registry.latest(V1).type == V1
    registry.register(spec(FeeChargedV2, 2), upcaster=v1_to_v2)
    assert registry.latest(V1).type == V2


# -- committed contracts -------------------------------------------------------------------------


def test_every_version_has_its_own_committed_schema_and_a_new_one_breaks_nothing(
    tmp_path: Any,
) -> None:
    registry = two_versions()
    write_schemas(registry, tmp_path)
    assert check_contracts(registry, tmp_path) == []
    newer = three_versions()
    problems = check_contracts(newer, tmp_path)
    # Adding v3 only asks for its file; v1 and v2 are unchanged.
    assert [(p.type, p.kind) for p in problems] == [(V3, "missing")]


def test_the_asyncapi_message_of_an_old_version_says_what_it_is_read_as() -> None:
    messages = generate_asyncapi(three_versions())["components"]["messages"]
    assert messages[V1]["x-chengyu-read-as"] == messages[V2]["x-chengyu-read-as"] == V3
    assert "Superseded by " + V3 in messages[V1]["description"]
    assert "x-chengyu-read-as" not in messages[V3]


# -- the real one: fund transfer-overdue .v1 -> .v2 -----------------------------------------------

OVERDUE_V1 = "cn.chengyu.fund.transfer-overdue.v1"
OVERDUE_V2 = "cn.chengyu.fund.transfer-overdue.v2"


@pytest.mark.parametrize(
    ("waiting_in", "awaiting"),
    [("requested", "answer"), ("funds_sent", "revert"), ("credited", "completion")],
)
def test_a_fund_transfer_overdue_v1_record_is_read_as_v2(
    cd_key: SigningKey, keys: KeyRegistry, waiting_in: str, awaiting: str
) -> None:
    assert REGISTRY.latest(OVERDUE_V1).model is TransferOverdue
    fields: dict[str, Any] = {
        "transfer_id": "tr-1",
        "person_ref": "pr1_" + "ab" * 32,
        "from_city": "cq",
        "to_city": "cd",
        "deadline": "2025-03-11T08:30:00Z",
        "detected_at": "2025-03-12T00:00:00Z",
    }
    v1 = TransferOverdueV1.model_validate({**fields, "waiting_in": waiting_in})
    record = to_kafka_record(
        encode_event(v1, source="/cd/hpf/fund-transfer", key=cd_key, registry=REGISTRY)
    )
    event = decode_event(record.value, record.key, REGISTRY, keys)
    assert (event.written_type, event.envelope.type) == (OVERDUE_V1, OVERDUE_V2)
    assert event.data == TransferOverdue.model_validate({**fields, "awaiting": awaiting})
