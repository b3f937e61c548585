"""One city's real job-matching app on a fresh PostgreSQL database without Kafka (events
stay in the outbox), for the personnel-files HTTP tests: a clerk's client (a token of a
clerk of ``hr`` in the city), the runtime and its fixed clock."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from files_bus import NOW, table_state

from chengyu_contracts.cities import City
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

    async def everything(self) -> str:
        """Every row of the personnel-files tables and the outbox, as text."""
        return await table_state(self.pool)

    async def outbox(self) -> list[dict[str, Any]]:
        """The envelopes written to the outbox, oldest first, as JSON."""
        rows = await self.pool.fetch("SELECT value FROM outbox ORDER BY id")
        return [json.loads(r["value"]) for r in rows]

    async def outbox_types(self) -> list[str]:
        """The short types of the outbox's events (``personnel-file-held``, ...)."""
        return [e["type"].split(".")[-2] for e in await self.outbox()]


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
        yield Served(client, runtime, clock)
