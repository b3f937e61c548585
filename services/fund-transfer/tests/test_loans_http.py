"""Loans over HTTP on a real PostgreSQL (one city, Chongqing, on 2026-10-15): granted after
the eligibility check with their schedule and reported to the other city; no second loan
while one is outstanding; a loan query to the other city waits for its answer and shows as
unanswered past its deadline. The answer across the cities: test_withdrawal_loan_flows.py."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from fund_transfer_http import ALICE_ID, FundService, database_text, running_fund_service

from chengyu_contracts.person_ref import PersonRefKey, person_ref
from chengyu_contracts.resident_id import parse_resident_id
from chengyu_fund_transfer.loan_store import lock_person
from chengyu_kit.local.oidc import OidcProvider

pytestmark = pytest.mark.integration


@pytest.fixture
async def chongqing(database: str, oidc_provider: OidcProvider) -> AsyncIterator[FundService]:
    async for running in running_fund_service(database, oidc_provider, city="cq"):
        yield running


async def saver(service: FundService, months: int = 6, amount_fen: int = 300_000) -> str:
    """Alice's account with ``months`` deposits up to October 2026."""
    answer = await service.client.post(
        "/accounts", json={"resident_id": ALICE_ID, "name": "张三丰", "kind": "employee"}
    )
    account_id: str = answer.json()["account_id"]
    for n in range(months):
        month = 10 - months + 1 + n
        await service.client.post(
            f"/accounts/{account_id}/deposits",
            json={"month": f"2026-{month:02d}", "amount_fen": amount_fen},
        )
    return account_id


def loan(**changes: Any) -> dict[str, Any]:
    return {
        "resident_id": ALICE_ID,
        "amount_fen": 20_000_000,
        "term_months": 240,
        "bank": "中国建设银行重庆分行",
        "start_month": "2026-11",
        **changes,
    }


async def grant(service: FundService, **changes: Any) -> tuple[int, dict[str, Any]]:
    answer = await service.client.post("/loans", json=loan(**changes))
    body: dict[str, Any] = answer.json()
    return answer.status_code, body


async def test_a_granted_loan_is_recorded_with_its_schedule_and_reported(
    chongqing: FundService,
) -> None:
    await saver(chongqing)

    status, body = await grant(chongqing)

    assert status == 201, body
    assert (body["city"], body["amount_fen"], body["term_months"]) == ("cq", 20_000_000, 240)
    assert len(body["schedule"]) == 240
    assert sum(i["principal_fen"] for i in body["schedule"]) == 20_000_000
    assert body["schedule"][-1]["outstanding_after_fen"] == 0
    assert (await chongqing.client.get(f"/loans/{body['loan_id']}")).json() == body
    rows = await chongqing.pool.fetch("SELECT value FROM outbox ORDER BY id")
    report = json.loads(rows[-1]["value"])
    assert report["type"] == "cn.chengyu.fund.loan-recorded.v1"
    assert report["data"]["loan_id"] == body["loan_id"]
    assert ALICE_ID.encode() not in rows[-1]["value"]


async def test_no_second_loan_while_one_is_outstanding(chongqing: FundService) -> None:
    await saver(chongqing)
    assert (await grant(chongqing))[0] == 201

    status, body = await grant(chongqing, amount_fen=1_000_000)

    assert (status, body["error"]) == (422, "not-eligible")
    eligibility = await chongqing.client.post("/loan-eligibility", json={"resident_id": ALICE_ID})
    rules = {r["rule"]: r["passed"] for r in eligibility.json()["rules"]}
    assert rules["no-outstanding-loan"] is False


@pytest.mark.parametrize(
    ("months", "changes", "code"),
    [
        (5, {}, "not-eligible"),
        (6, {"amount_fen": 27_000_001}, "amount-above-ceiling"),
        (6, {"term_months": 361}, "invalid-term"),
        (6, {"start_month": "2026-09"}, "start-before-application"),
        (6, {"bank": "  "}, "invalid-bank"),
        (6, {"start_month": "2026-13"}, "invalid-month"),
    ],
)
async def test_a_loan_breaking_a_rule_is_refused_naming_it_with_nothing_written(
    chongqing: FundService, months: int, changes: dict[str, Any], code: str
) -> None:
    # Six months of 3,000 yuan: a balance of 18,000, a ceiling of 15 x 18,000 = 270,000.
    await saver(chongqing, months)
    before = await database_text(chongqing.pool)

    status, body = await grant(chongqing, **changes)

    assert (status, body["error"]) == (422, code), body
    assert await database_text(chongqing.pool) == before


async def test_a_loan_query_waits_for_the_answer_then_shows_unanswered_past_its_deadline(
    chongqing: FundService,
) -> None:
    answer = await chongqing.client.post(
        "/loan-queries", json={"resident_id": ALICE_ID, "purpose": "check"}
    )
    assert answer.status_code == 202, answer.text
    query = answer.json()
    assert (query["state"], query["asking_city"], query["asked_city"]) == ("waiting", "cq", "cd")
    rows = await chongqing.pool.fetch("SELECT value FROM outbox ORDER BY id")
    assert json.loads(rows[-1]["value"])["type"] == "cn.chengyu.fund.loan-query-requested.v1"

    chongqing.clock.advance(timedelta(hours=24, seconds=1))
    later = await chongqing.client.get(f"/loan-queries/{query['query_id']}")

    assert later.json()["state"] == "unanswered"


async def test_a_loan_query_of_an_unknown_purpose_is_refused(chongqing: FundService) -> None:
    answer = await chongqing.client.post(
        "/loan-queries", json={"resident_id": ALICE_ID, "purpose": "curiosity"}
    )
    assert (answer.status_code, answer.json()["error"]) == (422, "unknown-purpose")


async def test_the_openapi_document_lists_the_withdrawal_and_loan_routes(
    chongqing: FundService,
) -> None:
    paths = (await chongqing.client.get("/openapi.json")).json()["paths"]
    assert set(paths) >= {
        "/accounts/{account_id}/withdrawal-assessment",
        "/accounts/{account_id}/withdrawals",
        "/withdrawals/{withdrawal_id}",
        "/withdrawals/{withdrawal_id}/pay",
        "/withdrawals/{withdrawal_id}/refuse",
        "/loans",
        "/loans/{loan_id}",
        "/loan-queries",
        "/loan-queries/{query_id}",
    }


async def test_a_grant_waits_while_another_grant_to_the_same_person_is_deciding(
    chongqing: FundService,
) -> None:
    # Two clerks granting loans to one person at once are decided one after the other, so
    # the second sees the first loan (and no second one is granted).
    await saver(chongqing)
    key = PersonRefKey.from_hex(chongqing.person_ref_key)
    alice = person_ref(parse_resident_id(ALICE_ID), key)
    async with chongqing.pool.acquire() as other:
        async with other.transaction():
            await lock_person(other, alice)  # the other clerk's grant, not yet committed
            pending = asyncio.ensure_future(grant(chongqing))
            done, _ = await asyncio.wait({pending}, timeout=1.0)
            assert not done, "the grant did not wait for the other one"
        status, body = await pending
    assert status == 201, body
