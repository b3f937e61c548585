"""The clerks' HTTP API of one city on a real PostgreSQL (no Kafka: events stay in the
outbox): every route, the 4xx answers naming each problem, and nothing written on a
refusal."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from insurance_years_bus import BETTY_ID, resident
from insurance_years_http import (
    InsuranceService,
    database_text,
    rows_written,
    running_insurance_service,
)

from chengyu_contracts.months import Month
from chengyu_contracts.person_ref import PersonRefKey, person_ref
from chengyu_insurance_years.periods import ContributionPeriod
from chengyu_insurance_years.service import SERVICE
from chengyu_insurance_years.store import save_version
from chengyu_kit.local.oidc import OidcProvider

pytestmark = pytest.mark.integration

ALICE = resident(21)  # male, born 1965
BAD_CHECK_DIGIT = ALICE[:17] + ("0" if ALICE[17] != "0" else "1")


@pytest.fixture
async def service(database: str, oidc_provider: OidcProvider) -> AsyncIterator[InsuranceService]:
    async for running in running_insurance_service(database, oidc_provider):
        yield running


async def record(
    service: InsuranceService,
    start: str = "2010-01",
    end: str = "2015-12",
    kind: str = "actual",
    resident_id: str = ALICE,
) -> httpx.Response:
    return await service.client.post(
        "/contribution-periods",
        json={"resident_id": resident_id, "start_month": start, "end_month": end, "kind": kind},
    )


async def recorded(service: InsuranceService, **fields: str) -> dict[str, Any]:
    answer = await record(service, **fields)
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def outbox(service: InsuranceService) -> list[dict[str, Any]]:
    rows = await service.pool.fetch("SELECT value FROM outbox ORDER BY id")
    return [json.loads(row["value"]) for row in rows]


def test_the_migrations_ship_inside_the_package_in_their_own_namespace() -> None:
    assert [(m.namespace, m.version, m.name) for m in SERVICE.migrations()] == [
        ("insurance-years", 1, "ledger"),
        ("insurance-years", 2, "retirement"),
        ("insurance-years", 3, "care"),
        ("insurance-years", 4, "version_actors"),
    ]


async def test_the_openapi_document_lists_every_clerk_route(service: InsuranceService) -> None:
    answer = await service.client.get("/openapi.json")
    assert answer.status_code == 200
    paths = answer.json()["paths"]
    assert set(paths) >= {
        "/contribution-periods",
        "/contribution-periods/{period_id}",
        "/contribution-periods/{period_id}/corrections",
        "/contribution-periods/{period_id}/cancellation",
        "/ledgers/lookup",
        "/ledgers/{person_ref}",
        "/retirement-requests",
        "/retirement-requests/{request_id}",
        "/care-assessments",
        "/care-assessments/{assessment_id}",
        "/care-recognitions/lookup",
    }
    # Resident ID numbers travel in bodies only, never in a path or query.
    assert not any("resident" in path for path in paths)


# -- periods and the ledger ---------------------------------------------------------------------


async def test_a_recorded_period_is_published_and_shows_in_the_ledger_with_its_city(
    service: InsuranceService,
) -> None:
    answer = await record(service)
    assert answer.status_code == 201, answer.text
    period = answer.json()
    expected_ref = person_ref(ALICE, PersonRefKey.from_hex(service.person_ref_key))
    assert period["person_ref"] == expected_ref
    assert (period["city"], period["months"], period["version"], period["cancelled"]) == (
        "cq",
        72,
        1,
        False,
    )
    assert period["review_flagged"] is False
    assert ALICE not in answer.text

    [event] = await outbox(service)
    assert event["type"] == "cn.chengyu.medins.contribution-years-accrued.v1"
    assert event["partitionkey"] == expected_ref
    assert event["data"] == {
        "period_id": period["period_id"],
        "person_ref": expected_ref,
        "city": "cq",
        "start_month": "2010-01",
        "end_month": "2015-12",
        "kind": "actual",
        "version": 1,
        "cancelled": False,
    }
    await recorded(service, start="2015-07", end="2016-06", kind="deemed")

    looked_up = await service.client.post("/ledgers/lookup", json={"resident_id": ALICE})
    assert looked_up.status_code == 200, looked_up.text
    ledger = looked_up.json()
    assert [
        (p["start_month"], p["end_month"], p["kind"], p["city"]) for p in ledger["periods"]
    ] == [
        ("2010-01", "2015-12", "actual", "cq"),
        ("2015-07", "2016-06", "deemed", "cq"),
    ]
    assert ledger["totals"] == {
        "by_city": [
            {"city": "cq", "actual_months": 72, "deemed_months": 12},
            {"city": "cd", "actual_months": 0, "deemed_months": 0},
        ],
        "actual_months": 72,
        "months_in_both": 0,
        # The deemed months 2015-07..12 are actual months too: only 2016-01..06 add.
        "deemed_months": 6,
        "cumulative_months_by_policy": {"cq": 78, "cd": 72},
    }
    assert ledger["retirement"] is None and ledger["review_flags"] == []
    by_ref = await service.client.get(f"/ledgers/{expected_ref}")
    assert by_ref.json() == ledger
    assert ALICE not in await database_text(service.pool)


async def test_a_period_retried_with_its_idempotency_key_is_recorded_once_and_answered_again(
    service: InsuranceService,
) -> None:
    body = {"resident_id": ALICE, "start_month": "2010-01", "end_month": "2015-12"}
    body["kind"] = "actual"
    headers = {"Idempotency-Key": '"period-of-alice-1"'}
    first = await service.client.post("/contribution-periods", json=body, headers=headers)
    assert first.status_code == 201, first.text
    # The clerk's system lost the answer and sends the same request again.
    again = await service.client.post("/contribution-periods", json=body, headers=headers)
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    counts = await rows_written(service.pool)
    assert (counts["contribution_period"], counts["contribution_period_version"]) == (1, 1)
    assert [e["data"]["period_id"] for e in await outbox(service)] == [first.json()["period_id"]]


async def test_an_idempotency_key_reused_for_another_period_is_refused_and_writes_nothing(
    service: InsuranceService,
) -> None:
    headers = {"Idempotency-Key": '"period-of-alice-1"'}
    body = {"resident_id": ALICE, "start_month": "2010-01", "end_month": "2015-12"}
    body["kind"] = "actual"
    first = await service.client.post("/contribution-periods", json=body, headers=headers)
    assert first.status_code == 201, first.text
    before = await rows_written(service.pool)
    other = await service.client.post(
        "/contribution-periods", json={**body, "end_month": "2016-12"}, headers=headers
    )
    assert (other.status_code, other.json()["error"]) == (422, "idempotency-key-reused")
    assert await rows_written(service.pool) == before
    assert len(await outbox(service)) == 1


async def test_an_unknown_person_has_an_empty_ledger(service: InsuranceService) -> None:
    answer = await service.client.post("/ledgers/lookup", json={"resident_id": BETTY_ID})
    assert answer.status_code == 200
    assert answer.json()["periods"] == []
    assert answer.json()["totals"]["actual_months"] == 0


BAD_PERIODS = [
    ({"resident_id": BAD_CHECK_DIGIT}, "bad-check-digit", "check digit"),
    ({"resident_id": ALICE[:17]}, "wrong-length", "18 characters"),
    ({"start_month": "2016-01", "end_month": "2015-12"}, "end-before-start", "2015-12"),
    ({"end_month": "2026-11"}, "month-in-future", "2026-11 is after the current month 2026-10"),
    ({"start_month": "2026-13"}, "invalid-month", "month 1-12"),
    ({"start_month": "2026/01"}, "invalid-month", "YYYY-MM"),
    ({"kind": "paid"}, "unknown-kind", "actual or deemed"),
    ({"kind": 1}, "invalid-request", "kind"),
    ({"city": "cd"}, "invalid-request", "city"),
]


@pytest.mark.parametrize(("change", "code", "fragment"), BAD_PERIODS)
async def test_a_bad_period_is_refused_naming_the_problem_and_writes_nothing(
    service: InsuranceService, change: dict[str, object], code: str, fragment: str
) -> None:
    body = {"resident_id": ALICE, "start_month": "2010-01", "end_month": "2015-12"}
    body["kind"] = "actual"
    answer = await service.client.post("/contribution-periods", json={**body, **change})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == code
    assert fragment in answer.json()["message"]
    assert ALICE not in answer.text and BAD_CHECK_DIGIT not in answer.text
    assert set((await rows_written(service.pool)).values()) == {0}


async def test_corrections_and_a_cancellation_are_new_versions_with_a_history(
    service: InsuranceService,
) -> None:
    period = await recorded(service)
    path = f"/contribution-periods/{period['period_id']}"
    corrected = await service.client.post(
        f"{path}/corrections",
        json={"start_month": "2010-01", "end_month": "2016-06", "kind": "actual"},
    )
    assert corrected.status_code == 201, corrected.text
    assert (corrected.json()["version"], corrected.json()["months"]) == (2, 78)
    cancelled = await service.client.post(f"{path}/cancellation")
    assert cancelled.status_code == 201, cancelled.text
    assert (cancelled.json()["version"], cancelled.json()["cancelled"]) == (3, True)

    history = (await service.client.get(path)).json()
    assert [(v["version"], v["end_month"], v["cancelled"]) for v in history["versions"]] == [
        (1, "2015-12", False),
        (2, "2016-06", False),
        (3, "2016-06", True),
    ]
    assert [e["data"]["version"] for e in await outbox(service)] == [1, 2, 3]
    ledger = (await service.client.post("/ledgers/lookup", json={"resident_id": ALICE})).json()
    assert [(p["version"], p["cancelled"]) for p in ledger["periods"]] == [(3, True)]
    assert ledger["totals"]["actual_months"] == 0

    again = await service.client.post(f"{path}/cancellation")
    assert (again.status_code, again.json()["error"]) == (409, "period-cancelled")
    assert len(await outbox(service)) == 3


async def test_refused_corrections_name_the_problem_and_write_nothing(
    service: InsuranceService,
) -> None:
    period = await recorded(service)
    path = f"/contribution-periods/{period['period_id']}/corrections"
    before = await rows_written(service.pool)
    cases = [
        ({"start_month": "2010-01", "end_month": "2015-12", "kind": "actual"}, 409,
         "correction-changes-nothing"),
        ({"start_month": "2010-01", "end_month": "2027-01", "kind": "actual"}, 422,
         "month-in-future"),
        ({"start_month": "2011-01", "end_month": "2010-12", "kind": "actual"}, 422,
         "end-before-start"),
        ({"start_month": "2010-01", "end_month": "2015-12", "kind": "x"}, 422, "unknown-kind"),
    ]  # fmt: skip
    for body, status, code in cases:
        answer = await service.client.post(path, json=body)
        assert (answer.status_code, answer.json()["error"]) == (status, code), answer.text
    unknown = await service.client.post(
        "/contribution-periods/per-cq-nope/corrections",
        json={"start_month": "2010-01", "end_month": "2015-12", "kind": "actual"},
    )
    assert (unknown.status_code, unknown.json()["error"]) == (404, "unknown-period")
    assert (await service.client.get("/contribution-periods/per-cq-nope")).status_code == 404
    assert await rows_written(service.pool) == before


async def test_a_period_of_the_other_city_is_not_corrected_here(
    service: InsuranceService,
) -> None:
    theirs = ContributionPeriod(
        "per-cd-1",
        "pr1_" + "ab" * 32,
        "cd",
        Month.parse("2010-01"),
        Month.parse("2010-12"),
        "actual",
    )
    async with service.pool.acquire() as conn:
        assert await save_version(conn, theirs, current=True) == "new"
    corrected = await service.client.post(
        "/contribution-periods/per-cd-1/corrections",
        json={"start_month": "2010-01", "end_month": "2011-12", "kind": "actual"},
    )
    assert (corrected.status_code, corrected.json()["error"]) == (409, "not-recording-city")
    assert "Chengdu" in corrected.json()["message"]
    cancelled = await service.client.post("/contribution-periods/per-cd-1/cancellation")
    assert (cancelled.status_code, cancelled.json()["error"]) == (409, "not-recording-city")
    assert await outbox(service) == []


async def test_concurrent_corrections_of_one_period_are_applied_one_after_the_other(
    service: InsuranceService,
) -> None:
    period = await recorded(service)
    path = f"/contribution-periods/{period['period_id']}/corrections"
    answers = await asyncio.gather(
        *(
            service.client.post(
                path, json={"start_month": "2010-01", "end_month": end, "kind": "actual"}
            )
            for end in ("2016-06", "2017-06")
        )
    )
    assert sorted(a.status_code for a in answers) == [201, 201]
    assert sorted(a.json()["version"] for a in answers) == [2, 3]
    assert [e["data"]["version"] for e in await outbox(service)] == [1, 2, 3]


async def test_a_malformed_person_ref_is_refused(service: InsuranceService) -> None:
    answer = await service.client.get("/ledgers/pr1_nothex")
    assert (answer.status_code, answer.json()["error"]) == (422, "invalid-person-ref")


# -- retirement city ------------------------------------------------------------------------------


async def test_a_retirement_request_is_accepted_for_the_bus_and_followed_by_its_id(
    service: InsuranceService,
) -> None:
    answer = await service.client.post(
        "/retirement-requests",
        json={"resident_id": ALICE, "retirement_date": "2026-10-01", "chosen_city": "cd"},
    )
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert answer.headers["location"] == f"/retirement-requests/{body['request_id']}"
    assert (body["state"], body["sex"], body["requested_in"], body["chosen_city"]) == (
        "submitted",
        "male",
        "cq",
        "cd",
    )
    assert body["waiting_for"]
    followed = await service.client.get(answer.headers["location"])
    assert followed.json() == body
    [event] = await outbox(service)
    assert event["type"] == "cn.chengyu.medins.retirement-city-claimed.v1"
    assert event["data"]["chosen_city"] == "cd" and event["data"]["sex"] == "male"
    missing = await service.client.get("/retirement-requests/ret-cq-nope")
    assert (missing.status_code, missing.json()["error"]) == (404, "unknown-request")


BAD_REQUESTS = [
    ({"resident_id": BAD_CHECK_DIGIT}, "bad-check-digit"),
    ({"sex": "female"}, "sex-does-not-match-id"),
    ({"sex": "other"}, "unknown-sex"),
    ({"chosen_city": "xa"}, "unknown-city"),
    ({"retirement_date": "2026-02-30"}, "invalid-date"),
    ({"retirement_date": "2024-12-31"}, "no-policy-in-force"),
    ({"retirement_date": 20261001}, "invalid-request"),
]


@pytest.mark.parametrize(("change", "code"), BAD_REQUESTS)
async def test_a_bad_retirement_request_is_refused_and_writes_nothing(
    service: InsuranceService, change: dict[str, object], code: str
) -> None:
    body = {"resident_id": ALICE, "retirement_date": "2026-10-01", "chosen_city": "cq"}
    answer = await service.client.post("/retirement-requests", json={**body, **change})
    assert (answer.status_code, answer.json()["error"]) == (422, code), answer.text
    assert set((await rows_written(service.pool)).values()) == {0}


# -- long-term care ---------------------------------------------------------------------------


async def test_an_assessment_is_recorded_published_and_listed_for_the_person(
    service: InsuranceService,
) -> None:
    answer = await service.client.post(
        "/care-assessments",
        json={
            "resident_id": ALICE,
            "level": "moderate",
            "scale_version": "nhsa-ltc-2021",
            "concluded_on": "2026-09-01",
            "valid_until": "2028-08-31",
        },
    )
    assert answer.status_code == 201, answer.text
    assessment = answer.json()
    assert (assessment["city"], assessment["level"], assessment["recognition"]) == (
        "cq",
        "moderate",
        None,
    )
    shown = await service.client.get(f"/care-assessments/{assessment['assessment_id']}")
    assert shown.json() == assessment
    listed = await service.client.post("/care-recognitions/lookup", json={"resident_id": ALICE})
    assert listed.json()["assessments"] == [assessment]
    [event] = await outbox(service)
    assert event["type"] == "cn.chengyu.medins.care-assessment-concluded.v1"
    missing = await service.client.get("/care-assessments/ltc-cq-nope")
    assert (missing.status_code, missing.json()["error"]) == (404, "unknown-assessment")


BAD_ASSESSMENTS = [
    ({"level": "extreme"}, "unknown-level", "severe, moderate or mild"),
    ({"valid_until": "2026-08-31"}, "valid-until-before-concluded", "2026-08-31"),
    ({"concluded_on": "2026-10-16"}, "concluded-in-future", "2026-10-15"),
    ({"concluded_on": "01/09/2026"}, "invalid-date", "concluded_on"),
    ({"scale_version": "  "}, "invalid-scale-version", "scale"),
    ({"resident_id": "not a number"}, "wrong-length", "18 characters"),
]


@pytest.mark.parametrize(("change", "code", "fragment"), BAD_ASSESSMENTS)
async def test_a_bad_assessment_is_refused_naming_the_problem_and_writes_nothing(
    service: InsuranceService, change: dict[str, object], code: str, fragment: str
) -> None:
    body = {
        "resident_id": ALICE,
        "level": "severe",
        "scale_version": "nhsa-ltc-2021",
        "concluded_on": "2026-09-01",
        "valid_until": "2028-08-31",
    }
    answer = await service.client.post("/care-assessments", json={**body, **change})
    assert (answer.status_code, answer.json()["error"]) == (422, code), answer.text
    assert fragment in answer.json()["message"]
    assert set((await rows_written(service.pool)).values()) == {0}
