"""Evidence bundles and case traces on a real broker: a log of two cities' signed events
with checkpoints both cities signed; a case's and a person's bundle verify with the
standalone verifier run as a third party would (its own Python process, the zip's
``verify.py``); a byte changed in any member of the bundle makes it fail; the trace shows
the person's steps in both cities, in order."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chengyu_contracts.events.audit import CHECKPOINT_TOPIC
from chengyu_contracts.events.medins import CONTRIBUTION_TOPIC
from chengyu_kit.local.kafka import admin_credentials_for
from chengyu_ops.audit import bundle_verifier
from chengyu_ops.audit.evidence import case_events, case_selector, person_selector, write_bundle
from chengyu_ops.audit.trace import timeline, timeline_text
from chengyu_ops.cli import app
from tests.support.audit_log import (
    AuditKeys,
    checkpoint_records,
    contribution,
    publish,
    read_partitions,
)
from tests.support.kafka_io import apply_project_topics, fresh_kafka

pytestmark = pytest.mark.integration

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
RECORDS = 60
LATE = 6  # records published after the last checkpoint


@dataclass
class Log:
    bootstrap: str
    keys: AuditKeys
    registry: Path


@pytest.fixture(scope="module")
async def log(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Log]:
    folder = tmp_path_factory.mktemp("evidence")
    with fresh_kafka(folder / "kafka") as cluster:
        bootstrap = cluster.bootstrap_servers
        await apply_project_topics(bootstrap)
        keys = AuditKeys.generate()
        times = [START + timedelta(minutes=i) for i in range(RECORDS + LATE)]
        records = [contribution(i, "cq" if i % 3 else "cd", keys, t) for i, t in enumerate(times)]
        await publish(bootstrap, CONTRIBUTION_TOPIC, records[:RECORDS])
        checkpoints = []
        for partition, partition_log in sorted(
            (await read_partitions(bootstrap, CONTRIBUTION_TOPIC)).items()
        ):
            if partition_log:
                sizes = sorted({*range(4, len(partition_log) + 1, 4), len(partition_log)})
                checkpoints += checkpoint_records(
                    CONTRIBUTION_TOPIC, partition, partition_log, sizes, keys
                )
        await publish(bootstrap, CHECKPOINT_TOPIC, checkpoints)
        await publish(bootstrap, CONTRIBUTION_TOPIC, records[RECORDS:])
        registry = folder / "registry.json"
        keys.registry().write_json_file(registry)
        yield Log(bootstrap, keys, registry)


def third_party_verifies(
    bundle: Path, *, own_copy: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run the verifier on the bundle in a Python process of its own, from another folder,
    as the recipient would: the ``verify.py`` in the zip, or (``own_copy``) the verifier
    obtained another way, as a recipient who does not trust the sender does."""
    folder = bundle.parent / f"{bundle.stem}-recipient"
    folder.mkdir(exist_ok=True)
    if own_copy:
        (folder / "verify.py").write_bytes(Path(bundle_verifier.__file__).read_bytes())
    else:
        with zipfile.ZipFile(bundle) as opened:
            (folder / "verify.py").write_bytes(opened.read("verify.py"))
    return subprocess.run(
        [sys.executable, str(folder / "verify.py"), str(bundle)],
        capture_output=True,
        text=True,
        check=False,
        cwd=folder,
    )


async def test_a_case_bundle_verifies(log: Log, tmp_path: Path) -> None:
    credentials = admin_credentials_for(log.bootstrap)
    bundle = await write_bundle(
        log.bootstrap,
        credentials,
        log.registry,
        case_selector("period-7"),
        {"case": "period-7"},
        tmp_path / "case.zip",
    )
    assert (bundle.records, bundle.not_yet_covered) == (1, [])
    checked = await asyncio.to_thread(third_party_verifies, bundle.path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("valid (1 records")


async def test_a_persons_bundle_holds_what_checkpoints_cover_and_names_the_rest(
    log: Log, tmp_path: Path
) -> None:
    # person-3: records 3, 20, 37 and 54 (index % 17 == 3), all checkpointed.
    bundle = await write_bundle(
        log.bootstrap,
        admin_credentials_for(log.bootstrap),
        log.registry,
        person_selector("person-3"),
        {"person_ref": "person-3"},
        tmp_path / "person.zip",
    )
    assert bundle.records == 4 and len(bundle.not_yet_covered) == 0
    checked = await asyncio.to_thread(third_party_verifies, bundle.path)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # person-9: records 9, 26 and 43, and 60, published after the last checkpoint.
    partly = await write_bundle(
        log.bootstrap,
        admin_credentials_for(log.bootstrap),
        log.registry,
        person_selector("person-9"),
        {"person_ref": "person-9"},
        tmp_path / "partly.zip",
    )
    assert partly.records == 3 and len(partly.not_yet_covered) == 1
    checked = await asyncio.to_thread(third_party_verifies, partly.path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


async def test_a_record_after_the_last_witnessed_checkpoint_is_left_out_and_named(
    log: Log, tmp_path: Path
) -> None:
    # period-62 was published after the checkpoints.
    bundle = await write_bundle(
        log.bootstrap,
        admin_credentials_for(log.bootstrap),
        log.registry,
        case_selector("period-62"),
        {"case": "period-62"},
        tmp_path / "late.zip",
    )
    assert bundle.records == 0
    assert len(bundle.not_yet_covered) == 1
    assert bundle.not_yet_covered[0].startswith(f"{CONTRIBUTION_TOPIC}/")


def altered(bundle: Path, member: str, position: int, out: Path) -> Path:
    """A copy of ``bundle`` with one byte of ``member`` changed."""
    with zipfile.ZipFile(bundle) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = bytearray(source.read(info.filename))
            if info.filename == member:
                data[position] ^= 0x01
            target.writestr(info, bytes(data))
    return out


async def test_a_bundle_altered_in_any_byte_of_any_member_fails(log: Log, tmp_path: Path) -> None:
    # The verifier is the recipient's own copy: a changed verify.py in the zip is found by
    # its digest in the manifest (a recipient who ran the changed one would trust the
    # sender's code, which the verifier's docstring warns against).
    bundle = await write_bundle(
        log.bootstrap,
        admin_credentials_for(log.bootstrap),
        log.registry,
        person_selector("person-3"),
        {"person_ref": "person-3"},
        tmp_path / "person.zip",
    )
    with zipfile.ZipFile(bundle.path) as opened:
        sizes = {info.filename: info.file_size for info in opened.infolist()}
    assert {"manifest.json", "keys.json", "verify.py"} <= set(sizes)
    assert any(name.startswith("records/") for name in sizes)
    assert any(name.startswith("notes/") for name in sizes)
    accepted = []
    for member, size in sorted(sizes.items()):
        for position in sorted({0, size // 3, size // 2, size - 2, size - 1}):
            copy = altered(bundle.path, member, position, tmp_path / "altered.zip")
            checked = await asyncio.to_thread(third_party_verifies, copy, own_copy=True)
            if checked.returncode != 1 or not checked.stdout.startswith("invalid: "):
                accepted.append((member, position, checked.stdout.strip()))
    assert accepted == []


async def test_the_trace_shows_a_persons_steps_in_both_cities_in_order(log: Log) -> None:
    events = await case_events(
        log.bootstrap,
        admin_credentials_for(log.bootstrap),
        log.keys.registry(),
        person_selector("person-3"),
    )
    steps = timeline(events)
    # records 3, 20, 37 and 54 of the scenario, minutes apart, recorded in cd, cq, cq, cd
    assert [s.city for s in steps] == ["Chengdu", "Chongqing", "Chongqing", "Chengdu"]
    assert [s.time for s in steps] == sorted(s.time for s in steps)
    text = timeline_text("History of person person-3", steps)
    assert "medins contribution-years-accrued (v1)" in text
    assert "(the service itself)" in text


def test_the_evidence_command_needs_a_case_or_a_person() -> None:
    result = CliRunner().invoke(app, ["audit", "evidence", "--out", "x.zip"])
    assert result.exit_code == 2
    assert "exactly one of --case ID and --person" in result.output


async def test_the_commands_bundle_and_trace_a_case(log: Log, tmp_path: Path) -> None:
    admin = admin_credentials_for(log.bootstrap)
    assert admin is not None
    login = [
        "--bootstrap", log.bootstrap, "--user", admin.username,
        "--password-file", str(admin.password_file), "--keys", str(log.registry),
    ]  # fmt: skip
    out, page = tmp_path / "bundle.zip", tmp_path / "trace.html"
    runner = CliRunner()
    bundled = await asyncio.to_thread(
        runner.invoke, app, ["audit", "evidence", "--case", "period-20", "--out", str(out), *login]
    )
    traced = await asyncio.to_thread(
        runner.invoke, app, ["audit", "trace", "--case", "period-20", "--html", str(page), *login]
    )

    assert bundled.exit_code == 0, bundled.output
    assert "1 records of case period-20" in bundled.output
    checked = await asyncio.to_thread(third_party_verifies, out)
    assert checked.returncode == 0, checked.stdout
    assert traced.exit_code == 0, traced.output
    assert "Chongqing  medins contribution-years-accrued (v1)" in traced.output
    assert "<td>Chongqing</td>" in page.read_text()
