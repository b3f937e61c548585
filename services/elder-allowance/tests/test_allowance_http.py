"""The allowance routes on the service's real app (a fresh database, no Kafka, a clerk's
token of the local provider): payment runs, their bank files and returns, a person's
allowance, verifications; refusals that write nothing; the monthly job on a fixed clock."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
import httpx
import pytest
from elder_allowance_rows import KEY_HEX, NOW, add_elder, id_number

from chengyu_elder_allowance.allowance.flow import run_if_due
from chengyu_elder_allowance.policy import default_policy_book
from chengyu_elder_allowance.service import SERVICE
from chengyu_kit.clock import FixedClock
from chengyu_kit.local.oidc import OidcProvider
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.testing.stand_in import serve_without_bus, settings_for

pytestmark = pytest.mark.integration

Served = tuple[httpx.AsyncClient, ServiceRuntime]


@pytest.fixture
async def served(
    database: str, tmp_path: Path, oidc_provider: OidcProvider
) -> AsyncIterator[Served]:
    settings = settings_for(
        SERVICE,
        "cq",
        database_url=database,
        key_folder=tmp_path,
        issuers=oidc_provider.issuers,
        person_ref_key=KEY_HEX,
    )
    async with serve_without_bus(
        SERVICE, settings, clock=FixedClock(NOW), provider=oidc_provider
    ) as pair:
        yield pair


async def counts(pool: asyncpg.Pool) -> tuple[int, ...]:
    """Rows of the allowance tables and the outbox."""
    tables = ("allowance", "payment", "payment_run", "verification", "recovery_claim", "outbox")
    return tuple([int(await pool.fetchval(f"SELECT count(*) FROM {t}")) for t in tables])


async def test_a_run_answers_its_summary_once_then_the_same_summary(served: Served) -> None:
    client, runtime = served
    for serial in (1, 2):
        await add_elder(runtime.pool, date(1940, 1, serial), serial, registered_from="2026-03")

    first = await client.post("/payment-runs", json={"month": "2026-03"})
    again = await client.post("/payment-runs", json={"month": "2026-03"})
    shown = await client.get("/payment-runs/2026-03")

    assert first.status_code == 201
    body = first.json()
    assert (body["status"], body["granted"], body["payments"], body["amount_fen"]) == (
        "completed",
        2,
        2,
        20_000,
    )
    assert again.status_code == 200
    assert again.json() == body == shown.json()


async def test_the_bank_file_is_the_runs_csv_and_its_digest(served: Served) -> None:
    client, runtime = served
    person = await add_elder(runtime.pool, date(1940, 1, 1), 1, registered_from="2026-03")
    summary = (await client.post("/payment-runs", json={"month": "2026-03"})).json()

    answer = await client.get("/payment-runs/2026-03/bank-file")

    assert answer.headers["content-type"].startswith("text/csv")
    assert hashlib.sha256(answer.content).hexdigest() == summary["bank_file_sha256"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["person_ref"], r["name"], r["month"], r["amount_fen"]) for r in rows] == [
        (person.person_ref, "Elder 1", "2026-03", "10000")
    ]


async def test_a_bank_return_marks_failed_and_unknown_references_write_nothing(
    served: Served,
) -> None:
    client, runtime = served
    person = await add_elder(runtime.pool, date(1940, 1, 1), 1, registered_from="2026-03")
    await client.post("/payment-runs", json={"month": "2026-03"})
    bank = (await client.get("/payment-runs/2026-03/bank-file")).text
    [line] = csv.DictReader(io.StringIO(bank))
    reference = line["reference"]

    refused = await client.post(
        "/payment-runs/2026-03/bank-return",
        json={
            "failed": [
                {"reference": reference, "reason": "account closed"},
                {"reference": "EA-NOT-OURS", "reason": "?"},
            ]
        },
    )
    status_after_refusal = await runtime.pool.fetchval(
        "SELECT status FROM payment WHERE person_ref = $1", person.person_ref
    )
    accepted = await client.post(
        "/payment-runs/2026-03/bank-return",
        json={"failed": [{"reference": reference, "reason": "account closed"}]},
    )

    assert refused.status_code == 422
    assert refused.json()["error"] == "unknown-reference"
    assert "EA-NOT-OURS" in refused.json()["message"]
    assert status_after_refusal == "issued"
    assert accepted.json() == {"failed": 1}
    view = (await client.get(f"/allowances/{person.person_ref}")).json()
    assert view["payments"] == [
        {"month": "2026-03", "amount_fen": 10_000, "run_month": "2026-03", "status": "failed"}
    ]


async def test_an_allowance_shows_its_state_and_payments(served: Served) -> None:
    client, runtime = served
    person = await add_elder(runtime.pool, date(1940, 1, 1), 1, registered_from="2026-03")
    await client.post("/payment-runs", json={"month": "2026-03"})

    view = (await client.get(f"/allowances/{person.person_ref}")).json()
    unknown = await client.get("/allowances/pr1_nobody")

    assert {k: view[k] for k in ("paying_city", "state", "band", "first_month")} == {
        "paying_city": "cq",
        "state": "active",
        "band": "80-89",
        "first_month": "2026-03",
    }
    assert view["verification_due"] == "2027-03"
    assert view["recovery_claims"] == []
    assert unknown.status_code == 404


async def test_a_verification_is_recorded_for_a_recipient(served: Served) -> None:
    client, runtime = served
    person = await add_elder(runtime.pool, date(1940, 1, 1), 1, registered_from="2026-03")
    await client.post("/payment-runs", json={"month": "2026-03"})

    answer = await client.post(
        "/verifications", json={"id_number": person.id_number, "verified_on": "2026-03-09"}
    )

    assert answer.status_code == 201
    body = answer.json()
    assert (body["person_ref"], body["paying_city"], body["recorded_in"]) == (
        person.person_ref,
        "cq",
        "cq",
    )


async def test_a_verification_of_an_unknown_person_is_404_and_writes_nothing(
    served: Served,
) -> None:
    client, runtime = served
    await add_elder(runtime.pool, date(1940, 1, 1), 1, registered_from="2026-03")
    before = await counts(runtime.pool)

    answer = await client.post(
        "/verifications",
        json={"id_number": id_number(date(1941, 2, 2), 77), "verified_on": "2026-03-09"},
    )

    assert answer.status_code == 404
    assert answer.json()["error"] == "unknown-person"
    assert await counts(runtime.pool) == before


async def test_a_bad_month_is_refused(served: Served) -> None:
    client, _ = served

    answer = await client.post("/payment-runs", json={"month": "2026-13"})

    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid-month"


async def test_the_monthly_job_runs_once_from_the_policys_day(served: Served) -> None:
    _, runtime = served
    await add_elder(runtime.pool, date(1940, 1, 1), 1, registered_from="2026-03")
    book = default_policy_book()
    clock = FixedClock(datetime(2026, 4, 4, 4, 0, tzinfo=UTC))  # the 4th, in China

    before_the_day = await run_if_due(runtime.unit, clock, book, "cq")
    clock.advance(datetime(2026, 4, 5, 4, 0, tzinfo=UTC) - clock.now())
    on_the_day = await run_if_due(runtime.unit, clock, book, "cq")
    later = await run_if_due(runtime.unit, clock, book, "cq")

    assert before_the_day is None
    assert on_the_day is not None and str(on_the_day.month) == "2026-04"
    assert later is None
    assert await runtime.pool.fetchval("SELECT count(*) FROM payment_run") == 1
