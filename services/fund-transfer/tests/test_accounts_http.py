"""Accounts and deposits over HTTP on a real PostgreSQL, each request in one unit of work of
one city's service; writes retried with an ``Idempotency-Key`` take effect once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
from fund_transfer_http import (
    ALICE_ID,
    BOB_ID,
    FundService,
    database_text,
    running_fund_service,
)

from chengyu_contracts.person_ref import PersonRefKey, person_ref
from chengyu_contracts.resident_id import synthesize_resident_id
from chengyu_fund_transfer.service import SERVICE
from chengyu_kit.local.oidc import OidcProvider
from chengyu_kit.local.postgres import LocalPostgres

pytestmark = pytest.mark.integration


@pytest.fixture
async def service(database: str, oidc_provider: OidcProvider) -> AsyncIterator[FundService]:
    async for running in running_fund_service(database, oidc_provider):
        yield running


async def open_alice(service: FundService, kind: str = "flexible") -> dict[str, object]:
    answer = await service.client.post(
        "/accounts", json={"resident_id": ALICE_ID, "name": "张三丰", "kind": kind}
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, object] = answer.json()
    return body


async def deposit(
    service: FundService, account_id: object, month: str, amount: object
) -> httpx.Response:
    return await service.client.post(
        f"/accounts/{account_id}/deposits", json={"month": month, "amount_fen": amount}
    )


async def balance(service: FundService, account_id: object) -> int:
    value = await service.pool.fetchval(
        "SELECT balance_fen FROM account WHERE account_id = $1", account_id
    )
    assert isinstance(value, int)
    return value


def test_the_migrations_ship_inside_the_package_in_their_own_namespace() -> None:
    migrations = SERVICE.migrations()
    assert [(m.namespace, m.version, m.name) for m in migrations] == [
        ("fund-transfer", 1, "accounts"),
        ("fund-transfer", 2, "transfers"),
        ("fund-transfer", 3, "step_actors"),
        ("fund-transfer", 4, "withdrawals_loans"),
    ]


async def test_an_opened_account_is_shown_masked_with_a_stable_person_ref(
    service: FundService,
) -> None:
    opened = await open_alice(service)
    expected_ref = person_ref(ALICE_ID, PersonRefKey.from_hex(service.person_ref_key))
    assert opened["person_ref"] == expected_ref
    assert opened["resident_id_masked"] == ALICE_ID[:6] + "********" + ALICE_ID[-4:]
    assert opened["name_masked"] == "张**"
    assert opened["city"] == "cq"
    assert opened["kind"] == "flexible"
    assert opened["status"] == "active"
    assert opened["balance_fen"] == 0

    shown = await service.client.get(f"/accounts/{opened['account_id']}")
    assert shown.status_code == 200
    body = shown.json()
    assert body["person_ref"] == expected_ref
    assert body["name_masked"] == "张**"
    assert body["deposits"] == []
    assert "张三丰" not in shown.text
    # The name stays in this city's database, in full.
    assert await service.pool.fetchval("SELECT full_name FROM account") == "张三丰"


async def test_the_same_person_gets_the_same_person_ref_in_another_database(
    service: FundService, postgres: LocalPostgres
) -> None:
    first = await open_alice(service)
    name = f"cd_{uuid.uuid4().hex[:12]}"
    await postgres.ensure_database(name)
    # The other city's database, with the same inter-city key: the pseudonym must match.
    dsn = postgres.dsn(name)
    async for other in running_fund_service(
        dsn, service.provider, city="cd", person_ref_key=service.person_ref_key
    ):
        answer = await other.client.post(
            "/accounts",
            json={"resident_id": ALICE_ID.lower(), "name": "张三丰", "kind": "employee"},
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["person_ref"] == first["person_ref"]
        assert answer.json()["city"] == "cd"


async def test_a_second_account_for_the_same_person_is_a_conflict(service: FundService) -> None:
    await open_alice(service)
    again = await service.client.post(
        "/accounts",
        json={"resident_id": " " + ALICE_ID + " ", "name": "张三丰", "kind": "employee"},
    )
    assert again.status_code == 409
    assert again.json()["error"] == "already-has-account"
    assert await service.pool.fetchval("SELECT count(*) FROM account") == 1


@pytest.mark.parametrize(
    ("resident_id", "code", "words"),
    [
        (ALICE_ID[:-1] + ("0" if ALICE_ID[-1] != "0" else "1"), "bad-check-digit", "check digit"),
        (ALICE_ID[:17], "wrong-length", "18 characters"),
        ("A" + ALICE_ID[1:], "bad-characters", "17 digits"),
        ("99" + ALICE_ID[2:], "bad-region", "province"),
    ],
)
async def test_an_invalid_id_number_is_refused_naming_the_problem_and_nothing_is_written(
    service: FundService, resident_id: str, code: str, words: str
) -> None:
    answer = await service.client.post(
        "/accounts", json={"resident_id": resident_id, "name": "张三丰", "kind": "flexible"}
    )
    assert answer.status_code == 422
    assert answer.json()["error"] == code
    assert words in answer.json()["message"]
    assert resident_id not in answer.text
    assert await service.pool.fetchval("SELECT count(*) FROM account") == 0


async def test_a_birth_date_after_today_is_an_invalid_id_number(service: FundService) -> None:
    born_tomorrow = synthesize_resident_id("500101", date(2026, 10, 16), 1, "male")
    answer = await service.client.post(
        "/accounts", json={"resident_id": born_tomorrow, "name": "李四", "kind": "flexible"}
    )
    assert answer.status_code == 422
    assert answer.json()["error"] == "bad-birth-date"


@pytest.mark.parametrize(
    "body",
    [
        {"resident_id": ALICE_ID, "name": "张三丰", "kind": "pensioner"},
        {"resident_id": ALICE_ID, "name": "", "kind": "flexible"},
        {"resident_id": ALICE_ID, "name": "   ", "kind": "flexible"},
        {"resident_id": 500101199005170031, "name": "张三丰", "kind": "flexible"},
        {"resident_id": ALICE_ID, "kind": "flexible"},
    ],
)
async def test_a_malformed_opening_request_is_422_and_writes_nothing(
    service: FundService, body: dict[str, object]
) -> None:
    answer = await service.client.post("/accounts", json=body)
    assert answer.status_code == 422
    assert ALICE_ID not in answer.text
    assert await service.pool.fetchval("SELECT count(*) FROM account") == 0


async def test_a_deposit_raises_the_balance_and_is_listed(service: FundService) -> None:
    opened = await open_alice(service)
    account_id = opened["account_id"]
    first = await deposit(service, account_id, "2026-09", 150_000)
    assert first.status_code == 201, first.text
    second = await deposit(service, account_id, "2026-10", 60_000)
    assert second.status_code == 201
    assert second.json()["balance_fen"] == 210_000

    shown = (await service.client.get(f"/accounts/{account_id}")).json()
    assert shown["balance_fen"] == 210_000
    assert shown["deposits"] == [
        {"month": "2026-09", "amount_fen": 150_000, "city": "cq"},
        {"month": "2026-10", "amount_fen": 60_000, "city": "cq"},
    ]
    assert await balance(service, account_id) == 210_000


async def test_a_duplicate_month_is_a_conflict_and_leaves_the_balance_unchanged(
    service: FundService,
) -> None:
    opened = await open_alice(service)
    account_id = opened["account_id"]
    assert (await deposit(service, account_id, "2026-09", 150_000)).status_code == 201
    again = await deposit(service, account_id, "2026-09", 20_000)
    assert again.status_code == 409
    assert again.json()["error"] == "duplicate-month"
    assert "2026-09" in again.json()["message"]
    assert await balance(service, account_id) == 150_000
    assert await service.pool.fetchval("SELECT count(*) FROM deposit") == 1


async def test_concurrent_deposits_of_one_month_are_counted_once(service: FundService) -> None:
    opened = await open_alice(service)
    account_id = opened["account_id"]
    answers = await asyncio.gather(
        *(deposit(service, account_id, "2026-08", 30_000 + i) for i in range(5))
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201, 409, 409, 409, 409]
    stored = await service.pool.fetchval("SELECT amount_fen FROM deposit")
    assert await balance(service, account_id) == stored


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (-100, "negative-amount"),
        (0, "zero-amount"),
        (1.5, "invalid-request"),
        (100.0, "invalid-request"),
        ("150000", "invalid-request"),
        (True, "invalid-request"),
        (None, "invalid-request"),
        (10**12, "invalid-request"),
    ],
)
async def test_a_deposit_amount_that_is_not_a_positive_whole_fen_is_422(
    service: FundService, amount: object, code: str
) -> None:
    opened = await open_alice(service, kind="employee")
    answer = await deposit(service, opened["account_id"], "2026-09", amount)
    assert answer.status_code == 422
    assert answer.json()["error"] == code
    assert await balance(service, opened["account_id"]) == 0
    assert await service.pool.fetchval("SELECT count(*) FROM deposit") == 0


@pytest.mark.parametrize(
    ("month", "code"),
    [("2026-11", "month-in-future"), ("2026-13", "invalid-month"), ("2026/09", "invalid-month")],
)
async def test_a_month_in_the_future_or_malformed_is_422(
    service: FundService, month: str, code: str
) -> None:
    opened = await open_alice(service)
    answer = await deposit(service, opened["account_id"], month, 150_000)
    assert answer.status_code == 422
    assert answer.json()["error"] == code
    assert await service.pool.fetchval("SELECT count(*) FROM deposit") == 0


async def test_a_flexible_workers_deposit_outside_the_citys_range_is_422(
    service: FundService,
) -> None:
    opened = await open_alice(service)  # cq default policy: 200 to 6,000 yuan a month
    too_low = await deposit(service, opened["account_id"], "2026-09", 19_999)
    too_high = await deposit(service, opened["account_id"], "2026-09", 600_001)
    for answer in (too_low, too_high):
        assert answer.status_code == 422
        assert answer.json()["error"] == "amount-out-of-range"
    assert (await deposit(service, opened["account_id"], "2026-09", 20_000)).status_code == 201
    assert await balance(service, opened["account_id"]) == 20_000


async def test_an_employees_deposit_is_not_bound_by_the_flexible_range(
    service: FundService,
) -> None:
    opened = await open_alice(service, kind="employee")
    answer = await deposit(service, opened["account_id"], "2026-09", 900_000)
    assert answer.status_code == 201


async def test_an_unknown_account_is_404(service: FundService) -> None:
    shown = await service.client.get("/accounts/cq-nobody")
    assert shown.status_code == 404
    assert shown.json()["error"] == "unknown-account"
    answer = await deposit(service, "cq-nobody", "2026-09", 150_000)
    assert answer.status_code == 404
    assert await service.pool.fetchval("SELECT count(*) FROM deposit") == 0


async def test_the_raw_resident_id_appears_in_no_answer_and_nowhere_in_the_database(
    service: FundService,
) -> None:
    answers = []
    opened = await service.client.post(
        "/accounts", json={"resident_id": ALICE_ID, "name": "张三丰", "kind": "flexible"}
    )
    answers.append(opened)
    account_id = opened.json()["account_id"]
    answers.append(
        await service.client.post(
            "/accounts", json={"resident_id": ALICE_ID, "name": "张三丰", "kind": "flexible"}
        )
    )
    answers.append(
        await service.client.post(
            "/accounts", json={"resident_id": BOB_ID, "name": "李四", "kind": "pensioner"}
        )
    )
    answers.append(
        await service.client.post(
            "/accounts", json={"resident_id": BOB_ID[:-1] + "Y", "name": "李四", "kind": "employee"}
        )
    )
    answers.append(await deposit(service, account_id, "2026-09", 150_000))
    answers.append(await service.client.get(f"/accounts/{account_id}"))
    for answer in answers:
        for number in (ALICE_ID, BOB_ID, ALICE_ID[6:14]):
            assert number not in answer.text
    everything = await database_text(service.pool)
    assert account_id in everything  # the dump does see the rows
    for number in (ALICE_ID, BOB_ID, ALICE_ID.lower()):
        assert number not in everything


# ---- idempotent writes (Idempotency-Key) -----------------------------------------------------

ALICE_ACCOUNT = {"resident_id": ALICE_ID, "name": "张三丰", "kind": "flexible"}


async def test_an_account_opened_twice_with_one_key_is_opened_once_and_answered_alike(
    service: FundService,
) -> None:
    key = {"Idempotency-Key": f'"{uuid.uuid4()}"'}
    first = await service.client.post("/accounts", json=ALICE_ACCOUNT, headers=key)
    again = await service.client.post("/accounts", json=ALICE_ACCOUNT, headers=key)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert await service.pool.fetchval("SELECT count(*) FROM account") == 1


async def test_a_key_reused_for_another_request_is_422_and_writes_nothing(
    service: FundService,
) -> None:
    key = {"Idempotency-Key": f'"{uuid.uuid4()}"'}
    first = await service.client.post("/accounts", json=ALICE_ACCOUNT, headers=key)
    assert first.status_code == 201, first.text
    other = {"resident_id": BOB_ID, "name": "李四", "kind": "employee"}
    reused = await service.client.post("/accounts", json=other, headers=key)
    assert reused.status_code == 422, reused.text
    assert reused.json()["error"] == "idempotency-key-reused"
    assert await service.pool.fetchval("SELECT count(*) FROM account") == 1
    assert await service.pool.fetchval("SELECT count(*) FROM idempotency_key") == 1


async def test_a_deposit_retried_with_its_key_is_recorded_and_reported_once(
    service: FundService,
) -> None:
    account_id = (await open_alice(service))["account_id"]
    key = {"Idempotency-Key": f'"{uuid.uuid4()}"'}
    body = {"month": "2026-09", "amount_fen": 150_000}
    path = f"/accounts/{account_id}/deposits"
    first = await service.client.post(path, json=body, headers=key)
    again = await service.client.post(path, json=body, headers=key)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await balance(service, account_id) == 150_000
    assert await service.pool.fetchval("SELECT count(*) FROM deposit") == 1
    assert await service.pool.fetchval("SELECT count(*) FROM outbox") == 1
