"""What both parts of ``chengyu demo`` do around their HTTP calls: bounded concurrency
against the cities' services, and counting each problem (never raising) for the summary."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
from rich.progress import Progress

from chengyu_ops.services import City

_T = TypeVar("_T")


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
    ) -> None:
        self.clients = clients
        self.progress = progress
        self.problems = problems
        self.wait_seconds = wait_seconds
        self.limit = asyncio.Semaphore(concurrency)

    def _problem(self, what: str, answer: httpx.Response | None, error: str = "") -> None:
        """Count a failed call by what it was and its status and error code."""
        if answer is not None:
            try:
                code = str(answer.json().get("error", ""))
            except ValueError:
                code = ""
            error = f"{answer.status_code} {code}".rstrip()
        self.problems[f"{what}: {error}"] += 1

    async def _limited(self, call: Callable[[], Awaitable[_T]]) -> _T:
        """Run ``call`` once a slot of the bounded concurrency is free."""
        async with self.limit:
            return await call()
