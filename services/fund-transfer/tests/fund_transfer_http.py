"""Helpers of the HTTP tests: a FastAPI app of the fund-transfer routers on a real database."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import asyncpg
import httpx
from fastapi import APIRouter

import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
from chengyu_contracts.cities import City
from chengyu_contracts.registry import REGISTRY
from chengyu_contracts.resident_id import synthesize_resident_id
from chengyu_contracts.signing import SigningKey
from chengyu_fund_transfer.policy import default_policy_book
from chengyu_fund_transfer.service import SERVICE
from chengyu_kit.clock import FixedClock
from chengyu_kit.db import create_pool
from chengyu_kit.issuer import EventIssuer
from chengyu_kit.local.oidc import OidcProvider
from chengyu_kit.migrations import apply_migrations, kit_migrations
from chengyu_kit.testing.stand_in import StandInRuntime, stand_in_app, stand_in_settings

TODAY = date(2026, 10, 15)
# Noon in China on TODAY.
NOW = datetime(2026, 10, 15, 4, 0, tzinfo=UTC)
# Synthetic numbers of the Chongqing region 500101 (valid check digits, nobody real).
ALICE_ID = synthesize_resident_id("500101", date(1990, 5, 17), 3, "male")
BOB_ID = synthesize_resident_id("500101", date(1985, 1, 2), 7, "female")


def test_issuer(city: City, clock: FixedClock) -> EventIssuer:
    """An issuer signing with a throwaway key of the city's provident-fund centre."""
    return EventIssuer(
        source=f"/{city}/hpf/fund-transfer",
        signing_key=SigningKey.generate(f"{city}-hpf-test", f"/{city}/hpf"),
        registry=REGISTRY,
        clock=clock,
    )


async def migrated_pool(database_url: str) -> asyncpg.Pool:
    """A pool on ``database_url`` with the kit's and the service's tables."""
    pool = await create_pool(database_url)
    await apply_migrations(pool, [*kit_migrations(), *SERVICE.migrations()])
    return pool


@dataclass(frozen=True)
class FundService:
    """A client of the app and the pool behind it, to look at the database directly."""

    client: httpx.AsyncClient
    pool: asyncpg.Pool
    person_ref_key: str
    provider: OidcProvider
    clock: FixedClock


async def running_fund_service(
    database_url: str,
    provider: OidcProvider,
    *,
    city: City = "cq",
    person_ref_key: str | None = None,
    clerk: str = "clerk-1",
) -> AsyncIterator[FundService]:
    """Yield a client of a fresh service on ``database_url`` whose requests carry a token
    of the clerk ``clerk`` (an opaque subject) of the service's agency in ``city`` from
    ``provider``; close everything after."""
    key = person_ref_key or secrets.token_hex(32)
    pool = await migrated_pool(database_url)
    settings = stand_in_settings(
        city,
        service_name="fund-transfer",
        agency="hpf",
        database_url=database_url,
        person_ref_key=key,
        issuers=provider.issuers,
    )
    clock = FixedClock(NOW)
    runtime = StandInRuntime(pool, settings, clock, test_issuer(city, clock))
    # Every router of the service (accounts and transfers, withdrawals, loans) under one.
    routes = APIRouter()
    for router in SERVICE.routers(default_policy_book()):
        routes.include_router(router)
    app = stand_in_app(runtime, routes)
    transport = httpx.ASGITransport(app=app)
    token = provider.token(
        city, audience="fund-transfer", role="clerk", agency="hpf", subject=clerk
    )
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with httpx.AsyncClient(
            transport=transport, headers=headers, base_url="http://fund"
        ) as client:
            yield FundService(client, pool, key, provider, clock)
    finally:
        await pool.close()


async def database_text(pool: asyncpg.Pool, *, without: frozenset[str] = frozenset()) -> str:
    """Every row of every table of the public schema but ``without``, as text."""
    tables = await pool.fetch(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
    )
    parts: list[str] = []
    for table in tables:
        name = table["table_name"]
        if name in without:
            continue
        rows = await pool.fetch(f'SELECT t::text AS row FROM "{name}" t')
        parts.extend(r["row"] for r in rows)
    return "\n".join(parts)
