"""The dispatch saga's use cases on the pure state machine of :mod:`..dispatch`: both
cities keep every request they take part in, each step applied with ``dispatch.apply``
under the requesting city's policy and the step's own instant (so that both cities hold
the same deadlines), saved with the request's next ``version``.

* A request (a clerk's, or a stock-low) is answered in the supplying city at once with
  :func:`..offers.plan_offer` over its own stock (green lines, down to its target,
  compatible substitutes, first-expiring first with the shelf life left on arrival at
  now + the policy's transit time): the units are reserved and ``BloodDispatchOffered``
  published, or nothing when nothing can be spared.
* Accept / decline (requesting city), dispatch (supplying city: the reserved units leave
  its stock in transit), receipt (requesting city: into stock, quarantine on a breach of the
  product's storage range, or expired), cancel (either city, before dispatch), close
  (requesting city). Declined, cancelled and closed offers release their reservations in
  the supplying city. A cancellation that crosses a dispatch on the bus lost the race:
  the shipment stands in the supplying city (its offer marked ``cancel_too_late``) and is
  recorded in transit and received as usual in the requesting city.
* Each event is applied once: a step the request already took (a redelivery, a replay)
  changes nothing.
* The requesting city's sweep raises ``BloodDispatchEscalated`` once per step whose
  deadline passed.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Literal, Protocol

from chengyu_contracts.cities import CITY_NAMES, City
from chengyu_contracts.domain_error import Conflict, DomainError, Forbidden, NotFound
from chengyu_contracts.events.blood import (
    BloodDispatchCancelled,
    BloodDispatchClosed,
    BloodDispatchEscalated,
    BloodDispatchOfferAccepted,
    BloodDispatchOfferDeclined,
    BloodDispatchOffered,
    BloodDispatchRequested,
    BloodShipmentDispatched,
    BloodShipmentReceived,
    BloodStockLow,
    ReceivedUnit,
)
from chengyu_contracts.events.blood import OfferedUnit as OfferedUnitData
from chengyu_kit.logs import get_logger
from chengyu_kit.unit import Unit

from .. import dispatch
from ..blood_groups import StockKey
from ..compatibility import donor_groups
from ..din import parse_din
from ..dispatch import (
    Accept,
    Cancel,
    CancelReceived,
    Close,
    Decline,
    DispatchOffer,
    DispatchRequest,
    DispatchStep,
    MakeOffer,
    OfferedUnit,
    Receipt,
    ReceiveShipment,
)
from ..offers import LineView, OfferRequest, plan_offer
from ..policy import CityPolicy, PolicyBook
from ..stock import store as stock_store
from ..stock import usecases as stock
from ..stock_levels import store as level_store
from ..stock_levels import usecases as levels
from ..unit import BloodUnit
from . import store
from .requests import NewRequest, create_request, keep_stock_low, stock_low_request
from .store import Escalation, Shipment, StoredRequest

log = get_logger(__name__)

ReceiptState = Literal["available", "quarantined", "expired"]
REASON_MAX = 500
LOGGER_MAX = 64


class UnitSource(Protocol):
    """Anything that opens units of work: the runtime, a test's city."""

    def unit(self) -> contextlib.AbstractAsyncContextManager[Unit]:
        """A unit of work, committed when the block ends."""
        ...


def requesting_policy(book: PolicyBook, request: DispatchRequest, unit: Unit) -> CityPolicy:
    """The requesting city's policy, which the saga's steps follow."""
    return book.policy_for(request.requesting_city, unit.today)


async def _load(unit: Unit, request_id: str) -> StoredRequest:
    stored = await store.load_request(unit.conn, request_id, for_update=True)
    if stored is None:
        raise NotFound("unknown-request", f"No request {request_id} is known here.")
    return stored


async def _apply(
    unit: Unit, stored: StoredRequest, step: DispatchStep, at: datetime, book: PolicyBook
) -> StoredRequest:
    """``step`` applied at ``at`` and saved; the reservations it released are released
    when this city supplies the request."""
    policy = requesting_policy(book, stored.request, unit)
    after = dispatch.apply(stored.request, step, at, policy)
    saved = replace(stored, request=after, version=stored.version + 1)
    await store.save_request(unit.conn, saved, unit.now)
    if after.offering_city == unit.city:
        released = dispatch.units_to_release(stored.request, after)
        for offer in after.offers:
            dins = tuple(u.din for u in offer.units if u.din in released)
            if dins:
                await stock.release_units(stock.ReleaseUnits(offer.offer_id, dins), unit, book)
    return saved


def _text(value: str | None, what: str, most: int = REASON_MAX) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > most:
        raise DomainError(f"{what}-too-long", f"The {what} has at most {most} characters.")
    return value.strip()


# --------------------------------------------------------------------------------------------
# requests and automatic offers


async def _lines(
    unit: Unit, request: DispatchRequest, book: PolicyBook
) -> dict[StockKey, LineView]:
    policy = book.policy_for(unit.city, unit.today)
    shown = await level_store.own_levels(unit.conn)
    lines: dict[StockKey, LineView] = {}
    for group in donor_groups(request.product, request.group, policy):
        key = StockKey.of(request.product, group)
        supply = await levels.supply_now(unit, key, book)
        level = shown[key].state.level if key in shown else "green"
        units = tuple(s.unit for s in await stock_store.units_in_stock(unit.conn, key, unit.city))
        lines[key] = LineView(level, units, Fraction(supply.daily_issues))
    return lines


async def answer(unit: Unit, stored: StoredRequest, book: PolicyBook) -> StoredRequest:
    """This (supplying) city's automatic offer for ``stored``: the units it can spare,
    reserved and offered; the request unchanged when it can spare none."""
    request = stored.request
    if request.offering_city != unit.city or request.state in dispatch.TERMINAL_REQUEST_STATES:
        return stored
    if request.outstanding < 1:
        return stored
    policy = book.policy_for(unit.city, unit.today)
    wanted = OfferRequest(
        product=request.product,
        group=request.group,
        quantity=request.outstanding,
        now=unit.now,
        arrival=unit.now + policy.transit_time,
        accepts_substitutes=stored.accepts_substitutes,
    )
    plan = plan_offer(wanted, await _lines(unit, request, book), policy)
    if plan is None:
        log.info("blood request cannot be answered", request_id=request.request_id)
        return stored
    offer_id = f"{request.request_id}-{unit.city}-{len(request.offers) + 1}"
    await stock.reserve_units(
        stock.ReserveUnits(offer_id, tuple(u.din.text for u in plan.units)), unit, book
    )
    units = tuple(OfferedUnit.of(u) for u in plan.units)
    saved = await _apply(unit, stored, MakeOffer(offer_id, units), unit.now, book)
    offer = saved.request.offer(offer_id)
    assert offer.deadline is not None
    unit.emit(
        BloodDispatchOffered(
            offer_id=offer_id,
            request_id=request.request_id,
            offering_city=unit.city,
            requesting_city=request.requesting_city,
            units=[_unit_data(u) for u in units],
            partial=plan.partial,
            offered_at=unit.now,
            accept_by=offer.deadline,
        )
    )
    log.info("blood offered", request_id=request.request_id, offer_id=offer_id, units=len(units))
    return saved


def _unit_data(u: OfferedUnit) -> OfferedUnitData:
    return OfferedUnitData(
        din=u.din, product=u.product, abo=u.abo, rhd=u.rhd, expires_at=u.expires_at
    )


def _offered(u: OfferedUnitData) -> OfferedUnit:
    return OfferedUnit(din=u.din, product=u.product, abo=u.abo, rhd=u.rhd, expires_at=u.expires_at)


@dataclass(frozen=True)
class RequestDispatch:
    """A clerk's request to the other city."""

    product: str
    abo: str
    rhd: str
    quantity: int
    urgency: str
    accepts_substitutes: bool = True


async def request_dispatch(command: RequestDispatch, unit: Unit, book: PolicyBook) -> StoredRequest:
    """A clerk's request of this city to the other (``unknown-product``, ``unknown-abo``,
    ``unknown-rhd``, ``unknown-urgency``, ``bad-quantity``)."""
    new = NewRequest(
        request_id=f"req-{unit.city}-{uuid.uuid4().hex[:16]}",
        requesting_city=unit.city,
        product=command.product,
        abo=command.abo,
        rhd=command.rhd,
        quantity=command.quantity,
        urgency=command.urgency,
        accepts_substitutes=command.accepts_substitutes,
        origin="clerk",
        at=unit.now,
    )
    if command.quantity > 10_000:
        raise DomainError("bad-quantity", "A request is for at most 10000 units.")
    stored = await create_request(unit, new, book)
    assert stored is not None
    r = stored.request
    unit.emit(
        BloodDispatchRequested(
            request_id=r.request_id,
            requesting_city=r.requesting_city,
            supplying_city=r.offering_city,
            product=r.product,
            abo=r.group.abo,
            rhd=r.group.rhd,
            quantity=r.quantity,
            urgency=r.urgency,
            origin="clerk",
            accepts_substitutes=stored.accepts_substitutes,
            requested_at=r.requested_at,
            offer_by=r.offer_deadline,
        )
    )
    log.info("blood requested", request_id=r.request_id, quantity=r.quantity)
    return stored


async def receive_requested(event: BloodDispatchRequested, unit: Unit, book: PolicyBook) -> None:
    """The supplying city keeps the other city's request and answers it (once)."""
    new = NewRequest(
        request_id=event.request_id,
        requesting_city=event.requesting_city,
        product=event.product,
        abo=event.abo,
        rhd=event.rhd,
        quantity=event.quantity,
        urgency=event.urgency,
        accepts_substitutes=event.accepts_substitutes,
        origin=event.origin,
        at=event.requested_at,
    )
    stored = await create_request(unit, new, book)
    if stored is not None:
        await answer(unit, stored, book)


async def receive_stock_low(event: BloodStockLow, unit: Unit, book: PolicyBook) -> None:
    """A stock-low is a request: the low city keeps it (already kept when the level moved:
    :func:`.requests.keep_stock_low`); the other city keeps the level (the levels area),
    keeps the request and answers it (once)."""
    if event.city == unit.city:
        await keep_stock_low(unit, event, book)
        return
    await levels.receive_stock_low(event, unit)
    stored = await create_request(unit, stock_low_request(event), book)
    if stored is not None:
        await answer(unit, stored, book)


async def receive_offered(event: BloodDispatchOffered, unit: Unit, book: PolicyBook) -> None:
    """The requesting city records the offer (once; not on a request it ended)."""
    stored = await _load(unit, event.request_id)
    r = stored.request
    if any(o.offer_id == event.offer_id for o in r.offers):
        return
    if r.state in dispatch.TERMINAL_REQUEST_STATES:
        log.info("offer on an ended request", request_id=r.request_id, offer_id=event.offer_id)
        return
    step = MakeOffer(event.offer_id, tuple(_offered(u) for u in event.units))
    await _apply(unit, stored, step, event.offered_at, book)


# --------------------------------------------------------------------------------------------
# accept, decline


@dataclass(frozen=True)
class OfferCommand:
    """A clerk's answer to an offer (``reason`` for a decline)."""

    request_id: str
    offer_id: str
    reason: str | None = None


def _must_request(stored: StoredRequest, unit: Unit, what: str) -> None:
    if stored.request.requesting_city != unit.city:
        raise Forbidden(
            "not-requesting-city",
            f"Only {CITY_NAMES[stored.request.requesting_city]}, which made request "
            f"{stored.request.request_id}, may {what}.",
        )


def _must_supply(stored: StoredRequest, unit: Unit, what: str) -> None:
    if stored.request.offering_city != unit.city:
        raise Forbidden(
            "not-supplying-city",
            f"Only {CITY_NAMES[stored.request.offering_city]}, which supplies request "
            f"{stored.request.request_id}, may {what}.",
        )


def _offer_in(stored: StoredRequest, offer_id: str, state: str, code: str) -> dispatch.Offer:
    offer = stored.request.offer(offer_id)
    if offer.state != state:
        raise Conflict(code, f"Offer {offer_id} is {offer.state}, not {state}.")
    return offer


async def accept_offer(command: OfferCommand, unit: Unit, book: PolicyBook) -> StoredRequest:
    """The requesting city takes an offer (``offer-not-open`` when it is not offered)."""
    stored = await _load(unit, command.request_id)
    _must_request(stored, unit, "accept its offers")
    _offer_in(stored, command.offer_id, "offered", "offer-not-open")
    saved = await _apply(unit, stored, Accept(command.offer_id), unit.now, book)
    offer = saved.request.offer(command.offer_id)
    assert offer.deadline is not None
    unit.emit(
        BloodDispatchOfferAccepted(
            offer_id=command.offer_id,
            request_id=command.request_id,
            requesting_city=unit.city,
            accepted_at=unit.now,
            dispatch_by=offer.deadline,
        )
    )
    return saved


async def decline_offer(command: OfferCommand, unit: Unit, book: PolicyBook) -> StoredRequest:
    """The requesting city declines an offer (``offer-not-open`` when it is not offered)."""
    reason = _text(command.reason, "reason") or ""
    stored = await _load(unit, command.request_id)
    _must_request(stored, unit, "decline its offers")
    _offer_in(stored, command.offer_id, "offered", "offer-not-open")
    saved = await _apply(unit, stored, Decline(command.offer_id), unit.now, book)
    unit.emit(
        BloodDispatchOfferDeclined(
            offer_id=command.offer_id,
            request_id=command.request_id,
            requesting_city=unit.city,
            reason=reason,
            declined_at=unit.now,
        )
    )
    return saved


async def receive_accepted(event: BloodDispatchOfferAccepted, unit: Unit, book: PolicyBook) -> None:
    """The supplying city records the acceptance (once)."""
    stored = await _load(unit, event.request_id)
    if stored.request.offer(event.offer_id).state != "offered":
        return
    await _apply(unit, stored, Accept(event.offer_id), event.accepted_at, book)


async def receive_declined(event: BloodDispatchOfferDeclined, unit: Unit, book: PolicyBook) -> None:
    """The supplying city records the decline and releases the offer's units (once)."""
    stored = await _load(unit, event.request_id)
    if stored.request.offer(event.offer_id).state != "offered":
        return
    await _apply(unit, stored, Decline(event.offer_id), event.declined_at, book)


# --------------------------------------------------------------------------------------------
# dispatch and receipt


@dataclass(frozen=True)
class DispatchCommand:
    """The supplying city's clerk sends an accepted offer with a temperature logger."""

    request_id: str
    offer_id: str
    logger_id: str


def _shipment_of(request: DispatchRequest, offer: dispatch.Offer) -> Shipment:
    assert offer.shipment_id and offer.logger_id and offer.departed_at and offer.deadline
    units = tuple(u for u in offer.units if u.din in offer.dispatched)
    return Shipment(
        shipment_id=offer.shipment_id,
        request_id=request.request_id,
        offer_id=offer.offer_id,
        from_city=request.offering_city,
        to_city=request.requesting_city,
        units=units,
        logger_id=offer.logger_id,
        departed_at=offer.departed_at,
        receive_by=offer.deadline,
        state="in-transit",
    )


async def dispatch_offer(command: DispatchCommand, unit: Unit, book: PolicyBook) -> Shipment:
    """The offer's units still held here leave on a new shipment (in transit);
    ``offer-not-accepted`` (409), ``missing-logger``, ``nothing-reserved``."""
    logger = _text(command.logger_id, "temperature-logger-id", LOGGER_MAX)
    if logger is None:
        raise DomainError("missing-logger", "A shipment names its temperature logger.")
    stored = await _load(unit, command.request_id)
    _must_supply(stored, unit, "dispatch its offers")
    _offer_in(stored, command.offer_id, "accepted", "offer-not-accepted")
    held = await stock_store.units_reserved_for(unit.conn, command.offer_id, unit.city)
    if not held:
        raise Conflict("nothing-reserved", f"No unit is held here for offer {command.offer_id}.")
    shipment_id = f"shp-{unit.city}-{uuid.uuid4().hex[:16]}"
    dins = tuple(s.unit.din.text for s in held)
    step = DispatchOffer(command.offer_id, shipment_id, dins, logger)
    saved = await _apply(unit, stored, step, unit.now, book)
    to_city = stored.request.requesting_city
    await stock.dispatch_units(
        stock.DispatchUnits(command.offer_id, shipment_id, to_city), unit, book
    )
    shipment = _shipment_of(saved.request, saved.request.offer(command.offer_id))
    await store.save_shipment(unit.conn, shipment)
    unit.emit(
        BloodShipmentDispatched(
            shipment_id=shipment_id,
            offer_id=command.offer_id,
            request_id=command.request_id,
            from_city=unit.city,
            to_city=to_city,
            units=[_unit_data(u) for u in shipment.units],
            temperature_logger_id=logger,
            departed_at=unit.now,
            receive_by=shipment.receive_by,
        )
    )
    log.info("blood shipment dispatched", shipment_id=shipment_id, units=len(dins))
    return shipment


async def receive_dispatched(event: BloodShipmentDispatched, unit: Unit, book: PolicyBook) -> None:
    """The requesting city records the shipment in transit (once), also for an offer whose
    cancellation here crossed the dispatch: the units are on their way all the same."""
    stored = await _load(unit, event.request_id)
    state = stored.request.offer(event.offer_id).state
    crossed = state == "cancelled" and stored.request.state == "cancelled"
    if state != "accepted" and not crossed:
        return
    if crossed:
        log.info("shipment crossed a cancellation", request_id=event.request_id)
    dins = tuple(u.din for u in event.units)
    step = DispatchOffer(event.offer_id, event.shipment_id, dins, event.temperature_logger_id)
    saved = await _apply(unit, stored, step, event.departed_at, book)
    await store.save_shipment(
        unit.conn, _shipment_of(saved.request, saved.request.offer(event.offer_id))
    )


@dataclass(frozen=True)
class ReceiveCommand:
    """The requesting city's clerk unpacks a shipment: the logger's extremes (tenths of °C)."""

    shipment_id: str
    min_temperature_c10: int
    max_temperature_c10: int


async def _collected_at(unit: Unit, u: OfferedUnit, from_city: City, book: PolicyBook) -> datetime:
    """The unit's collection as the sending city published it, else its expiry less the
    product's shelf life."""
    seen = await stock_store.load_seen(unit.conn, u.din, from_city)
    if seen is not None:
        return seen.unit.collected_at
    shelf = book.policy_for(from_city, unit.today).shelf_life(u.product)
    return u.expires_at - shelf + timedelta(0)


async def receive_shipment(command: ReceiveCommand, unit: Unit, book: PolicyBook) -> Shipment:
    """Unpack a shipment here: each unit into stock, quarantined when the logger left the
    product's storage range, or expired if it expired on the way (``unknown-shipment``,
    ``not-receiving-city``, ``already-received``, ``bad-logger-reading``)."""
    shipment = await store.load_shipment(unit.conn, command.shipment_id, for_update=True)
    if shipment is None:
        raise NotFound("unknown-shipment", f"No shipment {command.shipment_id} was sent here.")
    if shipment.to_city != unit.city:
        raise Forbidden(
            "not-receiving-city",
            f"Shipment {command.shipment_id} goes to {CITY_NAMES[shipment.to_city]}.",
        )
    if shipment.state == "received":
        raise Conflict("already-received", f"Shipment {command.shipment_id} was received.")
    stored = await _load(unit, shipment.request_id)
    coldest, warmest = command.min_temperature_c10, command.max_temperature_c10
    step = ReceiveShipment(shipment.offer_id, shipment.shipment_id, coldest, warmest)
    saved = await _apply(unit, stored, step, unit.now, book)
    policy = requesting_policy(book, saved.request, unit)
    ok = policy.storage[saved.request.product].holds(coldest, warmest)
    blood = tuple(
        [
            BloodUnit(
                din=parse_din(u.din),
                product=u.product,
                abo=u.abo,
                rhd=u.rhd,
                collected_at=await _collected_at(unit, u, shipment.from_city, book),
                expires_at=u.expires_at,
            )
            for u in shipment.units
        ]
    )
    await stock.receive_units(
        stock.ReceiveUnits(shipment.shipment_id, shipment.from_city, blood, ok), unit, book
    )
    receipts = saved.request.offer(shipment.offer_id).receipts
    received = replace(
        shipment,
        state="received",
        received_at=unit.now,
        coldest_c10=coldest,
        warmest_c10=warmest,
        temperature_in_range=ok,
        receipts=receipts,
    )
    await store.save_shipment(unit.conn, received)
    unit.emit(
        BloodShipmentReceived(
            shipment_id=shipment.shipment_id,
            offer_id=shipment.offer_id,
            request_id=shipment.request_id,
            to_city=unit.city,
            temperature_in_range=ok,
            units=[ReceivedUnit(din=r.din, state=_receipt_state(r)) for r in receipts],
            received_at=unit.now,
        )
    )
    log.info("blood shipment received", shipment_id=shipment.shipment_id, in_range=ok)
    return received


_RECEIPT_STATES: dict[str, ReceiptState] = {
    "available": "available",
    "quarantined": "quarantined",
    "expired": "expired",
}


def _receipt_state(r: Receipt) -> ReceiptState:
    return _RECEIPT_STATES[r.state]


async def receive_received(event: BloodShipmentReceived, unit: Unit, book: PolicyBook) -> None:
    """The sending city records the receipt (once): the shipment and its offer received,
    each unit's verdict; its own rows of the units stay in transit to the other city (the
    stock area's record of what left)."""
    del book
    shipment = await store.load_shipment(unit.conn, event.shipment_id, for_update=True)
    if shipment is None:
        raise NotFound("unknown-shipment", f"No shipment {event.shipment_id} was sent from here.")
    if shipment.state == "received":
        return
    stored = await _load(unit, event.request_id)
    receipts = tuple(Receipt(u.din, u.state) for u in event.units)
    offers = tuple(
        replace(o, state="received", deadline=None, receipts=receipts)
        if o.offer_id == event.offer_id and o.state == "dispatched"
        else o
        for o in stored.request.offers
    )
    after = replace(stored.request, offers=offers)
    await store.save_request(
        unit.conn, replace(stored, request=after, version=stored.version + 1), unit.now
    )
    received = replace(
        shipment,
        state="received",
        received_at=event.received_at,
        temperature_in_range=event.temperature_in_range,
        receipts=receipts,
    )
    await store.save_shipment(unit.conn, received)


# --------------------------------------------------------------------------------------------
# cancel, close


@dataclass(frozen=True)
class EndRequest:
    """A clerk's cancellation (either city) or closing (requesting city)."""

    request_id: str
    reason: str | None = None


async def cancel_request(command: EndRequest, unit: Unit, book: PolicyBook) -> StoredRequest:
    """Cancel a request before anything was dispatched (either city); reservations
    released (``already-dispatched``, ``illegal-transition``)."""
    reason = _text(command.reason, "reason") or ""
    stored = await _load(unit, command.request_id)
    saved = await _apply(unit, stored, Cancel(), unit.now, book)
    saved = replace(saved, reason=reason or None)
    await store.save_request(unit.conn, saved, unit.now)
    unit.emit(
        BloodDispatchCancelled(
            request_id=command.request_id,
            cancelled_by=unit.city,
            reason=reason,
            cancelled_at=unit.now,
        )
    )
    return saved


def units_received(request: DispatchRequest) -> int:
    """Units received into stock for ``request`` (not as expired)."""
    return sum(1 for o in request.offers for r in o.receipts if r.state != "expired")


async def close_request(command: EndRequest, unit: Unit, book: PolicyBook) -> StoredRequest:
    """The requesting city closes its request (``shipment-in-transit``, ...): open offers
    are cancelled and their reservations released in the supplying city."""
    stored = await _load(unit, command.request_id)
    _must_request(stored, unit, "close it")
    saved = await _apply(unit, stored, Close(), unit.now, book)
    unit.emit(
        BloodDispatchClosed(
            request_id=command.request_id,
            requesting_city=unit.city,
            units_received=units_received(saved.request),
            closed_at=unit.now,
        )
    )
    return saved


async def receive_cancelled(event: BloodDispatchCancelled, unit: Unit, book: PolicyBook) -> None:
    """The other city cancelled: cancelled here too (once), reservations released. A
    cancellation that crossed a dispatch lost the race: the shipment stands, its offer
    marked ``cancel_too_late``."""
    stored = await _load(unit, event.request_id)
    if stored.request.state in dispatch.TERMINAL_REQUEST_STATES:
        return
    saved = await _apply(unit, stored, CancelReceived(), event.cancelled_at, book)
    if any(o.cancel_too_late for o in saved.request.offers):
        log.info("cancellation came too late", request_id=event.request_id)
    await store.save_request(unit.conn, replace(saved, reason=event.reason or None), unit.now)


async def receive_closed(event: BloodDispatchClosed, unit: Unit, book: PolicyBook) -> None:
    """The requesting city closed: closed here too (once), reservations released."""
    stored = await _load(unit, event.request_id)
    if stored.request.state in dispatch.TERMINAL_REQUEST_STATES:
        return
    await _apply(unit, stored, Close(), event.closed_at, book)


# --------------------------------------------------------------------------------------------
# escalation


async def escalate_due(units: UnitSource) -> int:
    """The requesting city's sweep: raise each overdue step of its open requests once
    (``BloodDispatchEscalated``); how many were raised."""
    raised = 0
    async with units.unit() as unit:
        for stored in await store.open_requests(unit.conn, unit.now):
            request = stored.request
            if request.requesting_city != unit.city:
                continue
            for late in dispatch.overdue(request, unit.now):
                escalation = Escalation(
                    late.step, late.offer_id, late.deadline, unit.city, unit.now
                )
                if not await store.save_escalation(unit.conn, request.request_id, escalation):
                    continue
                raised += 1
                unit.emit(
                    BloodDispatchEscalated(
                        request_id=request.request_id,
                        offer_id=late.offer_id,
                        city=unit.city,
                        step=late.step,
                        deadline=late.deadline,
                        escalated_at=unit.now,
                    )
                )
                log.warning(
                    "blood dispatch escalated", request_id=request.request_id, step=late.step
                )
    return raised


async def receive_escalated(event: BloodDispatchEscalated, unit: Unit) -> None:
    """Keep the other city's escalation (once)."""
    if await store.load_request(unit.conn, event.request_id) is None:
        return
    escalation = Escalation(
        event.step, event.offer_id, event.deadline, event.city, event.escalated_at
    )
    await store.save_escalation(unit.conn, event.request_id, escalation)


# --------------------------------------------------------------------------------------------
# reading


async def request_view(request_id: str, unit: Unit) -> StoredRequest:
    """A request known here (``unknown-request``)."""
    stored = await store.load_request(unit.conn, request_id)
    if stored is None:
        raise NotFound("unknown-request", f"No request {request_id} is known here.")
    return stored


STATE_FILTERS: dict[str, tuple[str, ...]] = {
    "open": ("requested", "offered"),
    "closed": ("closed",),
    "cancelled": ("cancelled",),
}


async def list_requests(state: str | None, unit: Unit) -> list[StoredRequest]:
    """The requests known here, by ``state`` (open, closed, cancelled) or all."""
    if state is not None and state not in STATE_FILTERS:
        raise DomainError("unknown-state", "State is one of open, closed, cancelled.")
    return await store.requests(unit.conn, None if state is None else STATE_FILTERS[state])


async def list_shipments(state: str | None, unit: Unit) -> list[Shipment]:
    """The shipments known here, by ``state`` (in-transit, received) or all."""
    if state is not None and state not in ("in-transit", "received"):
        raise DomainError("unknown-state", "State is one of in-transit, received.")
    return await store.shipments(unit.conn, state)


async def shipment_view(shipment_id: str, unit: Unit) -> Shipment:
    """A shipment known here (``unknown-shipment``)."""
    found = await store.load_shipment(unit.conn, shipment_id)
    if found is None:
        raise NotFound("unknown-shipment", f"No shipment {shipment_id} is known here.")
    return found
