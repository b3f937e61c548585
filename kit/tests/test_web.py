"""Routes of a service_router: one unit of work per request; writes commit their state,
their events and (with an Idempotency-Key) their answer together, or nothing at all."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, ValidationError

from chengyu_contracts.domain_error import Conflict
from chengyu_contracts.registry import EventData, EventSpec, Registry
from chengyu_contracts.signing import SigningKey
from chengyu_kit import idempotency
from chengyu_kit.clock import FixedClock
from chengyu_kit.db import create_pool
from chengyu_kit.health import Readiness
from chengyu_kit.http import add_platform_routes
from chengyu_kit.issuer import EventIssuer
from chengyu_kit.local.oidc import OidcProvider
from chengyu_kit.metrics import KitMetrics
from chengyu_kit.migrations import Migration, apply_migrations, kit_migrations
from chengyu_kit.settings import ServiceSettings
from chengyu_kit.testing.stand_in import oidc_settings
from chengyu_kit.unit import Actor
from chengyu_kit.web import UnitOfWork, install_token_verifier, public, service_router

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
NOTES = Migration("notes", 1, "notes", "CREATE TABLE note (note_id text PRIMARY KEY, text text)")


class NoteTaken(EventData):
    """A test event."""

    note_id: str


REGISTRY = Registry()
REGISTRY.register(EventSpec("cn.chengyu.test.note-taken.v1", NoteTaken, "test.notes", "note_id", 1))


class NoteBody(BaseModel):
    """A note to take."""

    text: str


@dataclass(frozen=True)
class Runtime:
    """What routes read of ``app.state.runtime``."""

    pool: asyncpg.Pool
    settings: ServiceSettings
    clock: FixedClock
    issuer: EventIssuer


def notes_app(runtime: Runtime) -> FastAPI:
    router = service_router()

    @router.post("/notes/{note_id}", status_code=201)
    async def take_note(note_id: str, body: NoteBody, unit: UnitOfWork) -> dict[str, str]:
        if body.text == "refuse":
            unit.emit(NoteTaken(note_id=note_id))
            raise Conflict("refused", "This note is refused.")
        await unit.conn.execute("INSERT INTO note VALUES ($1, $2)", note_id, body.text)
        unit.emit(NoteTaken(note_id=note_id))
        return {"note_id": note_id, "taken_at": unit.now.isoformat(), "nonce": uuid.uuid4().hex}

    @router.get("/notes/{note_id}")
    async def read_note(note_id: str, unit: UnitOfWork) -> dict[str, str | None]:
        return {
            "text": await unit.conn.fetchval("SELECT text FROM note WHERE note_id = $1", note_id)
        }

    @router.get("/public-notes/{note_id}")
    @public  # public data, opened in a browser that sends no token
    async def read_public_note(note_id: str, unit: UnitOfWork) -> dict[str, str | None]:
        return {
            "text": await unit.conn.fetchval("SELECT text FROM note WHERE note_id = $1", note_id),
            "actor": None if unit.actor is None else unit.actor.kind,
        }

    app = FastAPI()
    app.state.runtime = runtime
    add_platform_routes(app, readiness=Readiness(), metrics=KitMetrics())
    install_token_verifier(app, runtime.settings)
    app.include_router(router)
    return app


@pytest.fixture
async def runtime(database: str, oidc_provider: OidcProvider) -> AsyncIterator[Runtime]:
    pool = await create_pool(database)
    await apply_migrations(pool, [*kit_migrations(), NOTES])
    key = SigningKey.generate("cq-test-1", "/cq/test")
    clock = FixedClock(NOW)
    settings = ServiceSettings(
        city="cq",
        service_name="notes",
        agency="test",
        database_url=database,
        signing_key_file=Path("unused"),
        key_registry_file=Path("unused"),
        person_ref_key="00" * 32,
        **oidc_settings("cq", oidc_provider.issuers),
    )
    issuer = EventIssuer(source=settings.source, signing_key=key, registry=REGISTRY, clock=clock)
    yield Runtime(pool, settings, clock, issuer)
    await pool.close()


@pytest.fixture
async def client(runtime: Runtime, oidc_provider: OidcProvider) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=notes_app(runtime))
    token = oidc_provider.token("cq", audience="notes", role="clerk", agency="test")
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        transport=transport, headers=headers, base_url="http://notes"
    ) as http:
        yield http


async def counts(runtime: Runtime) -> tuple[int, int, int]:
    """Rows of notes, outbox records and stored answers."""
    return (
        await runtime.pool.fetchval("SELECT count(*) FROM note"),
        await runtime.pool.fetchval("SELECT count(*) FROM outbox"),
        await runtime.pool.fetchval("SELECT count(*) FROM idempotency_key"),
    )


async def test_a_write_commits_its_state_and_its_event_together(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    answer = await client.post("/notes/n1", json={"text": "hello"})
    assert answer.status_code == 201
    assert answer.json()["taken_at"] == NOW.isoformat()
    assert await counts(runtime) == (1, 1, 0)
    assert (await client.get("/notes/n1")).json() == {"text": "hello"}


async def test_a_refused_write_leaves_no_state_no_event(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    answer = await client.post(
        "/notes/n1", json={"text": "refuse"}, headers={"Idempotency-Key": "k1"}
    )
    assert answer.status_code == 409
    assert await counts(runtime) == (0, 0, 0)


async def test_a_retry_with_the_same_key_gets_the_first_answer_and_writes_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    headers = {"Idempotency-Key": '"7f1c2a9e-retry"'}
    first = await client.post("/notes/n1", json={"text": "hello"}, headers=headers)
    again = await client.post("/notes/n1", json={"text": "hello"}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()  # the nonce too: the same answer, not a new one
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert await counts(runtime) == (1, 1, 1)


async def test_the_same_key_with_another_body_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    headers = {"Idempotency-Key": "k-reused"}
    await client.post("/notes/n1", json={"text": "hello"}, headers=headers)
    other = await client.post("/notes/n1", json={"text": "bye"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["error"] == "idempotency-key-reused"
    assert "different body" in other.json()["message"]
    assert await counts(runtime) == (1, 1, 1)


async def test_the_same_key_on_another_path_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    headers = {"Idempotency-Key": "k-path"}
    await client.post("/notes/n1", json={"text": "hello"}, headers=headers)
    other = await client.post("/notes/n2", json={"text": "hello"}, headers=headers)
    assert other.status_code == 422
    assert await counts(runtime) == (1, 1, 1)


async def test_a_malformed_key_is_a_400_naming_the_header(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    answer = await client.post(
        "/notes/n1", json={"text": "hello"}, headers={"Idempotency-Key": "has spaces"}
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid-idempotency-key"
    assert await counts(runtime) == (0, 0, 0)


async def test_writes_without_a_key_are_not_deduplicated(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await client.post("/notes/n1", json={"text": "hello"})
    await client.post("/notes/n2", json={"text": "hello"})
    assert await counts(runtime) == (2, 2, 0)


async def test_answers_are_kept_for_the_retention_and_purged_after_it(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await client.post("/notes/n1", json={"text": "hello"}, headers={"Idempotency-Key": "k-old"})
    await client.post("/notes/n2", json={"text": "hello"}, headers={"Idempotency-Key": "k-new"})
    await runtime.pool.execute(
        "UPDATE idempotency_key SET created_at = now() - interval '25 hours'"
        " WHERE idempotency_key = 'k-old'"
    )
    async with runtime.pool.acquire() as conn:
        purged = await idempotency.purge(conn, datetime.now(UTC), timedelta(hours=24))
    assert purged == 1
    kept = await runtime.pool.fetch("SELECT idempotency_key FROM idempotency_key")
    assert [row["idempotency_key"] for row in kept] == ["k-new"]


def test_the_retention_cannot_be_set_below_24_hours(runtime: Runtime) -> None:
    with pytest.raises(ValidationError):
        runtime.settings.model_validate(
            {**runtime.settings.model_dump(), "idempotency_key_hours": 23}
        )


def clerk_client(runtime: Runtime, token: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=notes_app(runtime))
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.AsyncClient(transport=transport, headers=headers, base_url="http://notes")


async def test_a_write_records_its_actor_and_request_and_its_event_names_the_office(
    runtime: Runtime, oidc_provider: OidcProvider
) -> None:
    token = oidc_provider.token(
        "cq", audience="notes", role="clerk", agency="test", subject="u-1842"
    )
    async with clerk_client(runtime, token) as http:
        answer = await http.post(
            "/notes/n1", json={"text": "hello"}, headers={"X-Request-ID": "req-77"}
        )
    assert answer.status_code == 201, answer.text
    assert answer.headers["X-Request-ID"] == "req-77"
    logged = await runtime.pool.fetchrow(
        "SELECT request_id, method, path, status, actor_kind, actor_subject, actor_agency,"
        " actor_city, at FROM write_log"
    )
    assert logged is not None
    assert dict(logged) == {
        "request_id": "req-77",
        "method": "POST",
        "path": "/notes/n1",
        "status": 201,
        "actor_kind": "clerk",
        "actor_subject": "u-1842",
        "actor_agency": "test",
        "actor_city": "cq",
        "at": NOW,
    }
    envelope = json.loads(await runtime.pool.fetchval("SELECT value FROM outbox"))
    clerk = Actor(kind="clerk", subject="u-1842", agency="test", city="cq")
    assert envelope["chengyuactor"] == clerk.reference(runtime.settings.person_ref_hmac_key())
    assert envelope["chengyuactor"].startswith("cq/test/c")
    assert "u-1842" not in json.dumps(envelope)


async def test_a_refused_write_is_not_logged_and_a_read_is_given_a_request_id(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await client.post("/notes/n1", json={"text": "refuse"})
    read = await client.get("/notes/n1")
    assert await runtime.pool.fetchval("SELECT count(*) FROM write_log") == 0
    assert len(read.headers["X-Request-ID"]) == 36  # a uuid made for it


async def test_two_clerks_keys_never_meet(runtime: Runtime, oidc_provider: OidcProvider) -> None:
    headers = {"Idempotency-Key": "same-key"}
    for subject, note in (("u-1842", "n1"), ("u-9", "n2")):
        token = oidc_provider.token(
            "cq", audience="notes", role="clerk", agency="test", subject=subject
        )
        async with clerk_client(runtime, token) as http:
            answer = await http.post(f"/notes/{note}", json={"text": "hi"}, headers=headers)
        assert answer.status_code == 201
    assert await counts(runtime) == (2, 2, 2)


async def test_a_public_route_answers_without_a_token_and_its_unit_has_no_actor(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await client.post("/notes/n1", json={"text": "open"})
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=notes_app(runtime)), base_url="http://notes"
    ) as anonymous:
        public_read = await anonymous.get("/public-notes/n1")
    assert public_read.status_code == 200
    assert public_read.json() == {"text": "open", "actor": None}


async def test_a_route_not_marked_public_still_needs_a_token(runtime: Runtime) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=notes_app(runtime)), base_url="http://notes"
    ) as anonymous:
        read = await anonymous.get("/notes/n1")
        write = await anonymous.post("/notes/n1", json={"text": "hi"})
    assert (read.status_code, write.status_code) == (401, 401)
    assert await counts(runtime) == (0, 0, 0)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_write_route_cannot_be_marked_public(method: str) -> None:
    router = service_router()

    async def change(unit: UnitOfWork) -> None:
        """A write that claims to be public."""

    with pytest.raises(ValueError, match="cannot be @public"):
        getattr(router, method)("/notes")(public(change))
