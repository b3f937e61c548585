"""The demo's HTTP calls against a stand-in transport: retried while a service does not
answer, one Idempotency-Key per logical call, and a lost answer never taken for a call
that was not made."""

from __future__ import annotations

from collections import Counter

import httpx
from rich.progress import Progress

from chengyu_demo.driver import IDEMPOTENCY_HEADER, DemoDriver, RetryPolicy

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
