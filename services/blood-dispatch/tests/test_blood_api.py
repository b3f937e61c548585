"""The clerks' API on the real app and database (no Kafka): answers, refusals that write
nothing, idempotent retries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from chengyu_blood_dispatch.service import SERVICE
from chengyu_contracts.resident_id import synthesize_resident_id
from chengyu_kit.clock import FixedClock
from chengyu_kit.local.oidc import OidcProvider
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.testing.stand_in import serve_without_bus, settings_for

NOW = datetime(2026, 10, 15, 4, 0, tzinfo=UTC)
RESIDENT = synthesize_resident_id("500101", date(1960, 3, 1), 7, "female")


@pytest.fixture
async def service(
    database: str, tmp_path: Path, oidc_provider: OidcProvider
) -> AsyncIterator[tuple[httpx.AsyncClient, ServiceRuntime]]:
    settings = settings_for(
        SERVICE,
        "cq",
        database_url=database,
        key_folder=tmp_path,
        issuers=oidc_provider.issuers,
    )
    # The client is a clerk of the service's agency in cq, with a token of the provider.
    async with serve_without_bus(
        SERVICE, settings, clock=FixedClock(NOW), provider=oidc_provider
    ) as served:
        yield served


async def rows(runtime: ServiceRuntime) -> tuple[int, int]:
    """Cases and outbox records."""
    return (
        await runtime.pool.fetchval("SELECT count(*) FROM blood_case"),
        await runtime.pool.fetchval("SELECT count(*) FROM outbox"),
    )


async def test_opening_a_case_answers_it_and_tells_the_other_city(
    service: tuple[httpx.AsyncClient, ServiceRuntime],
) -> None:
    client, runtime = service
    answer = await client.post("/cases", json={"resident_id": RESIDENT})
    assert answer.status_code == 201, answer.text
    case = answer.json()
    assert case["city"] == "cq"
    assert RESIDENT not in answer.text
    assert (await client.get(f"/cases/{case['case_id']}")).json() == case
    assert await rows(runtime) == (1, 1)


async def test_an_invalid_resident_id_is_422_and_writes_nothing(
    service: tuple[httpx.AsyncClient, ServiceRuntime],
) -> None:
    client, runtime = service
    answer = await client.post("/cases", json={"resident_id": RESIDENT[:-1] + "0"})
    assert answer.status_code == 422
    assert answer.json()["error"] == "bad-check-digit"
    assert await rows(runtime) == (0, 0)


async def test_a_second_case_beyond_the_policy_is_409_and_writes_nothing(
    service: tuple[httpx.AsyncClient, ServiceRuntime],
) -> None:
    client, runtime = service
    await client.post("/cases", json={"resident_id": RESIDENT})
    answer = await client.post("/cases", json={"resident_id": RESIDENT})
    assert answer.status_code == 409
    assert answer.json()["error"] == "too-many-cases"
    assert await rows(runtime) == (1, 1)


async def test_an_unknown_case_is_404(service: tuple[httpx.AsyncClient, ServiceRuntime]) -> None:
    client, _ = service
    answer = await client.get("/cases/cq-nothing")
    assert answer.status_code == 404
    assert answer.json()["error"] == "unknown-case"


async def test_a_retry_with_the_same_idempotency_key_opens_one_case(
    service: tuple[httpx.AsyncClient, ServiceRuntime],
) -> None:
    client, runtime = service
    headers = {"Idempotency-Key": "case-retry-1"}
    first = await client.post("/cases", json={"resident_id": RESIDENT}, headers=headers)
    again = await client.post("/cases", json={"resident_id": RESIDENT}, headers=headers)
    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert await rows(runtime) == (1, 1)
