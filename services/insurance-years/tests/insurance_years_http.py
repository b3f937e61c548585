"""Helpers of the HTTP tests: a FastAPI app of the insurance-years router on a real
database, with a stand-in runtime (no Kafka: events stay in the outbox table)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from fastapi import FastAPI
from insurance_years_bus import NOW, issuer_of, migrated_pool

from chengyu_insurance_years.api import REFUSAL_STATUSES, insurance_router
from chengyu_insurance_years.cities import City
from chengyu_kit.clock import FixedClock
from chengyu_kit.health import Readiness
from chengyu_kit.http import add_platform_routes
from chengyu_kit.issuer import EventIssuer
from chengyu_kit.metrics import KitMetrics
from chengyu_kit.settings import ServiceSettings


@dataclass(frozen=True)
class StandInRuntime:
    """What the router reads of ``app.state.runtime``, without Kafka."""

    pool: asyncpg.Pool
    settings: ServiceSettings
    clock: FixedClock = field(default_factory=lambda: FixedClock(NOW))
    issuer: EventIssuer = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "issuer", issuer_of(self.settings.city, self.clock))


def settings_for(city: City, database_url: str, person_ref_key: str) -> ServiceSettings:
    """Settings of an insurance-years instance; the key files are never opened here."""
    return ServiceSettings(
        city=city,
        service_name="insurance-years",
        agency="mi",
        database_url=database_url,
        signing_key_file=Path("unused-signing-key.json"),
        key_registry_file=Path("unused-key-registry.json"),
        person_ref_key=person_ref_key,
    )


def insurance_app(runtime: StandInRuntime) -> FastAPI:
    """The platform routes plus the insurance-years router, on the runtime's fixed clock."""
    app = FastAPI(title=f"insurance-years ({runtime.settings.city})")
    app.state.runtime = runtime
    add_platform_routes(
        app, readiness=Readiness(), metrics=KitMetrics(), refusal_statuses=REFUSAL_STATUSES
    )
    app.include_router(insurance_router())
    return app


@dataclass(frozen=True)
class InsuranceService:
    """A client of the app and the pool behind it, to look at the database directly."""

    client: httpx.AsyncClient
    pool: asyncpg.Pool
    person_ref_key: str
    runtime: StandInRuntime


async def running_insurance_service(
    database_url: str, *, city: City = "cq", person_ref_key: str | None = None
) -> AsyncIterator[InsuranceService]:
    """Yield a client of a fresh service on ``database_url``; close everything after."""
    key = person_ref_key or secrets.token_hex(32)
    pool = await migrated_pool(database_url)
    runtime = StandInRuntime(pool, settings_for(city, database_url, key))
    transport = httpx.ASGITransport(app=insurance_app(runtime))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://mi") as client:
            yield InsuranceService(client, pool, key, runtime)
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
