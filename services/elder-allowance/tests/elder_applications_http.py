"""Helpers of the applications' and assessments' HTTP tests: one city's real app on a
fresh database without Kafka (events stay in the outbox), signed in as a clerk of ``ca``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from elder_applications_support import NOW

from chengyu_contracts.cities import City
from chengyu_elder_allowance.service import SERVICE
from chengyu_kit.clock import FixedClock
from chengyu_kit.local.oidc import OidcProvider
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.testing.stand_in import serve_without_bus, settings_for

TABLES = ("allowance_application", "capability_assessment", "outbox")


class Service:
    """A client of one city's app and the pool of its database."""

    def __init__(
        self, client: httpx.AsyncClient, runtime: ServiceRuntime, clock: FixedClock
    ) -> None:
        self.client = client
        self.runtime = runtime
        self.clock = clock

    @property
    def pool(self) -> asyncpg.Pool:
        """The pool of the service's database."""
        return self.runtime.pool

    async def rows(self) -> dict[str, int]:
        """How many rows the areas' tables and the outbox hold."""
        return {t: int(await self.pool.fetchval(f"SELECT count(*) FROM {t}")) for t in TABLES}

    async def events(self) -> list[dict[str, Any]]:
        """The outbox's events, oldest first, as JSON."""
        rows = await self.pool.fetch("SELECT value FROM outbox ORDER BY id")
        return [json.loads(r["value"]) for r in rows]


async def serve(
    city: City, database: str, tmp_path: Path, provider: OidcProvider
) -> AsyncIterator[Service]:
    """Yield ``city``'s app on ``database`` at ``NOW``; closed after."""
    settings = settings_for(
        SERVICE, city, database_url=database, key_folder=tmp_path, issuers=provider.issuers
    )
    clock = FixedClock(NOW)
    async with serve_without_bus(SERVICE, settings, clock=clock, provider=provider) as (
        client,
        runtime,
    ):
        yield Service(client, runtime, clock)
