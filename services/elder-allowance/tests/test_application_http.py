"""The applications routes on the service's real app and a real PostgreSQL (no Kafka:
events stay in the outbox): every route, the 4xx answers naming each problem, and nothing
written on a refusal."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from elder_applications_http import TABLES, Service, serve
from elder_applications_support import FakeGrants, elder, install_fake_grants

from chengyu_elder_allowance.applications.usecases import sweep_overdue
from chengyu_kit.local.oidc import OidcProvider

pytestmark = pytest.mark.integration

ALICE = elder(31)  # 86 today
YOUNG = elder(32, born=date(1950, 1, 1))  # 76
NEARLY = elder(33, born=date(1946, 10, 16))  # 80 tomorrow
BAD_CHECK_DIGIT = ALICE[:17] + ("0" if ALICE[17] != "0" else "1")


@pytest.fixture
async def cq(database: str, tmp_path: Path, oidc_provider: OidcProvider) -> AsyncIterator[Service]:
    async for service in serve("cq", database, tmp_path, oidc_provider):
        yield service


@pytest.fixture
def grants(monkeypatch: pytest.MonkeyPatch) -> FakeGrants:
    return install_fake_grants(monkeypatch)


async def applied(cq: Service, id_number: str = ALICE, household: str = "cq") -> dict[str, Any]:
    answer = await cq.client.post(
        "/applications", json={"id_number": id_number, "household_city": household}
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_the_openapi_document_lists_the_application_and_assessment_routes(
    cq: Service,
) -> None:
    paths = (await cq.client.get("/openapi.json")).json()["paths"]
    assert set(paths) >= {
        "/applications",
        "/applications/{application_id}",
        "/applications/{application_id}/decision",
        "/assessments",
    }


async def test_an_application_is_accepted_with_the_paying_citys_deadline_and_published(
    cq: Service,
) -> None:
    body = await applied(cq, household="cd")
    assert {k: body[k] for k in ("accepted_in", "paying_city", "submitted_on", "status")} == {
        "accepted_in": "cq",
        "paying_city": "cd",
        "submitted_on": "2026-10-15",
        "status": "submitted",
    }
    # Chengdu's default policy: 20 working days after Thursday 15 October 2026.
    assert body["decide_by"] == "2026-11-12"
    assert body["person_ref"].startswith("pr1_")
    [event] = await cq.events()
    assert event["type"] == "cn.chengyu.elder.allowance-applied.v1"
    assert event["data"]["application_id"] == body["application_id"]
    assert ALICE not in json.dumps(event)

    one = await cq.client.get(f"/applications/{body['application_id']}")
    assert (one.status_code, one.json()) == (200, body)
    listed = await cq.client.get("/applications", params={"status": "submitted"})
    assert [a["application_id"] for a in listed.json()["items"]] == [body["application_id"]]
    assert (await cq.client.get("/applications", params={"status": "approved"})).json() == {
        "items": []
    }


async def test_a_second_application_while_one_is_undecided_is_refused(cq: Service) -> None:
    await applied(cq)
    before = await cq.rows()
    again = await cq.client.post("/applications", json={"id_number": ALICE, "household_city": "cq"})
    assert (again.status_code, again.json()["error"]) == (409, "application-pending")
    assert await cq.rows() == before


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"id_number": BAD_CHECK_DIGIT, "household_city": "cq"}, 422, "bad-check-digit"),
        ({"id_number": "51010", "household_city": "cq"}, 422, "wrong-length"),
        ({"id_number": ALICE, "household_city": "bj"}, 422, "unknown-household-city"),
        ({"id_number": YOUNG, "household_city": "cq"}, 422, "not-of-allowance-age"),
        ({"id_number": NEARLY, "household_city": "cq"}, 422, "not-of-allowance-age"),
        ({"id_number": ALICE}, 422, "invalid-request"),
        ({"id_number": ALICE, "household_city": "cq", "name": "x"}, 422, "invalid-request"),
    ],
)
async def test_a_bad_application_is_refused_naming_the_problem_and_writes_nothing(
    cq: Service, body: dict[str, Any], status: int, error: str
) -> None:
    answer = await cq.client.post("/applications", json=body)
    assert (answer.status_code, answer.json()["error"]) == (status, error)
    assert ALICE not in answer.text
    assert await cq.rows() == dict.fromkeys(TABLES, 0)


async def test_bad_reads_are_refused(cq: Service) -> None:
    unknown = await cq.client.get("/applications/app-cq-nothing")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "unknown-application")
    bogus = await cq.client.get("/applications", params={"status": "lost"})
    assert (bogus.status_code, bogus.json()["error"]) == (422, "unknown-status")
    too_many = await cq.client.get("/applications", params={"limit": 5000})
    assert (too_many.status_code, too_many.json()["error"]) == (422, "invalid-limit")


async def test_the_paying_citys_clerk_approves_and_the_answer_is_published(
    cq: Service, grants: FakeGrants
) -> None:
    made = await applied(cq)
    path = f"/applications/{made['application_id']}/decision"
    answer = await cq.client.post(path, json={"outcome": "approved"})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["decided_on"]) == ("approved", "2026-10-15")
    assert [c[2] for c in grants.calls] == [made["application_id"]]
    decided = (await cq.events())[-1]
    assert decided["type"] == "cn.chengyu.elder.allowance-application-decided.v1"
    assert decided["data"]["outcome"] == "approved"

    before = await cq.rows()
    again = await cq.client.post(path, json={"outcome": "refused", "reason": "late"})
    assert (again.status_code, again.json()["error"]) == (409, "already-decided")
    assert await cq.rows() == before
    listed = await cq.client.get("/applications", params={"status": "approved"})
    assert len(listed.json()["items"]) == 1


async def test_a_refusal_says_why_and_a_grant_refused_by_the_allowance_area_is_a_conflict(
    cq: Service, grants: FakeGrants
) -> None:
    made = await applied(cq)
    path = f"/applications/{made['application_id']}/decision"
    grants.refusals[made["person_ref"]] = "duplicate-registration"
    before = await cq.rows()
    for body, status, error in [
        ({"outcome": "approved"}, 409, "duplicate-registration"),
        ({"outcome": "refused"}, 422, "reason-required"),
        ({"outcome": "refused", "reason": "  "}, 422, "reason-required"),
        ({"outcome": "maybe"}, 422, "invalid-outcome"),
    ]:
        answer = await cq.client.post(path, json=body)
        assert (answer.status_code, answer.json()["error"]) == (status, error), body
    assert await cq.rows() == before

    refused = await cq.client.post(
        path, json={"outcome": "refused", "reason": "Household registered elsewhere."}
    )
    assert refused.status_code == 200
    assert {k: refused.json()[k] for k in ("status", "reason_code", "reason")} == {
        "status": "refused",
        "reason_code": "refused-by-clerk",
        "reason": "Household registered elsewhere.",
    }


async def test_the_sweep_lists_an_undecided_application_as_overdue_after_its_deadline(
    cq: Service,
) -> None:
    made = await applied(cq)  # Chongqing: decide by 2026-11-05
    cq.clock.advance(timedelta(days=21))  # 5 November: still in time
    assert await sweep_overdue(cq.runtime) == 0
    cq.clock.advance(timedelta(days=1))
    assert await sweep_overdue(cq.runtime) == 1
    listed = await cq.client.get("/applications", params={"status": "overdue"})
    [item] = listed.json()["items"]
    assert (item["application_id"], item["overdue_on"]) == (made["application_id"], "2026-11-06")
    assert (await cq.client.get("/applications", params={"status": "submitted"})).json() == {
        "items": []
    }
    assert (await cq.events())[-1]["type"] == "cn.chengyu.elder.allowance-application-overdue.v1"


async def test_only_the_paying_city_decides(cq: Service, grants: FakeGrants) -> None:
    made = await applied(cq, household="cd")
    before = await cq.rows()
    answer = await cq.client.post(
        f"/applications/{made['application_id']}/decision", json={"outcome": "approved"}
    )
    assert (answer.status_code, answer.json()["error"]) == (403, "not-paying-city")
    unknown = await cq.client.post("/applications/app-cq-x/decision", json={"outcome": "approved"})
    assert (unknown.status_code, unknown.json()["error"]) == (404, "unknown-application")
    assert await cq.rows() == before
    assert grants.calls == []
