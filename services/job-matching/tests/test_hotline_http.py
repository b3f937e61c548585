"""The hotline's HTTP API of one city on a real PostgreSQL (no Kafka: events stay in the
outbox; the other city's events applied through the handlers' use cases): forwarding in
Chongqing (the phone kept masked, the ID number turned into a person_ref), the receiving
city's steps in Chengdu, the metrics; bad input, a step outside its window or in the wrong
city answered 4xx naming the problem, with nothing written."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hotline_http import Served, serve

from chengyu_kit.local.oidc import OidcProvider

pytestmark = pytest.mark.integration

ID_NUMBER = "11010519491231002X"
PHONE = "13812345678"
FORWARD: dict[str, Any] = {
    "category": "complaint",
    "caller_kind": "citizen",
    "caller_id_number": ID_NUMBER,
    "caller_credit_code": None,
    "caller_phone": PHONE,
    "summary": "来电人反映成都某用人单位未足额支付工资",
    "received_at": "2026-02-12T09:40:00+08:00",
}


@pytest.fixture
async def cq(database: str, oidc_provider: OidcProvider, tmp_path: Path) -> AsyncIterator[Served]:
    async for served in serve(database, oidc_provider, tmp_path, city="cq"):
        yield served


@pytest.fixture
async def cd(database: str, oidc_provider: OidcProvider, tmp_path: Path) -> AsyncIterator[Served]:
    async for served in serve(database, oidc_provider, tmp_path, city="cd"):
        await served.forwarded_here()
        yield served


async def refused(
    service: Served, path: str, body: dict[str, Any] | None = None
) -> tuple[int, str, str]:
    """POST ``body`` to ``path``, expecting a refusal that writes nothing."""
    before = await service.tables()
    answer = await service.client.post(path, json=body)
    assert 400 <= answer.status_code < 500, answer.text
    assert await service.tables() == before
    return answer.status_code, answer.json()["error"], answer.json()["message"]


async def posted(service: Served, path: str, body: dict[str, Any] | None = None) -> Any:
    answer = await service.client.post(path, json=body)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


async def test_the_hotline_routes_are_served(cq: Served) -> None:
    paths = (await cq.client.get("/openapi.json")).json()["paths"]
    assert set(paths) >= {
        "/hotline/requests",
        "/hotline/requests/{request_id}",
        "/hotline/requests/{request_id}/sign",
        "/hotline/requests/{request_id}/return",
        "/hotline/requests/{request_id}/reforward",
        "/hotline/requests/{request_id}/extensions",
        "/hotline/requests/{request_id}/extensions/{extension_id}/decide",
        "/hotline/requests/{request_id}/resolve",
        "/hotline/requests/{request_id}/callback",
        "/hotline/metrics",
    }


async def test_forwarding_keeps_the_phone_here_masked_and_publishes_a_person_ref(
    cq: Served,
) -> None:
    answer = await cq.client.post("/hotline/requests", json=FORWARD)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["from_city"], body["to_city"], body["state"], body["attempt"]) == (
        "cq",
        "cd",
        "forwarded",
        1,
    )
    assert body["sign_by"] == "2026-02-13"
    assert body["caller_phone"] == "138****5678"
    assert PHONE not in answer.text and ID_NUMBER not in answer.text
    [event] = await cq.outbox()
    assert event["type"] == "cn.chengyu.hr.hotline-request-forwarded.v1"
    assert event["data"]["caller_ref"] == body["caller_ref"] != ID_NUMBER
    assert "caller_phone" not in event["data"]
    assert ID_NUMBER not in await cq.tables()
    got = (await cq.client.get(f"/hotline/requests/{body['request_id']}")).json()
    assert got["caller_phone"] == "138****5678" and got["history"][0]["step"] == "forwarded"
    listed = (await cq.client.get("/hotline/requests?direction=forwarded")).json()
    assert [r["request_id"] for r in listed["requests"]] == [body["request_id"]]


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"summary": f"来电人手机{PHONE} 要求回电"}, "personal-data-in-text"),
        ({"summary": f"身份证 {ID_NUMBER}"}, "personal-data-in-text"),
        ({"category": "gossip"}, "unknown-category"),
        ({"caller_kind": "robot"}, "unknown-caller-kind"),
        ({"caller_phone": "12345"}, "invalid-phone"),
        ({"caller_id_number": "110105194912310021"}, "bad-check-digit"),
        ({"received_at": "2026-02-12T10:30:00+08:00"}, "received-in-future"),
        (
            {"caller_kind": "enterprise", "caller_id_number": None, "caller_credit_code": "X1"},
            "invalid-credit-code",
        ),
        ({"caller_kind": "enterprise", "caller_id_number": None}, "missing-credit-code"),
        ({"caller_credit_code": "91350100M000100Y43"}, "credit-code-for-citizen"),
    ],
)
async def test_bad_forwards_are_refused_naming_the_problem(
    cq: Served, fields: dict[str, Any], code: str
) -> None:
    status, error, message = await refused(cq, "/hotline/requests", {**FORWARD, **fields})
    assert (status, error) == (422, code)
    assert PHONE not in message and ID_NUMBER not in message


async def test_an_enterprise_is_named_by_its_credit_code(cq: Served) -> None:
    body = {
        **FORWARD,
        "caller_kind": "enterprise",
        "caller_id_number": None,
        "caller_credit_code": "91350100m000100y43",
    }
    assert (await posted(cq, "/hotline/requests", body))["caller_ref"] == "91350100M000100Y43"


async def test_the_receiving_city_signs_extends_and_resolves(cd: Served) -> None:
    signed = await posted(cd, "/hotline/requests/hl-cq-1/sign")
    # A consultation signed on Thursday 02-12: 02-13, 02-14 (worked), 02-24.
    assert (signed["state"], signed["resolve_by"]) == ("signed", "2026-02-24")
    asked = await cd.client.post(
        "/hotline/requests/hl-cq-1/extensions", json={"working_days": 2, "reason": "需会商"}
    )
    assert asked.status_code == 201, asked.text
    assert asked.json()["state"] == "requested" and asked.json()["extension_id"]
    resolved = await posted(cd, "/hotline/requests/hl-cq-1/resolve", {"resolution": "已答复"})
    assert resolved["state"] == "resolved"
    types = [e["type"].split(".")[-2] for e in await cd.outbox()]
    assert types == [
        "hotline-request-signed",
        "hotline-extension-requested",
        "hotline-request-resolved",
    ]
    received = (await cd.client.get("/hotline/requests?direction=received")).json()
    assert received["total"] == 1 and received["requests"][0]["caller_phone"] is None


async def test_signing_after_the_window_is_refused_naming_the_date(cd: Served) -> None:
    cd.set_day(date(2026, 2, 14))
    status, error, message = await refused(cd, "/hotline/requests/hl-cq-1/sign")
    assert (status, error) == (409, "sign-window-passed") and "2026-02-13" in message


async def test_returning_after_the_window_is_refused_within_it_allowed(cd: Served) -> None:
    cd.set_day(date(2026, 2, 14))
    status, error, message = await refused(
        cd, "/hotline/requests/hl-cq-1/return", {"reason": "不属本市"}
    )
    assert (status, error) == (409, "return-window-passed") and "2026-02-13" in message
    cd.set_day(date(2026, 2, 13), hour=23)
    back = await posted(cd, "/hotline/requests/hl-cq-1/return", {"reason": "不属本市"})
    assert (back["state"], back["return_reason"]) == ("returned", "不属本市")


async def test_an_extension_after_the_deadline_is_refused(cd: Served) -> None:
    await posted(cd, "/hotline/requests/hl-cq-1/sign")
    cd.set_day(date(2026, 2, 25))
    status, error, message = await refused(
        cd, "/hotline/requests/hl-cq-1/extensions", {"working_days": 2, "reason": "需会商"}
    )
    assert (status, error) == (409, "extension-after-deadline") and "2026-02-24" in message


async def test_an_extension_longer_than_the_policy_allows_is_refused(cd: Served) -> None:
    await posted(cd, "/hotline/requests/hl-cq-1/sign")
    status, error, _ = await refused(
        cd, "/hotline/requests/hl-cq-1/extensions", {"working_days": 11, "reason": "需会商"}
    )
    assert (status, error) == (422, "bad-extension")


async def test_personal_data_in_a_resolution_is_refused(cd: Served) -> None:
    await posted(cd, "/hotline/requests/hl-cq-1/sign")
    status, error, _ = await refused(
        cd, "/hotline/requests/hl-cq-1/resolve", {"resolution": f"已回电 {PHONE}"}
    )
    assert (status, error) == (422, "personal-data-in-text")


async def test_steps_of_the_other_city_or_out_of_turn_are_refused(cd: Served) -> None:
    assert (await refused(cd, "/hotline/requests/hl-cq-1/reforward"))[:2] == (
        403,
        "not-forwarding-city",
    )
    assert (await refused(cd, "/hotline/requests/hl-cq-1/callback", {"feedback": "satisfied"}))[
        :2
    ] == (403, "not-forwarding-city")
    assert (await refused(cd, "/hotline/requests/hl-cq-1/resolve", {"resolution": "已答复"}))[
        :2
    ] == (409, "illegal-transition")
    assert (await refused(cd, "/hotline/requests/hl-cq-9/sign"))[:2] == (404, "unknown-request")


async def test_reforwarding_inside_the_window_is_refused(cq: Served) -> None:
    rid = (await posted(cq, "/hotline/requests", FORWARD))["request_id"]
    status, error, message = await refused(cq, f"/hotline/requests/{rid}/reforward")
    assert (status, error) == (409, "sign-window-open") and "2026-02-13" in message
    cq.set_day(date(2026, 2, 14))
    again = await posted(cq, f"/hotline/requests/{rid}/reforward")
    assert (again["attempt"], again["sign_by"]) == (2, "2026-02-24")


async def test_the_metrics_count_finished_requests_per_receiving_city_and_category(
    cd: Served,
) -> None:
    await posted(cd, "/hotline/requests/hl-cq-1/sign")
    await posted(cd, "/hotline/requests/hl-cq-1/resolve", {"resolution": "已答复"})
    await cd.forwarded_here("hl-cq-2")
    await posted(cd, "/hotline/requests/hl-cq-2/sign")
    cd.set_day(date(2026, 2, 25))
    await posted(cd, "/hotline/requests/hl-cq-2/resolve", {"resolution": "已答复"})
    metrics = (await cd.client.get("/hotline/metrics")).json()["by_city"]
    assert metrics["cd"]["consultation"] == {"finished": 2, "on_time": 1, "rate": 0.5}
    assert metrics["cd"]["urgent"] == {"finished": 0, "on_time": 0, "rate": None}
    assert set(metrics) == {"cq", "cd"}
