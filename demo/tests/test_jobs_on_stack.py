"""The jobs part of the demo on both cities' real job-matching processes (real Kafka and
PostgreSQL, started by the test on free ports): a small seeded workload of postings and
seekers, matches shown with their explanations, a fair, 12333 requests along every path
and file transfers; the summary's invariants hold."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.progress import Progress

from chengyu_contracts.cities import CITIES, City
from chengyu_demo.cli_jobs import SERVICE, jobs_summary_lines, run_jobs_demo
from chengyu_demo.jobs import jobs_plan
from chengyu_kit.local.oidc import OidcProvider
from chengyu_kit.local.postgres import LocalPostgres
from tests.support.audit import audit_findings, domain_topics
from tests.support.identity import use_provider
from tests.support.jobs import AGENCY, both_cities_settings, hr_key_files, running_city
from tests.support.kafka_io import apply_project_topics, fresh_kafka

pytestmark = pytest.mark.integration


async def test_the_jobs_demo_ends_every_request_alike_in_both_cities(
    tmp_path: Path, postgres: LocalPostgres, oidc_provider: OidcProvider
) -> None:
    use_provider(oidc_provider)  # the services trust it; the demo's clerks sign in there
    tokens: dict[City, str] = {
        city: oidc_provider.token(
            city, audience=SERVICE, role="clerk", agency=AGENCY, subject=f"demo-{city}"
        )
        for city in CITIES
    }
    plan = jobs_plan(7, now=datetime.now(UTC), postings=120, seekers=80)
    with fresh_kafka(tmp_path / "kafka") as cluster:
        await apply_project_topics(cluster.bootstrap_servers)
        keys = hr_key_files(tmp_path / "keys")
        settings = await both_cities_settings(postgres, kafka=cluster.bootstrap_servers, keys=keys)
        async with running_city(settings["cq"]) as cq, running_city(settings["cd"]) as cd:
            urls: dict[City, str] = {
                "cq": str(cq.client.base_url).rstrip("/"),
                "cd": str(cd.client.base_url).rstrip("/"),
            }
            report = await asyncio.wait_for(
                run_jobs_demo(plan, urls, tokens=tokens, progress=Progress(disable=True)), 240
            )
        # The auditor's replay of what the demo left on the bus: every record verifies,
        # nothing repeated but redeliveries, every service's invariants hold.
        findings = await audit_findings(
            cluster.bootstrap_servers, keys.registry, domain_topics("hr")
        )
    summary = "\n".join(jobs_summary_lines(report))
    print(summary)  # shown with -s, and by pytest when an assertion fails
    assert report.postings == {"cq": 60, "cd": 60} and not report.refused, summary
    assert report.seekers == {"cq": 40, "cd": 40}, summary
    assert set(report.seen_after) == set(CITIES), summary
    assert report.shown and report.fair_cities == sorted(CITIES), summary
    assert report.requests_agree and len(report.requests) == len(plan.requests), summary
    assert not any(report.overdue.values()) and report.deadlines, summary
    assert report.withdrawn == 2 and report.withdrawn_still_seen == 0, summary
    assert report.files == {"completed": 4, "held as incomplete": 2}, summary
    assert report.files_moved == 4 and report.certificate, summary
    assert not report.problems and report.unfinished == 0, summary
    assert report.ok, summary
    assert findings == [], "\n".join(findings)
