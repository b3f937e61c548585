"""What every part of ``chengyu-demo`` does around its HTTP calls: bounded concurrency
against the cities' services, retries while a service restarts, an ``Idempotency-Key`` on
every POST, counting each problem (never raising) for the summary, and following a view
until an effect arrives (the other city learns over the bus)."""

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

__all__ = ["IDEMPOTENCY_HEADER", "POLL_SECONDS", "Answer", "DemoDriver", "RetryPolicy", "View"]

_T = TypeVar("_T")

IDEMPOTENCY_HEADER = "Idempotency-Key"
#: Pause between two looks at a view that an event has not reached yet.
POLL_SECONDS = 0.5
#: A JSON object a service answered.
View = dict[str, Any]


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
        #: The views whose awaited effect did not show within the wait (``cq GET /x``).
        self.unseen: list[str] = []

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

    # -- calls a part makes -------------------------------------------------------------------

    async def _call(
        self, what: str, city: City, method: str, path: str, body: View | None, *expect: int
    ) -> View | None:
        """One logical call (:meth:`send`); its JSON answer when its status is one of
        ``expect``, else None after counting the problem as ``what``."""
        answer = await self.send(city, method, path, body)
        if answer.status not in expect:
            # After a lost answer the refusal may be of our own first attempt: say so.
            lost = " (after a lost answer)" if answer.maybe_applied_before else ""
            self._problem(what + lost, answer)
            return None
        view: View = answer.json()
        return view

    async def _get(self, city: City, path: str) -> View | None:
        """GET ``path``; None on a 404 (not known here yet) or after counting another
        refusal as a problem."""
        answer = await self.send(city, "GET", path)
        if answer.status == 200:
            view: View = answer.json()
            return view
        if answer.status != 404:
            self._problem(f"read {path.split('/')[1]}", answer)
        return None

    async def _poll(
        self, city: City, path: str, done: Callable[[View], bool], deadline: float
    ) -> tuple[View | None, bool]:
        """GET ``path`` in ``city`` until ``done``; the last view and whether it is done
        (False past ``deadline``, an event-loop time). A 404 means the event has not
        arrived there yet."""
        loop = asyncio.get_running_loop()
        last: View | None = None
        while True:
            answer = await self.send(city, "GET", path)
            if answer.status == 200:
                last = answer.json()
                if done(last):
                    return last, True
            if loop.time() > deadline:
                return last, False
            await asyncio.sleep(POLL_SECONDS)

    async def _until(
        self, city: City, path: str, done: Callable[[View], bool], deadline: float
    ) -> View | None:
        """GET ``path`` in ``city`` until ``done``; None past the deadline (then counted
        by :meth:`_not_seen`)."""
        view, seen = await self._poll(city, path, done, deadline)
        if seen:
            return view
        self._not_seen(city, path)
        return None

    def _not_seen(self, city: City, path: str) -> None:
        """An awaited effect did not show at ``path`` within the wait: noted in
        :attr:`unseen` (a part also counts it in its report)."""
        self.unseen.append(f"{city} GET {path}")

    def _deadline(self) -> float:
        """The event-loop time at which a wait begun now gives up."""
        return asyncio.get_running_loop().time() + self.wait_seconds


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
