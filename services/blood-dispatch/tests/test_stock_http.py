"""The stock's HTTP API of one city on a real PostgreSQL (no Kafka: events stay in the
outbox): the state machine through the routes, bad input answered 4xx naming the problem
with nothing written, batches with good and bad rows imported twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from blood_bus import NOW, din, row
from blood_http import Served, serve

from chengyu_kit.local.oidc import OidcProvider

pytestmark = pytest.mark.integration

MOVED = "cn.chengyu.blood.unit-moved.v1"


@pytest.fixture
async def service(
    database: str, oidc_provider: OidcProvider, tmp_path: Path
) -> AsyncIterator[Served]:
    async for served in serve(database, oidc_provider, tmp_path):
        yield served


@pytest.fixture
def client(service: Served) -> httpx.AsyncClient:
    return service.client


async def recorded(client: httpx.AsyncClient, values: dict[str, Any]) -> dict[str, Any]:
    answer = await client.post("/units", json=values)
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def refused(
    service: Served, path: str, body: dict[str, Any] | None = None
) -> tuple[int, str, str]:
    """POST ``body`` to ``path``, expecting a refusal that writes nothing."""
    before = await service.state()
    answer = await service.client.post(path, json=body)
    assert answer.status_code >= 400, answer.text
    assert await service.state() == before
    refusal = answer.json()
    return answer.status_code, refusal["error"], refusal.get("message", "")


async def test_the_stock_routes_are_served(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert set(paths) >= {
        "/units",
        "/units/batch",
        "/units/{din}",
        "/units/{din}/issue",
        "/units/{din}/expire",
        "/units/{din}/discard",
        "/stock",
        "/dashboard",
    }


async def test_a_unit_is_collected_issued_and_read(service: Served) -> None:
    client = service.client
    made = await recorded(client, row(1))
    assert (made["din"], made["state"], made["sequence"], made["collected_in"]) == (
        din("cq", 1),
        "available",
        1,
        "cq",
    )
    issued = await client.post(f"/units/{din('cq', 1)}/issue", json={"note": "hospital 7"})
    assert issued.status_code == 200, issued.text
    assert (issued.json()["state"], issued.json()["sequence"]) == ("issued", 2)
    seen = (await client.get(f"/units/{din('cq', 1)}")).json()
    assert [(m["movement"], m["state"], m["note"]) for m in seen["history"]] == [
        ("collected", "available", None),
        ("issued", "issued", "hospital 7"),
    ]
    assert seen["other"] is None and seen["conflicts"] == []
    moved = [e["data"] for e in await service.outbox() if e["type"] == MOVED]
    assert [(m["movement"], m["state"], m["sequence"]) for m in moved] == [
        ("collected", "available", 1),
        ("issued", "issued", 2),
    ]
    # Gone: it moves no more (409 naming the unit), nothing written.
    status, error, message = await refused(service, f"/units/{din('cq', 1)}/issue")
    assert (status, error) == (409, "unit-gone") and din("cq", 1) in message


async def test_discard_and_expire(service: Served) -> None:
    client = service.client
    await recorded(client, row(1))
    await recorded(client, row(2, keeps=timedelta(days=2)))
    answer = await client.post(f"/units/{din('cq', 1)}/discard", json={"note": "bag damaged"})
    assert answer.json()["state"] == "discarded"
    # Not yet expired: refused.
    status, error, _ = await refused(service, f"/units/{din('cq', 2)}/expire")
    assert (status, error) == (409, "unit-not-expired")
    service.clock.advance(timedelta(days=1, hours=1))
    assert (await client.post(f"/units/{din('cq', 2)}/expire")).json()["state"] == "expired"


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"product": "blood-pudding"}, 422, "unknown-product"),
        ({"abo": "C"}, 422, "unknown-abo"),
        ({"rhd": "maybe"}, 422, "unknown-rhd"),
        ({"din": "X99902600000"}, 422, "invalid-din"),
        ({"din": "12345"}, 422, "invalid-din"),
        ({"expires_at": (NOW - timedelta(days=2)).isoformat()}, 422, "expiry-before-collection"),
        ({"expires_at": (NOW + timedelta(days=40)).isoformat()}, 422, "expiry-beyond-shelf-life"),
        ({"collected_at": "yesterday"}, 422, "invalid-time"),
        ({"collected_at": "2026-03-01T08:00:00"}, 422, "invalid-time"),
        (
            {"collected_at": (NOW + timedelta(hours=1)).isoformat()},
            422,
            "released-before-collection",
        ),
    ],
)
async def test_bad_units_are_refused_naming_the_problem(
    service: Served, change: dict[str, str], status: int, error: str
) -> None:
    values = row(1) | change
    assert (await refused(service, "/units", values))[:2] == (status, error)


async def test_an_expired_unit_does_not_enter_stock(service: Served) -> None:
    values = row(1, collected=NOW - timedelta(days=6), keeps=timedelta(days=5), product="platelets")
    assert (await refused(service, "/units", values))[:2] == (409, "unit-expired")


async def test_movements_of_units_not_in_stock_are_refused(service: Served) -> None:
    await recorded(service.client, row(1))
    assert (await refused(service, f"/units/{din('cq', 9)}/issue"))[:2] == (404, "unknown-unit")
    assert (await refused(service, "/units/not-a-din/issue"))[:2] == (422, "invalid-din")
    assert (await refused(service, "/units", row(1)))[:2] == (409, "din-already-known")
    await service.client.post(f"/units/{din('cq', 1)}/issue")
    for move in ("issue", "discard", "expire"):
        assert (await refused(service, f"/units/{din('cq', 1)}/{move}"))[:2] == (409, "unit-gone")
    assert (await service.client.get(f"/units/{din('cq', 9)}")).status_code == 404


async def test_a_batch_imports_good_rows_reports_bad_ones_and_twice_changes_nothing(
    service: Served,
) -> None:
    client = service.client
    rows = [
        row(1, line=2),
        row(2, line=3, abo="A", rhd="pos"),
        row(3, line=4, product="plasma", keeps=timedelta(days=300)),
        row(4, line=5, abo="Q"),
        row(5, line=6, din="X999"),
        row(6, line=7, expires_at=(NOW - timedelta(days=3)).isoformat()),
        row(1, line=8),  # the same unit again in the batch: unchanged
        row(1, line=9, abo="B"),  # the same DIN with other data: refused
    ]
    first = await client.post("/units/batch", json={"rows": rows})
    assert first.status_code == 200, first.text
    report = first.json()
    assert (report["received"], report["recorded"], report["unchanged"]) == (8, 3, 1)
    assert [(r["line"], r["error"]) for r in report["rejected"]] == [
        (5, "unknown-abo"),
        (6, "invalid-din"),
        (7, "expiry-before-collection"),
        (9, "din-already-known"),
    ]
    before = await service.state()
    again = (await client.post("/units/batch", json={"rows": rows})).json()
    assert (again["recorded"], again["unchanged"], len(again["rejected"])) == (0, 4, 4)
    assert await service.state() == before


async def test_writes_need_a_clerk_and_stock_is_public(service: Served) -> None:
    assert (await service.anonymous.post("/units", json=row(1))).status_code == 401
    assert (await service.anonymous.get(f"/units/{din('cq', 1)}")).status_code == 401
    assert (await service.anonymous.get("/stock")).status_code == 200
    assert (await service.anonymous.get("/dashboard")).status_code == 200
