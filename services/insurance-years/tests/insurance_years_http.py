"""Helpers of the HTTP tests: a FastAPI app of the insurance-years router on a real
database, with a stand-in runtime (no Kafka: events stay in the outbox table); its routes
run in the kit's units of work as in the service."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import httpx
from insurance_years_bus import NOW, issuer_of, migrated_pool

from chengyu_contracts.cities import City
from chengyu_insurance_years.api import insurance_router
from chengyu_insurance_years.policy import default_policy_book
from chengyu_kit.clock import FixedClock
from chengyu_kit.local.oidc import OidcProvider
from chengyu_kit.testing.stand_in import StandInRuntime, stand_in_app, stand_in_settings


@dataclass(frozen=True)
class InsuranceService:
    """A client of the app and the pool behind it, to look at the database directly."""

    client: httpx.AsyncClient
    pool: asyncpg.Pool
    person_ref_key: str
    provider: OidcProvider
    runtime: StandInRuntime


async def running_insurance_service(
    database_url: str,
    provider: OidcProvider,
    *,
    city: City = "cq",
    person_ref_key: str | None = None,
) -> AsyncIterator[InsuranceService]:
    """Yield a client of a fresh service on ``database_url`` whose requests carry a token
    of a clerk of the service's agency in ``city`` from ``provider``; close everything
    after."""
    key = person_ref_key or secrets.token_hex(32)
    pool = await migrated_pool(database_url)
    settings = stand_in_settings(
        city,
        service_name="insurance-years",
        agency="mi",
        database_url=database_url,
        person_ref_key=key,
        issuers=provider.issuers,
    )
    clock = FixedClock(NOW)
    runtime = StandInRuntime(pool, settings, clock, issuer_of(city, clock))
    app = stand_in_app(runtime, insurance_router(default_policy_book()))
    transport = httpx.ASGITransport(app=app)
    token = provider.token(city, audience="insurance-years", role="clerk", agency="mi")
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with httpx.AsyncClient(
            transport=transport, headers=headers, base_url="http://mi"
        ) as client:
            yield InsuranceService(client, pool, key, provider, runtime)
    finally:
        await pool.close()


SERVICE_TABLES = (
    "contribution_period",
    "contribution_period_version",
    "retirement_claim",
    "retirement_determination",
    "retirement_review_flag",
    "care_assessment",
    "care_recognition",
    "outbox",
)


async def rows_written(pool: asyncpg.Pool) -> dict[str, int]:
    """How many rows each table of the service (and the outbox) holds."""
    counts: dict[str, int] = {}
    for table in SERVICE_TABLES:
        counts[table] = int(await pool.fetchval(f"SELECT count(*) FROM {table}"))
    return counts


async def database_text(pool: asyncpg.Pool) -> str:
    """Every row of every table of the public schema, as text."""
    tables = await pool.fetch(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
    )
    parts: list[str] = []
    for table in tables:
        name = table["table_name"]
        rows = await pool.fetch(f'SELECT t::text AS row FROM "{name}" t')
        parts.extend(r["row"] for r in rows)
    return "\n".join(parts)
