"""The consumed-events metric counts each record under its own topic, also when one batch
of a consumer spans several topics."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from chengyu_contracts.encode import encode_event
from chengyu_contracts.envelope import to_kafka_record
from chengyu_contracts.person_ref import PersonRefKey
from chengyu_contracts.registry import EventData, EventSpec, Registry
from chengyu_contracts.signing import KeyRegistry, SigningKey
from chengyu_kit.crypto_pool import ThreadCryptoPool
from chengyu_kit.db import create_pool
from chengyu_kit.dead_letter import ReceivedRecord
from chengyu_kit.handling import EventHandlers
from chengyu_kit.inbox import EventContext, Inbox
from chengyu_kit.metrics import KitMetrics
from chengyu_kit.migrations import apply_migrations, kit_migrations


class Opened(EventData):
    case_id: str


class Closed(EventData):
    case_id: str


REGISTRY = Registry()
REGISTRY.register(EventSpec("cn.chengyu.test.opened.v1", Opened, "test.opened", "case_id", 1))
REGISTRY.register(EventSpec("cn.chengyu.test.closed.v1", Closed, "test.closed", "case_id", 1))
KEY = SigningKey.generate("cq-test-1", "/cq/test")


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database)
    await apply_migrations(pool, kit_migrations())
    yield pool
    await pool.close()


def received(data: EventData, offset: int) -> ReceivedRecord:
    record = to_kafka_record(
        encode_event(data, source="/cq/test/cases", key=KEY, registry=REGISTRY)
    )
    topic = REGISTRY.spec_for_model(type(data)).topic
    return ReceivedRecord(topic, 0, offset, record.key, record.value, record.headers)


def consumed(metrics: KitMetrics, topic: str, outcome: str) -> float:
    value = metrics.registry.get_sample_value(
        "chengyu_events_consumed_total", {"topic": topic, "outcome": outcome}
    )
    return value or 0.0


async def test_one_batch_of_two_topics_counts_each_under_its_own_topic(
    pool: asyncpg.Pool,
) -> None:
    handlers = EventHandlers()

    @handlers.on(Opened, issued_by=None)
    async def on_opened(event: Opened, unit: EventContext) -> None:
        return None

    metrics = KitMetrics()
    crypto = ThreadCryptoPool(REGISTRY, KeyRegistry([KEY.public_entry()]), None)
    inbox = Inbox(
        consumer="cases.cq",
        pool=pool,
        handlers=handlers.by_type(REGISTRY),
        metrics=metrics,
        crypto=crypto,
        city="cq",
        person_ref_key=PersonRefKey.from_hex("00" * 32),
    )
    batch = [
        received(Opened(case_id="c1"), 0),
        received(Closed(case_id="c1"), 0),
        received(Opened(case_id="c2"), 1),
    ]
    try:
        await inbox.process(batch)
    finally:
        crypto.close()
    assert consumed(metrics, "test.opened", "applied") == 2
    assert consumed(metrics, "test.closed", "ignored") == 1
    assert consumed(metrics, "test.opened", "ignored") == 0
