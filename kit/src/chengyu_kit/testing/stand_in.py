"""A service's clerks' API on a real database without Kafka, for HTTP tests: a stand-in
for ``app.state.runtime`` (events go to the outbox table and stay there) and the app."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import asyncpg
from fastapi import APIRouter, FastAPI

from chengyu_kit.clock import FixedClock
from chengyu_kit.health import Readiness
from chengyu_kit.http import add_platform_routes
from chengyu_kit.issuer import EventIssuer
from chengyu_kit.metrics import KitMetrics
from chengyu_kit.settings import ServiceSettings


@dataclass(frozen=True)
class StandInRuntime:
    """What a service's routes read of ``app.state.runtime`` (``chengyu_kit.http.RuntimeView``)."""

    pool: asyncpg.Pool
    settings: ServiceSettings
    clock: FixedClock
    issuer: EventIssuer


def stand_in_settings(
    city: str, *, service_name: str, agency: str, database_url: str, person_ref_key: str
) -> ServiceSettings:
    """Settings of one service instance; the key files are never opened by a stand-in."""
    return ServiceSettings(
        city=city,
        service_name=service_name,
        agency=agency,
        database_url=database_url,
        signing_key_file=Path("unused-signing-key.json"),
        key_registry_file=Path("unused-key-registry.json"),
        person_ref_key=person_ref_key,
    )


def stand_in_app(runtime: StandInRuntime, router: APIRouter) -> FastAPI:
    """The platform routes plus ``router``, on the runtime's fixed clock."""
    app = FastAPI(title=runtime.settings.source)
    app.state.runtime = runtime
    add_platform_routes(app, readiness=Readiness(), metrics=KitMetrics())
    app.include_router(router)
    return app
