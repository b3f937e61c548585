"""Both cities' checkpointers on a real Kafka and PostgreSQL: each checkpoints every
partition it reads, the other city witnesses each checkpoint, and the auditor's replay
finds every checkpoint signed, witnessed and equal to the log; a checkpoint the witness
cannot recompute is disputed (an event, a red readiness) until a clerk takes it up; a
checkpointer killed mid-read resumes with the same roots."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from chengyu_contracts.checkpoint import Checkpoint, sign_note
from chengyu_contracts.checkpointers import checkpoint_origin, checkpointer_source
from chengyu_contracts.events.audit import CHECKPOINT_TOPIC, CheckpointPublished, log_name
from chengyu_contracts.events.medins import CONTRIBUTION_TOPIC
from chengyu_kit.local.kafka import admin_credentials_for
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_ops.audit.verify import AuditOptions, AuditResult, audit_log
from tests.support.audit import logged_events
from tests.support.audit_log import AuditKeys, contribution, publish, read_partitions, signed
from tests.support.checkpointer import (
    CheckpointerCity,
    all_witnessed,
    checkpointer_settings,
    running_checkpointer,
    write_key_files,
)
from tests.support.kafka_io import apply_project_topics, fresh_kafka
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

EVERY = 5  # records between two checkpoints of a log (CHECKPOINT_EVERY_RECORDS)
START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


@dataclass
class World:
    cq: CheckpointerCity
    cd: CheckpointerCity
    bootstrap: str
    keys: AuditKeys
    published: int = 0

    async def publish_contributions(self, count: int) -> None:
        """``count`` more signed contribution periods of both cities on the log."""
        first = self.published
        times = [START + timedelta(minutes=i) for i in range(first, first + count)]
        records = [
            contribution(i, "cq" if i % 3 else "cd", self.keys, t)
            for i, t in enumerate(times, start=first)
        ]
        await publish(self.bootstrap, CONTRIBUTION_TOPIC, records)
        self.published += count


@pytest.fixture
async def world(tmp_path: Path, postgres: LocalPostgres) -> AsyncIterator[World]:
    keys = AuditKeys.generate()
    key_files = write_key_files(tmp_path / "keys", keys)
    with fresh_kafka(tmp_path / "kafka") as cluster:
        bootstrap = cluster.bootstrap_servers
        await apply_project_topics(bootstrap)
        settings = await checkpointer_settings(
            postgres,
            kafka=bootstrap,
            key_files=key_files,
            checkpoint_every_records=EVERY,
            checkpoint_every_seconds=1.0,
            reader_poll_seconds=0.2,
        )
        async with (
            running_checkpointer(settings["cq"]) as cq,
            running_checkpointer(settings["cd"]) as cd,
        ):
            yield World(cq, cd, bootstrap, keys)


async def sizes_on_the_log(world: World) -> dict[int, int]:
    """How many records each partition of the contribution topic holds."""
    partitions = await read_partitions(world.bootstrap, CONTRIBUTION_TOPIC)
    return {partition: len(records) for partition, records in partitions.items()}


async def both_caught_up(world: World) -> None:
    cities = [world.cq, world.cd]
    probe = partial(all_witnessed, world.bootstrap, [CONTRIBUTION_TOPIC], cities)
    await wait_for(probe, bool, timeout=90)


async def audited(world: World) -> AuditResult:
    return await audit_log(
        world.bootstrap,
        admin_credentials_for(world.bootstrap),
        world.keys.registry(),
        AuditOptions(topics=(CONTRIBUTION_TOPIC,), processes=1, invariants=False),
        now=lambda: datetime.now(UTC),
    )


async def test_each_city_checkpoints_every_log_the_other_witnesses_and_the_audit_agrees(
    world: World,
) -> None:
    await world.publish_contributions(60)
    await both_caught_up(world)

    result = await audited(world)
    assert result.findings == []
    book = result.checkpoints
    assert book.published > 0 and book.witnessed > 0
    assert book.unwitnessed() == 0
    # Each city checkpointed every partition of the log at least once, at its full size.
    logs = {
        (c.topic, c.partition)
        for c in result.partitions
        if c.records and c.topic == CONTRIBUTION_TOPIC
    }
    assert {log for log in book.claims if book.claims[log]} >= logs
    events = await logged_events(world.bootstrap, [CHECKPOINT_TOPIC], world.keys.registry())
    cities = {e.data.checkpointer_city for e in events if isinstance(e.data, CheckpointPublished)}
    assert cities == {"cq", "cd"}


async def test_a_checkpoint_the_witness_cannot_recompute_is_disputed_until_a_clerk_takes_it_up(
    world: World,
) -> None:
    await world.publish_contributions(20)
    await both_caught_up(world)
    partition, size = max((await sizes_on_the_log(world)).items(), key=lambda item: item[1])
    # Chongqing's checkpointer key signs another root for the log at the size both cities
    # already confirmed (a compromised checkpointer, or a log rewritten under it): the
    # note's signature is valid, the root is not the log's.
    forged_root = hashlib.sha256(b"not the log").digest()
    origin = checkpoint_origin(CONTRIBUTION_TOPIC, partition)
    key = world.keys.audit["cq"]
    note = sign_note(Checkpoint(origin, size, forged_root).body(), key.key_id, key).text()
    forged = CheckpointPublished(
        log=log_name(CONTRIBUTION_TOPIC, partition),
        topic=CONTRIBUTION_TOPIC,
        partition=partition,
        origin=origin,
        tree_size=size,
        root_hash=base64.b64encode(forged_root).decode(),
        last_offset=size - 1,
        checkpointer_city="cq",
        note=note,
    )
    record = signed(forged, key, checkpointer_source("cq"), datetime.now(UTC))
    await publish(world.bootstrap, CHECKPOINT_TOPIC, [record])

    disputes = await wait_for(world.cd.disputes, bool, timeout=60)
    assert [(d["log"], d["size"], d["reason"]) for d in disputes] == [
        (log_name(CONTRIBUTION_TOPIC, partition), size, "root-mismatch")
    ]
    # An alert on the bus, which Chongqing records against its own checkpoint too.
    assert await wait_for(world.cq.disputes, bool, timeout=60)
    for city in (world.cd, world.cq):
        _, body = await wait_for(city.readiness, lambda answer: answer[0] == 503, timeout=30)
        assert "root-mismatch" in body["components"]["checkpoints"]["detail"], body

    answer = await world.cd.acknowledge(disputes[0]["dispute_id"])
    assert answer.status_code == 200, answer.text
    assert await world.cd.disputes() == []
    await wait_for(world.cd.readiness, lambda answer: answer[0] == 200, timeout=30)
    refused = await world.cd.acknowledge(10_000)
    assert refused.status_code == 404 and "no-such-dispute" in refused.text


async def test_a_checkpointer_killed_mid_read_resumes_with_the_same_roots(world: World) -> None:
    await world.publish_contributions(30)
    await world.cd.kill()
    await world.publish_contributions(30)
    await world.cd.start()
    await world.publish_contributions(15)
    await both_caught_up(world)

    result = await audited(world)
    assert result.findings == []
    assert result.checkpoints.published > 0 and result.checkpoints.unwitnessed() == 0
