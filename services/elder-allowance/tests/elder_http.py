"""One city's real elder-allowance app on a fresh PostgreSQL database without Kafka (events
stay in the outbox), for every area's HTTP tests: a clerk's client (the token of a clerk of
``ca``), an anonymous one (a browser), the runtime and its fixed clock."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from elder_bus import KEY_HEX

from chengyu_contracts.cities import City
from chengyu_elder_allowance.service import SERVICE
from chengyu_kit.clock import FixedClock
from chengyu_kit.local.oidc import OidcProvider
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.testing.stand_in import serve_without_bus, settings_for


async def counts(pool: asyncpg.Pool, tables: Sequence[str]) -> dict[str, int]:
    """How many rows each of ``tables`` holds."""
    return {t: int(await pool.fetchval(f"SELECT count(*) FROM {t}")) for t in tables}


async def outbox(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """The envelopes written to the outbox, oldest first, as JSON."""
    rows = await pool.fetch("SELECT value FROM outbox ORDER BY id")
    return [json.loads(r["value"]) for r in rows]


@dataclass(frozen=True)
class Served:
    """A clerk's client of one city's app, an anonymous client of the same app, the runtime
    behind them, its clock, and the tables the tests count."""

    client: httpx.AsyncClient
    anonymous: httpx.AsyncClient
    runtime: ServiceRuntime
    clock: FixedClock
    tables: Sequence[str]

    @property
    def pool(self) -> asyncpg.Pool:
        """The pool of the service's database."""
        return self.runtime.pool

    async def rows(self) -> dict[str, int]:
        """How many rows the tested area's tables hold."""
        return await counts(self.pool, self.tables)

    async def outbox(self) -> list[dict[str, Any]]:
        """The envelopes written to the outbox, oldest first, as JSON."""
        return await outbox(self.pool)


async def serve(
    database: str,
    provider: OidcProvider,
    key_folder: Path,
    *,
    now: datetime,
    city: City = "cq",
    tables: Sequence[str] = ("outbox",),
) -> AsyncIterator[Served]:
    """Yield ``city``'s app on ``database``, its clock at ``now``, deriving person_refs with
    :data:`elder_bus.KEY_HEX`; closed after."""
    settings = settings_for(
        SERVICE,
        city,
        database_url=database,
        key_folder=key_folder,
        issuers=provider.issuers,
        person_ref_key=KEY_HEX,
    )
    clock = FixedClock(now)
    async with serve_without_bus(SERVICE, settings, clock=clock, provider=provider) as (
        client,
        runtime,
    ):
        # The same app, without the clerk's token.
        transport = client._transport
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as anonymous:
            yield Served(client, anonymous, runtime, clock, tables)
