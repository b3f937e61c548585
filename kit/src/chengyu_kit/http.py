"""The HTTP face every service shares: health, readiness, metrics, clear 4xx errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from chengyu_contracts.domain_error import DomainError, RefusalKind
from chengyu_kit.clock import Clock
from chengyu_kit.health import Readiness
from chengyu_kit.issuer import EventIssuer
from chengyu_kit.metrics import KitMetrics
from chengyu_kit.settings import ServiceSettings

#: The HTTP status of each kind of refusal, for every service: the one place it is decided.
REFUSAL_STATUS: dict[RefusalKind, int] = {
    RefusalKind.INVALID: 422,
    RefusalKind.NOT_FOUND: 404,
    RefusalKind.CONFLICT: 409,
    RefusalKind.FORBIDDEN: 403,
}


class RuntimeView(Protocol):
    """What a service's routes need of ``app.state.runtime`` (a ``ServiceRuntime`` fits,
    and so does a test's stand-in without Kafka)."""

    @property
    def pool(self) -> asyncpg.Pool: ...

    @property
    def settings(self) -> ServiceSettings: ...

    @property
    def issuer(self) -> EventIssuer: ...

    @property
    def clock(self) -> Clock: ...


def runtime_of(request: Request) -> RuntimeView:
    """The runtime serving ``request``."""
    runtime: RuntimeView = request.app.state.runtime
    return runtime


def add_platform_routes(
    app: FastAPI,
    *,
    readiness: Readiness,
    metrics: KitMetrics,
    probes: dict[str, Callable[[], Awaitable[bool]]] | None = None,
) -> None:
    """Add ``/healthz``, ``/readyz``, ``/metrics`` and the error handlers to ``app``.

    A domain rule's refusal (``chengyu_contracts.domain_error.DomainError``) raised by a
    route becomes an answer with its code and sentence, with the status of its kind
    (:data:`REFUSAL_STATUS`: 422 invalid input, 404 not found, 409 conflict, 403
    forbidden).
    """
    live_probes = probes or {}

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        for name, probe in live_probes.items():
            ok = await probe()
            readiness.set(name, ok, "reachable" if ok else "unreachable")
        status = 200 if readiness.ready else 503
        return JSONResponse(
            {"ready": readiness.ready, "components": readiness.report()}, status_code=status
        )

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return PlainTextResponse(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        # Never echo the offending input back: it may be a resident ID number or a name.
        problems = [
            {
                "field": ".".join(str(part) for part in item.get("loc", ()) if part != "body"),
                "message": item.get("msg", "invalid"),
            }
            for item in error.errors()
        ]
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        return JSONResponse(
            {"error": "invalid-request", "message": summary, "problems": problems},
            status_code=422,
        )

    @app.exception_handler(DomainError)
    async def rule_refusal(_: Request, error: DomainError) -> JSONResponse:
        return JSONResponse(
            {"error": error.code, "message": error.sentence},
            status_code=REFUSAL_STATUS[error.kind],
        )
