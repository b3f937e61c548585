"""Periodic background work of a service (sweeps, escalations), started and stopped with
its runtime. A failing round is logged and retried at the next interval (transient faults
with backoff), so one bad round never ends the task."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from chengyu_kit.backoff import Backoff
from chengyu_kit.db import is_transient
from chengyu_kit.logs import get_logger

log = get_logger(__name__)

Job = Callable[[], Awaitable[object]]


@dataclass
class PeriodicTask:
    """Run ``job`` every ``interval`` seconds until stopped."""

    name: str
    interval: float
    job: Job
    _task: asyncio.Task[None] | None = field(default=None, init=False)

    def start(self) -> None:
        """Start the loop on the running event loop."""
        if self.interval <= 0:
            raise ValueError(f"periodic task {self.name}: interval must be positive")
        self._task = asyncio.create_task(self._loop(), name=f"periodic-{self.name}")

    async def stop(self) -> None:
        """Cancel the loop and wait for it (a round in progress is rolled back)."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _loop(self) -> None:
        backoff = Backoff(initial=self.interval, maximum=max(self.interval, 60.0))
        delay = self.interval
        while True:
            await asyncio.sleep(delay)
            try:
                await self.job()
            except Exception as error:
                delay = backoff.next_delay()
                if is_transient(error):
                    log.warning("periodic task deferred", task=self.name, retry_in=delay)
                else:
                    log.exception("periodic task failed", task=self.name)
            else:
                backoff.reset()
                delay = self.interval
