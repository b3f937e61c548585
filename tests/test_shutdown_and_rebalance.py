"""SIGTERM and consumer-group rebalances neither lose nor double-apply an event."""

from __future__ import annotations

import asyncio
import json
import signal
import socket

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from chengyu_contracts.registry import Registry
from chengyu_kit.testing import KeyFiles, kafka_options
from tests.conftest import (
    service_settings,
    start_service_process,
    tally_runtime,
)
from tests.support.kafka_io import publish_raw
from tests.support.tally import TallyIncremented
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def committed_total(kafka: str, group: str) -> int:
    """Sum of the group's committed offsets over all partitions."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka, **kafka_options(kafka))
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return sum(meta.offset for meta in offsets.values() if meta.offset >= 0)


async def test_sigterm_finishes_the_batch_in_flight_and_commits_its_offsets(
    kafka: str, cd_database: str, key_files: KeyFiles, tally_topic: str, tally_reg: Registry
) -> None:
    port = free_port()
    settings = service_settings(
        "cd",
        kafka=kafka,
        database_url=cd_database,
        keys=key_files,
        http_port=port,
        consumer_max_batch=20,
    )
    process = await start_service_process(
        "tests.support.tally_service", settings, TALLY_TOPIC=tally_topic
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

            async def ready() -> int:
                try:
                    return (await client.get("/readyz")).status_code
                except httpx.TransportError:
                    return 0

            await wait_for(ready, lambda status: status == 200, timeout=60)
        issuer = tally_runtime(settings, tally_reg).issuer
        records = [
            issuer.issue(TallyIncremented(tally_id=f"t-{n % 7}", amount=1)) for n in range(400)
        ]
        await publish_raw(kafka, tally_topic, [(r.key, r.value, r.headers) for r in records])

        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    # uvicorn re-raises the signal after its graceful shutdown, as supervisors expect.
    assert process.returncode in (0, -signal.SIGTERM), output.decode()[-2000:]
    assert b"service stopped" in output
    lines = [json.loads(line) for line in output.decode().splitlines() if line.strip()]
    assert all({"level", "timestamp", "message", "service", "city"} <= set(line) for line in lines)

    runtime = tally_runtime(settings, tally_reg)
    await runtime.start()
    try:
        applied_before_restart = await committed_total(kafka, "tally.cd")
        assert applied_before_restart > 0
        await wait_for(
            lambda: runtime.pool.fetchval("SELECT coalesce(sum(events), 0) FROM tally"),
            lambda n: n == 400,
        )
        duplicates = runtime.metrics.registry.get_sample_value(
            "chengyu_events_consumed_total", {"topic": tally_topic, "outcome": "duplicate"}
        )
        assert duplicates is None, "a graceful stop commits what it applied: no redelivery"
    finally:
        await runtime.stop()


async def test_members_joining_and_leaving_the_group_apply_every_event_once(
    kafka: str, cd_database: str, key_files: KeyFiles, tally_topic: str, tally_reg: Registry
) -> None:
    settings = service_settings(
        "cd", kafka=kafka, database_url=cd_database, keys=key_files, consumer_max_batch=25
    )
    first = tally_runtime(settings, tally_reg)
    second = tally_runtime(settings, tally_reg)
    issuer = first.issuer
    total = 600

    async def produce() -> None:
        for start in range(0, total, 50):
            batch = [
                issuer.issue(TallyIncremented(tally_id=f"t-{n % 11}", amount=n))
                for n in range(start, start + 50)
            ]
            await publish_raw(kafka, tally_topic, [(r.key, r.value, r.headers) for r in batch])
            await asyncio.sleep(0.3)

    await first.start()
    producing = asyncio.create_task(produce())
    await asyncio.sleep(1.5)
    await second.start()  # rebalance: partitions are split between the two
    await asyncio.sleep(1.5)
    await first.stop()  # rebalance again: the second takes everything
    await producing

    async def sums() -> tuple[int, int]:
        row = await second.pool.fetchrow(
            "SELECT coalesce(sum(events), 0) AS events, coalesce(sum(total), 0) AS total FROM tally"
        )
        assert row is not None
        return int(row["events"]), int(row["total"])

    try:
        await wait_for(sums, lambda applied: applied[0] >= total, timeout=90)
        await asyncio.sleep(1)  # room for a wrongly repeated event to show up
        assert await sums() == (total, sum(range(total)))
    finally:
        await second.stop()
