"""``chengyu audit verify`` on a real broker, over the log the real services wrote: both
cities' insurance-years processes record contribution periods over HTTP while both cities'
checkpointers checkpoint and witness every partition. A byte-for-byte copy of that log
(records and checkpoints) verifies clean; each way of tampering with a copy is found and
named by its offset."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from chengyu_contracts.canonical import KEY_ID_MEMBER, SIGNATURE_MEMBER, signing_input
from chengyu_contracts.cities import CITIES
from chengyu_contracts.events.audit import CHECKPOINT_TOPIC
from chengyu_contracts.events.medins import CONTRIBUTION_TOPIC
from chengyu_contracts.keys import KeyRegistry, SigningKey
from chengyu_kit.local.kafka import KafkaCluster, admin_credentials_for
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_ops.audit.findings import Finding
from chengyu_ops.audit.partition_check import RawRecord
from chengyu_ops.audit.verify import AuditOptions, AuditResult, audit_log
from chengyu_ops.cli import app
from tests.support.audit_log import (
    Alter,
    AuditKeys,
    checkpoint_records,
    copy_topic,
    later,
    read_partitions,
    reset_topics,
)
from tests.support.checkpointer import (
    add_checkpointer_keys,
    all_witnessed,
    checkpointer_settings,
    running_checkpointer,
)
from tests.support.insurance import (
    both_cities_settings,
    in_chunks,
    insurance_key_files,
    resident_id,
    running_city,
)
from tests.support.kafka_io import apply_project_topics, fresh_kafka
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

ROUNDS = 8  # rounds of recording; both cities checkpoint every partition after each
PEOPLE_PER_ROUND = 12  # each records one period in both cities: 24 records a round
EVERY = 4  # CHECKPOINT_EVERY_RECORDS of the checkpointers


@dataclass
class Scene:
    source: str  # the services' log, with their checkpoints
    target: str  # where copies are made and audited
    keys: AuditKeys  # the services', the checkpointers' and another agency's keys
    registry: Path  # the key registry file the services and checkpointers read
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


async def record_with_both_checkpointers(
    bootstrap: str, folder: Path, postgres: LocalPostgres
) -> tuple[AuditKeys, Path]:
    """Run both cities' insurance-years processes and checkpointers on ``bootstrap``:
    contribution periods recorded over HTTP in rounds, each round checkpointed and
    witnessed by both cities before the next (so each partition has checkpoints at many
    sizes); every process stopped after. The scenario's keys and registry file."""
    services = insurance_key_files(folder / "services")
    other_agency = SigningKey.generate("cq-hpf-audit-test", "/cq/hpf")  # valid, another source
    registry = KeyRegistry.from_json_file(services.registry)
    KeyRegistry([*registry, other_agency.public_entry()]).write_json_file(services.registry)
    audit_files = add_checkpointer_keys(folder / "audit", services.registry)
    keys = AuditKeys(
        mi={"cq": services.cq, "cd": services.cd},
        audit={city: SigningKey.from_json_file(audit_files[city]) for city in CITIES},
        other_agency=other_agency,
    )
    settings = await both_cities_settings(postgres, kafka=bootstrap, keys=services)
    checkpointers = await checkpointer_settings(
        postgres,
        kafka=bootstrap,
        key_files=audit_files,
        checkpoint_every_records=EVERY,
        checkpoint_every_seconds=0.5,
        reader_poll_seconds=0.2,
    )
    async with (
        running_city(settings["cq"]) as cq,
        running_city(settings["cd"]) as cd,
        running_checkpointer(checkpointers["cq"]) as cq_checkpointer,
        running_checkpointer(checkpointers["cd"]) as cd_checkpointer,
    ):
        witnessed = partial(
            all_witnessed, bootstrap, [CONTRIBUTION_TOPIC], [cq_checkpointer, cd_checkpointer]
        )
        for round_ in range(ROUNDS):
            people = range(round_ * PEOPLE_PER_ROUND, (round_ + 1) * PEOPLE_PER_ROUND)
            await in_chunks(
                [partial(cq.record, resident_id(n), "1990-01", "1999-12", "actual") for n in people]
                + [
                    partial(cd.record, resident_id(n), "2000-01", "2009-12", "actual")
                    for n in people
                ]
            )
            await wait_for(
                partial(published_all, bootstrap, (round_ + 1) * 2 * PEOPLE_PER_ROUND),
                bool,
                timeout=60,
            )
            await wait_for(witnessed, bool, timeout=90)
    return keys, services.registry


async def published_all(bootstrap: str, count: int) -> bool:
    """Whether the contribution topic holds ``count`` records (the outbox relayed them)."""
    partitions = await read_partitions(bootstrap, CONTRIBUTION_TOPIC)
    return sum(len(log) for log in partitions.values()) >= count


@pytest.fixture(scope="module")
async def scene(
    clusters: tuple[KafkaCluster, KafkaCluster],
    tmp_path_factory: pytest.TempPathFactory,
    postgres: LocalPostgres,
) -> AsyncIterator[Scene]:
    source, target = (c.bootstrap_servers for c in clusters)
    await apply_project_topics(source)
    keys, registry = await record_with_both_checkpointers(
        source, tmp_path_factory.mktemp("audit-keys"), postgres
    )
    partitions = await read_partitions(source, CONTRIBUTION_TOPIC)
    yield Scene(source, target, keys, registry, partitions)


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
        KeyRegistry.from_json_file(scene.registry),
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


def between_checkpoints(result: AuditResult, partition: int, offset: int) -> tuple[int, int]:
    """The offsets a change at ``offset`` is narrowed to: from the last checkpointed size at
    or before it (the roots up to there still match) to the first checkpoint after it."""
    sizes = result.checkpoints.sizes(CONTRIBUTION_TOPIC, partition)
    first = max((size for size in sizes if size <= offset), default=0)
    return first, min(size for size in sizes if size > offset) - 1


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
    assert [(f.offset, f.last_offset) for f in mismatch] == [
        between_checkpoints(result, partition, offset)
    ]


async def test_a_deleted_record_is_named_by_the_checkpoint_that_covered_it(scene: Scene) -> None:
    partition, offset = busiest(scene), 9

    result = await audited_copy(scene, {partition: lambda log: [*log[:offset], *log[offset + 1 :]]})

    found = first_finding(result, partition)
    assert found.kind == "checkpoint-root-mismatch"
    assert (found.offset, found.last_offset) == between_checkpoints(result, partition, offset)


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
    assert (found.offset, found.last_offset) == between_checkpoints(result, partition, offset)


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
    # Later than any relay resends (15 minutes), yet within the hour ahead of the broker's
    # clock it accepts timestamps for: the services' records are minutes old.
    replayed_after = timedelta(minutes=45)

    result = await audited_copy(
        scene, {partition: lambda log: [*log, later(log[1], replayed_after)]}
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
    registry = scene.registry
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
