"""``GET /stock`` and ``GET /dashboard`` of one city's real app: both cities' lines with
levels, public (no token); the page loads nothing from elsewhere and holds the grid."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from blood_bus import din, row
from blood_http import Served, serve

from chengyu_blood_dispatch.blood_groups import STOCK_KEYS
from chengyu_kit.local.oidc import OidcProvider

pytestmark = pytest.mark.integration


@pytest.fixture
async def service(
    database: str, oidc_provider: OidcProvider, tmp_path: Path
) -> AsyncIterator[Served]:
    async for served in serve(database, oidc_provider, tmp_path):
        yield served


def line(report: dict[str, Any], city: str, product: str, abo: str, rhd: str) -> dict[str, Any]:
    (found,) = [c for c in report["cities"] if c["city"] == city]
    (wanted,) = [
        x for x in found["lines"] if (x["product"], x["abo"], x["rhd"]) == (product, abo, rhd)
    ]
    result: dict[str, Any] = wanted
    return result


async def test_stock_shows_both_cities_every_line_publicly(service: Served) -> None:
    client = service.client
    rows = [row(n, line=n + 1) for n in range(1, 8)]
    assert (await client.post("/units/batch", json={"rows": rows})).status_code == 200
    for n in range(1, 4):
        assert (await client.post(f"/units/{din('cq', n)}/issue")).status_code == 200
    answer = await service.anonymous.get("/stock")
    assert answer.status_code == 200
    report = answer.json()
    assert [c["city"] for c in report["cities"]] == ["cq", "cd"]
    assert [c["source"] for c in report["cities"]] == ["own", "published"]
    assert all(len(c["lines"]) == len(STOCK_KEYS) for c in report["cities"])
    o_neg = line(report, "cq", "red-cells", "O", "neg")
    # 4 usable at 3/14 a day: 18.67 days, green.
    assert (o_neg["available"], o_neg["usable"], o_neg["level"]) == (4, 4, "green")
    assert o_neg["days_of_supply_centi"] == 1866
    assert line(report, "cd", "red-cells", "O", "neg")["level"] == "green"
    assert report["dispatch"] == {"open_requests": [], "in_transit": []}
    assert din("cq", 1) not in answer.text  # no unit is named on the public page's feed


async def test_the_dashboard_loads_nothing_from_elsewhere(service: Served) -> None:
    answer = await service.anonymous.get("/dashboard")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    page = answer.text
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/|<link|\bsrc=|@import|url\(", page)
    assert 'fetch("./stock"' in page and "setInterval(refresh" in page
    for product in ("red-cells", "platelets", "plasma", "cryo", "whole-blood"):
        assert f'id="grid-{product}"' in page
        for city in ("cq", "cd"):
            assert f'id="cell-{product}-Oneg-{city}"' in page
    for section in ("stock-grid", "open-requests", "in-transit"):
        assert f'id="{section}"' in page
