"""One city's real job-matching app on a fresh PostgreSQL database without Kafka (events
stay in the outbox), for the hotline's HTTP tests: a clerk's client, the runtime and its
fixed clock, and the other city's events applied through the handlers' use cases."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from hotline_bus import NOW, china, table_state

from chengyu_contracts.cities import City
from chengyu_contracts.events.hr import HotlineRequestForwarded
from chengyu_job_matching.hotline import usecases
from chengyu_job_matching.service import SERVICE
from chengyu_kit.clock import FixedClock
from chengyu_kit.local.oidc import OidcProvider
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.testing.stand_in import serve_without_bus, settings_for


@dataclass(frozen=True)
class Served:
    """A clerk's client of one city's app, the runtime behind it and its clock."""

    client: httpx.AsyncClient
    runtime: ServiceRuntime
    clock: FixedClock

    @property
    def pool(self) -> asyncpg.Pool:
        """The pool of the service's database."""
        return self.runtime.pool

    def set_day(self, day: date, hour: int = 10) -> None:
        """Move the app's clock to ``hour`` o'clock in China on ``day``."""
        self.clock.advance(china(day, hour) - self.clock.now())

    async def tables(self) -> str:
        """Every row of the hotline's tables and the outbox."""
        return await table_state(self.pool)

    async def outbox(self) -> list[dict[str, Any]]:
        """The envelopes written to the outbox, oldest first."""
        rows = await self.pool.fetch("SELECT value FROM outbox ORDER BY id")
        return [json.loads(r["value"]) for r in rows]

    async def forwarded_here(
        self, request_id: str = "hl-cq-1", *, category: str = "consultation", at: datetime = NOW
    ) -> None:
        """Chongqing's request ``request_id`` forwarded at ``at`` to be signed the next
        working day (its event, applied as the handler would)."""
        event = HotlineRequestForwarded(
            request_id=request_id,
            from_city="cq",
            to_city="cd",
            category=category,
            caller_kind="enterprise",
            caller_ref="91350100M000100Y43",
            summary="企业咨询跨省招用人员的就业登记",
            received_at=at - timedelta(minutes=30),
            forwarded_at=at,
            sign_by=date(2026, 2, 13),
        )
        async with self.runtime.unit() as unit:
            await usecases.receive_forwarded(event, unit)


async def serve(
    database: str, provider: OidcProvider, key_folder: Path, *, city: City = "cq"
) -> AsyncIterator[Served]:
    """Yield ``city``'s app on ``database``, its clock at :data:`NOW`; closed after."""
    settings = settings_for(
        SERVICE, city, database_url=database, key_folder=key_folder, issuers=provider.issuers
    )
    clock = FixedClock(NOW)
    async with serve_without_bus(SERVICE, settings, clock=clock, provider=provider) as (
        client,
        runtime,
    ):
        yield Served(client, runtime, clock)
