"""The demo's HTTP calls against a stand-in transport: retried while a service does not
answer, one Idempotency-Key per logical call, and a lost answer never taken for a call
that was not made (a deposit, an account, a withdrawal)."""

from __future__ import annotations

from collections import Counter
from datetime import date

import httpx
from rich.progress import Progress

from chengyu_demo.cli import _Driver
from chengyu_demo.cli_withdrawals import LOST_WITHDRAWAL, WithdrawalDriver
from chengyu_demo.driver import IDEMPOTENCY_HEADER, DemoDriver, RetryPolicy
from chengyu_demo.fund import generate_workload

FAST = RetryPolicy(budget_seconds=2.0, first_pause=0.01, max_pause=0.05)


def _driver(handler: httpx.MockTransport) -> tuple[DemoDriver, httpx.AsyncClient]:
    client = httpx.AsyncClient(transport=handler, base_url="http://cq.test")
    driver = DemoDriver(
        {"cq": client, "cd": client},
        Progress(disable=True),
        Counter(),
        concurrency=2,
        wait_seconds=1,
        retry=FAST,
    )
    return driver, client


async def test_a_post_is_retried_with_the_same_key_and_a_lost_answer_is_flagged() -> None:
    keys: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers[IDEMPOTENCY_HEADER])
        if len(keys) == 1:
            raise httpx.ReadError("connection reset", request=request)  # after the commit?
        if len(keys) == 2:
            return httpx.Response(503)
        return httpx.Response(409, json={"error": "duplicate-month"})

    driver, client = _driver(httpx.MockTransport(answer))
    async with client:
        first = await driver.send("cq", "POST", "/accounts/a/deposits", {"month": "2025-01"})
        second = await driver.send("cq", "POST", "/accounts/a/deposits", {"month": "2025-02"})
    assert len(set(keys[:3])) == 1  # one logical call, one key on every attempt
    assert keys[3] != keys[0]  # the next call has its own
    assert (first.status, first.code, first.maybe_applied_before) == (409, "duplicate-month", True)
    assert not second.maybe_applied_before
    assert driver.retries["cq"] == 2


async def test_a_refused_connection_is_a_call_not_made_and_gets_carry_no_key() -> None:
    attempts: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        if len(attempts) < 3:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(409, json={"error": "already-has-account"})

    driver, client = _driver(httpx.MockTransport(answer))
    async with client:
        posted = await driver.send("cq", "POST", "/accounts", {"kind": "employee"})
        read = await driver.send("cq", "GET", "/accounts/a")
    assert posted.status == 409
    assert not posted.maybe_applied_before  # never reached the service: really someone else's
    assert read.status == 409
    assert IDEMPOTENCY_HEADER not in attempts[-1].headers


async def test_a_service_that_stays_down_ends_the_call_within_the_budget() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    driver, client = _driver(httpx.MockTransport(answer))
    async with client:
        gone = await driver.send("cq", "GET", "/readyz")
    assert gone.response is None
    assert gone.error == "ConnectError"
    driver._problem("read account", gone)
    assert driver.problems == Counter({"read account: ConnectError": 1})


def _fund_driver(handler: httpx.MockTransport) -> tuple[_Driver, httpx.AsyncClient]:
    client = httpx.AsyncClient(transport=handler, base_url="http://cq.test")
    workload = generate_workload(5, today=date(2026, 11, 29), people=4, transfer_share=0.0)
    progress = Progress(disable=True)
    driver = _Driver(
        workload, {"cq": client, "cd": client}, progress, concurrency=2, wait_seconds=1, retry=FAST
    )
    return driver, client


async def test_a_deposit_whose_answer_was_lost_is_counted_once_the_account_shows_it() -> None:
    posts: list[str] = []

    def service(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            deposit = {"month": "2025-03", "amount_fen": 50_000, "city": "cq"}
            return httpx.Response(200, json={"deposits": [deposit]})
        posts.append(request.headers[IDEMPOTENCY_HEADER])
        if len(posts) == 1:
            raise httpx.RemoteProtocolError("server went away", request=request)
        return httpx.Response(409, json={"error": "duplicate-month"})

    driver, client = _fund_driver(httpx.MockTransport(service))
    async with client:
        assert await driver._deposit("cq", "cq-1", "2025-03", 50_000)
        # Another amount in that month is someone else's deposit: not ours.
        assert not await driver._deposit("cq", "cq-1", "2025-03", 60_000)
    assert driver.report.looked_up == 1
    assert driver.report.problems == Counter({"record deposit: 409 duplicate-month": 1})


async def test_an_account_opened_by_a_lost_first_attempt_counts_as_opened() -> None:
    attempts: list[httpx.Request] = []

    def service(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        if len(attempts) == 1:
            raise httpx.ReadTimeout("no answer", request=request)  # committed, answer lost
        return httpx.Response(409, json={"error": "already-has-account"})

    driver, client = _fund_driver(httpx.MockTransport(service))
    planned = driver.workload.accounts[0]
    accounts = driver.progress.add_task("open accounts", total=1)
    deposits = driver.progress.add_task("record deposits", total=len(planned.deposits))
    async with client:
        await driver._open(planned, accounts, deposits)
    assert driver.report.accounts_opened[planned.city] == 1
    assert sum(driver.report.unconfirmed.values()) == 1
    assert not driver.report.problems
    assert planned.person in driver.skipped  # no id: its deposits cannot be made


def _withdrawal_driver(handler: httpx.MockTransport) -> tuple[WithdrawalDriver, httpx.AsyncClient]:
    client = httpx.AsyncClient(transport=handler, base_url="http://cq.test")
    workload = generate_workload(5, today=date(2026, 11, 29), people=4, transfer_share=0.0)
    driver = WithdrawalDriver(
        workload,
        {"cq": client, "cd": client},
        Progress(disable=True),
        Counter(),
        Counter(),
        concurrency=2,
        wait_seconds=1,
        retry=FAST,
    )
    return driver, client


def _held_by(amount_fen: int) -> httpx.MockTransport:
    """A service whose first answer to an application is lost, then finds the account held
    by a rent withdrawal of ``amount_fen``."""
    posts: list[str] = []

    def service(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/accounts/cq-1":
            return httpx.Response(200, json={"withdrawal_id": "wd-cq-1"})
        if request.method == "GET":
            view = {"withdrawal_id": "wd-cq-1", "kind": "rent", "amount_fen": amount_fen}
            return httpx.Response(200, json=view)
        posts.append(request.headers[IDEMPOTENCY_HEADER])
        if len(posts) == 1:
            raise httpx.ReadTimeout("no answer", request=request)  # committed, answer lost
        return httpx.Response(409, json={"error": "withdrawal-pending"})

    return httpx.MockTransport(service)


async def test_a_withdrawal_whose_answer_was_lost_is_found_holding_the_account() -> None:
    driver, client = _withdrawal_driver(_held_by(100_000))
    body = {"kind": "rent", "amount_fen": 100_000, "proofs": []}
    async with client:
        found = await driver._apply("cq", "cq-1", body)
    assert found is not None and found["withdrawal_id"] == "wd-cq-1"
    assert driver.report.looked_up == 1
    assert not driver.unconfirmed and not driver.problems


async def test_a_hold_of_another_withdrawal_leaves_the_lost_one_unconfirmed() -> None:
    driver, client = _withdrawal_driver(_held_by(90_000))
    body = {"kind": "rent", "amount_fen": 100_000, "proofs": []}
    async with client:
        assert await driver._apply("cq", "cq-1", body) is None
    assert driver.unconfirmed == Counter({LOST_WITHDRAWAL: 1})
