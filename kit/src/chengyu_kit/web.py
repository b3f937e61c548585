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
(``X-Request-ID``, given or made, answered back) and the caller (its subject, agency and
city); the caller is the unit's ``actor``, whose non-personal reference every emitted event
carries. A refusal (any 4xx or 5xx, raised or returned) rolls everything back. A read gets
a connection without a transaction.

Before any of that the route class checks the caller's bearer token
(:mod:`chengyu_kit.auth`) against what the route needs: writes need a ``clerk`` of this
service's agency in this city, reads (GET, and a POST marked :func:`reads`) a ``reader``
of this city, such a clerk or an ``auditor``; a GET marked :func:`public` (public data a
browser opens by navigation) nothing at all. A missing or invalid token is answered 401
with ``WWW-Authenticate: Bearer``, too little a role 403 naming it; neither opens a
connection. The caller becomes the unit's :class:`~chengyu_kit.unit.Actor` and the scope of
its ``Idempotency-Key``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer

from chengyu_kit import idempotency
from chengyu_kit.auth import Access, Grant, InvalidToken, TokenVerifier, authorise, www_authenticate
from chengyu_kit.db import Connection
from chengyu_kit.http import runtime_of
from chengyu_kit.settings import ServiceSettings
from chengyu_kit.unit import Actor, Unit, write_emitted

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_CONN = "chengyu_connection"
_UNIT = "chengyu_unit"
#: Where the verified caller is kept for the request (read by ``_unit_of_work``).
ACTOR_STATE = "chengyu_actor"
REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"^[\x21-\x7e]{1,128}$")
_ACCESS_ATTRIBUTE = "__chengyu_access__"
_VERIFIER = "token_verifier"

F = TypeVar("F", bound=Callable[..., Any])

# Declares the bearer scheme in the OpenAPI document of every service route; the check
# itself is the route class's (auto_error=False: this dependency never answers).
_BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="clerkToken",
    description="An access token of the city's OpenID Connect provider (kit README).",
)


def reads(endpoint: F) -> F:
    """Mark a POST route that only looks (a lookup, an assessment): it needs
    :attr:`~chengyu_kit.auth.Access.READ`, not a clerk's write. Put it under the route
    decorator."""
    setattr(endpoint, _ACCESS_ATTRIBUTE, Access.READ)
    return endpoint


def public(endpoint: F) -> F:
    """Mark a GET route that serves **public data** to anyone, without a token (an HTML
    page a clerk opens in a browser, which cannot send a bearer token on navigation, and
    the public data it fetches). Its unit has no actor. Only for data published as public
    anyway (nothing personal, nothing internal); a route that writes cannot be public (its
    router refuses to build it). Put it under the route decorator."""
    setattr(endpoint, _ACCESS_ATTRIBUTE, Access.PUBLIC)
    return endpoint


def writes(endpoint: F) -> F:
    """Mark a route that changes state although its method is GET (there should be none)."""
    setattr(endpoint, _ACCESS_ATTRIBUTE, Access.WRITE)
    return endpoint


def install_token_verifier(app: FastAPI, settings: ServiceSettings) -> TokenVerifier:
    """Give ``app``'s service routes the verifier of ``settings``' issuers and audience."""
    verifier = TokenVerifier(settings.trusted_issuers(), settings.token_audience)
    setattr(app.state, _VERIFIER, verifier)
    return verifier


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
        declared = getattr(self.endpoint, _ACCESS_ATTRIBUTE, None)
        writing = bool(self.methods and self.methods & _WRITES)
        access: Access = declared or (Access.WRITE if writing else Access.READ)
        if access is Access.PUBLIC and writing:
            # Fail closed: a write always needs a clerk, whatever its decorator says.
            raise ValueError(f"{self.path}: a route that writes cannot be @public")

        async def in_unit(request: Request) -> Response:
            request_id = request_id_of(request)
            response = None if access is Access.PUBLIC else await _authorise(request, access)
            if response is None and request.method in _WRITES:
                response = await _write(request, handle)
            elif response is None:
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


async def _authorise(request: Request, access: Access) -> Response | None:
    """None when the caller may use the route (its actor kept on the request), else the
    401 or 403 answer."""
    settings = runtime_of(request).settings
    verifier: TokenVerifier | None = getattr(request.app.state, _VERIFIER, None)
    if verifier is None:
        # Fail closed: an app built without install_token_verifier serves nobody.
        raise RuntimeError("service routes need install_token_verifier(app, settings)")
    realm = settings.source
    try:
        principal = await verifier.verify(request.headers.get("authorization"))
    except InvalidToken as error:
        return JSONResponse(
            {"error": "unauthenticated", "message": error.description},
            status_code=401,
            headers={"WWW-Authenticate": www_authenticate(error, realm)},
        )
    granted = authorise(principal, access, city=settings.city, agency=settings.agency)
    if not isinstance(granted, Grant):
        return JSONResponse(
            {"error": "forbidden-role", "message": granted},
            status_code=403,
            headers={"WWW-Authenticate": f'Bearer realm="{realm}", error="insufficient_scope"'},
        )
    actor = Actor(
        kind=granted.role,
        subject=principal.subject,
        agency=principal.agency or "",
        city=principal.city,
    )
    setattr(request.state, ACTOR_STATE, actor)
    return None


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
    # Keys are the clerk's own: two clerks' equal keys never meet (city-qualified, as two
    # cities' providers may hand out the same subject).
    actor: Actor = getattr(request.state, ACTOR_STATE)
    scope = f"{actor.city}:{actor.subject}"
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
    conn: Connection, request: Request, response: Response, actor: Actor, at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO write_log (request_id, method, path, status, actor_kind, actor_subject,"
        " actor_agency, actor_city, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        request_id_of(request),
        request.method,
        request.url.path,
        response.status_code,
        actor.kind,
        actor.subject,
        actor.agency,
        actor.city,
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
            actor=getattr(request.state, ACTOR_STATE, None),
            request_id=request_id_of(request),
        )
        setattr(request.state, _UNIT, unit)
    return unit


#: The route parameter that receives the request's unit of work.
UnitOfWork = Annotated[Unit, Depends(_unit_of_work)]


def service_router(**options: Any) -> APIRouter:
    """An ``APIRouter`` whose routes each run in one unit of work (``options`` as for
    ``APIRouter``)."""
    dependencies = [*options.pop("dependencies", ()), Depends(_BEARER)]
    return APIRouter(route_class=UnitRoute, dependencies=dependencies, **options)
