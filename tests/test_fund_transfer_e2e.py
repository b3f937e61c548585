"""Provident-fund transfers end to end: both cities' service processes on a real Kafka
(a fresh one per scenario) and real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chengyu_contracts.keys import KeyRegistry
from chengyu_kit.local.postgres import LocalPostgres
from tests.support.audit import domain_topics, invariant_violations
from tests.support.fund import (
    FundCity,
    both_cities_settings,
    hpf_key_files,
    resident_id,
    running_city,
)
from tests.support.kafka_io import apply_project_topics, fresh_kafka
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


@dataclass
class TwoCities:
    cq: FundCity
    cd: FundCity
    bootstrap: str
    keys: KeyRegistry

    async def broken_invariants(self) -> list[str]:
        """The fund-transfer invariants the audit would find broken on this bus now."""
        found = await invariant_violations(
            self.bootstrap, domain_topics("fund"), self.keys, datetime.now(UTC)
        )
        return [f"{v.invariant} at {v.at}: {v.message}" for v in found]


@pytest.fixture
async def cities(tmp_path: Path, postgres: LocalPostgres) -> AsyncIterator[TwoCities]:
    keys = hpf_key_files(tmp_path / "keys")
    with fresh_kafka(tmp_path / "kafka") as cluster:
        await apply_project_topics(cluster.bootstrap_servers)
        settings = await both_cities_settings(postgres, kafka=cluster.bootstrap_servers, keys=keys)
        async with running_city(settings["cq"]) as cq, running_city(settings["cd"]) as cd:
            registry = KeyRegistry.from_json_file(keys.registry)
            yield TwoCities(cq, cd, cluster.bootstrap_servers, registry)


def months(first: int, last: int, year: int = 2025) -> list[str]:
    return [f"{year}-{m:02d}" for m in range(first, last + 1)]


async def test_a_transfer_to_chengdu_and_one_back_move_every_fen_and_month(
    cities: TwoCities,
) -> None:
    alice = resident_id("cq", 1)
    in_cq = await cities.cq.open_account(alice, "李小红")
    for month in months(1, 6):
        await cities.cq.deposit(in_cq, month, 50_000)

    there = await cities.cd.request_transfer(alice, "李小红", from_city="cq")
    arrived = await cities.cd.finished_transfer(there)
    assert arrived["state"] == "completed", arrived
    assert [s["state"] for s in arrived["steps"]] == [
        "requested",
        "funds_sent",
        "credited",
        "completed",
    ]
    assert (await cities.cq.finished_transfer(there))["state"] == "completed"
    closed = await cities.cq.account(in_cq)
    assert (closed["status"], closed["balance_fen"]) == ("closed", 0)
    in_cd = await cities.cd.account(arrived["account_id"])
    assert in_cd["balance_fen"] == 300_000
    assert [(d["month"], d["amount_fen"], d["city"]) for d in in_cd["deposits"]] == [
        (m, 50_000, "cq") for m in months(1, 6)
    ]

    for month in months(7, 9):
        await cities.cd.deposit(in_cd["account_id"], month, 60_000)
    back = await cities.cq.request_transfer(alice, "李小红", from_city="cd")
    returned = await cities.cq.finished_transfer(back)
    assert returned["state"] == "completed", returned
    home = await cities.cq.account(returned["account_id"])
    assert home["balance_fen"] == 300_000 + 180_000
    assert [(d["month"], d["city"]) for d in home["deposits"]] == [
        *((m, "cq") for m in months(1, 6)),
        *((m, "cd") for m in months(7, 9)),
    ]
    assert (await cities.cd.account(in_cd["account_id"]))["status"] == "closed"
    assert await cities.broken_invariants() == []


async def test_a_transfer_of_an_account_that_does_not_exist_is_rejected_with_its_reason(
    cities: TwoCities,
) -> None:
    nobody = resident_id("cq", 2)
    transfer_id = await cities.cd.request_transfer(nobody, "王五", from_city="cq")
    rejected = await cities.cd.finished_transfer(transfer_id)
    assert (rejected["state"], rejected["reason_code"]) == ("rejected", "no-such-account")
    assert await cities.broken_invariants() == []


async def test_a_month_held_in_both_cities_reverts_the_transfer_and_restores_the_account(
    cities: TwoCities,
) -> None:
    bob = resident_id("cq", 3)
    in_cq = await cities.cq.open_account(bob, "赵六")
    in_cd = await cities.cd.open_account(bob, "赵六")
    await cities.cq.deposit(in_cq, "2025-03", 40_000)
    await cities.cd.deposit(in_cd, "2025-03", 40_000)
    before = await cities.cq.account(in_cq)

    transfer_id = await cities.cd.request_transfer(bob, "赵六", from_city="cq")
    reverted = await cities.cd.finished_transfer(transfer_id)
    assert (reverted["state"], reverted["reason_code"]) == ("reverted", "history-conflict")
    assert (await cities.cq.finished_transfer(transfer_id))["state"] == "reverted"
    assert await cities.cq.account(in_cq) == before
    assert (await cities.cd.account(in_cd))["balance_fen"] == 40_000
    assert await cities.broken_invariants() == []


async def test_deposits_in_both_cities_count_for_a_loan_in_either(cities: TwoCities) -> None:
    carol = resident_id("cd", 4)
    in_cq = await cities.cq.open_account(carol, "钱七", kind="employee")
    in_cd = await cities.cd.open_account(carol, "钱七", kind="employee")
    for month in months(1, 6, 2026):
        await cities.cq.deposit(in_cq, month, 100_000)
    for month in months(7, 10, 2026):
        await cities.cd.deposit(in_cd, month, 100_000)

    # Chengdu needs 12 consecutive months by default: 10, 6 of them paid in Chongqing.
    there = await wait_for(lambda: assessment(cities.cd, carol), lambda a: "cq 6" in str(a))
    assert there["eligible"] is False
    assert "consecutive months up to 2026-10: 10 (needs 12)" in str(there["rules"])
    # Chongqing needs 6: eligible there, counting Chengdu's months and both balances.
    here = await wait_for(lambda: assessment(cities.cq, carol), lambda a: "cd 4" in str(a))
    assert here["eligible"] is True
    assert here["ceiling_fen"] == min(1_000_000 * 15, 60_000_000)


async def assessment(city: FundCity, resident: str) -> dict[str, object]:
    answer = await city.client.post(
        "/loan-eligibility", json={"resident_id": resident, "application_month": "2026-10"}
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body
