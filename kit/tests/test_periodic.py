"""Periodic background work: runs on its interval, survives a failing round, stops."""

from __future__ import annotations

import asyncio

from chengyu_kit.periodic import PeriodicTask


async def test_a_periodic_task_runs_its_job_repeatedly_until_stopped() -> None:
    rounds: list[int] = []

    async def job() -> None:
        rounds.append(len(rounds))

    task = PeriodicTask("count", 0.01, job)
    task.start()
    for _ in range(200):
        if len(rounds) >= 3:
            break
        await asyncio.sleep(0.01)
    await task.stop()
    seen = len(rounds)
    await asyncio.sleep(0.05)
    assert len(rounds) == seen


async def test_a_failing_round_does_not_end_the_task() -> None:
    rounds: list[str] = []

    async def job() -> None:
        rounds.append("ran")
        if len(rounds) == 1:
            raise ValueError("first round fails")

    task = PeriodicTask("flaky", 0.01, job)
    task.start()
    for _ in range(200):
        if len(rounds) >= 2:
            break
        await asyncio.sleep(0.01)
    await task.stop()
    assert len(rounds) >= 2
