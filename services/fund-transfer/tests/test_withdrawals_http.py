"""Withdrawals (提取) over HTTP on a real PostgreSQL (one city, Chongqing, on 2026-10-15):
assessed, applied for (holding the account), paid (the balance reduced, reported to the
other city) or refused (the hold freed); bad input answers a 4xx naming the problem with
nothing written. The rules at their boundaries are the pure tests' (test_withdrawal.py)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from fund_transfer_http import ALICE_ID, FundService, database_text, running_fund_service

from chengyu_kit.local.oidc import OidcProvider

pytestmark = pytest.mark.integration

RENT_PROOFS = [
    {"kind": "rental-contract", "reference": "ZL-2026-0815"},
    {"kind": "no-home-certificate", "reference": "WF-2026-3301"},
]


@pytest.fixture
async def chongqing(database: str, oidc_provider: OidcProvider) -> AsyncIterator[FundService]:
    async for running in running_fund_service(database, oidc_provider, city="cq"):
        yield running


async def account_with_months(service: FundService, months: int, amount_fen: int = 300_000) -> str:
    """Alice's account with ``months`` deposits ending in September 2026 (the month before
    the application month, October)."""
    answer = await service.client.post(
        "/accounts", json={"resident_id": ALICE_ID, "name": "张三丰", "kind": "flexible"}
    )
    assert answer.status_code == 201, answer.text
    account_id: str = answer.json()["account_id"]
    for n in range(months):
        month = 9 - months + 1 + n
        answer = await service.client.post(
            f"/accounts/{account_id}/deposits",
            json={"month": f"2026-{month:02d}", "amount_fen": amount_fen},
        )
        assert answer.status_code == 201, answer.text
    return account_id


async def apply(service: FundService, account_id: str, **body: Any) -> tuple[int, dict[str, Any]]:
    answer = await service.client.post(f"/accounts/{account_id}/withdrawals", json=body)
    payload: dict[str, Any] = answer.json()
    return answer.status_code, payload


def rent(amount_fen: int = 400_000, **changes: Any) -> dict[str, Any]:
    return {"kind": "rent", "amount_fen": amount_fen, "proofs": RENT_PROOFS, **changes}


async def outbox_types(service: FundService) -> list[str]:
    rows = await service.pool.fetch("SELECT value FROM outbox ORDER BY id")
    return [json.loads(r["value"])["type"].split(".")[-2] for r in rows]


async def test_a_rent_withdrawal_is_held_then_paid_and_reported_to_the_other_city(
    chongqing: FundService,
) -> None:
    account_id = await account_with_months(chongqing, 3)

    status, applied = await apply(chongqing, account_id, **rent())
    assert status == 201, applied
    assert (applied["state"], applied["amount_fen"], applied["kind"]) == (
        "applied",
        400_000,
        "rent",
    )
    assert applied["applied_by"] and all(rule["passed"] for rule in applied["rules"])
    held = (await chongqing.client.get(f"/accounts/{account_id}")).json()
    assert (held["withdrawal_id"], held["balance_fen"]) == (applied["withdrawal_id"], 900_000)

    paid = await chongqing.client.post(f"/withdrawals/{applied['withdrawal_id']}/pay")

    assert paid.status_code == 200, paid.text
    assert paid.json()["state"] == "paid"
    after = (await chongqing.client.get(f"/accounts/{account_id}")).json()
    assert (after["withdrawal_id"], after["balance_fen"]) == (None, 500_000)
    rows = await chongqing.pool.fetch("SELECT value FROM outbox ORDER BY id")
    report = json.loads(rows[-1]["value"])
    assert report["type"] == "cn.chengyu.fund.account-withdrawal-recorded.v1"
    assert (report["data"]["amount_fen"], report["data"]["balance_after_fen"]) == (400_000, 500_000)


async def test_an_assessment_shows_every_rule_and_writes_nothing(chongqing: FundService) -> None:
    account_id = await account_with_months(chongqing, 2)
    # The kit's log of answered requests records the assessment itself; nothing else.
    before = await database_text(chongqing.pool, without=frozenset({"write_log"}))

    answer = await chongqing.client.post(
        f"/accounts/{account_id}/withdrawal-assessment", json=rent(amount_fen=2_000_000)
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["allowed"] is False and body["amount_fen"] == 0
    assert {"too-few-months", "amount-above-balance", "amount-above-cap"} <= set(body["refusals"])
    assert await database_text(chongqing.pool, without=frozenset({"write_log"})) == before


@pytest.mark.parametrize(
    ("months", "body", "code"),
    [
        (2, rent(), "too-few-months"),
        (3, rent(amount_fen=1_000_000), "amount-above-balance"),
        (5, rent(amount_fen=450_001), "amount-above-cap"),
        (3, rent(proofs=RENT_PROOFS[:1]), "proof-missing"),
        (3, {"kind": "lottery", "amount_fen": 100, "proofs": []}, "unknown-withdrawal-kind"),
        (3, {"kind": "retirement", "amount_fen": 100, "proofs": []}, "invalid-application"),
        (
            3,
            rent(proofs=[*RENT_PROOFS[:1], {"kind": "no-home-certificate", "reference": ALICE_ID}]),
            "personal-data-in-text",
        ),
    ],
)
async def test_a_withdrawal_breaking_a_rule_is_refused_naming_it_with_nothing_written(
    chongqing: FundService, months: int, body: dict[str, Any], code: str
) -> None:
    account_id = await account_with_months(chongqing, months)
    before = await database_text(chongqing.pool)

    status, answer = await apply(chongqing, account_id, **body)

    assert (status, answer["error"]) == (422, code), answer
    assert answer["message"]
    assert await database_text(chongqing.pool) == before


async def test_a_float_amount_is_refused(chongqing: FundService) -> None:
    account_id = await account_with_months(chongqing, 3)
    status, answer = await apply(chongqing, account_id, **{**rent(), "amount_fen": 100.5})
    assert status == 422 and "amount_fen" in json.dumps(answer)


async def test_an_account_in_transfer_takes_no_withdrawal(chongqing: FundService) -> None:
    account_id = await account_with_months(chongqing, 3)
    await chongqing.pool.execute(
        "UPDATE account SET status = 'transferring', transfer_id = 'tr-1',"
        " status_before_transfer = 'active' WHERE account_id = $1",
        account_id,
    )
    before = await database_text(chongqing.pool)

    status, answer = await apply(chongqing, account_id, **rent())

    assert (status, answer["error"]) == (409, "account-transferring")
    assert await database_text(chongqing.pool) == before


async def test_a_withdrawal_being_decided_holds_the_account_against_a_second(
    chongqing: FundService,
) -> None:
    account_id = await account_with_months(chongqing, 3)
    assert (await apply(chongqing, account_id, **rent(amount_fen=100_000)))[0] == 201

    status, answer = await apply(chongqing, account_id, **rent(amount_fen=100_000))

    assert (status, answer["error"]) == (409, "withdrawal-pending")


async def test_a_refused_withdrawal_frees_the_account_and_pays_nothing(
    chongqing: FundService,
) -> None:
    account_id = await account_with_months(chongqing, 3)
    _, applied = await apply(chongqing, account_id, **rent())
    path = f"/withdrawals/{applied['withdrawal_id']}"

    refused = await chongqing.client.post(
        f"{path}/refuse",
        json={"reason_code": "proof-not-genuine", "reason": "租赁合同未备案"},
    )

    assert refused.status_code == 200, refused.text
    assert (refused.json()["state"], refused.json()["reason_code"]) == (
        "refused",
        "proof-not-genuine",
    )
    after = (await chongqing.client.get(f"/accounts/{account_id}")).json()
    assert (after["withdrawal_id"], after["balance_fen"]) == (None, 900_000)
    assert "account-withdrawal-recorded" not in await outbox_types(chongqing)
    again = await chongqing.client.post(f"{path}/pay")
    assert (again.status_code, again.json()["error"]) == (409, "illegal-transition")


async def test_a_withdrawal_is_paid_once(chongqing: FundService) -> None:
    account_id = await account_with_months(chongqing, 3)
    _, applied = await apply(chongqing, account_id, **rent())
    path = f"/withdrawals/{applied['withdrawal_id']}/pay"
    assert (await chongqing.client.post(path)).status_code == 200

    again = await chongqing.client.post(path)

    assert (again.status_code, again.json()["error"]) == (409, "illegal-transition")
    balance = (await chongqing.client.get(f"/accounts/{account_id}")).json()["balance_fen"]
    assert balance == 500_000
    assert (await outbox_types(chongqing)).count("account-withdrawal-recorded") == 1


async def test_retirement_takes_the_whole_balance_and_closes_the_account(
    chongqing: FundService,
) -> None:
    account_id = await account_with_months(chongqing, 1)
    proofs = [{"kind": "retirement-or-exit-certificate", "reference": "TX-2026-77"}]
    _, applied = await apply(chongqing, account_id, kind="retirement", proofs=proofs)
    assert applied["amount_fen"] == 300_000

    paid = await chongqing.client.post(f"/withdrawals/{applied['withdrawal_id']}/pay")

    assert paid.status_code == 200, paid.text
    after = (await chongqing.client.get(f"/accounts/{account_id}")).json()
    assert (after["status"], after["balance_fen"]) == ("closed", 0)


async def test_an_unknown_withdrawal_or_account_is_404(chongqing: FundService) -> None:
    missing = await chongqing.client.get("/withdrawals/wd-cq-nothing")
    assert (missing.status_code, missing.json()["error"]) == (404, "unknown-withdrawal")
    status, answer = await apply(chongqing, "cq-nothing", **rent())
    assert (status, answer["error"]) == (404, "unknown-account")


async def test_a_kind_not_in_force_on_the_day_is_refused(
    database: str, oidc_provider: OidcProvider
) -> None:
    # Chengdu's serious-illness withdrawal is in force from 2026-01-01 (illustrative policy).
    async for chengdu in running_fund_service(database, oidc_provider, city="cd"):
        account_id = await account_with_months(chengdu, 3)
        chengdu.clock.advance(-timedelta(days=300))  # 2025-12-19
        proofs = [
            {"kind": "hospital-diagnosis", "reference": "ZD-2025-12"},
            {"kind": "medical-expense-receipts", "reference": "FY-2025-12"},
        ]
        before = await database_text(chengdu.pool)

        status, answer = await apply(
            chengdu, account_id, kind="serious-illness", amount_fen=100_000, proofs=proofs
        )

        assert (status, answer["error"]) == (422, "withdrawal-kind-not-in-force")
        assert await database_text(chengdu.pool) == before
