"""The fund part of the demo on both cities' real fund-transfer processes (real Kafka and
PostgreSQL) while each process is SIGKILLed and restarted mid-run: the demo rides it out,
then handles its withdrawals and its loan (a rent after a move allowed by the months brought
over, a clerk's refusal, a refusal at assessment, a retirement, a loan in Chengdu confirmed
to Chongqing by a loan query, a repayment with its answer), and its summary finds deposits
- withdrawals paid = balances of both cities, to the fen."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.progress import Progress

from chengyu_contracts.cities import CITIES, City
from chengyu_contracts.policy_book import policy_day
from chengyu_demo.cli import DemoReport, run_demo, summary_lines
from chengyu_demo.fund import Workload, generate_workload
from chengyu_kit.local.oidc import OidcProvider
from chengyu_kit.local.postgres import LocalPostgres
from tests.support.audit import audit_findings, domain_topics
from tests.support.fund import (
    FundCity,
    both_cities_settings,
    hpf_key_files,
    running_city,
)
from tests.support.identity import use_provider
from tests.support.kafka_io import apply_project_topics, fresh_kafka

pytestmark = pytest.mark.integration

PEOPLE = 40


@dataclass
class Kill:
    """One SIGKILL and restart, and whether the demo was still running at the kill."""

    city: str
    when: str
    demo_running: bool
    down_seconds: float


def _share_done(progress: Progress, description: str) -> float:
    """How far the progress task named ``description`` is (0 while it has not started)."""
    for task in progress.tasks:
        if task.description == description and task.total:
            return task.completed / task.total
    return 0.0


async def _when(condition: Callable[[], bool], demo: asyncio.Task[DemoReport]) -> None:
    while not condition():
        if demo.done():
            raise AssertionError("the demo ended before the planned kill")
        await asyncio.sleep(0.05)


async def _kill_and_restart(
    city: FundCity, when: str, demo: asyncio.Task[DemoReport], pause: float = 1.0
) -> Kill:
    running = not demo.done()
    started = time.monotonic()
    await city.kill()
    await asyncio.sleep(pause)  # calls meanwhile meet a refused connection
    await city.start()
    return Kill(city.city, when, running, time.monotonic() - started)


def _withdrawals_and_loan_as_planned(report: DemoReport, workload: Workload, summary: str) -> None:
    """The withdrawals and the loan (after the kills) each as planned, and the money check
    counting the withdrawals paid."""
    money = report.money
    assert len(money.withdrawals) == len(workload.withdrawals) > 0, summary
    assert money.skipped == 0 and money.not_as_planned == 0 and money.unfinished == 0, summary
    assert report.withdrawn_fen == sum(w.amount_fen for w in money.withdrawals if w.state == "paid")
    assert report.withdrawn_fen > 0, summary
    assert "withdrawals paid" in summary and "to the fen: conserved" in summary, summary
    (moved,) = [w for w in money.withdrawals if w.scenario == "move-rent"]
    assert moved.before_transfer.startswith("too-few-months"), summary
    assert moved.state == "paid" and "cd 2" in moved.months_rule, summary
    (retired,) = [w for w in money.withdrawals if w.kind == "retirement"]
    assert retired.state == "paid" and retired.account_closed, summary
    (loan,) = money.loans
    assert loan.loan_id is not None and loan.query_state == "answered", summary
    assert loan.outstanding_fen == loan.amount_fen == workload.loans[0].amount_fen, summary
    (repaid,) = [w for w in money.withdrawals if w.kind == "loan-repayment"]
    assert repaid.state == "paid" and repaid.loan_query_id == loan.query_id, summary


async def test_the_fund_demo_conserves_money_while_each_city_is_killed_and_restarted(
    tmp_path: Path, postgres: LocalPostgres, oidc_provider: OidcProvider
) -> None:
    use_provider(oidc_provider)  # the services trust it; the demo's clerks sign in there
    tokens: dict[City, str] = {
        city: oidc_provider.token(
            city, audience="fund-transfer", role="clerk", agency="hpf", subject=f"demo-{city}"
        )
        for city in CITIES
    }
    with fresh_kafka(tmp_path / "kafka") as cluster:
        await apply_project_topics(cluster.bootstrap_servers)
        keys = hpf_key_files(tmp_path / "keys")
        settings = await both_cities_settings(postgres, kafka=cluster.bootstrap_servers, keys=keys)
        async with running_city(settings["cq"]) as cq, running_city(settings["cd"]) as cd:
            urls = {
                name: str(c.client.base_url).rstrip("/") for name, c in (("cq", cq), ("cd", cd))
            }
            workload = generate_workload(
                2025, today=policy_day(datetime.now(UTC)), people=PEOPLE, transfer_share=0.5
            )
            progress = Progress(disable=True)
            demo = asyncio.create_task(
                run_demo(
                    workload,
                    {"cq": urls["cq"], "cd": urls["cd"]},
                    tokens=tokens,
                    progress=progress,
                )
            )
            kills: list[Kill] = []
            try:
                # Chongqing while deposits are recorded, Chengdu later in the same phase,
                # then Chongqing again while the first wave of transfers runs its sagas.
                await _when(lambda: _share_done(progress, "record deposits") >= 0.2, demo)
                kills.append(await _kill_and_restart(cq, "deposits", demo))
                await _when(lambda: _share_done(progress, "record deposits") >= 0.6, demo)
                kills.append(await _kill_and_restart(cd, "deposits", demo))
                await _when(
                    lambda: any(t.description == "transfers, wave 1" for t in progress.tasks),
                    demo,
                )
                await asyncio.sleep(1.5)  # the wave's requests answered, its sagas running
                kills.append(await _kill_and_restart(cd, "transfers", demo))
                report = await asyncio.wait_for(demo, 240)
            finally:
                if not demo.done():
                    demo.cancel()
        # The auditor's replay of the bus after the kills: every record verifies, nothing
        # repeated but the relays' redeliveries, fund-transfer's invariants hold.
        findings = await audit_findings(
            cluster.bootstrap_servers, keys.registry, domain_topics("fund")
        )
    summary = "\n".join(summary_lines(report, workload))
    print(summary)  # shown with -s, and by pytest when an assertion fails
    assert [k.city for k in kills] == ["cq", "cd", "cd"], kills
    assert all(k.demo_running for k in kills), kills
    assert report.retries > 0, summary  # the demo met the killed services
    assert report.conserved, summary
    assert "conserved" in summary and "DIFFERS" not in summary, summary
    assert sum(report.recorded_fen.values()) > 0, summary
    assert report.unfinished == 0, summary
    assert not report.problems, summary
    assert report.requested > 0, summary
    assert report.not_as_planned == 0, summary
    _withdrawals_and_loan_as_planned(report, workload, summary)
    assert report.ok, summary
    assert findings == [], "\n".join(findings)
