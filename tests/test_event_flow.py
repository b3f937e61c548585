"""An event goes outbox -> Kafka -> inbox and its effect happens exactly once."""

from __future__ import annotations

import pytest
from cloudevents.v1.kafka import KafkaMessage, from_structured

from chengyu_contracts.registry import Registry
from chengyu_kit.runtime import ServiceRuntime
from tests.support.kafka_io import publish_raw, read_all
from tests.support.tally import TallyIncremented, request_increment, tally_of
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def consumed(runtime: ServiceRuntime, topic: str, outcome: str) -> float:
    """How many events ``runtime`` counted with ``outcome`` on ``topic``."""
    value = runtime.metrics.registry.get_sample_value(
        "chengyu_events_consumed_total", {"topic": topic, "outcome": outcome}
    )
    return value or 0.0


async def test_an_event_from_one_city_is_applied_once_in_the_other(
    cq_service: ServiceRuntime, cd_service: ServiceRuntime, tally_topic: str
) -> None:
    await request_increment(cq_service.pool, cq_service.issuer, "tally-a", 5)

    assert await wait_for(
        lambda: tally_of(cd_service.pool, "tally-a"), lambda t: t is not None
    ) == (
        5,
        1,
    )
    unpublished = await cq_service.pool.fetchval(
        "SELECT count(*) FROM outbox WHERE published_at IS NULL"
    )
    assert unpublished == 0


async def test_the_same_event_delivered_twice_has_one_effect(
    cd_service: ServiceRuntime, tally_topic: str, kafka: str, tally_reg: Registry, key_files: object
) -> None:
    record = cd_service.issuer.issue(TallyIncremented(tally_id="tally-b", amount=7))
    await publish_raw(kafka, tally_topic, [(record.key, record.value, record.headers)] * 2)

    await wait_for(lambda: _async(consumed(cd_service, tally_topic, "duplicate")), lambda n: n >= 1)
    assert await tally_of(cd_service.pool, "tally-b") == (7, 1)


async def test_events_of_one_key_are_applied_in_order(
    cq_service: ServiceRuntime, cd_service: ServiceRuntime
) -> None:
    for amount in range(1, 21):
        await request_increment(cq_service.pool, cq_service.issuer, "tally-c", amount)

    await wait_for(
        lambda: tally_of(cd_service.pool, "tally-c"), lambda t: t is not None and t[1] == 20
    )
    offsets = await cd_service.pool.fetch(
        "SELECT kafka_offset FROM inbox WHERE outcome = 'applied' ORDER BY processed_at"
    )
    assert [r["kafka_offset"] for r in offsets] == sorted(r["kafka_offset"] for r in offsets)
    assert await tally_of(cd_service.pool, "tally-c") == (210, 20)


async def _async(value: float) -> float:
    return value


async def test_every_record_the_relay_writes_is_parsed_by_the_cloudevents_sdk(
    cq_service: ServiceRuntime, tally_topic: str, kafka: str
) -> None:
    for amount in (1, 2, 3):
        await request_increment(cq_service.pool, cq_service.issuer, "tally-ce", amount)
    records = await wait_for(lambda: read_all(kafka, tally_topic), lambda r: len(r) >= 3)

    for record in records:
        event = from_structured(
            KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)
        )
        assert event["type"] == "cn.chengyu.test.tally-incremented.v1"
        assert event["source"] == "/cq/test/tally"
        assert event["partitionkey"] == record.key.decode()
        assert event["chengyukeyid"] == "cq-test-1"
        data = event.get_data()
        assert isinstance(data, dict)
        assert data["tally_id"] == "tally-ce"


async def test_a_relay_crash_before_marking_republishes_and_changes_nothing(
    cq_service: ServiceRuntime, cd_service: ServiceRuntime, tally_topic: str
) -> None:
    await request_increment(cq_service.pool, cq_service.issuer, "tally-relay", 4)
    await wait_for(lambda: tally_of(cd_service.pool, "tally-relay"), bool)

    # As if the relay died after Kafka acknowledged the record but before marking it.
    await cq_service.pool.execute("UPDATE outbox SET published_at = NULL")
    cq_service.relay.wake()

    await wait_for(lambda: _async(consumed(cd_service, tally_topic, "duplicate")), lambda n: n >= 1)
    assert await tally_of(cd_service.pool, "tally-relay") == (4, 1)
