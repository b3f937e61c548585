"""Crashes and outages lose nothing and apply nothing twice."""

from __future__ import annotations

import asyncio
import signal
import uuid
from pathlib import Path

import pytest

from chengyu_contracts.registry import Registry
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.testing import KeyFiles
from tests.conftest import (
    service_settings,
    start_service_process,
    tally_runtime,
)
from tests.support.kafka_io import publish_raw
from tests.support.tally import TallyIncremented, tally_of
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


async def test_a_consumer_killed_between_database_commit_and_offset_commit_applies_once(
    kafka: str, cd_database: str, key_files: KeyFiles, tally_topic: str, tally_reg: Registry
) -> None:
    settings = service_settings("cd", kafka=kafka, database_url=cd_database, keys=key_files)
    process = await start_service_process(
        "tests.support.crashing_consumer", settings, TALLY_TOPIC=tally_topic
    )
    try:
        issuer = tally_runtime(settings, tally_reg).issuer
        records = [issuer.issue(TallyIncremented(tally_id="t-crash", amount=n)) for n in (1, 2, 3)]
        await publish_raw(kafka, tally_topic, [(r.key, r.value, r.headers) for r in records])
        raw_output, _ = await asyncio.wait_for(process.communicate(), 90)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    output = raw_output.decode()
    assert process.returncode == -signal.SIGKILL, output
    assert "committed 3 records" in output

    restarted = tally_runtime(settings, tally_reg)
    await restarted.start()
    try:
        duplicates = await wait_for(
            lambda: _sample(restarted, tally_topic, "duplicate"), lambda n: n >= 3
        )
        assert duplicates == 3
        assert await tally_of(restarted.pool, "t-crash") == (6, 3)
    finally:
        await restarted.stop()


async def test_events_wait_out_a_database_outage_and_none_is_lost(
    kafka: str,
    key_files: KeyFiles,
    tally_topic: str,
    tally_reg: Registry,
    tmp_path: Path,
) -> None:
    server = LocalPostgres(tmp_path / "pg")
    server.start()
    try:
        name = f"outage_{uuid.uuid4().hex[:8]}"
        await server.ensure_database(name)
        settings = service_settings(
            "cd", kafka=kafka, database_url=server.dsn(name), keys=key_files
        )
        runtime = tally_runtime(settings, tally_reg)
        await runtime.start()
        try:
            records = [
                runtime.issuer.issue(TallyIncremented(tally_id=f"t-out-{n % 5}", amount=n))
                for n in range(1, 51)
            ]
            server.stop()
            await publish_raw(kafka, tally_topic, [(r.key, r.value, r.headers) for r in records])
            await wait_for(
                lambda: _async(runtime.readiness.ready), lambda ready: not ready, timeout=30
            )
            await asyncio.sleep(3)
            server.start()

            async def total() -> int:
                return int(await runtime.pool.fetchval("SELECT coalesce(sum(total), 0) FROM tally"))

            assert await wait_for(total, lambda t: t == sum(range(1, 51)), timeout=60)
            events = await runtime.pool.fetchval("SELECT sum(events) FROM tally")
            assert events == 50
            await wait_for(lambda: _async(runtime.readiness.ready), bool, timeout=30)
        finally:
            await runtime.stop()
    finally:
        server.stop()


async def _sample(runtime: ServiceRuntime, topic: str, outcome: str) -> float:
    value = runtime.metrics.registry.get_sample_value(
        "chengyu_events_consumed_total", {"topic": topic, "outcome": outcome}
    )
    return value or 0.0


async def _async(value: bool) -> bool:
    return value
