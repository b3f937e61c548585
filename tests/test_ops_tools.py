"""The tools ops and downstream developers reach for: dead-letter list/re-drive, event tail."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import pytest

from chengyu_contracts.keys import KeyRegistry, SigningKey
from chengyu_contracts.registry import Registry, dead_letter_topic
from chengyu_kit.issuer import EventIssuer
from chengyu_kit.local.kafka import admin_credentials_for
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.settings import ServiceSettings
from chengyu_kit.testing import KeyFiles, settings_login
from chengyu_ops.cli_dlq import parked_entry, parked_records, redrive
from chengyu_ops.cli_events import describe
from chengyu_ops.reading import read_records
from tests.conftest import PROJECT_ROOT, service_settings, tally_runtime
from tests.support.kafka_io import publish_raw
from tests.support.tally import TallyIncremented, tally_of
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


async def run_cli(*args: str) -> tuple[int, str]:
    """Run ``chengyu ARGS`` as a separate process; return exit code and stdout. With
    ``--bootstrap B`` it logs in as B's admin (``KAFKA_USERNAME``/``KAFKA_PASSWORD_FILE``)."""
    env = dict(os.environ)
    if "--bootstrap" in args:
        login = settings_login(args[args.index("--bootstrap") + 1])
        env.update({key.upper(): str(value) for key, value in login.items()})
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chengyu_ops.cli",
        *args,
        cwd=PROJECT_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, output.decode()


def with_key_distributed(settings: ServiceSettings, key: SigningKey) -> ServiceSettings:
    """``settings`` whose key registry also holds ``key`` (as after distributing it)."""
    registry = KeyRegistry.from_json_file(settings.key_registry_file).with_entry(key.public_entry())
    registry_file = settings.key_registry_file.with_name(f"registry-with-{key.key_id}.json")
    registry.write_json_file(registry_file)
    return settings.model_copy(update={"key_registry_file": registry_file})


async def test_an_event_parked_for_an_unknown_key_is_applied_after_the_key_is_distributed(
    kafka: str,
    cd_database: str,
    key_files: KeyFiles,
    tally_topic: str,
    tally_reg: Registry,
    tmp_path: object,
) -> None:
    settings = service_settings("cd", kafka=kafka, database_url=cd_database, keys=key_files)
    new_key = SigningKey.generate("cd-test-2", "/cd/test")
    issuer = EventIssuer(source="/cd/test/tally", signing_key=new_key, registry=tally_reg)
    event = issuer.issue(TallyIncremented(tally_id="t-new-key", amount=4))

    runtime = tally_runtime(settings, tally_reg)
    await runtime.start()
    try:
        await publish_raw(kafka, tally_topic, [(event.key, event.value, event.headers)])
        parked = await wait_for(
            lambda: parked_records(
                kafka, [dead_letter_topic(tally_topic)], admin_credentials_for(kafka)
            ),
            lambda r: len(r) == 1,
        )
        assert parked_entry(parked[0])["reason"] == "unknown-key"
        assert await tally_of(runtime.pool, "t-new-key") is None
    finally:
        await runtime.stop()

    # The fix: the new public key reaches Chengdu's registry; the service restarts.
    fixed = tally_runtime(with_key_distributed(settings, new_key), tally_reg)
    await fixed.start()
    try:
        await redrive(kafka, parked, admin_credentials_for(kafka))
        assert await wait_for(lambda: tally_of(fixed.pool, "t-new-key"), bool) == (4, 1)

        await redrive(
            kafka, parked, admin_credentials_for(kafka)
        )  # a second re-drive changes nothing
        await wait_for(lambda: _duplicates(fixed, tally_topic), lambda n: n >= 1)
        assert await tally_of(fixed.pool, "t-new-key") == (4, 1)
    finally:
        await fixed.stop()


async def test_dlq_list_shows_reason_and_origin(
    cd_service: ServiceRuntime, kafka: str, tally_topic: str
) -> None:
    await publish_raw(kafka, tally_topic, [(b"k", b"{broken", [])])
    await wait_for(
        lambda: parked_records(
            kafka, [dead_letter_topic(tally_topic)], admin_credentials_for(kafka)
        ),
        lambda r: len(r) == 1,
    )

    code, output = await run_cli(
        "dlq", "list", "--topic", dead_letter_topic(tally_topic), "--bootstrap", kafka, "--json"
    )

    assert code == 0, output
    entry = json.loads(output.strip().splitlines()[-1])
    assert entry["reason"] == "invalid-json"
    assert entry["from"] == f"{tally_topic}/{entry['from'].split('/')[1]}/0"
    assert entry["consumer"] == "tally.cd"


async def test_tail_shows_verified_events_and_says_why_others_are_rejected(
    kafka: str, tally_topic: str, tally_reg: Registry, key_files: KeyFiles
) -> None:
    issuer = EventIssuer(source="/cq/test/tally", signing_key=key_files.cq, registry=tally_reg)
    good = issuer.issue(TallyIncremented(tally_id="t-tail", amount=9))
    await publish_raw(
        kafka,
        tally_topic,
        [
            (good.key, good.value, good.headers),
            (b"t-tail", good.value.replace(b'"amount":9', b'"amount":8'), []),
        ],
    )
    keys = KeyRegistry.from_json_file(key_files.registry)

    lines = [
        describe(record, tally_reg, keys)
        async for record in read_records(
            kafka,
            [tally_topic],
            from_beginning=True,
            follow=False,
            credentials=admin_credentials_for(kafka),
        )
    ]

    assert [line["verified"] for line in lines] == [True, False]
    assert lines[0]["data"] == {"tally_id": "t-tail", "amount": 9}
    assert lines[0]["source"] == "/cq/test/tally"
    assert lines[1]["reason"] == "bad-signature"


async def _duplicates(runtime: ServiceRuntime, topic: str) -> float:
    value = runtime.metrics.registry.get_sample_value(
        "chengyu_events_consumed_total", {"topic": topic, "outcome": "duplicate"}
    )
    return value or 0.0


async def test_later_events_of_a_parked_key_wait_and_are_applied_in_order_after_redrive(
    kafka: str,
    cd_database: str,
    key_files: KeyFiles,
    tally_topic: str,
    tally_reg: Registry,
) -> None:
    settings = service_settings("cd", kafka=kafka, database_url=cd_database, keys=key_files)
    new_key = SigningKey.generate("cd-test-3", "/cd/test")
    stranger = EventIssuer(source="/cd/test/tally", signing_key=new_key, registry=tally_reg)
    known = EventIssuer(source="/cd/test/tally", signing_key=key_files.cd, registry=tally_reg)
    first = stranger.issue(TallyIncremented(tally_id="t-held", amount=1))
    later = [known.issue(TallyIncremented(tally_id="t-held", amount=n)) for n in (2, 3)]
    other = known.issue(TallyIncremented(tally_id="t-free", amount=5))
    dlq = dead_letter_topic(tally_topic)

    runtime = tally_runtime(settings, tally_reg)
    await runtime.start()
    try:
        await publish_raw(
            kafka, tally_topic, [(r.key, r.value, r.headers) for r in [first, *later, other]]
        )
        assert await wait_for(lambda: tally_of(runtime.pool, "t-free"), bool) == (5, 1)
        parked = await wait_for(
            lambda: parked_records(kafka, [dlq], admin_credentials_for(kafka)),
            lambda r: len(r) == 3,
        )
        assert [parked_entry(r)["reason"] for r in parked] == [
            "unknown-key",
            "key-held",
            "key-held",
        ]
        assert await tally_of(runtime.pool, "t-held") is None
    finally:
        await runtime.stop()

    fixed = tally_runtime(with_key_distributed(settings, new_key), tally_reg)
    await fixed.start()
    try:
        await redrive(
            kafka, [r for r in parked if r.key == b"t-held"], admin_credentials_for(kafka)
        )
        assert await wait_for(
            lambda: tally_of(fixed.pool, "t-held"), lambda t: t is not None and t[1] == 3
        ) == (6, 3)
        order = await fixed.pool.fetch(
            "SELECT event_id FROM inbox WHERE outcome = 'applied' AND event_id = ANY($1::text[])"
            " ORDER BY processed_at",
            [r.event_id for r in [first, *later]],
        )
        assert [row["event_id"] for row in order] == [r.event_id for r in [first, *later]]
        assert await fixed.pool.fetchval("SELECT count(*) FROM parked_key") == 0
    finally:
        await fixed.stop()
