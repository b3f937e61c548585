"""The postings area's routes on the service's real app and a real PostgreSQL (no Kafka:
events stay in the outbox): publish, revise, close, the batch, the public listing and fairs;
bad input answered 4xx naming the problem with nothing written."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from postings_bus import posting_body
from postings_http import Served, serve

from chengyu_kit.local.oidc import OidcProvider

pytestmark = pytest.mark.integration

PUBLISHED = "cn.chengyu.hr.job-posting-published.v1"
CLOSED = "cn.chengyu.hr.job-posting-closed.v1"


@pytest.fixture
async def cq(database: str, tmp_path: Path, oidc_provider: OidcProvider) -> AsyncIterator[Served]:
    async for service in serve(database, oidc_provider, tmp_path):
        yield service


async def publish(cq: Served, **fields: Any) -> dict[str, Any]:
    answer = await cq.client.post("/postings", json=posting_body("cq", **fields))
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_a_posting_is_published_as_version_one_and_its_event_written(cq: Served) -> None:
    body = await publish(cq)
    assert body["posting_id"].startswith("pst-cq-")
    assert {k: body[k] for k in ("city", "version", "state", "closed_reason")} == {
        "city": "cq",
        "version": 1,
        "state": "open",
        "closed_reason": None,
    }
    for key, value in posting_body("cq").items():
        assert body[key] == value, key
    assert body["occupation_name"] == "计算机软件工程技术人员"
    [event] = await cq.outbox()
    assert event["type"] == PUBLISHED
    assert event["data"]["posting_id"] == body["posting_id"]
    assert (event["data"]["lat_e6"], event["data"]["lon_e6"]) == (29_556_000, 106_568_000)
    terms = await cq.pool.fetchval(
        "SELECT terms FROM posting WHERE posting_id = $1", body["posting_id"]
    )
    assert "java" in terms
    assert "postgresql" in terms


async def test_a_negotiable_salary_is_both_bounds_null(cq: Served) -> None:
    body = await publish(cq, salary_min_yuan=None, salary_max_yuan=None)
    assert (body["salary_min_yuan"], body["salary_max_yuan"], body["negotiable"]) == (
        None,
        None,
        True,
    )


@pytest.mark.parametrize(
    ("fields", "code", "named"),
    [
        ({"occupation_code": "2-99-99-99"}, "unknown-occupation", "2-99-99-99"),
        ({"occupation_code": "software"}, "invalid-occupation-code", "X-XX-XX-XX"),
        (
            {"salary_min_yuan": 20000, "salary_max_yuan": 9000},
            "salary-floor-above-ceiling",
            "20000",
        ),
        ({"salary_min_yuan": 5000, "salary_max_yuan": None}, "salary-bound-missing", "面议"),
        ({"closing_on": "2026-03-01"}, "closing-date-past", "2026-03-01"),
        ({"district": "510107"}, "district-of-other-city", "510107"),
        ({"latitude": 39.9, "longitude": 116.4}, "coordinates-outside-city", "Chongqing"),
        ({"skills": [f"s{n}" for n in range(31)]}, "too-many-skills", "30"),
        ({"description": "简历发至 13912345678"}, "personal-data-in-text", "description"),
    ],
)
async def test_bad_input_is_refused_naming_the_problem_and_nothing_is_written(
    cq: Served, fields: dict[str, Any], code: str, named: str
) -> None:
    before = await cq.rows()
    answer = await cq.client.post("/postings", json=posting_body("cq", **fields))
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["error"] == code
    assert named in body["message"]
    assert await cq.rows() == before


async def test_a_revision_is_the_next_version_and_a_close_ends_it(cq: Served) -> None:
    posting_id = (await publish(cq))["posting_id"]
    revised = await cq.client.put(f"/postings/{posting_id}", json=posting_body(openings=5))
    assert revised.status_code == 200, revised.text
    assert (revised.json()["version"], revised.json()["openings"]) == (2, 5)
    same = await cq.client.put(f"/postings/{posting_id}", json=posting_body(openings=5))
    assert same.json()["version"] == 2

    closed = await cq.client.post(f"/postings/{posting_id}/close", json={"reason": "filled"})
    assert closed.status_code == 200, closed.text
    assert (closed.json()["state"], closed.json()["closed_reason"], closed.json()["version"]) == (
        "closed",
        "filled",
        3,
    )
    events = await cq.outbox()
    assert [(e["type"], e["data"]["version"]) for e in events] == [
        (PUBLISHED, 1),
        (PUBLISHED, 2),
        (CLOSED, 3),
    ]
    before = await cq.rows()
    again = await cq.client.put(f"/postings/{posting_id}", json=posting_body())
    assert (again.status_code, again.json()["error"]) == (409, "posting-closed")
    twice = await cq.client.post(f"/postings/{posting_id}/close", json={"reason": "withdrawn"})
    assert (twice.status_code, twice.json()["error"]) == (409, "posting-closed")
    expired = await cq.client.post(f"/postings/{posting_id}/close", json={"reason": "expired"})
    assert (expired.status_code, expired.json()["error"]) == (422, "unknown-close-reason")
    assert await cq.rows() == before


async def test_an_unknown_posting_is_404(cq: Served) -> None:
    answer = await cq.anonymous.get("/postings/pst-cq-nothing")
    assert (answer.status_code, answer.json()["error"]) == (404, "unknown-posting")


async def test_a_batch_publishes_good_rows_and_refuses_bad_ones_by_index(cq: Served) -> None:
    rows = [
        posting_body(),
        posting_body(salary_min_yuan=30000, salary_max_yuan=10000),
        {**posting_body(), "openings": "three"},
        posting_body(title="护士", occupation_code="2-05-08-01"),
    ]
    answer = await cq.client.post("/postings/batch", json={"postings": rows})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [a["index"] for a in body["accepted"]] == [0, 3]
    assert [(r["index"], r["code"]) for r in body["refused"]] == [
        (1, "salary-floor-above-ceiling"),
        (2, "invalid-posting-row"),
    ]
    assert "openings" in body["refused"][1]["message"]
    assert "three" not in body["refused"][1]["message"]
    assert (await cq.rows())["posting"] == 2
    assert len(await cq.outbox()) == 2


async def test_the_listing_is_public_and_filters_by_city_state_and_occupation(
    cq: Served,
) -> None:
    software = await publish(cq)
    nurse = await publish(cq, title="内科护士", occupation_code="2-05-08-01")
    await cq.client.post(f"/postings/{nurse['posting_id']}/close", json={"reason": "filled"})

    every = (await cq.anonymous.get("/postings")).json()
    assert every["total"] == 2
    assert {p["posting_id"] for p in every["postings"]} == {
        software["posting_id"],
        nurse["posting_id"],
    }
    open_ = (await cq.anonymous.get("/postings", params={"state": "open"})).json()
    assert [p["posting_id"] for p in open_["postings"]] == [software["posting_id"]]
    group = (await cq.anonymous.get("/postings", params={"occupation": "2-05"})).json()
    assert [p["posting_id"] for p in group["postings"]] == [nurse["posting_id"]]
    assert (await cq.anonymous.get("/postings", params={"city": "cd"})).json()["total"] == 0
    page = (await cq.anonymous.get("/postings", params={"per_page": 1, "page": 2})).json()
    assert (page["total"], len(page["postings"])) == (2, 1)

    bad = await cq.anonymous.get("/postings", params={"city": "bj"})
    assert (bad.status_code, bad.json()["error"]) == (422, "unknown-city")
    bad = await cq.anonymous.get("/postings", params={"occupation": "2-99-99-99"})
    assert (bad.status_code, bad.json()["error"]) == (422, "unknown-occupation")


async def test_writing_needs_a_clerk(cq: Served) -> None:
    answer = await cq.anonymous.post("/postings", json=posting_body())
    assert answer.status_code == 401
    assert (await cq.rows())["posting"] == 0


async def test_a_fair_groups_postings_and_shows_them(cq: Served) -> None:
    first = await publish(cq)
    second = await publish(cq, title="前端开发工程师")
    body = {
        "title": "成渝双城春季联合招聘会",
        "venue": "重庆国际博览中心",
        "starts_on": "2026-03-20",
        "ends_on": "2026-03-21",
        "posting_ids": [first["posting_id"], second["posting_id"]],
    }
    made = await cq.client.post("/fairs", json=body)
    assert made.status_code == 201, made.text
    fair = made.json()
    assert (fair["city"], fair["version"], fair["state"]) == ("cq", 1, "scheduled")
    assert [(p["title"], p["city"], p["state"]) for p in fair["postings"]] == [
        ("Java后端开发工程师", "cq", "open"),
        ("前端开发工程师", "cq", "open"),
    ]
    shown = (await cq.anonymous.get(f"/fairs/{fair['fair_id']}")).json()
    assert shown == fair
    assert [f["fair_id"] for f in (await cq.anonymous.get("/fairs")).json()["fairs"]] == [
        fair["fair_id"]
    ]

    moved = await cq.client.put(f"/fairs/{fair['fair_id']}", json={**body, "ends_on": "2026-03-22"})
    assert (moved.status_code, moved.json()["version"]) == (200, 2)
    cancelled = await cq.client.post(
        f"/fairs/{fair['fair_id']}/cancel", json={"reason": "场馆检修"}
    )
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["state"], cancelled.json()["version"]) == ("cancelled", 3)
    types = [e["type"].split(".")[-2] for e in await cq.outbox()]
    assert types[-3:] == ["job-fair-scheduled", "job-fair-scheduled", "job-fair-cancelled"]


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"posting_ids": ["pst-cd-unknown"]}, 422, "unknown-postings"),
        ({"starts_on": "2026-03-01", "ends_on": "2026-03-05"}, 422, "fair-start-past"),
        ({"starts_on": "2026-03-10", "ends_on": "2026-03-09"}, 422, "fair-ends-before-start"),
    ],
)
async def test_a_bad_fair_is_refused_and_nothing_written(
    cq: Served, fields: dict[str, Any], status: int, code: str
) -> None:
    posting_id = (await publish(cq))["posting_id"]
    before = await cq.rows()
    body = {
        "title": "联合招聘会",
        "venue": "重庆国际博览中心",
        "starts_on": "2026-03-20",
        "ends_on": "2026-03-21",
        "posting_ids": [posting_id],
        **fields,
    }
    answer = await cq.client.post("/fairs", json=body)
    assert (answer.status_code, answer.json()["error"]) == (status, code)
    assert await cq.rows() == before
