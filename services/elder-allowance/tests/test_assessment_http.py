"""The assessments routes on the service's real app and a real PostgreSQL (no Kafka:
events stay in the outbox): record and list, the 4xx answers naming each problem (scores
out of range, future dates, invalid ID numbers), and nothing written on a refusal."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from elder_applications_http import TABLES, Service, serve
from elder_applications_support import elder

from chengyu_kit.local.oidc import OidcProvider

pytestmark = pytest.mark.integration

ALICE = elder(41)
BAD_CHECK_DIGIT = ALICE[:17] + ("0" if ALICE[17] != "0" else "1")
SCORES = {"self_care": 30, "basic_mobility": 14, "mental_state": 25, "perception_and_social": 12}


@pytest.fixture
async def cq(database: str, tmp_path: Path, oidc_provider: OidcProvider) -> AsyncIterator[Service]:
    async for service in serve("cq", database, tmp_path, oidc_provider):
        yield service


def assessment(**fields: Any) -> dict[str, Any]:
    return {"id_number": ALICE, "assessed_on": "2026-10-01", "reason": "first", **SCORES, **fields}


async def test_an_assessment_is_recorded_with_its_level_and_validity_and_published(
    cq: Service,
) -> None:
    answer = await cq.client.post(
        "/assessments", json=assessment(dementia_or_mental_disorder=True, care_risk_events_30d=2)
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    # 81 points: level 1; two adjustments, which do not stack by default: level 2.
    assert {k: body[k] for k in ("total", "base_level", "level", "adjustments", "valid_until")} == {
        "total": 81,
        "base_level": 1,
        "level": 2,
        "adjustments": ["dementia-or-mental-disorder", "care-risk-events"],
        "valid_until": "2027-10-01",
    }
    assert (body["recognised"], body["level_name"]) == (False, "中度失能")
    [event] = await cq.events()
    assert event["type"] == "cn.chengyu.elder.capability-assessed.v1"
    assert event["data"]["level"] == 2
    assert ALICE not in json.dumps(event)

    listed = await cq.client.get("/assessments", params={"person_ref": body["person_ref"]})
    assert listed.status_code == 200
    assert listed.json()["current"] == body["assessment_id"]
    [item] = listed.json()["items"]
    assert item == {**body, "current": True}


@pytest.mark.parametrize(
    ("fields", "error", "named"),
    [
        ({"self_care": 33}, "score-out-of-range", "self_care"),
        ({"basic_mobility": 16}, "score-out-of-range", "basic_mobility"),
        ({"mental_state": -1}, "score-out-of-range", "mental_state"),
        ({"perception_and_social": 99}, "score-out-of-range", "perception_and_social"),
        ({"assessed_on": "2026-10-16"}, "assessed-in-future", "2026-10-15"),
        ({"assessed_on": "2026-13-01"}, "invalid-date", "assessed_on"),
        ({"reason": "curiosity"}, "unknown-reason", "re-assessment"),
        ({"care_risk_events_30d": -2}, "invalid-care-risk-events", "care_risk_events_30d"),
        ({"id_number": BAD_CHECK_DIGIT}, "bad-check-digit", "check digit"),
        ({"self_care": "30"}, "invalid-request", "self_care"),
    ],
)
async def test_a_bad_assessment_is_refused_naming_the_problem_and_writes_nothing(
    cq: Service, fields: dict[str, Any], error: str, named: str
) -> None:
    answer = await cq.client.post("/assessments", json=assessment(**fields))
    assert (answer.status_code, answer.json()["error"]) == (422, error)
    assert named in answer.json()["message"]
    assert await cq.rows() == dict.fromkeys(TABLES, 0)


async def test_a_person_with_no_assessment_has_none_and_a_bad_person_ref_is_refused(
    cq: Service,
) -> None:
    none = await cq.client.get("/assessments", params={"person_ref": "pr1_" + "0" * 64})
    assert none.json() == {"person_ref": "pr1_" + "0" * 64, "current": None, "items": []}
    bad = await cq.client.get("/assessments", params={"person_ref": "alice"})
    assert (bad.status_code, bad.json()["error"]) == (422, "invalid-person-ref")
