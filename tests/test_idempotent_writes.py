"""A write whose answer was lost, because the process died right after its commit, is
answered on retry with the committed answer, and nothing is written twice."""

from __future__ import annotations

import asyncio
import signal

import asyncpg
import httpx
import pytest

from chengyu_kit.local.kafka import free_port_block
from chengyu_kit.settings import ServiceSettings
from chengyu_kit.testing import KeyFiles
from tests.conftest import service_settings, start_service_process
from tests.support.identity import clerk_headers
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


async def serving(port: int) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

        async def ready() -> int:
            try:
                return (await client.get("/readyz")).status_code
            except httpx.TransportError:
                return 0

        await wait_for(ready, lambda status: status == 200, timeout=60)


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), 60)


async def test_a_retry_after_a_crash_between_commit_and_answer_gets_the_committed_answer(
    kafka: str, cq_database: str, key_files: KeyFiles, tally_topic: str
) -> None:
    port = free_port_block(1)
    settings: ServiceSettings = service_settings(
        "cq", kafka=kafka, database_url=cq_database, keys=key_files, http_port=port
    )
    url = f"http://127.0.0.1:{port}/tallies/t-lost/increments"
    headers = {
        "Idempotency-Key": '"c0ffee00-lost-answer"',
        **clerk_headers("cq", "tally", "test"),
    }

    dying = await start_service_process(
        "tests.support.tally_service",
        settings,
        TALLY_TOPIC=tally_topic,
        TALLY_DIE_BEFORE_ANSWER="1",
    )
    try:
        await serving(port)
        async with httpx.AsyncClient() as client:
            with pytest.raises(httpx.TransportError):
                await client.post(url, json={"amount": 3}, headers=headers)
        await asyncio.wait_for(dying.wait(), 30)
        assert dying.returncode == -signal.SIGKILL
    finally:
        if dying.returncode is None:
            dying.kill()
            await dying.wait()

    restarted = await start_service_process(
        "tests.support.tally_service", settings, TALLY_TOPIC=tally_topic
    )
    try:
        await serving(port)
        async with httpx.AsyncClient() as client:
            retry = await client.post(url, json={"amount": 3}, headers=headers)
            other = await client.post(url, json={"amount": 4}, headers=headers)
    finally:
        await stop(restarted)

    assert retry.status_code == 202, retry.text
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    conn = await asyncpg.connect(cq_database)
    try:
        rows = await conn.fetch("SELECT id, amount FROM requested_increment")
        events = await conn.fetchval("SELECT count(*) FROM outbox")
    finally:
        await conn.close()
    assert [(row["id"], row["amount"]) for row in rows] == [(retry.json()["requested_id"], 3)]
    assert events == 1
