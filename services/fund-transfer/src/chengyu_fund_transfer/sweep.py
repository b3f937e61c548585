"""The overdue sweep: the receiving city, which owns the saga, escalates transfers that
wait past their deadline. Run periodically by the service on its clock."""

from __future__ import annotations

import contextlib
from typing import Protocol

from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.unit import Unit

from .saga import mark_overdue
from .transfer_store import overdue_candidates

SWEEP_BATCH = 500


class UnitSource(Protocol):
    """Where the sweep opens its units: the service's runtime, or a test's stand-in."""

    def unit(self) -> contextlib.AbstractAsyncContextManager[Unit]: ...


async def sweep_overdue(units: UnitSource, *, limit: int = SWEEP_BATCH) -> int:
    """Mark every receiving transfer past its deadline overdue, each in its own unit (its
    own transaction, with its escalation event) so that only one row lock is held at a
    time and the sweep never deadlocks with a consumer's batch; how many were marked."""
    async with units.unit() as picking:
        candidates = await overdue_candidates(picking.conn, "receiving", picking.now, limit)
    marked = 0
    for transfer_id in candidates:
        async with units.unit() as unit:
            # The unit's own instant: mark_overdue checks the deadline again under the lock.
            if await mark_overdue(unit, transfer_id):
                marked += 1
    return marked


def schedule_overdue_sweep(runtime: ServiceRuntime, _: object) -> None:
    """Register the sweep with ``runtime``, every ``OVERDUE_SWEEP_SECONDS`` (the service's
    settings) or every minute under the kit's plain settings."""
    interval = getattr(runtime.settings, "overdue_sweep_seconds", 60.0)

    async def sweep() -> int:
        return await sweep_overdue(runtime)

    runtime.every(interval, "overdue-sweep", sweep)
