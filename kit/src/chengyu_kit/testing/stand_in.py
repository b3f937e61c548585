"""A service's clerks' API on a real database without Kafka, for HTTP tests.

:func:`serve_without_bus` builds the service exactly as it runs (its declared
``SERVICE``, the real :class:`~chengyu_kit.runtime.ServiceRuntime`, its routers, the
kit's platform routes and error handling) but opens only the database: events go to the
outbox table and stay there, where a test can read them. :class:`StandInRuntime` is the
lighter form for a router alone. :func:`blocking_client` lets a service's blocking
command (:mod:`chengyu_kit.batch_import`), run in a worker thread, talk to that app.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from fastapi import APIRouter, FastAPI

from chengyu_contracts.cities import City
from chengyu_contracts.keys import SigningKey
from chengyu_kit.clock import Clock, FixedClock
from chengyu_kit.health import Readiness
from chengyu_kit.http import add_platform_routes
from chengyu_kit.issuer import EventIssuer
from chengyu_kit.local.oidc import OidcProvider
from chengyu_kit.metrics import KitMetrics
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.service import Service
from chengyu_kit.settings import ServiceSettings
from chengyu_kit.testing.keys import KeyFiles, write_key_files
from chengyu_kit.web import install_token_verifier


@dataclass(frozen=True)
class StandInRuntime:
    """What a service's routes read of ``app.state.runtime`` (``chengyu_kit.http.RuntimeView``)."""

    pool: asyncpg.Pool
    settings: ServiceSettings
    clock: FixedClock
    issuer: EventIssuer


def stand_in_settings(
    city: str,
    *,
    service_name: str,
    agency: str,
    database_url: str,
    person_ref_key: str,
    issuers: Mapping[str, str],
) -> ServiceSettings:
    """Settings of one service instance trusting the tokens of ``issuers`` (city -> issuer
    URL: this city's and the others', e.g. ``oidc_provider.issuers``); the key files are
    never opened by a stand-in."""
    return ServiceSettings(
        city=city,
        service_name=service_name,
        agency=agency,
        database_url=database_url,
        signing_key_file=Path("unused-signing-key.json"),
        key_registry_file=Path("unused-key-registry.json"),
        person_ref_key=person_ref_key,
        **oidc_settings(city, issuers),
    )


def oidc_settings(city: str, issuers: Mapping[str, str]) -> dict[str, Any]:
    """The settings fields trusting ``issuers``: ``city``'s as its own, the rest as peers."""
    return {
        "oidc_issuer": issuers[city],
        "oidc_peer_issuers": {c: url for c, url in issuers.items() if c != city},
    }


def stand_in_app(runtime: StandInRuntime, router: APIRouter) -> FastAPI:
    """The platform routes plus ``router``, on the runtime's fixed clock; its routes check
    tokens as a service's do."""
    app = FastAPI(title=runtime.settings.source)
    app.state.runtime = runtime
    add_platform_routes(app, readiness=Readiness(), metrics=KitMetrics())
    install_token_verifier(app, runtime.settings)
    app.include_router(router)
    return app


@contextlib.asynccontextmanager
async def serve_without_bus(
    service: Service[Any],
    settings: ServiceSettings,
    *,
    clock: Clock | None = None,
    policy: Any = None,
    provider: OidcProvider | None = None,
) -> AsyncIterator[tuple[httpx.AsyncClient, ServiceRuntime]]:
    """An HTTP client of ``service``'s real app for ``settings`` (its database migrated,
    Kafka never contacted) and the runtime behind it; the pool is closed after. With a
    ``provider`` (the ``oidc_provider`` fixture) the client sends the token of a clerk of
    the service's agency in its city; without, no token (the routes answer 401)."""
    runtime = service.runtime(settings, clock=clock, policy=policy)
    app = runtime.http_app(title=settings.source, routers=service.routers(runtime.policy))
    await runtime.open_database()
    try:
        transport = httpx.ASGITransport(app=app)
        headers: dict[str, str] = {}
        if provider is not None:
            token = provider.token(
                settings.city,
                audience=settings.token_audience,
                role="clerk",
                agency=settings.agency,
            )
            headers["Authorization"] = f"Bearer {token}"
        async with httpx.AsyncClient(
            transport=transport, headers=headers, base_url="http://service"
        ) as client:
            yield client, runtime
    finally:
        await runtime.close_database()


def settings_for(
    service: Service[Any],
    city: City,
    *,
    database_url: str,
    key_folder: Path,
    issuers: Mapping[str, str],
    person_ref_key: str | None = None,
    **extra: Any,
) -> ServiceSettings:
    """Settings of ``service``'s instance in ``city`` (its own settings class), signing with
    a test key of the service's agency in that city (written into ``key_folder`` unless
    there), trusting the tokens of ``issuers`` (city -> issuer, e.g.
    ``oidc_provider.issuers``); ``extra`` sets any other field."""
    keys = _agency_keys(key_folder, service.agency)
    return service.settings(
        city=city,
        service_name=service.name,
        agency=service.agency,
        database_url=database_url,
        signing_key_file=keys.cq_key if city == "cq" else keys.cd_key,
        key_registry_file=keys.registry,
        person_ref_key=person_ref_key or secrets.token_hex(32),
        **{**oidc_settings(city, issuers), **extra},
    )


def _agency_keys(folder: Path, agency: str) -> KeyFiles:
    if (folder / "registry.json").exists():
        return KeyFiles(
            folder / "cq.json",
            folder / "cd.json",
            folder / "registry.json",
            SigningKey.from_json_file(folder / "cq.json"),
            SigningKey.from_json_file(folder / "cd.json"),
        )
    return write_key_files(folder, agency=agency)


class _OnTheLoop(httpx.BaseTransport):
    """Hands each request of a blocking client, sent from a worker thread, to an async
    client on the event loop the test runs on, and waits for its answer."""

    def __init__(self, client: httpx.AsyncClient, loop: asyncio.AbstractEventLoop) -> None:
        self._client = client
        self._loop = loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        call = self._client.request(
            request.method, request.url, headers=request.headers, content=request.read()
        )
        answer = asyncio.run_coroutine_threadsafe(call, self._loop).result()
        headers = {
            k: v
            for k, v in answer.headers.items()
            if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        }
        return httpx.Response(answer.status_code, headers=headers, content=answer.content)


def blocking_client(client: httpx.AsyncClient) -> httpx.Client:
    """A blocking ``httpx.Client`` sending through ``client`` (say, the clerk's client of
    :func:`serve_without_bus`), with its token; called on the test's event loop, used from
    a worker thread (``await asyncio.to_thread(command.main, argv, blocking)``)."""
    loop = asyncio.get_running_loop()
    return httpx.Client(transport=_OnTheLoop(client, loop), base_url=str(client.base_url))
