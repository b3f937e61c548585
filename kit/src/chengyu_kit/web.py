"""Routes of a service's HTTP API: one unit of work per request, idempotent writes.

A service declares its routes on :func:`service_router` and takes the unit of work as a
parameter::

    router = service_router()

    @router.post("/accounts", status_code=201)
    async def open_account(body: OpenAccountBody, unit: UnitOfWork) -> AccountView:
        return view(await usecases.open_account(body.command(), unit))

For a write (POST, PUT, PATCH, DELETE) the route class opens the transaction before the
route runs and commits it after the answer is built, together with the events the route
emitted and, when the request carries an ``Idempotency-Key``, the answer itself
(:mod:`chengyu_kit.idempotency`), and a ``write_log`` row naming the request
(``X-Request-ID``, given or made, answered back) and the caller authentication verified
(``request.state.chengyu_actor``: its subject, agency and city; the unit's ``actor``,
whose non-personal reference every emitted event carries). A refusal (any 4xx or 5xx,
raised or returned) rolls everything back. A read gets a connection without a
transaction.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

from chengyu_kit import idempotency
from chengyu_kit.db import Connection
from chengyu_kit.http import runtime_of
from chengyu_kit.unit import Actor, Unit, write_emitted

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_CONN = "chengyu_connection"
_UNIT = "chengyu_unit"
#: Where authentication leaves the verified caller (a ``chengyu_kit.unit.Actor``).
ACTOR_STATE = "chengyu_actor"
REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"^[\x21-\x7e]{1,128}$")


class _Refused(Exception):
    """A route answered with an error status: roll its transaction back, keep the answer."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class UnitRoute(APIRoute):
    """A route whose request runs in one unit of work (see the module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The route's handler wrapped in its connection or transaction."""
        handle = super().get_route_handler()

        async def in_unit(request: Request) -> Response:
            request_id = request_id_of(request)
            if request.method in _WRITES:
                response = await _write(request, handle)
            else:
                async with runtime_of(request).pool.acquire() as conn:
                    setattr(request.state, _CONN, conn)
                    response = await handle(request)
            response.headers[REQUEST_ID_HEADER] = request_id
            return response

        return in_unit


def request_id_of(request: Request) -> str:
    """The caller's ``X-Request-ID`` when it is usable, else a new one (kept for the
    request, answered in the same header, recorded with its writes)."""
    known: str | None = getattr(request.state, "chengyu_request_id", None)
    if known is None:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        known = given if _REQUEST_ID.match(given) else str(uuid.uuid4())
        request.state.chengyu_request_id = known
    return known


def actor_of(request: Request) -> Actor | None:
    """The verified caller of ``request``, if authentication named one."""
    actor: Actor | None = getattr(request.state, ACTOR_STATE, None)
    return actor


async def _write(request: Request, handle: Callable[[Request], Awaitable[Response]]) -> Response:
    try:
        key = idempotency.parse_key(request.headers.get(idempotency.HEADER))
    except idempotency.InvalidKey as error:
        return JSONResponse(
            {"error": "invalid-idempotency-key", "message": str(error)}, status_code=400
        )
    method, path = request.method, request.url.path
    if request.url.query:
        path = f"{path}?{request.url.query}"
    # Starlette keeps the body, so the route reads the same bytes again.
    request_fingerprint = idempotency.fingerprint(method, path, await request.body())
    actor = actor_of(request)
    # Keys are the caller's own: two clerks' keys never meet.
    scope = "" if actor is None else f"{actor.token_issuer} {actor.subject}"
    try:
        async with runtime_of(request).pool.acquire() as conn, conn.transaction():
            if key is not None:
                stored = await idempotency.lock_and_find(conn, scope, key)
                if stored is not None:
                    return stored.replay(request_fingerprint)
            setattr(request.state, _CONN, conn)
            response = await handle(request)
            if response.status_code >= 400:
                raise _Refused(response)
            unit: Unit | None = getattr(request.state, _UNIT, None)
            if unit is not None:
                await write_emitted(unit)
            if key is not None:
                await idempotency.remember(
                    conn, scope, key, request_fingerprint, method, path, response
                )
            await _log_write(conn, request, response, actor, runtime_of(request).clock.now())
    except _Refused as refused:
        return refused.response
    return response


async def _log_write(
    conn: Connection, request: Request, response: Response, actor: Actor | None, at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO write_log (request_id, method, path, status, actor_kind, actor_subject,"
        " actor_agency, actor_city, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        request_id_of(request),
        request.method,
        request.url.path,
        response.status_code,
        None if actor is None else actor.kind,
        None if actor is None else actor.subject,
        None if actor is None else actor.agency,
        None if actor is None else actor.city,
        at,
    )


def _unit_of_work(request: Request) -> Unit:
    conn = getattr(request.state, _CONN, None)
    if conn is None:
        raise RuntimeError("UnitOfWork is given only to routes of a service_router()")
    unit: Unit | None = getattr(request.state, _UNIT, None)
    if unit is None:
        runtime = runtime_of(request)
        unit = Unit(
            conn=conn,
            now=runtime.clock.now(),
            city=runtime.settings.city,
            person_ref_key=runtime.settings.person_ref_hmac_key(),
            issuer=runtime.issuer,
            actor=actor_of(request),
            request_id=request_id_of(request),
        )
        setattr(request.state, _UNIT, unit)
    return unit


#: The route parameter that receives the request's unit of work.
UnitOfWork = Annotated[Unit, Depends(_unit_of_work)]


def service_router(**options: Any) -> APIRouter:
    """An ``APIRouter`` whose routes each run in one unit of work (``options`` as for
    ``APIRouter``)."""
    return APIRouter(route_class=UnitRoute, **options)
