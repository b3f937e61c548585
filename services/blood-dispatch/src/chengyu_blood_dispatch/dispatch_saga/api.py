"""The clerks' routes of the dispatch saga: requests to the other city, answers to its
offers, dispatch with a temperature logger, receipt, cancellation and closing; the
requests and shipments known here."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from chengyu_kit.web import UnitOfWork, service_router

from ..policy import PolicyBook
from . import usecases
from .store import Shipment, StoredRequest

Word = Annotated[StrictStr, Field(max_length=32)]
Reason = Annotated[StrictStr, Field(max_length=500)]
Tenths = Annotated[StrictInt, Field(ge=-1000, le=1000, description="tenths of a degree C")]


class RequestBody(BaseModel):
    """A clerk's request for units from the other city."""

    model_config = ConfigDict(extra="forbid")

    product: Word
    abo: Word
    rhd: Word
    quantity: Annotated[StrictInt, Field(ge=1, le=10_000)]
    urgency: Word
    accepts_substitutes: StrictBool = True


class ReasonBody(BaseModel):
    """A decline's or a cancellation's reason."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason = ""


class DispatchBody(BaseModel):
    """The temperature logger travelling with the shipment."""

    model_config = ConfigDict(extra="forbid")

    temperature_logger_id: Annotated[StrictStr, Field(max_length=64)]


class ReceiveBody(BaseModel):
    """The logger's extremes over the journey."""

    model_config = ConfigDict(extra="forbid")

    min_temperature_c10: Tenths
    max_temperature_c10: Tenths


class UnitView(BaseModel):
    """A unit of an offer and, once received, how it was received."""

    din: str
    product: str
    abo: str
    rhd: str
    expires_at: datetime
    dispatched: bool
    received_as: str | None


class OfferView(BaseModel):
    """An offer of the supplying city."""

    offer_id: str
    state: str
    units: list[UnitView]
    partial: bool
    offered_at: datetime
    deadline: datetime | None
    shipment_id: str | None
    temperature_logger_id: str | None
    departed_at: datetime | None
    #: A cancellation crossed this offer's dispatch and lost the race: the shipment stands.
    cancel_too_late: bool


class EscalationView(BaseModel):
    """A step that passed its deadline."""

    step: str
    offer_id: str | None
    deadline: datetime
    city: str
    escalated_at: datetime


class RequestView(BaseModel):
    """A request as this city knows it."""

    request_id: str
    requesting_city: str
    supplying_city: str
    state: str
    origin: str
    product: str
    abo: str
    rhd: str
    quantity: int
    urgency: str
    accepts_substitutes: bool
    requested_at: datetime
    offer_by: datetime
    outstanding: int
    units_received: int
    reason: str | None
    version: int
    offers: list[OfferView]
    escalations: list[EscalationView]


class RequestsView(BaseModel):
    """Requests known here, newest first."""

    items: list[RequestView]


class ReceiptView(BaseModel):
    """How a shipped unit was received."""

    din: str
    state: str


class ShipmentView(BaseModel):
    """A shipment between the centres."""

    shipment_id: str
    request_id: str
    offer_id: str
    from_city: str
    to_city: str
    state: str
    units: list[str]
    temperature_logger_id: str
    departed_at: datetime
    receive_by: datetime
    received_at: datetime | None
    min_temperature_c10: int | None
    max_temperature_c10: int | None
    temperature_in_range: bool | None
    receipts: list[ReceiptView]


class ShipmentsView(BaseModel):
    """Shipments known here, latest first."""

    items: list[ShipmentView]


def request_view(stored: StoredRequest) -> RequestView:
    """The JSON form of a request."""
    r = stored.request
    offers = []
    for o in r.offers:
        receipts = {x.din: x.state for x in o.receipts}
        offers.append(
            OfferView(
                offer_id=o.offer_id,
                state=o.state,
                units=[
                    UnitView(
                        din=u.din,
                        product=u.product,
                        abo=u.abo,
                        rhd=u.rhd,
                        expires_at=u.expires_at,
                        dispatched=u.din in o.dispatched,
                        received_as=receipts.get(u.din),
                    )
                    for u in o.units
                ],
                partial=len(o.units) < r.quantity,
                offered_at=o.offered_at,
                deadline=o.deadline,
                shipment_id=o.shipment_id,
                temperature_logger_id=o.logger_id,
                departed_at=o.departed_at,
                cancel_too_late=o.cancel_too_late,
            )
        )
    return RequestView(
        request_id=r.request_id,
        requesting_city=r.requesting_city,
        supplying_city=r.offering_city,
        state=r.state,
        origin=stored.origin,
        product=r.product,
        abo=r.group.abo,
        rhd=r.group.rhd,
        quantity=r.quantity,
        urgency=r.urgency,
        accepts_substitutes=stored.accepts_substitutes,
        requested_at=r.requested_at,
        offer_by=r.offer_deadline,
        outstanding=r.outstanding,
        units_received=usecases.units_received(r),
        reason=stored.reason,
        version=stored.version,
        offers=offers,
        escalations=[
            EscalationView(
                step=e.step,
                offer_id=e.offer_id,
                deadline=e.deadline,
                city=e.city,
                escalated_at=e.escalated_at,
            )
            for e in stored.escalations
        ],
    )


def shipment_view(s: Shipment) -> ShipmentView:
    """The JSON form of a shipment."""
    return ShipmentView(
        shipment_id=s.shipment_id,
        request_id=s.request_id,
        offer_id=s.offer_id,
        from_city=s.from_city,
        to_city=s.to_city,
        state=s.state,
        units=[u.din for u in s.units],
        temperature_logger_id=s.logger_id,
        departed_at=s.departed_at,
        receive_by=s.receive_by,
        received_at=s.received_at,
        min_temperature_c10=s.coldest_c10,
        max_temperature_c10=s.warmest_c10,
        temperature_in_range=s.temperature_in_range,
        receipts=[ReceiptView(din=r.din, state=r.state) for r in s.receipts],
    )


def router(book: PolicyBook) -> APIRouter:
    """The dispatch saga's routes, deciding by ``book``."""
    routes = service_router(tags=["dispatch"])

    @routes.post("/requests", status_code=201)
    async def request(body: RequestBody, unit: UnitOfWork) -> RequestView:
        """Ask the other city for units (its service answers with offers when it can)."""
        command = usecases.RequestDispatch(**body.model_dump())
        return request_view(await usecases.request_dispatch(command, unit, book))

    @routes.get("/requests")
    async def requests(
        unit: UnitOfWork, state: Annotated[str | None, Query(max_length=16)] = None
    ) -> RequestsView:
        """The requests known here (open, closed, cancelled, or all)."""
        found = await usecases.list_requests(state, unit)
        return RequestsView(items=[request_view(s) for s in found])

    @routes.get("/requests/{request_id}")
    async def one_request(request_id: str, unit: UnitOfWork) -> RequestView:
        """A request, its offers and escalations (in both cities)."""
        return request_view(await usecases.request_view(request_id, unit))

    @routes.post("/requests/{request_id}/offers/{offer_id}/accept")
    async def accept(request_id: str, offer_id: str, unit: UnitOfWork) -> RequestView:
        """The requesting city takes an offer."""
        command = usecases.OfferCommand(request_id, offer_id)
        return request_view(await usecases.accept_offer(command, unit, book))

    @routes.post("/requests/{request_id}/offers/{offer_id}/decline")
    async def decline(
        request_id: str, offer_id: str, body: ReasonBody, unit: UnitOfWork
    ) -> RequestView:
        """The requesting city declines an offer (its units are released)."""
        command = usecases.OfferCommand(request_id, offer_id, body.reason)
        return request_view(await usecases.decline_offer(command, unit, book))

    @routes.post("/requests/{request_id}/offers/{offer_id}/dispatch", status_code=201)
    async def send(
        request_id: str, offer_id: str, body: DispatchBody, unit: UnitOfWork
    ) -> ShipmentView:
        """The supplying city sends an accepted offer: its units leave stock in transit."""
        command = usecases.DispatchCommand(request_id, offer_id, body.temperature_logger_id)
        return shipment_view(await usecases.dispatch_offer(command, unit, book))

    @routes.post("/requests/{request_id}/cancel")
    async def cancel(request_id: str, body: ReasonBody, unit: UnitOfWork) -> RequestView:
        """Either city cancels before dispatch: reservations released."""
        command = usecases.EndRequest(request_id, body.reason)
        return request_view(await usecases.cancel_request(command, unit, book))

    @routes.post("/requests/{request_id}/close")
    async def close(request_id: str, unit: UnitOfWork) -> RequestView:
        """The requesting city closes its request (nothing in transit)."""
        return request_view(
            await usecases.close_request(usecases.EndRequest(request_id), unit, book)
        )

    @routes.post("/shipments/{shipment_id}/receive")
    async def receive(shipment_id: str, body: ReceiveBody, unit: UnitOfWork) -> ShipmentView:
        """The requesting city unpacks a shipment: stock, quarantine or expired."""
        command = usecases.ReceiveCommand(
            shipment_id, body.min_temperature_c10, body.max_temperature_c10
        )
        return shipment_view(await usecases.receive_shipment(command, unit, book))

    @routes.get("/shipments")
    async def shipments(
        unit: UnitOfWork, state: Annotated[str | None, Query(max_length=16)] = None
    ) -> ShipmentsView:
        """The shipments known here (in-transit, received, or all)."""
        found = await usecases.list_shipments(state, unit)
        return ShipmentsView(items=[shipment_view(s) for s in found])

    @routes.get("/shipments/{shipment_id}")
    async def shipment(shipment_id: str, unit: UnitOfWork) -> ShipmentView:
        """A shipment known here."""
        return shipment_view(await usecases.shipment_view(shipment_id, unit))

    return routes
