"""The elder part of the demo on both cities' real elder-allowance processes (real Kafka
and PostgreSQL, started by the test on free ports), with both cities' checkpointers: a
small seeded workload over its months of payment runs; every run is new, so the summary
compares what the services paid with the plan, the invariants hold, and the auditor's
replay finds the real services' log and the real checkpointers' checkpoints in order."""

from __future__ import annotations

import asyncio
from datetime import date
from functools import partial
from pathlib import Path

import pytest
from rich.progress import Progress

from chengyu_contracts.cities import CITIES, City
from chengyu_demo.cli_elder import SERVICE, elder_summary_lines, run_elder_demo
from chengyu_demo.elder import generate_elder_workload
from chengyu_kit.local.oidc import OidcProvider
from chengyu_kit.local.postgres import LocalPostgres
from tests.support.audit import audit_findings, domain_topics
from tests.support.checkpointer import (
    add_checkpointer_keys,
    all_witnessed,
    checkpointer_settings,
    running_checkpointer,
)
from tests.support.elder import AGENCY, both_cities_settings, ca_key_files, running_city
from tests.support.identity import use_provider
from tests.support.kafka_io import apply_project_topics, fresh_kafka
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

ELDERS = 80


async def test_the_elder_demo_pays_as_planned_on_both_cities_processes(
    tmp_path: Path, postgres: LocalPostgres, oidc_provider: OidcProvider
) -> None:
    use_provider(oidc_provider)  # the services trust it; the demo's clerks sign in there
    tokens: dict[City, str] = {
        city: oidc_provider.token(
            city, audience=SERVICE, role="clerk", agency=AGENCY, subject=f"demo-{city}"
        )
        for city in CITIES
    }
    workload = generate_elder_workload(7, today=date.today(), elders=ELDERS)
    with fresh_kafka(tmp_path / "kafka") as cluster:
        await apply_project_topics(cluster.bootstrap_servers)
        keys = ca_key_files(tmp_path / "keys")
        audit_keys = add_checkpointer_keys(tmp_path / "audit-keys", keys.registry)
        settings = await both_cities_settings(postgres, kafka=cluster.bootstrap_servers, keys=keys)
        checkpointers = await checkpointer_settings(
            postgres,
            kafka=cluster.bootstrap_servers,
            key_files=audit_keys,
            checkpoint_every_records=200,
            checkpoint_every_seconds=1.0,
        )
        async with (
            running_city(settings["cq"]) as cq,
            running_city(settings["cd"]) as cd,
            running_checkpointer(checkpointers["cq"]) as cq_checkpointer,
            running_checkpointer(checkpointers["cd"]) as cd_checkpointer,
        ):
            urls: dict[City, str] = {
                "cq": str(cq.client.base_url).rstrip("/"),
                "cd": str(cd.client.base_url).rstrip("/"),
            }
            report = await asyncio.wait_for(
                run_elder_demo(workload, urls, tokens=tokens, progress=Progress(disable=True)),
                300,
            )
            # Both cities' checkpointers signed every partition the demo wrote, at its
            # full size, and each witnessed the other's.
            await wait_for(
                partial(
                    all_witnessed,
                    cluster.bootstrap_servers,
                    domain_topics("elder"),
                    [cq_checkpointer, cd_checkpointer],
                ),
                bool,
                timeout=120,
            )
        # The auditor's replay of what the demo left on the bus: every record verifies,
        # nothing repeated but redeliveries, every checkpoint's signatures, witness and
        # root hold, every service's invariants hold.
        findings = await audit_findings(
            cluster.bootstrap_servers, keys.registry, domain_topics("elder")
        )
    summary = "\n".join(elder_summary_lines(report, workload))
    print(summary)  # shown with -s, and by pytest when an assertion fails
    assert report.runs_new == 2 * len(workload.months) and report.runs_repeated == 0, summary
    assert report.compared_with_plan and report.not_as_planned == 0, summary
    assert report.invariants_hold and report.claims == len(workload.claims), summary
    assert report.applications == report.approved == len(workload.applications), summary
    assert not report.problems and report.unfinished == 0, summary
    assert report.ok, summary
    assert findings == [], "\n".join(findings)
