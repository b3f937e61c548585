"""The rare-blood registry's routes on the service's real app and a real PostgreSQL (no
Kafka: events stay in the outbox): every route, the 4xx answers naming each problem with
nothing written, and never a name, phone or ID number in an event or a search's answer."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from blood_rare_bus import NOW, TABLES, donor_fields, ref, resident
from blood_rare_http import Served, serve

from chengyu_kit.local.oidc import OidcProvider

pytestmark = pytest.mark.integration

ALICE = resident(11)
BOB = resident(12)
BAD_CHECK_DIGIT = ALICE[:17] + ("0" if ALICE[17] != "0" else "1")
NAME, PHONE = "李秀英", "13912345678"


@pytest.fixture
async def cq(database: str, tmp_path: Path, oidc_provider: OidcProvider) -> AsyncIterator[Served]:
    async for service in serve(database, oidc_provider, tmp_path, now=NOW):
        yield service


def no_personal_data(payload: object) -> None:
    text = json.dumps(payload, ensure_ascii=False)
    for secret in (ALICE, BOB, NAME, PHONE):
        assert secret not in text


async def register(cq: Served, id_number: str = ALICE, **fields: Any) -> dict[str, Any]:
    answer = await cq.client.post("/rare-donors", json=donor_fields(id_number, **fields))
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_a_donor_is_registered_pseudonymously_and_published_without_personal_data(
    cq: Served,
) -> None:
    body = await register(cq, last_donation_on="2026-01-10")
    assert body == {
        "donor_ref": ref(ALICE),
        "city": "cq",
        "version": 1,
        "abo": "O",
        "rhd": "neg",
        "phenotypes": ["Jk(a-b-)", "RhD-neg"],
        "consent": "given",
        "last_donation_on": "2026-01-10",
        # GB 18467: six months after whole blood.
        "available_on": "2026-07-09",
        "contact": None,
        "changed": True,
    }
    [event] = await cq.outbox()
    assert event["type"] == "cn.chengyu.blood.rare-donor-registered.v1"
    assert event["data"] == {
        "donor_ref": ref(ALICE),
        "city": "cq",
        "version": 1,
        "abo": "O",
        "rhd": "neg",
        "phenotypes": ["Jk(a-b-)"],
        "last_donation_on": "2026-01-10",
        "available_on": "2026-07-09",
    }
    no_personal_data(event)

    # The centre's own clerks see the contact, and only on its own donor.
    shown = await cq.client.get(f"/rare-donors/{ref(ALICE)}")
    assert shown.status_code == 200
    assert shown.json()["contact"] == {"name": NAME, "phone": PHONE}


async def test_restating_a_donor_unchanged_writes_nothing_and_a_change_is_a_new_version(
    cq: Served,
) -> None:
    await register(cq)
    before = await cq.rows()
    again = await register(cq)
    assert (again["version"], again["changed"]) == (1, False)
    assert await cq.rows() == before

    moved = await register(cq, phone="13800001111", phenotypes=["Jk(a-b-)", "Di(b-)"])
    assert (moved["version"], moved["changed"]) == (2, True)
    events = await cq.outbox()
    assert [e["data"]["version"] for e in events] == [1, 2]
    assert events[1]["data"]["phenotypes"] == ["Di(b-)", "Jk(a-b-)"]
    for event in events:
        no_personal_data(event)
        assert "13800001111" not in json.dumps(event)


async def test_a_search_answers_pseudonymous_consenting_donors_with_their_availability(
    cq: Served,
) -> None:
    await register(cq, last_donation_on="2026-01-10")
    await register(cq, BOB, abo="A", phenotypes=[], last_donation_on=None)
    found = await cq.client.get("/rare-donors/search", params={"phenotype": "RhD-neg"})
    assert found.status_code == 200, found.text
    body = found.json()
    no_personal_data(body)
    assert body["today"] == "2026-03-02"
    assert [
        (m["donor_ref"], m["city"], m["available_now"], m["available_on"]) for m in body["items"]
    ] == [
        (ref(BOB), "cq", True, None),
        (ref(ALICE), "cq", False, "2026-07-09"),
    ]
    only_o = await cq.client.get(
        "/rare-donors/search", params={"phenotype": "RhD-neg", "abo": "O", "rhd": "neg"}
    )
    assert [m["donor_ref"] for m in only_o.json()["items"]] == [ref(ALICE)]
    jk = await cq.client.get("/rare-donors/search", params={"phenotype": "Jk(a-b-)"})
    assert [m["donor_ref"] for m in jk.json()["items"]] == [ref(ALICE)]
    positive = await cq.client.get(
        "/rare-donors/search", params={"phenotype": "RhD-neg", "rhd": "pos"}
    )
    assert positive.json()["items"] == []


async def test_a_consent_withdrawal_removes_the_donor_from_searches_at_once(cq: Served) -> None:
    await register(cq)
    withdrawn = await cq.client.post(f"/rare-donors/{ref(ALICE)}/consent-withdrawal")
    assert withdrawn.status_code == 200, withdrawn.text
    assert (withdrawn.json()["consent"], withdrawn.json()["version"]) == ("withdrawn", 2)
    found = await cq.client.get("/rare-donors/search", params={"phenotype": "Jk(a-b-)"})
    assert found.json()["items"] == []
    events = await cq.outbox()
    assert events[-1]["type"] == "cn.chengyu.blood.rare-donor-consent-withdrawn.v1"
    assert events[-1]["data"] == {
        "donor_ref": ref(ALICE),
        "city": "cq",
        "version": 2,
        "withdrawn_on": "2026-03-02",
    }
    # A second withdrawal writes nothing; a recall of the donor is refused.
    before = await cq.rows()
    again = await cq.client.post(f"/rare-donors/{ref(ALICE)}/consent-withdrawal")
    assert (again.status_code, again.json()["changed"]) == (200, False)
    recall = await cq.client.post(
        "/recalls", json={"donor_ref": ref(ALICE), "urgency": "urgent", "needed_by": "2026-03-05"}
    )
    assert (recall.status_code, recall.json()["error"]) == (409, "no-consent")
    assert await cq.rows() == before
    # A donation is still recorded here, but nothing leaves for the other city.
    donated = await cq.client.post(
        f"/rare-donors/{ref(ALICE)}/donations", json={"donated_on": "2026-03-01"}
    )
    assert donated.status_code == 201
    assert len(await cq.outbox()) == len(events)


async def test_a_donation_moves_the_availability_and_is_published(cq: Served) -> None:
    await register(cq)
    donated = await cq.client.post(
        f"/rare-donors/{ref(ALICE)}/donations",
        json={"donated_on": "2026-02-20", "kind": "apheresis"},
    )
    assert donated.status_code == 201, donated.text
    assert (donated.json()["version"], donated.json()["last_donation_on"]) == (2, "2026-02-20")
    # GB 18467: whole blood 28 days after an apheresis donation.
    assert donated.json()["available_on"] == "2026-03-20"
    event = (await cq.outbox())[-1]["data"]
    assert (event["version"], event["available_on"]) == (2, "2026-03-20")
    before = await cq.rows()
    again = await cq.client.post(
        f"/rare-donors/{ref(ALICE)}/donations",
        json={"donated_on": "2026-02-20", "kind": "apheresis"},
    )
    assert (again.status_code, again.json()["changed"]) == (201, False)
    assert await cq.rows() == before


async def test_a_recall_of_this_citys_own_donor_is_answered_here_once(cq: Served) -> None:
    await register(cq)
    asked = await cq.client.post(
        "/recalls", json={"donor_ref": ref(ALICE), "urgency": "urgent", "needed_by": "2026-03-05"}
    )
    assert asked.status_code == 201, asked.text
    recall = asked.json()
    assert (recall["state"], recall["donor_city"], recall["requesting_city"]) == (
        "requested",
        "cq",
        "cq",
    )
    listed = await cq.client.get("/recalls", params={"state": "requested"})
    assert [r["recall_id"] for r in listed.json()["items"]] == [recall["recall_id"]]
    no_personal_data(listed.json())

    answered = await cq.client.post(
        f"/recalls/{recall['recall_id']}/answer", json={"answer": "will-donate"}
    )
    assert answered.status_code == 200, answered.text
    assert (answered.json()["state"], answered.json()["answer"]) == ("will-donate", "will-donate")
    shown = await cq.client.get(f"/recalls/{recall['recall_id']}")
    assert shown.json() == answered.json()
    assert (await cq.client.get("/recalls", params={"state": "requested"})).json()["items"] == []

    before = await cq.rows()
    twice = await cq.client.post(
        f"/recalls/{recall['recall_id']}/answer", json={"answer": "declined"}
    )
    assert (twice.status_code, twice.json()["error"]) == (409, "recall-answered")
    assert await cq.rows() == before
    types = [e["type"].split(".")[-2] for e in await cq.outbox()]
    assert types == [
        "rare-donor-registered",
        "rare-donor-recall-requested",
        "rare-donor-recall-answered",
    ]
    for event in await cq.outbox():
        no_personal_data(event)


@pytest.mark.parametrize(
    ("fields", "status", "error", "named"),
    [
        ({"id_number": BAD_CHECK_DIGIT}, 422, "bad-check-digit", "check digit"),
        ({"phenotypes": ["Kell-null"]}, 422, "unknown-phenotype", "Kell-null"),
        ({"abo": "C"}, 422, "unknown-abo", "ABO"),
        ({"rhd": "+"}, 422, "unknown-rhd", "RhD"),
        ({"rhd": "pos", "phenotypes": []}, 422, "not-rare", "rare phenotype"),
        ({"rhd": "pos", "phenotypes": ["RhD-neg"]}, 422, "inconsistent-rhd", "rhd neg"),
        ({"consent_given": False}, 422, "consent-required", "consent"),
        ({"name": " "}, 422, "invalid-name", "name"),
        ({"phone": "12345"}, 422, "invalid-phone", "phone"),
        ({"last_donation_on": "2026-02-30"}, 422, "invalid-date", "last_donation_on"),
        ({"last_donation_on": "2026-03-03"}, 422, "date-in-future", "2026-03-02"),
        ({"last_donation_kind": "plasma"}, 422, "unknown-donation-kind", "apheresis"),
        ({"phenotypes": "Rh-null"}, 422, "invalid-request", "phenotypes"),
    ],
)
async def test_a_bad_registration_is_refused_naming_the_problem_and_writes_nothing(
    cq: Served, fields: dict[str, Any], status: int, error: str, named: str
) -> None:
    answer = await cq.client.post("/rare-donors", json={**donor_fields(ALICE), **fields})
    assert (answer.status_code, answer.json()["error"]) == (status, error), answer.text
    assert named in answer.json()["message"]
    assert ALICE not in answer.text
    assert await cq.rows() == dict.fromkeys(TABLES, 0)


@pytest.mark.parametrize(
    ("params", "error", "named"),
    [
        ({"phenotype": "Kell-null"}, "unknown-phenotype", "Kell-null"),
        ({"phenotype": "Rh-null", "abo": "Z"}, "unknown-abo", "ABO"),
        ({"phenotype": "Rh-null", "rhd": "maybe"}, "unknown-rhd", "RhD"),
        ({}, "invalid-request", "phenotype"),
    ],
)
async def test_a_bad_search_is_refused_naming_the_problem(
    cq: Served, params: dict[str, str], error: str, named: str
) -> None:
    answer = await cq.client.get("/rare-donors/search", params=params)
    assert (answer.status_code, answer.json()["error"]) == (422, error), answer.text
    assert named in answer.json()["message"]


async def test_bad_recalls_donations_and_answers_are_refused_and_write_nothing(
    cq: Served,
) -> None:
    await register(cq, last_donation_on="2026-02-01")
    before = await cq.rows()
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        (
            "/recalls",
            {"donor_ref": "pr1_" + "0" * 64, "urgency": "urgent", "needed_by": "2026-03-05"},
            404,
            "unknown-donor",
        ),
        (
            "/recalls",
            {"donor_ref": ref(ALICE), "urgency": "soon", "needed_by": "2026-03-05"},
            422,
            "unknown-urgency",
        ),
        (
            "/recalls",
            {"donor_ref": ref(ALICE), "urgency": "routine", "needed_by": "2026-03-01"},
            422,
            "needed-by-past",
        ),
        (f"/rare-donors/{ref(BOB)}/donations", {"donated_on": "2026-03-01"}, 404, "unknown-donor"),
        (
            f"/rare-donors/{ref(ALICE)}/donations",
            {"donated_on": "2026-01-01"},
            422,
            "donation-out-of-order",
        ),
        (
            f"/rare-donors/{ref(ALICE)}/donations",
            {"donated_on": "2026-03-09"},
            422,
            "date-in-future",
        ),
        (
            f"/rare-donors/{ref(ALICE)}/donations",
            {"donated_on": "2026-03-01", "kind": "x"},
            422,
            "unknown-donation-kind",
        ),
        (f"/rare-donors/{ref(BOB)}/consent-withdrawal", {}, 404, "unknown-donor"),
        ("/recalls/rcl-cq-none/answer", {"answer": "declined"}, 404, "unknown-recall"),
        (
            "/rare-donors",
            donor_fields(ALICE, last_donation_on="2026-01-15"),
            422,
            "donation-out-of-order",
        ),
    ]
    for path, body, status, error in cases:
        answer = await cq.client.post(path, json=body)
        assert (answer.status_code, answer.json()["error"]) == (status, error), (path, answer.text)
    assert await cq.rows() == before
    asked = await cq.client.post(
        "/recalls", json={"donor_ref": ref(ALICE), "urgency": "urgent", "needed_by": "2026-03-05"}
    )
    before = await cq.rows()
    bad_answer = await cq.client.post(
        f"/recalls/{asked.json()['recall_id']}/answer", json={"answer": "maybe"}
    )
    assert (bad_answer.status_code, bad_answer.json()["error"]) == (422, "unknown-answer")
    assert await cq.rows() == before
    for path in ("/recalls/rcl-cq-none", f"/rare-donors/{ref(BOB)}"):
        missing = await cq.client.get(path)
        assert missing.status_code == 404
    unknown_state = await cq.client.get("/recalls", params={"state": "lost"})
    assert (unknown_state.status_code, unknown_state.json()["error"]) == (
        422,
        "unknown-recall-state",
    )
