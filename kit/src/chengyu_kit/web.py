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
(:mod:`chengyu_kit.idempotency`). A refusal (any 4xx or 5xx, raised or returned) rolls
everything back. A read gets a connection without a transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

from chengyu_kit import idempotency
from chengyu_kit.http import runtime_of
from chengyu_kit.unit import Unit, write_emitted

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_CONN = "chengyu_connection"
_UNIT = "chengyu_unit"


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
            if request.method in _WRITES:
                return await _write(request, handle)
            async with runtime_of(request).pool.acquire() as conn:
                setattr(request.state, _CONN, conn)
                return await handle(request)

        return in_unit


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
    scope = ""  # until clerks are authenticated: then the acting subject
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
    except _Refused as refused:
        return refused.response
    return response


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
        )
        setattr(request.state, _UNIT, unit)
    return unit


#: The route parameter that receives the request's unit of work.
UnitOfWork = Annotated[Unit, Depends(_unit_of_work)]


def service_router(**options: Any) -> APIRouter:
    """An ``APIRouter`` whose routes each run in one unit of work (``options`` as for
    ``APIRouter``)."""
    return APIRouter(route_class=UnitRoute, **options)
