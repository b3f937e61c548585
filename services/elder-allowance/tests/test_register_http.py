"""The register's HTTP API of one city on a real PostgreSQL (no Kafka: events stay in the
outbox): every route, the 4xx answers naming each problem with nothing written, the import
by lines, and an import repeated changing nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from elder_register_builders import NOW, resident, row

from chengyu_contracts.person_ref import PersonRefKey, person_ref
from chengyu_elder_allowance.allowance import flow as allowance_flow
from chengyu_elder_allowance.service import SERVICE
from chengyu_kit.clock import FixedClock
from chengyu_kit.local.oidc import OidcProvider
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.testing.stand_in import serve_without_bus, settings_for

pytestmark = pytest.mark.integration

REGISTERED = "cn.chengyu.elder.registration-changed.v1"
FLAGGED = "cn.chengyu.elder.duplicate-registration-flagged.v1"
CLEARED = "cn.chengyu.elder.duplicate-registration-cleared.v1"
KEY = "ab" * 32
ALICE = resident(21)


@pytest.fixture
async def service(
    database: str, oidc_provider: OidcProvider, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, ServiceRuntime]]:
    settings = settings_for(
        SERVICE,
        "cq",
        database_url=database,
        key_folder=tmp_path,
        issuers=oidc_provider.issuers,
        person_ref_key=KEY,
    )
    async with serve_without_bus(
        SERVICE, settings, clock=FixedClock(NOW), provider=oidc_provider
    ) as pair:
        yield pair


@pytest.fixture
def client(service: tuple[httpx.AsyncClient, ServiceRuntime]) -> httpx.AsyncClient:
    return service[0]


@pytest.fixture
def pool(service: tuple[httpx.AsyncClient, ServiceRuntime]) -> asyncpg.Pool:
    return service[1].pool


def ref(id_number: str) -> str:
    return person_ref(id_number, PersonRefKey.from_hex(KEY))


async def outbox(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    rows = await pool.fetch("SELECT value FROM outbox ORDER BY id")
    return [json.loads(r["value"]) for r in rows]


async def register_state(pool: asyncpg.Pool) -> str:
    """Every row of the register's tables and the outbox, as text."""
    parts: list[str] = []
    for table in (
        "elder",
        "assistance_period",
        "household",
        "household_version",
        "duplicate_flag",
        "outbox",
    ):
        rows = await pool.fetch(f"SELECT t::text AS row FROM {table} t ORDER BY 1")
        parts.extend(f"{table}: {r['row']}" for r in rows)
    return "\n".join(parts)


async def imported(client: httpx.AsyncClient, *rows: dict[str, Any]) -> dict[str, Any]:
    answer = await client.post("/register/rows", json={"rows": list(rows)})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def registered(client: httpx.AsyncClient, id_number: str = ALICE) -> str:
    report = await imported(client, row(2, id_number=id_number))
    assert report["registered"] == 1, report
    return ref(id_number)


async def refused(
    client: httpx.AsyncClient, pool: asyncpg.Pool, path: str, body: dict[str, Any]
) -> tuple[int, str]:
    """POST ``body`` to ``path``, expecting a refusal that writes nothing."""
    before = await register_state(pool)
    answer = await client.post(path, json=body)
    assert answer.status_code >= 400, answer.text
    assert await register_state(pool) == before
    for value in body.values():
        if isinstance(value, str) and len(value) == 18:
            assert value not in answer.text
    return answer.status_code, answer.json()["error"]


async def test_the_register_routes_are_served(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert set(paths) >= {
        "/register/rows",
        "/register/lookup",
        "/register/duplicates",
        "/register/{person_ref}",
        "/register/{person_ref}/death",
        "/register/{person_ref}/move-out",
        "/register/{person_ref}/assistance",
        "/register/{person_ref}/withdraw",
    }


# -- the import ---------------------------------------------------------------------------------


async def test_good_rows_are_registered_and_bad_rows_reported_by_line(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    bad_check = ALICE[:17] + ("0" if ALICE[17] != "0" else "1")
    report = await imported(
        client,
        row(2),
        row(3, id_number=bad_check),
        row(4, district="510104"),
        row(5, assistance="dibao", assistance_since="2024-01-01"),
        row(6, id_number=resident(6, born=date(1960, 1, 1))),
    )
    assert {k: report[k] for k in ("received", "registered", "updated", "unchanged")} == {
        "received": 5,
        "registered": 2,
        "updated": 0,
        "unchanged": 0,
    }
    assert [(r["line"], r["error"]) for r in report["rejected"]] == [
        (3, "bad-check-digit"),
        (4, "unknown-district"),
        (6, "not-of-register-age"),
    ]
    assert bad_check not in json.dumps(report)
    events = await outbox(pool)
    assert [e["type"] for e in events] == [REGISTERED, REGISTERED]
    assert {e["data"]["person_ref"] for e in events} == {
        ref(row(2)["id_number"]),
        ref(row(5)["id_number"]),
    }
    assert events[0]["data"] | {"person_ref": "-"} == {
        "person_ref": "-",
        "city": "cq",
        "version": 1,
        "status": "registered",
        "registered_from": None,
        "registered_until": None,
        "moved_to": None,
        "changed_on": "2026-03-15",
    }


async def test_importing_the_same_rows_again_changes_and_publishes_nothing(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    rows = [row(2), row(3, assistance="tekun", assistance_since="2025-01-01"), row(4)]
    await imported(client, *rows)
    before = await register_state(pool)
    again = await imported(client, *rows)
    assert (again["registered"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert await register_state(pool) == before


async def test_a_changed_row_updates_the_person_without_a_new_registration(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    await imported(client, row(2))
    report = await imported(
        client, row(2, phone="023-63851234", assistance="dibao", assistance_since="2026-01-01")
    )
    assert (report["registered"], report["updated"], report["unchanged"]) == (0, 1, 0)
    assert len(await outbox(pool)) == 1
    view = (await client.get(f"/register/{ref(row(2)['id_number'])}")).json()
    assert view["assistance"] == [{"status": "dibao", "start_on": "2026-01-01", "end_on": None}]


async def test_a_batch_whose_rows_have_no_line_numbers_is_refused_whole(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    body = {"rows": [{"id_number": ALICE}]}
    assert await refused(client, pool, "/register/rows", body) == (422, "invalid-request")


async def test_a_person_moved_out_of_the_other_city_is_registered_from_the_month_after(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    await pool.execute(
        "INSERT INTO household (person_ref, city, version, status, registered_until, moved_to,"
        " changed_on) VALUES ($1, 'cd', 2, 'moved-out', '2026-02-01', 'cq', '2026-02-10')",
        ref(ALICE),
    )
    await registered(client)
    view = (await client.get(f"/register/{ref(ALICE)}")).json()
    assert view["registrations"]["cq"]["registered_from"] == "2026-03"
    assert view["registrations"]["cd"]["status"] == "moved-out"
    assert view["duplicate"] is None


# -- one person ---------------------------------------------------------------------------------


async def test_a_person_is_looked_up_by_id_number_and_shown_masked(
    client: httpx.AsyncClient,
) -> None:
    the_ref = await registered(client)
    answer = await client.post("/register/lookup", json={"id_number": ALICE})
    assert answer.status_code == 200, answer.text
    view = answer.json()
    assert view["person_ref"] == the_ref
    assert ALICE not in answer.text
    assert view["id_number_masked"] == ALICE[:6] + "********" + ALICE[-4:]
    assert (view["name"], view["birth_date"], view["district"], view["status"]) == (
        "王大爷",
        "1940-05-01",
        "500103",
        "registered",
    )
    assert view["registrations"] == {
        "cq": {
            "version": 1,
            "status": "registered",
            "registered_from": None,
            "registered_until": None,
            "moved_to": None,
            "changed_on": "2026-03-15",
        },
        "cd": None,
    }
    assert view["duplicate"] is None
    assert (await client.get(f"/register/{the_ref}")).json() == view


async def test_an_unknown_person_is_not_found(client: httpx.AsyncClient) -> None:
    answer = await client.post("/register/lookup", json={"id_number": resident(99)})
    assert (answer.status_code, answer.json()["error"]) == (404, "unknown-person")
    answer = await client.get("/register/nobody")
    assert (answer.status_code, answer.json()["error"]) == (404, "unknown-person")


async def test_an_invalid_id_number_is_refused_naming_the_problem(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    bad = ALICE[:17] + ("0" if ALICE[17] != "0" else "1")
    answer = await client.post("/register/lookup", json={"id_number": bad})
    assert (answer.status_code, answer.json()["error"]) == (422, "bad-check-digit")
    assert bad not in answer.text


async def test_a_death_ends_the_registration_with_the_death_month_once(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    the_ref = await registered(client)
    answer = await client.post(f"/register/{the_ref}/death", json={"died_on": "2026-02-20"})
    assert answer.status_code == 200, answer.text
    view = answer.json()
    assert (view["status"], view["died_on"]) == ("deceased", "2026-02-20")
    assert view["registrations"]["cq"]["registered_until"] == "2026-02"
    assert [e["data"]["version"] for e in await outbox(pool)] == [1, 2]

    again = await client.post(f"/register/{the_ref}/death", json={"died_on": "2026-02-20"})
    assert again.status_code == 200
    assert len(await outbox(pool)) == 2
    assert await refused(client, pool, f"/register/{the_ref}/death", {"died_on": "2026-02-21"}) == (
        409,
        "death-already-recorded",
    )


@pytest.mark.parametrize(
    ("died_on", "status", "code"),
    [
        ("2026-03-16", 422, "death-in-future"),
        ("1939-01-01", 422, "death-before-birth"),
        ("2026-02-30", 422, "invalid-date"),
    ],
)
async def test_an_impossible_death_is_refused_and_nothing_written(
    client: httpx.AsyncClient, pool: asyncpg.Pool, died_on: str, status: int, code: str
) -> None:
    the_ref = await registered(client)
    assert await refused(client, pool, f"/register/{the_ref}/death", {"died_on": died_on}) == (
        status,
        code,
    )


async def test_a_move_out_ends_the_registration_with_the_move_month(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    the_ref = await registered(client)
    body = {"to_city": "cd", "move_month": "2026-04"}
    answer = await client.post(f"/register/{the_ref}/move-out", json=body)
    assert answer.status_code == 200, answer.text
    cq = answer.json()["registrations"]["cq"]
    assert (cq["status"], cq["registered_until"], cq["moved_to"], cq["version"]) == (
        "moved-out",
        "2026-04",
        "cd",
        2,
    )
    [_, moved] = await outbox(pool)
    assert (moved["data"]["status"], moved["data"]["moved_to"]) == ("moved-out", "cd")
    assert (await client.post(f"/register/{the_ref}/move-out", json=body)).status_code == 200
    assert len(await outbox(pool)) == 2


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"to_city": "cd", "move_month": "2026-05"}, 422, "invalid-move-month"),
        ({"to_city": "cq", "move_month": "2026-03"}, 422, "same-city"),
        ({"to_city": "sh", "move_month": "2026-03"}, 422, "unknown-city"),
        ({"to_city": "cd", "move_month": "2026-13"}, 422, "invalid-month"),
    ],
)
async def test_a_bad_move_is_refused_and_nothing_written(
    client: httpx.AsyncClient, pool: asyncpg.Pool, body: dict[str, str], status: int, code: str
) -> None:
    the_ref = await registered(client)
    assert await refused(client, pool, f"/register/{the_ref}/move-out", body) == (status, code)


async def test_a_move_before_the_registration_started_is_refused(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    await pool.execute(
        "INSERT INTO household (person_ref, city, version, status, registered_until, moved_to,"
        " changed_on) VALUES ($1, 'cd', 2, 'moved-out', '2026-01-01', 'cq', '2026-01-10')",
        ref(ALICE),
    )
    the_ref = await registered(client)  # from 2026-02
    body = {"to_city": "cd", "move_month": "2026-01"}
    assert await refused(client, pool, f"/register/{the_ref}/move-out", body) == (
        422,
        "invalid-move-month",
    )


async def test_an_assistance_status_is_recorded_from_its_day(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    the_ref = await registered(client)
    body = {"status": "tekun", "since": "2026-03-01"}
    answer = await client.post(f"/register/{the_ref}/assistance", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["assistance"] == [
        {"status": "tekun", "start_on": "2026-03-01", "end_on": None}
    ]
    ended = await client.post(
        f"/register/{the_ref}/assistance", json={"status": "none", "since": "2026-03-10"}
    )
    assert ended.json()["assistance"] == [
        {"status": "tekun", "start_on": "2026-03-01", "end_on": "2026-03-09"}
    ]
    assert len(await outbox(pool)) == 1  # the registration did not change


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"status": "dibao", "since": "2026-04-01"}, "assistance-since-in-future"),
        ({"status": "wubao", "since": "2026-03-01"}, "invalid-assistance"),
    ],
)
async def test_a_bad_assistance_change_is_refused(
    client: httpx.AsyncClient, pool: asyncpg.Pool, body: dict[str, str], code: str
) -> None:
    the_ref = await registered(client)
    assert await refused(client, pool, f"/register/{the_ref}/assistance", body) == (422, code)


async def test_a_withdrawal_needs_a_reason_and_happens_once(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    the_ref = await registered(client)
    path = f"/register/{the_ref}/withdraw"
    assert await refused(client, pool, path, {"reason": " "}) == (422, "invalid-reason")
    answer = await client.post(path, json={"reason": "registered in error"})
    assert answer.json()["status"] == "withdrawn"
    assert (await client.post(path, json={"reason": "again"})).status_code == 200
    assert [e["data"]["status"] for e in await outbox(pool)] == ["registered", "withdrawn"]
    reason = await pool.fetchval("SELECT reason FROM household_version WHERE version = 2")
    assert reason == "registered in error"


# -- duplicates -----------------------------------------------------------------------------------


async def test_a_person_registered_in_both_cities_is_flagged_until_one_withdraws(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    await pool.execute(
        "INSERT INTO household (person_ref, city, version, status, changed_on)"
        " VALUES ($1, 'cd', 1, 'registered', '2026-01-10')",
        ref(ALICE),
    )
    the_ref = await registered(client)
    listed = (await client.get("/register/duplicates")).json()
    assert listed == {
        "items": [{"person_ref": the_ref, "first_month": "2025-01", "flagged_on": "2026-03-15"}]
    }
    view = (await client.get(f"/register/{the_ref}")).json()
    assert view["duplicate"] == {"first_month": "2025-01", "flagged_on": "2026-03-15"}

    await client.post(f"/register/{the_ref}/withdraw", json={"reason": "registered in error"})
    assert (await client.get("/register/duplicates")).json() == {"items": []}
    types = [e["type"] for e in await outbox(pool)]
    assert types == [REGISTERED, FLAGGED, REGISTERED, CLEARED]


async def test_a_batch_of_bad_rows_writes_nothing(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    before = await register_state(pool)
    report = await imported(client, row(2, district="999999"), row(3, phone="x"))
    assert [(r["line"], r["error"]) for r in report["rejected"]] == [
        (2, "unknown-district"),
        (3, "invalid-phone"),
    ]
    assert await register_state(pool) == before


async def test_the_allowance_follows_every_change_of_a_registration(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    followed: list[str] = []

    async def registration_changed(unit: object, person_ref: str, book: object) -> None:
        followed.append(person_ref)

    monkeypatch.setattr(allowance_flow, "registration_changed", registration_changed)
    the_ref = await registered(client)
    await client.post(
        f"/register/{the_ref}/assistance", json={"status": "dibao", "since": "2026-03-01"}
    )
    await client.post(
        f"/register/{the_ref}/move-out", json={"to_city": "cd", "move_month": "2026-03"}
    )
    await client.post(f"/register/{the_ref}/withdraw", json={"reason": "registered in error"})
    assert followed == [the_ref] * 4
