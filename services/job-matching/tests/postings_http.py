"""One city's real job-matching app on a fresh PostgreSQL database without Kafka (events stay
in the outbox), for the postings area's HTTP tests: a clerk's client (a token of a clerk of
``hr``), an anonymous one (postings and fairs are public), the runtime and its clock."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from postings_bus import NOW, TABLES

from chengyu_contracts.cities import City
from chengyu_job_matching.service import SERVICE
from chengyu_kit.clock import FixedClock
from chengyu_kit.local.oidc import OidcProvider
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.testing.stand_in import serve_without_bus, settings_for


@dataclass(frozen=True)
class Served:
    """A clerk's client of one city's app, an anonymous client, the runtime and its clock."""

    client: httpx.AsyncClient
    anonymous: httpx.AsyncClient
    runtime: ServiceRuntime
    clock: FixedClock

    @property
    def pool(self) -> asyncpg.Pool:
        """The pool of the service's database."""
        return self.runtime.pool

    async def rows(self) -> dict[str, int]:
        """How many rows the area's tables and the outbox hold."""
        return {
            t: int(await self.pool.fetchval(f"SELECT count(*) FROM {t}"))
            for t in (*TABLES, "outbox")
        }

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
