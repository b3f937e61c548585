"""The blood part of the demo on both cities' real blood-dispatch processes (real Kafka and
PostgreSQL, started by the test on free ports): a small seeded history reported with its
``at``, every stock-low answered by the other city (accept, dispatch, receive, one breach
quarantined), a rare donor found and recalled across the cities; the summary's invariants
hold. A second run on the same stack reports nothing again and still holds them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.progress import Progress

from chengyu_contracts.cities import CITIES, City
from chengyu_demo.blood import blood_plan
from chengyu_demo.cli_blood import SERVICE, blood_summary_lines, run_blood_demo
from chengyu_kit.local.oidc import OidcProvider
from chengyu_kit.local.postgres import LocalPostgres
from tests.support.audit import audit_findings, domain_topics
from tests.support.blood import AGENCY, blood_key_files, both_cities_settings, running_city
from tests.support.identity import use_provider
from tests.support.kafka_io import apply_project_topics, fresh_kafka

pytestmark = pytest.mark.integration

SEED = 11


async def test_the_blood_demo_answers_every_stock_low_and_keeps_every_unit_in_one_place(
    tmp_path: Path, postgres: LocalPostgres, oidc_provider: OidcProvider
) -> None:
    use_provider(oidc_provider)  # the services trust it; the demo's clerks sign in there
    tokens: dict[City, str] = {
        city: oidc_provider.token(
            city, audience=SERVICE, role="clerk", agency=AGENCY, subject=f"demo-{city}"
        )
        for city in CITIES
    }
    plan = blood_plan(SEED, end=datetime.now(UTC) - timedelta(minutes=5), days=14, daily=1)
    with fresh_kafka(tmp_path / "kafka") as cluster:
        await apply_project_topics(cluster.bootstrap_servers)
        keys = blood_key_files(tmp_path / "keys")
        settings = await both_cities_settings(postgres, kafka=cluster.bootstrap_servers, keys=keys)
        async with running_city(settings["cq"]) as cq, running_city(settings["cd"]) as cd:
            urls: dict[City, str] = {
                "cq": str(cq.client.base_url).rstrip("/"),
                "cd": str(cd.client.base_url).rstrip("/"),
            }

            report = await asyncio.wait_for(
                run_blood_demo(
                    plan, urls, seed=SEED, tokens=tokens, progress=Progress(disable=True)
                ),
                120,
            )
            again = await asyncio.wait_for(
                run_blood_demo(
                    plan, urls, seed=SEED, tokens=tokens, progress=Progress(disable=True)
                ),
                60,
            )
        # The auditor's replay of what the demo left on the bus: every record verifies,
        # nothing repeated but redeliveries, every service's invariants hold.
        findings = await audit_findings(
            cluster.bootstrap_servers, keys.registry, domain_topics("blood")
        )
    summary = "\n".join(blood_summary_lines(report))
    print(summary)  # shown with -s, and by pytest when an assertion fails
    assert report.history_new and not report.problems and report.unfinished == 0, summary
    assert all(report.stock_lows[c] >= 1 for c in CITIES) and report.unanswered == 0, summary
    assert report.shipments == report.offers == report.accepted >= 2, summary
    assert report.breaches == 1 and report.received["quarantined"] >= 1, summary
    assert report.rare_found and report.recall_answer == "will-donate", summary
    assert report.misplaced == report.missing == 0, summary
    assert all(report.conserved(c) for c in CITIES), summary
    assert report.invariants_hold and report.ok, summary
    second = "\n".join(blood_summary_lines(again))
    print(second)
    assert not again.history_new and again.shipments == 0 and again.ok, second
    assert again.census == report.census, second
    assert findings == [], "\n".join(findings)
