"""Transfers and loan eligibility over HTTP on a real PostgreSQL (one city; the saga's
steps on the bus are tested in test_saga.py and end to end in tests/)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fund_transfer_http import ALICE_ID, FundService, database_text, running_fund_service

from chengyu_kit.local.oidc import OidcProvider

pytestmark = pytest.mark.integration


@pytest.fixture
async def chengdu(database: str, oidc_provider: OidcProvider) -> AsyncIterator[FundService]:
    async for running in running_fund_service(database, oidc_provider, city="cd"):
        yield running


async def request(service: FundService, **changes: object) -> tuple[int, dict[str, Any]]:
    body = {"resident_id": ALICE_ID, "name": "张三丰", "from_city": "cq", **changes}
    answer = await service.client.post("/transfers", json=body)
    payload: dict[str, Any] = answer.json()
    return answer.status_code, payload


async def written(service: FundService) -> tuple[int, int]:
    transfers = await service.pool.fetchval("SELECT count(*) FROM transfer")
    events = await service.pool.fetchval("SELECT count(*) FROM outbox")
    return int(transfers), int(events)


async def test_a_requested_transfer_is_accepted_and_shown_with_its_first_step(
    chengdu: FundService,
) -> None:
    status, body = await request(chengdu)
    assert status == 202
    assert (body["state"], body["role"], body["from_city"], body["to_city"]) == (
        "requested",
        "receiving",
        "cq",
        "cd",
    )
    shown = await chengdu.client.get(f"/transfers/{body['transfer_id']}")
    assert shown.status_code == 200
    assert [step["state"] for step in shown.json()["steps"]] == ["requested"]
    assert await written(chengdu) == (1, 1)


async def test_the_request_event_carries_no_name_and_no_id_number(chengdu: FundService) -> None:
    await request(chengdu)
    value = await chengdu.pool.fetchval("SELECT value FROM outbox")
    text = bytes(value).decode()
    assert ALICE_ID not in text and "张三丰" not in text
    assert json.loads(text)["data"]["person_ref"].startswith("pr1_")


@pytest.mark.parametrize(
    ("changes", "status", "code", "words"),
    [
        ({"from_city": "xa"}, 422, "unknown-city", "cq (Chongqing) or cd (Chengdu)"),
        ({"from_city": "cd"}, 422, "same-city", "one city to the other"),
        ({"resident_id": ALICE_ID[:17]}, 422, "wrong-length", "18 characters"),
        ({"name": " "}, 422, "invalid-name", "must not be empty"),
    ],
)
async def test_a_bad_transfer_request_is_refused_naming_the_problem_and_writes_nothing(
    chengdu: FundService, changes: dict[str, object], status: int, code: str, words: str
) -> None:
    answer_status, body = await request(chengdu, **changes)
    assert (answer_status, body["error"]) == (status, code)
    assert words in str(body["message"])
    assert await written(chengdu) == (0, 0)


async def test_a_second_unfinished_transfer_of_the_person_is_a_conflict(
    chengdu: FundService,
) -> None:
    await request(chengdu)
    status, body = await request(chengdu)
    assert (status, body["error"]) == (409, "transfer-in-progress")
    assert await written(chengdu) == (1, 1)


async def test_an_unknown_transfer_is_404(chengdu: FundService) -> None:
    answer = await chengdu.client.get("/transfers/tr-cd-nothing")
    assert answer.status_code == 404
    assert answer.json()["error"] == "unknown-transfer"


async def test_the_raw_id_number_is_stored_nowhere_after_a_request(chengdu: FundService) -> None:
    await request(chengdu)
    assert ALICE_ID not in await database_text(chengdu.pool)


# -- loan eligibility --------------------------------------------------------------------------


async def eligibility(service: FundService, **body: object) -> tuple[int, dict[str, Any]]:
    answer = await service.client.post("/loan-eligibility", json={"resident_id": ALICE_ID, **body})
    payload: dict[str, Any] = answer.json()
    return answer.status_code, payload


async def test_a_person_unknown_here_is_not_eligible_with_the_rules_explained(
    chengdu: FundService,
) -> None:
    status, body = await eligibility(chengdu, application_month="2026-10")
    assert status == 200
    assert (body["eligible"], body["ceiling_fen"], body["city"]) == (False, 0, "cd")
    assert [rule["rule"] for rule in body["rules"]] == [
        "consecutive-months",
        "ceiling",
        "no-outstanding-loan",
    ]


async def test_eligibility_counts_the_months_and_balance_of_this_citys_account(
    chengdu: FundService,
) -> None:
    opened = await chengdu.client.post(
        "/accounts", json={"resident_id": ALICE_ID, "name": "张三丰", "kind": "employee"}
    )
    account_id = opened.json()["account_id"]
    for month in range(1, 13):
        answer = await chengdu.client.post(
            f"/accounts/{account_id}/deposits",
            json={"month": f"2025-{month:02d}", "amount_fen": 100_000},
        )
        assert answer.status_code == 201
    status, body = await eligibility(chengdu, application_month="2025-12")
    assert status == 200
    assert body["eligible"] is True
    assert body["ceiling_fen"] == 1_200_000 * 15


@pytest.mark.parametrize(
    ("month", "code"), [("2026-11", "month-in-future"), ("2026-13", "invalid-month")]
)
async def test_an_application_month_in_the_future_or_malformed_is_422(
    chengdu: FundService, month: str, code: str
) -> None:
    status, body = await eligibility(chengdu, application_month=month)
    assert (status, body["error"]) == (422, code)


async def test_a_clerks_request_names_the_clerk_on_its_step_and_the_office_on_its_event(
    database: str, oidc_provider: OidcProvider
) -> None:
    async for chengdu in running_fund_service(
        database, oidc_provider, city="cd", clerk="cd-clerk-07"
    ):
        answer = await chengdu.client.post(
            "/transfers",
            json={"resident_id": ALICE_ID, "name": "张三丰", "from_city": "cq"},
            headers={"X-Request-ID": "req-transfer-1"},
        )
        shown = (await chengdu.client.get(f"/transfers/{answer.json()['transfer_id']}")).json()
        step = shown["steps"][0]
        assert (step["by"], step["request_id"]) == ("cd/hpf/cd-clerk-07", "req-transfer-1")
        assert answer.json()["steps"][0]["by"] == "cd/hpf/cd-clerk-07"
        envelope = json.loads(await chengdu.pool.fetchval("SELECT value FROM outbox"))
        assert envelope["chengyuactor"].startswith("cd/hpf/c")
        assert "cd-clerk-07" not in envelope["chengyuactor"]
