"""A broker outage loses nothing: the outbox holds events until Kafka is back."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from chengyu_kit.local.kafka import KafkaCluster, ensure_kafka_jars, free_port_block
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.testing import KeyFiles, create_topics
from tests.conftest import PROJECT_ROOT, service_settings, tally_runtime
from tests.support.tally import request_increment, tally_registry
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


async def test_events_written_while_kafka_is_down_are_published_and_applied_once_it_is_back(
    postgres: LocalPostgres, key_files: KeyFiles, tmp_path: Path
) -> None:
    cluster = KafkaCluster(
        tmp_path / "kafka", port=free_port_block(2), jars=ensure_kafka_jars(PROJECT_ROOT)
    )
    await asyncio.to_thread(cluster.start)
    try:
        kafka = cluster.bootstrap_servers
        topic = f"t{uuid.uuid4().hex[:10]}.tally"
        await create_topics(kafka, topic)
        registry = tally_registry(topic)
        databases = []
        for city in ("cq", "cd"):
            name = f"outage_{city}_{uuid.uuid4().hex[:8]}"
            await postgres.ensure_database(name)
            databases.append(postgres.dsn(name))
        cq = tally_runtime(
            service_settings("cq", kafka=kafka, database_url=databases[0], keys=key_files),
            registry,
        )
        cd = tally_runtime(
            service_settings("cd", kafka=kafka, database_url=databases[1], keys=key_files),
            registry,
        )
        await cq.start()
        await cd.start()
        try:
            await request_increment(cq.pool, cq.issuer, "t-before", 1)
            await wait_for(lambda: _total(cd, "t-before"), lambda t: t == 1)

            await asyncio.to_thread(cluster.stop)
            for amount in range(1, 21):
                await request_increment(cq.pool, cq.issuer, "t-during", amount)
            await asyncio.sleep(5)
            assert (
                await cq.pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                == 20
            )
            await asyncio.to_thread(cluster.start)

            assert await wait_for(
                lambda: _total(cd, "t-during"), lambda t: t == sum(range(1, 21)), timeout=120
            )
            events = await cd.pool.fetchval("SELECT events FROM tally WHERE tally_id = 't-during'")
            assert events == 20
        finally:
            await cd.stop()
            await cq.stop()
    finally:
        await asyncio.to_thread(cluster.stop)


async def _total(runtime: object, tally_id: str) -> int:
    from chengyu_kit.runtime import ServiceRuntime

    assert isinstance(runtime, ServiceRuntime)
    value = await runtime.pool.fetchval("SELECT total FROM tally WHERE tally_id = $1", tally_id)
    return int(value or 0)
