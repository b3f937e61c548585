"""What both parts of ``chengyu-demo`` do around their HTTP calls: bounded concurrency
against the cities' services, retries while a service restarts, an ``Idempotency-Key`` on
every POST, and counting each problem (never raising) for the summary."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from rich.progress import Progress

from chengyu_demo.stack import City

__all__ = ["IDEMPOTENCY_HEADER", "Answer", "DemoDriver", "RetryPolicy"]

_T = TypeVar("_T")

IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class RetryPolicy:
    """How long a call keeps trying while a service does not answer (a SIGKILLed service
    is restarted by its supervisor within seconds, so a minute covers it)."""

    budget_seconds: float = 60.0
    first_pause: float = 0.2
    max_pause: float = 3.0


@dataclass(frozen=True)
class Answer:
    """The last answer to one logical call (None if none came within the budget) and
    whether an earlier attempt may have been applied although its answer was lost."""

    response: httpx.Response | None
    maybe_applied_before: bool
    error: str = ""

    @property
    def status(self) -> int | None:
        """The HTTP status of the answer, None without one."""
        return None if self.response is None else self.response.status_code

    @property
    def code(self) -> str:
        """The refusal code of an error answer (``duplicate-month`` ...), or ``""``."""
        if self.response is None or self.response.status_code < 400:
            return ""
        try:
            body = self.response.json()
        except ValueError:
            return ""
        return str(body.get("error", "")) if isinstance(body, dict) else ""

    def json(self) -> Any:
        """The answer's JSON body (only call with an answer)."""
        assert self.response is not None
        return self.response.json()


def _not_sent(error: httpx.TransportError) -> bool:
    """Whether the request surely never reached the service (nothing can have happened).

    A refused connection or a connect timeout means the service never read the request;
    any other failure (reset, read timeout, broken answer) may come after it committed.
    """
    return isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


class DemoDriver:
    """The HTTP side of one demo part: its clients per city, progress bar and problems."""

    def __init__(
        self,
        clients: dict[City, httpx.AsyncClient],
        progress: Progress,
        problems: Counter[str],
        *,
        concurrency: int,
        wait_seconds: float,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.clients = clients
        self.progress = progress
        self.problems = problems
        self.wait_seconds = wait_seconds
        self.limit = asyncio.Semaphore(concurrency)
        self.retry = retry if retry is not None else RetryPolicy()
        #: Attempts repeated because a service did not answer (or answered 5xx), by city.
        self.retries: Counter[str] = Counter()

    def _problem(self, what: str, answer: httpx.Response | Answer | None, error: str = "") -> None:
        """Count a failed call by what it was and its status and error code."""
        if isinstance(answer, Answer):
            error = answer.error or error or "no answer"
            answer = answer.response
        if answer is not None:
            try:
                body = answer.json()
                code = str(body.get("error", "")) if isinstance(body, dict) else ""
            except ValueError:
                code = ""
            error = f"{answer.status_code} {code}".rstrip()
        self.problems[f"{what}: {error}"] += 1

    async def _limited(self, call: Callable[[], Awaitable[_T]]) -> _T:
        """Run ``call`` once a slot of the bounded concurrency is free."""
        async with self.limit:
            return await call()

    async def send(
        self, city: City, method: str, path: str, body: dict[str, Any] | None = None
    ) -> Answer:
        """One logical call: retried on connection errors, timeouts and 5xx answers with
        growing pauses until the retry budget is spent; a POST carries one fresh
        ``Idempotency-Key``, the same on each retry, so the service can replay its first
        answer instead of applying the call twice."""
        client = self.clients[city]
        headers = {IDEMPOTENCY_HEADER: str(uuid.uuid4())} if method == "POST" else {}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.retry.budget_seconds
        pause = self.retry.first_pause
        maybe_applied = False
        while True:
            response: httpx.Response | None = None
            error = ""
            try:
                response = await self._limited(
                    lambda: client.request(method, path, json=body, headers=headers)
                )
            except httpx.TransportError as failure:
                error = type(failure).__name__
                # A lost answer to a POST may hide an applied call: the caller must look.
                maybe_applied = maybe_applied or (method == "POST" and not _not_sent(failure))
            else:
                if response.status_code < 500:
                    return Answer(response, maybe_applied)
                # A 5xx may come from a half-started service or after the commit.
                maybe_applied = maybe_applied or method == "POST"
            if loop.time() + pause > deadline:
                return Answer(response, maybe_applied, error)
            self.retries[city] += 1
            await asyncio.sleep(pause)
            pause = min(pause * 2, self.retry.max_pause)


def bearer(token: str) -> dict[str, str]:
    """A clerk's ``Authorization`` header (the token itself is never logged)."""
    return {"Authorization": f"Bearer {token}"}


async def not_ready(clients: dict[City, httpx.AsyncClient], service: str) -> str | None:
    """Why the demo cannot start on ``service`` at ``clients`` (the first city whose
    ``/readyz`` is not 200), or None when every city is ready."""
    for city, client in clients.items():
        try:
            answer = await client.get("/readyz")
        except httpx.HTTPError:
            answer = None
        if answer is None or answer.status_code != 200:
            return (
                f"the {city} {service} service at {client.base_url} is not ready;"
                " start the stack with `make up DEMO=0` (or `uv run chengyu stack up`)"
            )
    return None
