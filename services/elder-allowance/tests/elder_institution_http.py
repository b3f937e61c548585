"""The real elder-allowance app of one city on a real PostgreSQL (no Kafka: events stay in
the outbox), for the institution map's HTTP tests."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from chengyu_contracts.cities import City
from chengyu_elder_allowance.service import SERVICE
from chengyu_kit.clock import FixedClock
from chengyu_kit.local.oidc import OidcProvider
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.testing.stand_in import serve_without_bus, settings_for

# Noon in China on 2026-10-15.
NOW = datetime(2026, 10, 15, 4, 0, tzinfo=UTC)
TABLES = ("institution", "institution_version", "outbox")


@dataclass(frozen=True)
class MapService:
    """A clerk's client of the app, an anonymous one (a browser), and the runtime."""

    clerk: httpx.AsyncClient
    anonymous: httpx.AsyncClient
    runtime: ServiceRuntime

    async def rows(self) -> dict[str, int]:
        """How many rows the map's tables and the outbox hold."""
        return {
            table: int(await self.runtime.pool.fetchval(f"SELECT count(*) FROM {table}"))
            for table in TABLES
        }

    async def outbox(self) -> list[dict[str, Any]]:
        """The envelopes written to the outbox, in order."""
        rows = await self.runtime.pool.fetch("SELECT value FROM outbox ORDER BY id")
        return [json.loads(row["value"]) for row in rows]


async def running_map_service(
    database: str, provider: OidcProvider, key_folder: Path, city: City = "cq"
) -> AsyncIterator[MapService]:
    """Yield the service of ``city`` on a fresh ``database``; closed after."""
    settings = settings_for(
        SERVICE, city, database_url=database, key_folder=key_folder, issuers=provider.issuers
    )
    async with serve_without_bus(SERVICE, settings, clock=FixedClock(NOW), provider=provider) as (
        clerk,
        runtime,
    ):
        transport = clerk._transport  # the same app, without the clerk's token
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as anonymous:
            yield MapService(clerk, anonymous, runtime)
