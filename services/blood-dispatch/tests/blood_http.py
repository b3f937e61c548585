"""One city's real blood-dispatch app on a fresh PostgreSQL database without Kafka (events
stay in the outbox), for every area's HTTP tests: a clerk's client (the token of a clerk of
``blood``), an anonymous one (a browser), the runtime and its fixed clock."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from blood_bus import DISPATCH_TABLES, NOW, STOCK_TABLES, table_state

from chengyu_blood_dispatch.service import SERVICE
from chengyu_contracts.cities import City
from chengyu_kit.clock import FixedClock
from chengyu_kit.local.oidc import OidcProvider
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.testing.stand_in import serve_without_bus, settings_for


@dataclass(frozen=True)
class Served:
    """A clerk's client of one city's app, an anonymous client of the same app, the runtime
    behind them and its clock."""

    client: httpx.AsyncClient
    anonymous: httpx.AsyncClient
    runtime: ServiceRuntime
    clock: FixedClock

    @property
    def pool(self) -> asyncpg.Pool:
        """The pool of the service's database."""
        return self.runtime.pool

    async def state(self) -> str:
        """Every row of the stock's tables and the outbox, as text."""
        return await table_state(self.pool)

    async def everything(self) -> str:
        """Every row of the stock's and the dispatch saga's tables and the outbox."""
        return await table_state(self.pool, (*STOCK_TABLES, *DISPATCH_TABLES))

    async def outbox(self) -> list[dict[str, Any]]:
        """The envelopes written to the outbox, oldest first, as JSON."""
        rows = await self.pool.fetch("SELECT value FROM outbox ORDER BY id")
        return [json.loads(r["value"]) for r in rows]


async def serve(
    database: str,
    provider: OidcProvider,
    key_folder: Path,
    *,
    now: datetime = NOW,
    city: City = "cq",
) -> AsyncIterator[Served]:
    """Yield ``city``'s app on ``database``, its clock at ``now``; closed after."""
    settings = settings_for(
        SERVICE, city, database_url=database, key_folder=key_folder, issuers=provider.issuers
    )
    clock = FixedClock(now)
    async with serve_without_bus(SERVICE, settings, clock=clock, provider=provider) as (
        client,
        runtime,
    ):
        transport = client._transport
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as anonymous:
            yield Served(client, anonymous, runtime, clock)
