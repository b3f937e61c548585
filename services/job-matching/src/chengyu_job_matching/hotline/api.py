"""The clerks' routes of 12333 requests between the cities (诉求互转): the forwarding city
forwards, re-forwards, decides extensions and records callbacks; the receiving city signs,
returns, asks for extensions and resolves; both read the requests between them, their
deadlines, overdue flags and history, and the on-time rates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from chengyu_kit.web import UnitOfWork, service_router

from ..policy import PolicyBook
from . import usecases
from .request import Extension
from .store import StoredRequest

Word = Annotated[StrictStr, Field(max_length=32)]
Text = Annotated[StrictStr, Field(max_length=2000)]
Reason = Annotated[StrictStr, Field(max_length=500)]


class ForwardBody(BaseModel):
    """A request this city's 12333 took that belongs to the other city."""

    model_config = ConfigDict(extra="forbid")

    category: Word
    caller_kind: Word
    caller_id_number: Annotated[StrictStr, Field(max_length=32)] | None = None
    caller_credit_code: Annotated[StrictStr, Field(max_length=32)] | None = None
    caller_phone: Annotated[StrictStr, Field(max_length=32)]
    summary: Text
    received_at: AwareDatetime


class ReasonBody(BaseModel):
    """A return's reason."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason


class ExtensionBody(BaseModel):
    """More working days, and why."""

    model_config = ConfigDict(extra="forbid")

    working_days: Annotated[StrictInt, Field(ge=1, le=60)]
    reason: Reason


class DecideBody(BaseModel):
    """The forwarding city's answer to an extension."""

    model_config = ConfigDict(extra="forbid")

    approved: StrictBool
    reason: Reason | None = None


class ResolveBody(BaseModel):
    """How the request was resolved (no personal data)."""

    model_config = ConfigDict(extra="forbid")

    resolution: Text


class CallbackBody(BaseModel):
    """The caller's feedback."""

    model_config = ConfigDict(extra="forbid")

    feedback: Word


class ExtensionView(BaseModel):
    """An extension and, once decided, the request's deadline after it."""

    extension_id: str
    request_id: str
    working_days: int
    reason: str
    state: str
    requested_at: datetime
    decided_at: datetime | None
    decision_reason: str | None
    resolve_by: date | None


class FlagView(BaseModel):
    """An overdue reminder."""

    step: str
    due_on: date
    flagged_on: date


class StepView(BaseModel):
    """One step of the request's history."""

    step: str
    at: datetime
    detail: str


class RequestView(BaseModel):
    """A request as this city knows it."""

    request_id: str
    from_city: str
    to_city: str
    category: str
    caller_kind: str
    caller_ref: str | None
    #: Masked, and only in the city that took the call.
    caller_phone: str | None
    summary: str
    received_at: datetime
    state: str
    attempt: int
    forwarded_at: datetime
    sign_by: date
    signed_at: datetime | None
    resolve_by: date | None
    resolved_at: datetime | None
    resolution: str | None
    return_reason: str | None
    feedback: str | None
    reopens: int
    #: The step the request waits for was flagged overdue at its current deadline.
    overdue: bool
    overdue_steps: list[FlagView]
    extensions: list[ExtensionView]
    history: list[StepView]
    version: int


class RequestsView(BaseModel):
    """Requests known here, newest first."""

    requests: list[RequestView]
    total: int


class CategoryView(BaseModel):
    """Finished requests of one category and the share on time."""

    finished: int
    on_time: int
    rate: float | None


class MetricsView(BaseModel):
    """On-time rates per receiving city and category."""

    by_city: dict[str, dict[str, CategoryView]]


def _extension_view(request_id: str, e: Extension, current: date | None) -> ExtensionView:
    return ExtensionView(
        extension_id=e.extension_id,
        request_id=request_id,
        working_days=e.working_days,
        reason=e.reason,
        state=e.state,
        requested_at=e.requested_at,
        decided_at=e.decided_at,
        decision_reason=e.decision_reason,
        resolve_by=e.resolve_by if e.resolve_by is not None else current,
    )


def request_view(seen: usecases.Seen) -> RequestView:
    """The JSON form of a request."""
    r = seen.stored.request
    return RequestView(
        request_id=r.request_id,
        from_city=r.from_city,
        to_city=r.to_city,
        category=r.category,
        caller_kind=r.caller_kind,
        caller_ref=r.caller_ref,
        caller_phone=seen.caller_phone,
        summary=r.summary,
        received_at=r.received_at,
        state=r.state,
        attempt=r.attempt,
        forwarded_at=r.forwarded_at,
        sign_by=r.sign_by,
        signed_at=r.signed_at,
        resolve_by=r.resolve_by,
        resolved_at=r.resolved_at,
        resolution=r.resolution,
        return_reason=r.return_reason,
        feedback=r.feedback,
        reopens=r.reopens,
        overdue=seen.overdue,
        overdue_steps=[
            FlagView(step=f.step, due_on=f.due_on, flagged_on=f.flagged_on)
            for f in seen.stored.flags
        ],
        extensions=[_extension_view(r.request_id, e, r.resolve_by) for e in r.extensions],
        history=[StepView(step=h.step, at=h.at, detail=h.detail) for h in r.history],
        version=seen.stored.version,
    )


def router(book: PolicyBook) -> APIRouter:
    """The hotline's routes, deciding by ``book``."""
    routes = service_router(tags=["hotline"])

    async def seen(stored: StoredRequest, unit: UnitOfWork) -> RequestView:
        return request_view(await usecases.request_view(stored.request.request_id, unit))

    @routes.post("/hotline/requests", status_code=201)
    async def forward(body: ForwardBody, unit: UnitOfWork) -> RequestView:
        """Forward a request this city's 12333 took to the other city."""
        command = usecases.ForwardRequest(**body.model_dump())
        stored, phone = await usecases.forward_request(command, unit, book)
        return request_view(usecases.Seen(stored, phone, overdue=False))

    @routes.get("/hotline/requests")
    async def listing(
        unit: UnitOfWork,
        direction: Annotated[str | None, Query(max_length=16)] = None,
        state: Annotated[str | None, Query(max_length=16)] = None,
        overdue: bool | None = None,
    ) -> RequestsView:
        """The requests this city forwarded or received (by direction, state, overdue)."""
        found = await usecases.list_requests(usecases.ListCommand(direction, state, overdue), unit)
        return RequestsView(requests=[request_view(s) for s in found], total=len(found))

    @routes.get("/hotline/metrics")
    async def metrics(unit: UnitOfWork) -> MetricsView:
        """On-time rates per receiving city and category."""
        counts = await usecases.metrics(unit)
        return MetricsView(
            by_city={
                city: {
                    cat: CategoryView(
                        finished=c.finished,
                        on_time=c.on_time,
                        rate=round(c.on_time / c.finished, 4) if c.finished else None,
                    )
                    for cat, c in cats.items()
                }
                for city, cats in counts.items()
            }
        )

    @routes.get("/hotline/requests/{request_id}")
    async def one(request_id: str, unit: UnitOfWork) -> RequestView:
        """A request: state, deadlines, overdue flags, extensions and history."""
        return request_view(await usecases.request_view(request_id, unit))

    @routes.post("/hotline/requests/{request_id}/sign")
    async def sign(request_id: str, unit: UnitOfWork) -> RequestView:
        """The receiving city signs for the request (up to sign_by)."""
        command = usecases.RequestCommand(request_id)
        return await seen(await usecases.sign_request(command, unit, book), unit)

    @routes.post("/hotline/requests/{request_id}/return")
    async def give_back(request_id: str, body: ReasonBody, unit: UnitOfWork) -> RequestView:
        """The receiving city returns a wrongly routed request (up to sign_by)."""
        command = usecases.ReturnRequest(request_id, body.reason)
        return await seen(await usecases.return_request(command, unit), unit)

    @routes.post("/hotline/requests/{request_id}/reforward")
    async def reforward(request_id: str, unit: UnitOfWork) -> RequestView:
        """The forwarding city forwards an unsigned request again (after sign_by)."""
        command = usecases.RequestCommand(request_id)
        return await seen(await usecases.reforward_request(command, unit, book), unit)

    @routes.post("/hotline/requests/{request_id}/extensions", status_code=201)
    async def extend(request_id: str, body: ExtensionBody, unit: UnitOfWork) -> ExtensionView:
        """The receiving city asks for more working days (on or before resolve_by)."""
        command = usecases.ExtensionCommand(request_id, body.working_days, body.reason)
        stored, ext = await usecases.ask_extension(command, unit, book)
        return _extension_view(request_id, ext, stored.request.resolve_by)

    @routes.post("/hotline/requests/{request_id}/extensions/{extension_id}/decide")
    async def decide(
        request_id: str, extension_id: str, body: DecideBody, unit: UnitOfWork
    ) -> ExtensionView:
        """The forwarding city approves (resolve_by moves) or refuses an extension."""
        command = usecases.DecideCommand(request_id, extension_id, body.approved, body.reason)
        stored, ext = await usecases.decide_extension(command, unit, book)
        return _extension_view(request_id, ext, stored.request.resolve_by)

    @routes.post("/hotline/requests/{request_id}/resolve")
    async def resolve(request_id: str, body: ResolveBody, unit: UnitOfWork) -> RequestView:
        """The receiving city resolves the request."""
        command = usecases.ResolveCommand(request_id, body.resolution)
        return await seen(await usecases.resolve_request(command, unit), unit)

    @routes.post("/hotline/requests/{request_id}/callback")
    async def callback(request_id: str, body: CallbackBody, unit: UnitOfWork) -> RequestView:
        """The forwarding city records the caller's feedback: closed or reopened."""
        command = usecases.CallbackCommand(request_id, body.feedback)
        return await seen(await usecases.record_callback(command, unit, book), unit)

    return routes
