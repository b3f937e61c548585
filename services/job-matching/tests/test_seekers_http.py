"""The seekers area's routes on the service's real app and a real PostgreSQL (no Kafka:
events stay in the outbox): register, restate, consent, deregister, show, list and batch;
4xx answers naming each problem with nothing written; and never a name, phone or ID number
in an answer (but masked, to this city's clerk) or an event."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from seekers_bus import NAME, PHONE, personal_data_in, resident, seeker_fields
from seekers_http import Served, serve

from chengyu_kit.local.oidc import OidcProvider

pytestmark = pytest.mark.integration

ALICE = resident(11, sex="female")
BOB = resident(12)
BAD_CHECK_DIGIT = ALICE[:17] + ("0" if ALICE[17] != "0" else "1")
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
SHARED = "cn.chengyu.hr.job-seeker-profile-shared.v1"
WITHDRAWN = "cn.chengyu.hr.job-seeker-consent-withdrawn.v1"


@pytest.fixture
async def cq(database: str, tmp_path: Path, oidc_provider: OidcProvider) -> AsyncIterator[Served]:
    async for service in serve(database, oidc_provider, tmp_path):
        yield service


def nothing_personal(payload: object) -> None:
    assert personal_data_in(payload, ALICE, BOB, BAD_CHECK_DIGIT) == []


async def register(cq: Served, id_number: str = ALICE, **fields: Any) -> dict[str, Any]:
    answer = await cq.client.post("/seekers", json=seeker_fields(id_number, **fields))
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def events(cq: Served) -> list[tuple[str, dict[str, Any]]]:
    found = [(e["type"], e["data"]) for e in await cq.outbox()]
    nothing_personal(found)
    return found


async def test_a_consenting_seeker_is_registered_under_a_random_ref_and_shared_pseudonymously(
    cq: Served,
) -> None:
    body = await register(cq)
    nothing_personal(body)
    ref = body.pop("seeker_ref")
    assert UUID4.match(ref)
    assert body == {
        "city": "cq",
        "version": 1,
        "shared": True,
        "active": True,
        "groups": ["college-graduate"],
        "graduation_year": 2025,
        "occupation_codes": ["2-02-10-03"],
        "skills": ["Python", "SQL"],
        "interests": ["数据库", "后端开发"],
        "education": "bachelor",
        "desired_cities": ["cq", "cd"],
        "desired_districts": ["500103", "510107"],
        "home_district": "500103",
        "salary_floor_yuan": 6000,
        "willing_to_move": True,
        "commute_radius_km": 20,
        # Masked, for this city's clerk.
        "contact": {"name": "王**", "phone": "139****5678"},
    }
    [(kind, data)] = await events(cq)
    assert kind == SHARED
    assert data == {
        "seeker_ref": ref,
        "city": "cq",
        "version": 1,
        "groups": ["college-graduate"],
        "graduation_year": 2025,
        "occupation_codes": ["2-02-10-03"],
        "skills": ["Python", "SQL"],
        "interests": ["数据库", "后端开发"],
        "education": "bachelor",
        "desired_cities": ["cq", "cd"],
        "desired_districts": ["500103", "510107"],
        "home_district": "500103",
        "salary_floor_yuan": 6000,
        "willing_to_move": True,
        "commute_radius_km": 20,
        "shared_at": "2026-03-02T04:00:00Z",
    }
    # The name and phone are kept here (in seeker_identity), never the ID number.
    identity = await cq.pool.fetchrow("SELECT * FROM seeker_identity")
    assert identity is not None
    assert (identity["seeker_ref"], identity["name"], identity["phone"]) == (ref, NAME, PHONE)
    assert ALICE not in str(await cq.everything())
    assert identity["person_ref"] != ref


async def test_a_seeker_without_consent_is_registered_here_only(cq: Served) -> None:
    body = await register(cq, consent_other_city=False)
    assert (body["shared"], body["version"]) == (False, 1)
    assert await cq.outbox() == []


async def test_the_same_person_registering_again_is_refused_naming_the_seeker(
    cq: Served,
) -> None:
    first = await register(cq)
    before = await cq.everything()
    again = await cq.client.post(
        "/seekers",
        json=seeker_fields(f" {ALICE.lower()} ", groups=["veteran"], graduation_year=None),
    )
    assert again.status_code == 409
    assert again.json()["error"] == "seeker-exists"
    assert first["seeker_ref"] in again.json()["message"]
    nothing_personal(again.json())
    assert await cq.everything() == before


BAD_INPUT: list[tuple[dict[str, Any], str, str]] = [
    ({"id_number": BAD_CHECK_DIGIT}, "bad-check-digit", "check digit"),
    ({"id_number": "12345"}, "wrong-length", "18 characters"),
    ({"phone": "12345"}, "invalid-phone", "phone"),
    ({"name": " "}, "invalid-name", "name"),
    ({"groups": ["student"]}, "unknown-group", "key group"),
    ({"graduation_year": None}, "graduation-year-required", "graduation_year"),
    ({"groups": ["veteran"]}, "graduation-year-without-graduate", "graduation_year"),
    ({"occupation_codes": ["2-99-99-99"]}, "unknown-occupation", "2-99-99-99"),
    ({"occupation_codes": ["programmer"]}, "invalid-occupation-code", "X-XX-XX-XX"),
    ({"occupation_codes": []}, "invalid-occupation-count", "occupation_codes"),
    ({"interests": [f"词{n}" for n in range(21)]}, "too-many-interests", "interests"),
    ({"interests": ["电话13912345678"]}, "personal-data-in-text", "interests"),
    ({"education": "college"}, "unknown-education", "education"),
    ({"desired_cities": ["cq"]}, "district-not-in-desired-cities", "510107"),
    ({"home_district": "510107"}, "unknown-district", "Chongqing"),
    ({"salary_floor_yuan": 0}, "invalid-salary-floor", "salary_floor_yuan"),
    ({"commute_radius_km": 0}, "invalid-commute-radius", "commute_radius_km"),
    ({"commute_radius_km": 501}, "invalid-commute-radius", "commute_radius_km"),
    ({"willing_to_move": "yes"}, "invalid-request", "willing_to_move"),
    ({"consent_other_city": None}, "invalid-request", "consent_other_city"),
    ({"address": "解放碑"}, "invalid-request", "address"),
]


@pytest.mark.parametrize(("fields", "code", "named"), BAD_INPUT)
async def test_bad_input_is_refused_naming_the_problem_and_nothing_is_written(
    cq: Served, fields: dict[str, Any], code: str, named: str
) -> None:
    answer = await cq.client.post("/seekers", json={**seeker_fields(ALICE), **fields})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == code
    assert named in answer.json()["message"]
    nothing_personal(answer.json())
    assert "13912345678" not in answer.text
    assert await cq.everything() == []


async def test_a_restatement_is_the_next_version_shared_again_and_an_unchanged_one_writes_nothing(
    cq: Served,
) -> None:
    ref = (await register(cq))["seeker_ref"]
    moved = await cq.client.put(
        f"/seekers/{ref}", json=seeker_fields(None, commute_radius_km=35, phone="13800001111")
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["version"], moved.json()["commute_radius_km"]) == (2, 35)
    assert moved.json()["contact"] == {"name": "王**", "phone": "138****1111"}
    shared = await events(cq)
    assert [(k, d["version"], d["commute_radius_km"]) for k, d in shared] == [
        (SHARED, 1, 20),
        (SHARED, 2, 35),
    ]
    assert "13800001111" not in str(shared)

    before = await cq.everything()
    same = await cq.client.put(
        f"/seekers/{ref}", json=seeker_fields(None, commute_radius_km=35, phone="13800001111")
    )
    assert (same.status_code, same.json()["version"]) == (200, 2)
    assert await cq.everything() == before

    # Consent no longer given in a restatement: withdrawn from the other city.
    private = await cq.client.put(
        f"/seekers/{ref}", json=seeker_fields(None, commute_radius_km=35, consent_other_city=False)
    )
    assert (private.json()["version"], private.json()["shared"]) == (3, False)
    assert (await events(cq))[-1] == (
        WITHDRAWN,
        {"seeker_ref": ref, "city": "cq", "version": 3, "withdrawn_at": "2026-03-02T04:00:00Z"},
    )


async def test_a_restatement_carries_no_id_number_and_is_checked_like_a_registration(
    cq: Served,
) -> None:
    ref = (await register(cq))["seeker_ref"]
    before = await cq.everything()
    with_id = await cq.client.put(f"/seekers/{ref}", json=seeker_fields(ALICE))
    assert (with_id.status_code, with_id.json()["error"]) == (422, "invalid-request")
    assert "id_number" in with_id.json()["message"]
    bad = await cq.client.put(f"/seekers/{ref}", json=seeker_fields(None, commute_radius_km=0))
    assert (bad.status_code, bad.json()["error"]) == (422, "invalid-commute-radius")
    unknown = await cq.client.put("/seekers/no-such-seeker", json=seeker_fields(None))
    assert (unknown.status_code, unknown.json()["error"]) == (404, "unknown-seeker")
    assert await cq.everything() == before


async def test_consent_withdrawn_and_given_again_is_published_each_time_once(
    cq: Served,
) -> None:
    ref = (await register(cq))["seeker_ref"]
    withdrawn = await cq.client.post(f"/seekers/{ref}/consent", json={"given": False})
    assert withdrawn.status_code == 200, withdrawn.text
    assert (withdrawn.json()["shared"], withdrawn.json()["version"]) == (False, 2)
    before = await cq.everything()
    again = await cq.client.post(f"/seekers/{ref}/consent", json={"given": False})
    assert (again.status_code, again.json()["version"]) == (200, 2)
    assert await cq.everything() == before

    given = await cq.client.post(f"/seekers/{ref}/consent", json={"given": True})
    assert (given.json()["shared"], given.json()["version"]) == (True, 3)
    assert [(k, d["version"]) for k, d in await events(cq)] == [
        (SHARED, 1),
        (WITHDRAWN, 2),
        (SHARED, 3),
    ]
    bad = await cq.client.post(f"/seekers/{ref}/consent", json={"given": "no"})
    assert (bad.status_code, bad.json()["error"]) == (422, "invalid-request")


async def test_deregistration_withdraws_the_seeker_and_registering_again_reactivates_them(
    cq: Served,
) -> None:
    ref = (await register(cq))["seeker_ref"]
    gone = await cq.client.post(f"/seekers/{ref}/deregister")
    assert gone.status_code == 200, gone.text
    assert (gone.json()["active"], gone.json()["shared"], gone.json()["version"]) == (
        False,
        False,
        2,
    )
    assert (await events(cq))[-1][0] == WITHDRAWN
    shown = await cq.client.get(f"/seekers/{ref}")
    assert (shown.status_code, shown.json()["active"]) == (200, False)
    listed = await cq.client.get("/seekers")
    assert listed.json()["total"] == 0

    before = await cq.everything()
    for refused in (
        await cq.client.put(f"/seekers/{ref}", json=seeker_fields(None)),
        await cq.client.post(f"/seekers/{ref}/consent", json={"given": True}),
    ):
        assert (refused.status_code, refused.json()["error"]) == (409, "seeker-deregistered")
    twice = await cq.client.post(f"/seekers/{ref}/deregister")
    assert (twice.status_code, twice.json()["version"]) == (200, 2)
    assert await cq.everything() == before

    back = await register(cq)
    assert (back["seeker_ref"], back["version"], back["active"]) == (ref, 3, True)
    assert [(k, d["version"]) for k, d in await events(cq)] == [
        (SHARED, 1),
        (WITHDRAWN, 2),
        (SHARED, 3),
    ]


async def test_a_seeker_is_shown_masked_to_this_citys_clerk_and_without_contact_to_a_reader(
    cq: Served, oidc_provider: OidcProvider
) -> None:
    ref = (await register(cq))["seeker_ref"]
    shown = await cq.client.get(f"/seekers/{ref}")
    assert shown.status_code == 200
    assert shown.json()["contact"] == {"name": "王**", "phone": "139****5678"}
    nothing_personal(shown.json())

    token = oidc_provider.token("cq", audience="job-matching", role="reader", agency="hr")
    headers = {"Authorization": f"Bearer {token}"}
    read = await cq.client.get(f"/seekers/{ref}", headers=headers)
    assert read.status_code == 200, read.text
    assert read.json()["contact"] is None
    unknown = await cq.client.get("/seekers/no-such-seeker")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "unknown-seeker")


async def test_the_list_holds_profiles_only_by_city_and_group(cq: Served) -> None:
    alice = (await register(cq))["seeker_ref"]
    bob = (
        await register(
            cq, BOB, groups=["migrant-worker", "veteran"], graduation_year=None, name="赵四"
        )
    )["seeker_ref"]
    everyone = await cq.client.get("/seekers")
    assert everyone.status_code == 200, everyone.text
    body = everyone.json()
    assert body["total"] == 2
    assert sorted(s["seeker_ref"] for s in body["seekers"]) == sorted([alice, bob])
    assert all(s["contact"] is None for s in body["seekers"])
    nothing_personal(body)
    assert "赵" not in str(body)

    veterans = await cq.client.get("/seekers", params={"group": "veteran", "city": "cq"})
    assert [s["seeker_ref"] for s in veterans.json()["seekers"]] == [bob]
    assert (await cq.client.get("/seekers", params={"city": "cd"})).json()["total"] == 0
    page = await cq.client.get("/seekers", params={"per_page": 1, "page": 2})
    assert (len(page.json()["seekers"]), page.json()["total"]) == (1, 2)
    for params, code in (
        ({"group": "student"}, "unknown-group"),
        ({"city": "sh"}, "unknown-city"),
        ({"per_page": 0}, "invalid-page"),
    ):
        refused = await cq.client.get("/seekers", params=params)
        assert (refused.status_code, refused.json()["error"]) == (422, code)


async def test_a_batch_registers_good_rows_refuses_bad_ones_by_index_and_can_be_sent_again(
    cq: Served,
) -> None:
    rows = [
        seeker_fields(ALICE),
        seeker_fields(BOB, commute_radius_km=900),
        seeker_fields(BOB, consent_other_city=False, groups=["other"], graduation_year=None),
        {"id_number": ALICE},
        seeker_fields(ALICE, groups=["veteran"], graduation_year=None),
    ]
    answer = await cq.client.post("/seekers/batch", json={"seekers": rows})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    nothing_personal(report)
    assert [a["index"] for a in report["accepted"]] == [0, 2]
    assert [(r["index"], r["code"]) for r in report["refused"]] == [
        (1, "invalid-commute-radius"),
        (3, "invalid-request"),
        (4, "seeker-exists"),
    ]
    assert "name" in report["refused"][1]["message"]
    # Only the consenting seeker is published.
    assert [d["seeker_ref"] for _, d in await events(cq)] == [report["accepted"][0]["seeker_ref"]]

    before = await cq.everything()
    again = await cq.client.post("/seekers/batch", json={"seekers": rows})
    assert again.json() == report
    assert await cq.everything() == before


async def test_a_batch_is_at_most_a_thousand_rows(cq: Served) -> None:
    answer = await cq.client.post("/seekers/batch", json={"seekers": [{}] * 1001})
    assert (answer.status_code, answer.json()["error"]) == (422, "invalid-request")
    assert await cq.everything() == []


async def test_another_citys_clerk_cannot_register_here(
    cq: Served, oidc_provider: OidcProvider
) -> None:
    token = oidc_provider.token("cd", audience="job-matching", role="clerk", agency="hr")
    answer = await cq.client.post(
        "/seekers",
        json=seeker_fields(ALICE),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code in (401, 403)
    assert isinstance(answer, httpx.Response)
    assert await cq.everything() == []
