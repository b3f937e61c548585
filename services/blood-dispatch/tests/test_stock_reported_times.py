"""Movements reported after the fact (``at``): a centre's information system reports
collections, issues, expiries and discards when it exports them. The time is kept on the
movement (its history, its BloodUnitMoved, the levels' trailing window counts issues by
it); a time in the future, older than the policy's report window, or before the unit's
previous movement is refused 422, nothing written."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from blood_bus import NOW, din, row
from blood_http import Served, serve

from chengyu_kit.local.oidc import OidcProvider

pytestmark = pytest.mark.integration


@pytest.fixture
async def service(
    database: str, oidc_provider: OidcProvider, tmp_path: Path
) -> AsyncIterator[Served]:
    async for served in serve(database, oidc_provider, tmp_path):
        yield served


def ago(days: float) -> str:
    return (NOW - timedelta(days=days)).isoformat()


async def refused(service: Served, path: str, body: dict[str, Any]) -> str:
    before = await service.state()
    answer = await service.client.post(path, json=body)
    assert answer.status_code == 422, answer.text
    assert await service.state() == before
    error: str = answer.json()["error"]
    return error


async def test_movements_keep_the_reported_time(service: Served) -> None:
    client = service.client
    collected = NOW - timedelta(days=20)
    made = await client.post("/units", json=row(1, collected=collected, at=ago(19.5)))
    assert made.status_code == 201, made.text
    issued = await client.post(f"/units/{din('cq', 1)}/issue", json={"at": ago(10)})
    assert issued.status_code == 200, issued.text
    history = (await client.get(f"/units/{din('cq', 1)}")).json()["history"]
    assert [(h["movement"], h["at"]) for h in history] == [
        ("collected", (NOW - timedelta(days=19.5)).isoformat().replace("+00:00", "Z")),
        ("issued", (NOW - timedelta(days=10)).isoformat().replace("+00:00", "Z")),
    ]
    moved = [r for r in await service.outbox() if r["type"].endswith("unit-moved.v1")]
    assert [m["data"]["moved_at"][:10] for m in moved] == [ago(19.5)[:10], ago(10)[:10]]


async def test_a_batch_row_takes_its_time(service: Served) -> None:
    rows = [
        row(1, line=2, collected=NOW - timedelta(days=3), at=ago(2)),
        row(2, line=3, collected=NOW - timedelta(days=3), at=ago(-1)),
        row(3, line=4, collected=NOW - timedelta(days=3), at=ago(4)),
    ]
    report = (await service.client.post("/units/batch", json={"rows": rows})).json()
    assert report["recorded"] == 1
    assert [(r["line"], r["error"]) for r in report["rejected"]] == [
        (3, "movement-in-future"),
        (4, "released-before-collection"),
    ]


async def test_bad_reported_times_are_refused(service: Served) -> None:
    client = service.client
    assert (await client.post("/units", json=row(1, collected=NOW - timedelta(days=30)))).is_success
    unit = f"/units/{din('cq', 1)}"
    assert await refused(service, f"{unit}/issue", {"at": ago(-0.01)}) == "movement-in-future"
    # Reported now: an issue before that is out of order.
    assert await refused(service, f"{unit}/issue", {"at": ago(1)}) == "movement-out-of-order"
    assert await refused(service, f"{unit}/discard", {"at": "yesterday"}) == "invalid-time"
    old = row(2, collected=NOW - timedelta(days=34), at=ago(46))
    assert await refused(service, "/units", old) == "movement-too-old"
    assert await refused(service, "/units", row(3, at=ago(-1))) == "movement-in-future"
