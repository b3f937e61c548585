"""The personnel-files HTTP API of one city on a real PostgreSQL (no Kafka: events stay in
the outbox; the other city's events are applied through the handlers' use cases): every
route, as the holding and as the receiving city; bad input, the wrong city and a step out
of turn answered 4xx naming the problem, with nothing written; no answer carries an ID
number."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from files_bus import NOW, id_number
from files_http import Served, serve

from chengyu_contracts.events.hr import (
    PersonnelFileDispatched,
    PersonnelFileHeld,
    PersonnelFileTransferRequested,
)
from chengyu_job_matching.personnel_files import usecases as files
from chengyu_job_matching.policy import default_policy_book
from chengyu_kit.local.oidc import OidcProvider

pytestmark = pytest.mark.integration

BOOK = default_policy_book()
REGISTER = {
    "id_number": id_number(1),
    "centre_id": "cq-centre-1",
    "centre_name": "重庆市人才交流服务中心",
    "held_since": "2020-07-01",
}


@pytest.fixture
async def chongqing(
    database: str, oidc_provider: OidcProvider, tmp_path: Path
) -> AsyncIterator[Served]:
    async for served in serve(database, oidc_provider, tmp_path, city="cq"):
        yield served


@pytest.fixture
async def chengdu(
    database: str, oidc_provider: OidcProvider, tmp_path: Path
) -> AsyncIterator[Served]:
    async for served in serve(database, oidc_provider, tmp_path, city="cd"):
        yield served


async def refused(
    service: Served, path: str, body: dict[str, Any] | None = None
) -> tuple[int, str]:
    """POST ``body`` to ``path``, expecting a refusal that writes nothing."""
    before = await service.everything()
    answer = await service.client.post(path, json=body)
    assert 400 <= answer.status_code < 500, answer.text
    assert await service.everything() == before
    assert id_number(1) not in answer.text
    return answer.status_code, answer.json()["error"]


async def posted(service: Served, path: str, body: dict[str, Any] | None = None) -> Any:
    answer = await service.client.post(path, json=body)
    assert answer.status_code in (200, 201), answer.text
    assert id_number(1) not in answer.text
    return answer.json()


async def person_ref(service: Served, sequence: int = 1) -> str:
    found = await posted(service, "/personnel-files/lookup", {"id_number": id_number(sequence)})
    return str(found["person_ref"])


async def chongqing_holds(chengdu: Served, sequence: int = 1) -> str:
    """Chongqing's index says it holds person ``sequence``'s file (its event, applied here);
    the person_ref."""
    ref = await person_ref(chengdu, sequence)
    held = PersonnelFileHeld(
        person_ref=ref,
        city="cq",
        version=1,
        held=True,
        centre_id="cq-centre-1",
        centre_name="重庆市人才交流服务中心",
        held_since=date(2020, 7, 1),
    )
    async with chengdu.runtime.unit() as unit:
        await files.receive_held(held, unit)
    return ref


async def chengdu_asks(chongqing: Served) -> str:
    """Chongqing holds person 1's file and Chengdu asked for it (its event, applied here)."""
    await posted(chongqing, "/personnel-files", REGISTER)
    ref = await person_ref(chongqing)
    asked = PersonnelFileTransferRequested(
        transfer_id="pft-cd-1",
        person_ref=ref,
        holder_city="cq",
        to_city="cd",
        to_centre_id="cd-centre-9",
        requested_at=NOW,
        dispatch_by=date(2026, 10, 15),
    )
    async with chongqing.runtime.unit() as unit:
        await files.receive_requested(asked, unit)
    return asked.transfer_id


async def test_the_routes_are_served(chongqing: Served) -> None:
    paths = (await chongqing.client.get("/openapi.json")).json()["paths"]
    assert set(paths) >= {
        "/personnel-files",
        "/personnel-files/lookup",
        "/personnel-files/transfers",
        "/personnel-files/transfers/{transfer_id}",
        "/personnel-files/transfers/{transfer_id}/dispatch",
        "/personnel-files/transfers/{transfer_id}/receive",
        "/personnel-files/transfers/{transfer_id}/supplement",
        "/personnel-files/transfers/{transfer_id}/complete",
        "/personnel-files/certificates",
        "/personnel-files/certificates/{certificate_id}",
        "/personnel-files/certificates/{certificate_id}/answer",
    }


async def test_a_file_held_here_is_registered_published_and_found(chongqing: Served) -> None:
    held = await posted(chongqing, "/personnel-files", REGISTER)
    assert held == {
        "person_ref": held["person_ref"],
        "city": "cq",
        "version": 1,
        "held": True,
        "centre_id": "cq-centre-1",
        "centre_name": "重庆市人才交流服务中心",
        "held_since": "2020-07-01",
    }
    assert await chongqing.outbox_types() == ["personnel-file-held"]
    found = await posted(chongqing, "/personnel-files/lookup", {"id_number": id_number(1)})
    assert found == {
        "person_ref": held["person_ref"],
        "holdings": [
            {
                "city": "cq",
                "centre_id": "cq-centre-1",
                "centre_name": "重庆市人才交流服务中心",
                "held_since": "2020-07-01",
            }
        ],
    }
    nobody = await posted(chongqing, "/personnel-files/lookup", {"id_number": id_number(2)})
    assert nobody["holdings"] == []


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"id_number": "500103199005170001"}, 422, "bad-check-digit"),
        ({"held_since": (NOW.date() + timedelta(days=1)).isoformat()}, 422, "held-since-in-future"),
        ({"centre_id": "centre 1"}, 422, "bad-centre-id"),
        ({"centre_name": "联系电话 13812345678"}, 422, "personal-data-in-text"),
    ],
)
async def test_a_bad_registration_is_refused(
    chongqing: Served, change: dict[str, str], status: int, code: str
) -> None:
    assert await refused(chongqing, "/personnel-files", REGISTER | change) == (status, code)


async def test_a_file_is_registered_once(chongqing: Served) -> None:
    await posted(chongqing, "/personnel-files", REGISTER)
    assert await refused(chongqing, "/personnel-files", REGISTER) == (409, "file-held-here")


async def test_a_file_the_other_city_holds_is_not_registered_here(chengdu: Served) -> None:
    await chongqing_holds(chengdu)
    assert await refused(chengdu, "/personnel-files", REGISTER | {"centre_id": "cd-1"}) == (
        409,
        "file-held-in-other-city",
    )


async def test_the_receiving_city_asks_for_the_file_and_follows_it(chengdu: Served) -> None:
    ref = await chongqing_holds(chengdu)
    body = {"id_number": id_number(1), "to_centre_id": "cd-centre-9"}
    asked = await posted(chengdu, "/personnel-files/transfers", body)
    tid = asked["transfer_id"]
    assert (asked["holder_city"], asked["to_city"], asked["state"]) == ("cq", "cd", "requested")
    assert (asked["person_ref"], asked["dispatch_by"]) == (ref, "2026-10-15")
    assert (asked["waiting_for"], asked["due_on"], asked["overdue"]) == (
        "dispatch",
        "2026-10-15",
        False,
    )
    assert await chengdu.outbox_types() == ["personnel-file-transfer-requested"]
    # A second open transfer of the same file.
    assert await refused(chengdu, "/personnel-files/transfers", body) == (409, "transfer-open")
    # Only the holder dispatches or supplements.
    send = {"method": "confidential-courier", "tracking_number": "JY-2026-0001"}
    assert await refused(chengdu, f"/personnel-files/transfers/{tid}/dispatch", send) == (
        403,
        "not-the-holder",
    )
    # Nothing to receive yet.
    assert await refused(
        chengdu, f"/personnel-files/transfers/{tid}/receive", {"complete": True}
    ) == (409, "illegal-transition")
    dispatched = PersonnelFileDispatched(
        transfer_id=tid,
        person_ref=ref,
        holder_city="cq",
        to_city="cd",
        method="confidential-courier",
        tracking_number="JY-2026-0001",
        dispatched_at=NOW + timedelta(days=3),
        receive_by=date(2026, 10, 12),
    )
    async with chengdu.runtime.unit() as unit:
        await files.receive_dispatched(dispatched, unit, BOOK)
    receive = f"/personnel-files/transfers/{tid}/receive"
    assert await refused(chengdu, receive, {"complete": True, "missing_parts": ["履历表"]}) == (
        422,
        "missing-parts-of-complete-file",
    )
    assert await refused(chengdu, receive, {"complete": False}) == (422, "missing-parts-required")
    held = await posted(
        chengdu, receive, {"complete": False, "missing_parts": ["1998年招工登记表"]}
    )
    # Received Fri 09-18 (this clock): 09-20 (Sunday, worked), 09-21..24, 09-28..30, 10-08, 10-09.
    assert (held["state"], held["supplement_by"]) == ("incomplete", "2026-10-09")
    assert held["missing_parts"] == ["1998年招工登记表"]
    assert await refused(chengdu, f"/personnel-files/transfers/{tid}/supplement", send) == (
        403,
        "not-the-holder",
    )
    assert await refused(chengdu, f"/personnel-files/transfers/{tid}/complete") == (
        409,
        "illegal-transition",
    )
    seen = (await chengdu.client.get(f"/personnel-files/transfers/{tid}")).json()
    assert seen == held
    listed = (await chengdu.client.get("/personnel-files/transfers?state=incomplete")).json()
    assert [t["transfer_id"] for t in listed["transfers"]] == [tid]
    none = (await chengdu.client.get("/personnel-files/transfers?state=completed")).json()
    assert none["transfers"] == []
    bad = await chengdu.client.get("/personnel-files/transfers?state=lost")
    assert (bad.status_code, bad.json()["error"]) == (422, "unknown-state")


async def test_a_file_the_other_city_does_not_hold_cannot_be_asked_for(chengdu: Served) -> None:
    body = {"id_number": id_number(1), "to_centre_id": "cd-centre-9"}
    assert await refused(chengdu, "/personnel-files/transfers", body) == (
        404,
        "no-file-in-other-city",
    )
    # Held here, not there: nothing to ask for either.
    await posted(chengdu, "/personnel-files", REGISTER | {"centre_id": "cd-centre-1"})
    assert await refused(chengdu, "/personnel-files/transfers", body) == (
        404,
        "no-file-in-other-city",
    )


async def test_the_holder_dispatches_with_a_good_tracking_number(chongqing: Served) -> None:
    tid = await chengdu_asks(chongqing)
    path = f"/personnel-files/transfers/{tid}/dispatch"
    assert await refused(
        chongqing, path, {"method": "tracked-post", "tracking_number": "EMS 12"}
    ) == (422, "bad-tracking-number")
    assert await refused(chongqing, path, {"method": "pigeon", "tracking_number": "EMS12"}) == (
        422,
        "unknown-method",
    )
    # The receiving city's steps are not the holder's.
    assert await refused(
        chongqing, f"/personnel-files/transfers/{tid}/receive", {"complete": True}
    ) == (403, "not-the-receiving-city")
    sent = await posted(chongqing, path, {"method": "tracked-post", "tracking_number": "EMS12"})
    assert sent["state"] == "dispatched"
    assert sent["dispatched"]["tracking_number"] == "EMS12"
    # Fri 09-18 + 10 working days: 09-20 (Sunday, worked), 09-21..24, 09-28..30, 10-08, 10-09.
    assert sent["receive_by"] == "2026-10-09"
    assert await refused(
        chongqing, path, {"method": "tracked-post", "tracking_number": "EMS13"}
    ) == (409, "illegal-transition")
    assert (await chongqing.outbox_types())[-1] == "personnel-file-dispatched"


async def test_an_overdue_transfer_is_listed_as_such(chongqing: Served) -> None:
    tid = await chengdu_asks(chongqing)
    listed = (await chongqing.client.get("/personnel-files/transfers?overdue=true")).json()
    assert listed["transfers"] == []
    chongqing.clock.advance(timedelta(days=28))  # 10-16: past dispatch_by 10-15
    listed = (await chongqing.client.get("/personnel-files/transfers?overdue=true")).json()
    assert [(t["transfer_id"], t["overdue"]) for t in listed["transfers"]] == [(tid, True)]


async def test_a_certificate_is_asked_and_answered_by_the_holder(chongqing: Served) -> None:
    await posted(chongqing, "/personnel-files", REGISTER)
    body = {"id_number": id_number(1), "kind": "file-held", "purpose": "出国政审"}
    asked = await posted(chongqing, "/personnel-files/certificates", body)
    cid = asked["certificate_id"]
    # Fri 09-18 + 5: 09-20 (Sunday, worked), 09-21..24.
    assert (asked["holder_city"], asked["answer_by"], asked["state"]) == (
        "cq",
        "2026-09-24",
        "requested",
    )
    answer = f"/personnel-files/certificates/{cid}/answer"
    assert await refused(chongqing, answer, {"issued": True, "certificate_number": "ZM-1"}) == (
        422,
        "bad-document-text",
    )
    assert await refused(chongqing, answer, {"issued": False}) == (422, "reason-required")
    assert await refused(
        chongqing,
        answer,
        {"issued": True, "certificate_number": "ZM-1", "document_text": f"身份证号{id_number(1)}"},
    ) == (422, "personal-data-in-text")
    text = "兹证明该同志人事档案存放于我中心。"
    issued = await posted(
        chongqing, answer, {"issued": True, "certificate_number": "ZM-1", "document_text": text}
    )
    assert issued["state"] == "issued"
    assert issued["document_sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert issued["document_text"] == text
    assert await refused(chongqing, answer, {"issued": False, "reason": "重复"}) == (
        409,
        "already-answered",
    )
    envelopes = await chongqing.outbox()
    assert envelopes[-1]["data"]["document_sha256"] == issued["document_sha256"]
    assert "document_text" not in envelopes[-1]["data"]
    assert (await chongqing.client.get(f"/personnel-files/certificates/{cid}")).json() == issued


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"kind": "diploma"}, 422, "unknown-kind"),
        ({"purpose": "请回电 13812345678"}, 422, "personal-data-in-text"),
        ({"id_number": id_number(2)}, 404, "no-file"),
    ],
)
async def test_a_bad_certificate_request_is_refused(
    chengdu: Served, change: dict[str, str], status: int, code: str
) -> None:
    await chongqing_holds(chengdu)
    body = {"id_number": id_number(1), "kind": "file-held", "purpose": "出国政审"} | change
    assert await refused(chengdu, "/personnel-files/certificates", body) == (status, code)


async def test_only_the_holder_answers_a_certificate(chengdu: Served) -> None:
    await chongqing_holds(chengdu)
    body = {"id_number": id_number(1), "kind": "cadre-status", "purpose": "干部身份认定"}
    asked = await posted(chengdu, "/personnel-files/certificates", body)
    assert asked["holder_city"] == "cq"
    path = f"/personnel-files/certificates/{asked['certificate_id']}/answer"
    assert await refused(chengdu, path, {"issued": False, "reason": "不归我市"}) == (
        403,
        "not-the-holder",
    )
    missing = await chengdu.client.get("/personnel-files/certificates/pfc-none")
    assert (missing.status_code, missing.json()["error"]) == (404, "unknown-certificate")


async def test_the_sweep_on_the_runtime_clock_reminds_the_holder_once(chengdu: Served) -> None:
    await chongqing_holds(chengdu)
    body = {"id_number": id_number(1), "to_centre_id": "cd-centre-9"}
    tid = (await posted(chengdu, "/personnel-files/transfers", body))["transfer_id"]
    chengdu.clock.advance(timedelta(days=27))  # Thu 10-15, the dispatch deadline itself
    assert await files.remind_due(chengdu.runtime, BOOK) == 0
    chengdu.clock.advance(timedelta(days=1))  # Fri 10-16
    assert await files.remind_due(chengdu.runtime, BOOK) == 1
    assert await files.remind_due(chengdu.runtime, BOOK) == 0
    overdue = (await chengdu.outbox())[-1]
    assert overdue["type"].split(".")[-2] == "personnel-file-overdue"
    assert (overdue["data"]["step"], overdue["data"]["due_on"], overdue["data"]["flagged_on"]) == (
        "dispatch",
        "2026-10-15",
        "2026-10-16",
    )
    seen = (await chengdu.client.get(f"/personnel-files/transfers/{tid}")).json()
    assert seen["overdue"] is True
    assert seen["reminders"] == [
        {"step": "dispatch", "due_on": "2026-10-15", "flagged_on": "2026-10-16"}
    ]
