"""Shared fixtures: a tiny sample domain, keys, and a helper to build wire events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import pytest

from chengyu_contracts.encode import encode_event
from chengyu_contracts.envelope import Envelope, KafkaRecord, to_kafka_record
from chengyu_contracts.keys import KeyRegistry, SigningKey
from chengyu_contracts.registry import EventData, EventSpec, Registry

SAMPLE_TYPE = "cn.chengyu.sample.transfer-requested.v1"
SAMPLE_TOPIC = "sample.transfer"
CQ_SEED = bytes(range(32))
CD_SEED = bytes(range(32, 64))
FIXED_TIME = datetime(2025, 3, 1, 8, 30, 0, 123456, tzinfo=UTC)
FIXED_ID = "6f1c2d3e-4b5a-4c6d-8e7f-0123456789ab"


class SampleTransferRequested(EventData):
    """A person asked to move their fund balance to the other city."""

    transfer_id: str
    person_ref: str
    amount_fen: int
    kind: Literal["full", "partial"] = "full"


def make_registry() -> Registry:
    registry = Registry()
    registry.register(
        EventSpec(
            type=SAMPLE_TYPE,
            model=SampleTransferRequested,
            topic=SAMPLE_TOPIC,
            key_field="transfer_id",
            version=1,
        )
    )
    return registry


@pytest.fixture
def registry() -> Registry:
    return make_registry()


@pytest.fixture
def cq_key() -> SigningKey:
    return SigningKey.from_seed("cq-hpf-2025", "/cq/hpf", CQ_SEED)


@pytest.fixture
def cd_key() -> SigningKey:
    return SigningKey.from_seed("cd-hpf-2025", "/cd/hpf", CD_SEED)


@pytest.fixture
def keys(cq_key: SigningKey, cd_key: SigningKey) -> KeyRegistry:
    return KeyRegistry([cq_key.public_entry(), cd_key.public_entry()])


@pytest.fixture
def sample_data() -> SampleTransferRequested:
    return SampleTransferRequested(
        transfer_id="tr-0001", person_ref="pr1_" + "ab" * 32, amount_fen=1_234_500
    )


@pytest.fixture
def signed_envelope(
    sample_data: SampleTransferRequested, cq_key: SigningKey, registry: Registry
) -> Envelope:
    return encode_event(
        sample_data,
        source="/cq/hpf/fund-transfer",
        key=cq_key,
        registry=registry,
        event_id=FIXED_ID,
        time=FIXED_TIME,
        traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    )


@pytest.fixture
def signed_event(signed_envelope: Envelope) -> dict[str, Any]:
    return signed_envelope.to_wire_dict()


@pytest.fixture
def record(signed_envelope: Envelope) -> KafkaRecord:
    return to_kafka_record(signed_envelope)


def unsigned_event(**overrides: Any) -> dict[str, Any]:
    """A well-formed wire event without signature attributes."""
    event: dict[str, Any] = {
        "specversion": "1.0",
        "id": FIXED_ID,
        "source": "/cq/hpf/fund-transfer",
        "type": SAMPLE_TYPE,
        "subject": "tr-0001",
        "time": "2025-03-01T08:30:00.123456Z",
        "datacontenttype": "application/json",
        "dataschema": "urn:chengyu:schema:" + SAMPLE_TYPE,
        "partitionkey": "tr-0001",
        "data": {"transfer_id": "tr-0001", "person_ref": "pr1_x", "amount_fen": 100},
    }
    event.update(overrides)
    return event
