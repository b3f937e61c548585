"""``chengyu audit verify`` on a real broker: a log of two cities' signed events with
witnessed checkpoints verifies clean, byte for byte copied; each way of tampering with a
copy is found and named by its offset."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from chengyu_contracts.canonical import KEY_ID_MEMBER, SIGNATURE_MEMBER, signing_input
from chengyu_contracts.events.audit import CHECKPOINT_TOPIC
from chengyu_contracts.events.medins import CONTRIBUTION_TOPIC
from chengyu_kit.local.kafka import KafkaCluster, admin_credentials_for
from chengyu_ops.audit.findings import Finding
from chengyu_ops.audit.partition_check import RawRecord
from chengyu_ops.audit.verify import AuditOptions, AuditResult, audit_log
from chengyu_ops.cli import app
from tests.support.audit_log import (
    Alter,
    AuditKeys,
    checkpoint_records,
    contribution,
    copy_topic,
    later,
    publish,
    read_partitions,
    reset_topics,
)
from tests.support.kafka_io import apply_project_topics, fresh_kafka

pytestmark = pytest.mark.integration

EVERY = 4  # records between two checkpoints of a partition
START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


@dataclass
class Scene:
    source: str  # the original log, with its checkpoints
    target: str  # where copies are made and audited
    keys: AuditKeys
    partitions: dict[int, list[RawRecord]]


@pytest.fixture(scope="module")
def clusters(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[KafkaCluster, KafkaCluster]]:
    with (
        fresh_kafka(tmp_path_factory.mktemp("audit-source")) as source,
        fresh_kafka(tmp_path_factory.mktemp("audit-target")) as target,
    ):
        yield source, target


@pytest.fixture(scope="module")
async def scene(clusters: tuple[KafkaCluster, KafkaCluster]) -> AsyncIterator[Scene]:
    source, target = (c.bootstrap_servers for c in clusters)
    await apply_project_topics(source)
    keys = AuditKeys.generate()
    times = [START + timedelta(minutes=i) for i in range(90)]
    records = [contribution(i, "cq" if i % 3 else "cd", keys, t) for i, t in enumerate(times)]
    await publish(source, CONTRIBUTION_TOPIC, records, [int(t.timestamp() * 1000) for t in times])
    partitions = await read_partitions(source, CONTRIBUTION_TOPIC)
    checkpoints = []
    for partition, log in sorted(partitions.items()):
        sizes = [*range(EVERY, len(log) + 1, EVERY), len(log)]
        checkpointer = "cq" if partition % 2 == 0 else "cd"
        checkpoints += checkpoint_records(
            CONTRIBUTION_TOPIC, partition, log, sorted(set(sizes)), keys, checkpointer=checkpointer
        )
    await publish(source, CHECKPOINT_TOPIC, checkpoints)
    yield Scene(source, target, keys, partitions)


async def audited_copy(
    scene: Scene,
    alter: dict[int, Alter] | None = None,
    alter_checkpoints: dict[int, Alter] | None = None,
) -> AuditResult:
    await reset_topics(scene.target)
    await copy_topic(scene.source, scene.target, CONTRIBUTION_TOPIC, alter)
    await copy_topic(scene.source, scene.target, CHECKPOINT_TOPIC, alter_checkpoints)
    return await audit_log(
        scene.target,
        admin_credentials_for(scene.target),
        scene.keys.registry(),
        AuditOptions(topics=(CONTRIBUTION_TOPIC,), processes=2, invariants=False),
        now=lambda: datetime.now(UTC),
    )


def busiest(scene: Scene) -> int:
    """The partition with the most records (each case alters this one)."""
    return max(scene.partitions, key=lambda p: len(scene.partitions[p]))


def only(result: AuditResult, kind: str) -> list[Finding]:
    return [f for f in result.findings if f.kind == kind]


def first_finding(result: AuditResult, partition: int) -> Finding:
    mine = [
        f for f in result.findings if f.topic == CONTRIBUTION_TOPIC and f.partition == partition
    ]
    assert mine, result.findings
    return min(mine, key=lambda f: f.offset or 0)


async def test_an_untouched_copy_verifies_clean(scene: Scene) -> None:
    result = await audited_copy(scene)

    assert result.findings == []
    assert result.records == sum(len(log) for log in scene.partitions.values()) + len(
        [r for p in (await read_partitions(scene.source, CHECKPOINT_TOPIC)).values() for r in p]
    )
    assert result.checkpoints.witnessed == result.checkpoints.published > 0
    assert result.checkpoints.unwitnessed() == 0


async def test_one_flipped_byte_of_a_value_is_named_by_its_offset(scene: Scene) -> None:
    partition, offset = busiest(scene), 6

    def flip(log: list[RawRecord]) -> list[RawRecord]:
        value = bytearray(log[offset].value or b"")
        value[len(value) // 2] ^= 0x01
        return [*log[:offset], replace(log[offset], value=bytes(value)), *log[offset + 1 :]]

    result = await audited_copy(scene, {partition: flip})

    rejected = only(result, "rejected-record")
    assert [(f.partition, f.offset) for f in rejected] == [(partition, offset)]
    mismatch = only(result, "checkpoint-root-mismatch")
    assert len(mismatch) == 1 and mismatch[0].offset == 4 and mismatch[0].last_offset == 7


async def test_a_deleted_record_is_named_by_the_checkpoint_that_covered_it(scene: Scene) -> None:
    partition, offset = busiest(scene), 9

    result = await audited_copy(scene, {partition: lambda log: [*log[:offset], *log[offset + 1 :]]})

    found = first_finding(result, partition)
    assert found.kind == "checkpoint-root-mismatch"
    assert found.offset is not None and found.last_offset is not None
    assert found.offset <= offset <= found.last_offset and found.last_offset - found.offset < EVERY


async def test_two_swapped_records_are_named_by_the_checkpoint_that_covered_them(
    scene: Scene,
) -> None:
    partition, offset = busiest(scene), 13

    def swap(log: list[RawRecord]) -> list[RawRecord]:
        swapped = list(log)
        a, b = log[offset], log[offset + 1]
        swapped[offset] = replace(b, offset=a.offset)
        swapped[offset + 1] = replace(a, offset=b.offset)
        return swapped

    result = await audited_copy(scene, {partition: swap})

    found = first_finding(result, partition)
    assert found.kind == "checkpoint-root-mismatch"
    assert found.offset is not None and found.last_offset is not None
    assert found.offset <= offset and offset + 1 <= found.last_offset


def forged_by_wrong_agency(record: RawRecord, keys: AuditKeys) -> RawRecord:
    """``record``'s event as new, signed with a valid key of another agency."""
    event: dict[str, Any] = json.loads(record.value or b"{}")
    event["id"] = str(uuid.uuid4())
    key = keys.other_agency
    unsigned = {k: v for k, v in event.items() if k not in (SIGNATURE_MEMBER, KEY_ID_MEMBER)}
    unsigned[KEY_ID_MEMBER] = key.key_id
    signature = key.sign(signing_input(unsigned))
    unsigned[SIGNATURE_MEMBER] = base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
    return replace(record, value=json.dumps(unsigned).encode())


async def test_a_record_signed_by_another_agencys_valid_key_is_named(scene: Scene) -> None:
    partition = busiest(scene)
    end = len(scene.partitions[partition])

    result = await audited_copy(
        scene, {partition: lambda log: [*log, forged_by_wrong_agency(log[2], scene.keys)]}
    )

    rejected = only(result, "rejected-record")
    assert [(f.partition, f.offset) for f in rejected] == [(partition, end)]
    assert "not-authorised" in rejected[0].message or "may not sign" in rejected[0].message


async def test_a_replayed_old_record_is_named_by_the_offset_of_the_replay(scene: Scene) -> None:
    partition = busiest(scene)
    end = len(scene.partitions[partition])

    result = await audited_copy(
        scene, {partition: lambda log: [*log, later(log[1], timedelta(hours=2))]}
    )

    duplicates = only(result, "duplicate-event-id")
    assert [(f.partition, f.offset) for f in duplicates] == [(partition, end)]
    assert "replay" in duplicates[0].message


async def test_a_redelivery_moments_later_is_counted_not_found(scene: Scene) -> None:
    partition = busiest(scene)

    result = await audited_copy(
        scene, {partition: lambda log: [*log, later(log[-1], timedelta(seconds=20))]}
    )

    assert result.findings == []
    assert result.redeliveries[CONTRIBUTION_TOPIC] == 1


async def test_a_truncated_partition_is_named_where_its_records_end(scene: Scene) -> None:
    partition = busiest(scene)
    kept = len(scene.partitions[partition]) - 3

    result = await audited_copy(scene, {partition: lambda log: log[:kept]})

    shorter = only(result, "log-shorter-than-checkpoint")
    assert [(f.partition, f.offset) for f in shorter] == [(partition, kept)]


async def test_a_rewritten_partition_with_checkpoints_signed_by_another_key_is_named(
    scene: Scene,
) -> None:
    partition = busiest(scene)
    log = scene.partitions[partition]
    rewritten = [*log[:5], *log[6:]]
    # The forger re-signs every checkpoint of the partition, with a key that is no
    # checkpointer's, over the rewritten log.
    forged = checkpoint_records(
        CONTRIBUTION_TOPIC,
        partition,
        [replace(r, offset=i) for i, r in enumerate(rewritten)],
        list(range(EVERY, len(rewritten) + 1, EVERY)),
        scene.keys,
        signer=scene.keys.other_agency,
        checkpointer="cq" if partition % 2 == 0 else "cd",
    )
    log_name = f"{CONTRIBUTION_TOPIC}/{partition}".encode()

    def replace_checkpoints(records: list[RawRecord]) -> list[RawRecord]:
        kept = [r for r in records if r.key != log_name]
        template = records[0]
        return kept + [
            replace(template, key=key, value=value, headers=tuple(headers))
            for key, value, headers in forged
        ]

    held = await read_partitions(scene.source, CHECKPOINT_TOPIC)
    home = next(p for p, records in held.items() if any(r.key == log_name for r in records))
    result = await audited_copy(
        scene, {partition: lambda _: rewritten}, {home: replace_checkpoints}
    )

    bad_notes = only(result, "checkpoint-signature")
    assert bad_notes and all(f.topic == CHECKPOINT_TOPIC for f in bad_notes)
    assert len(bad_notes) == len(forged)
    # The partition has no valid checkpoint left, so nothing vouches for the rewrite.
    assert not [f for f in result.findings if f.kind == "checkpoint-root-mismatch"]


async def test_the_command_writes_both_reports_and_exits_by_its_verdict(
    scene: Scene, tmp_path: Path
) -> None:
    registry = tmp_path / "registry.json"
    scene.keys.registry().write_json_file(registry)
    admin = admin_credentials_for(scene.target)
    assert admin is not None

    def verify(out: Path) -> Result:
        args = [
            "audit", "verify", "--out", str(out), "--topic", CONTRIBUTION_TOPIC,
            "--bootstrap", scene.target, "--user", admin.username,
            "--password-file", str(admin.password_file), "--keys", str(registry),
            "--processes", "1", "--no-invariants", "--quiet",
        ]  # fmt: skip
        return CliRunner().invoke(app, args)

    await audited_copy(scene)
    clean = await asyncio.to_thread(verify, tmp_path / "clean")
    partition = busiest(scene)
    await audited_copy(scene, {partition: lambda log: log[:-1]})
    tampered = await asyncio.to_thread(verify, tmp_path / "tampered")

    assert clean.exit_code == 0, clean.output
    report = json.loads((tmp_path / "clean" / "report.json").read_text())
    assert report["verdict"] == "clean" and report["totals"]["findings"] == 0
    assert "Clean: nothing found." in (tmp_path / "clean" / "report.html").read_text()
    assert tampered.exit_code == 1, tampered.output
    report = json.loads((tmp_path / "tampered" / "report.json").read_text())
    assert [f["kind"] for f in report["findings"]] == ["log-shorter-than-checkpoint"]
    assert (
        f"{CONTRIBUTION_TOPIC}/{partition}@" in (tmp_path / "tampered" / "report.html").read_text()
    )
