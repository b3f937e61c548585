"""The dispatch saga of one request for blood from the other city, as a state machine.

A request (product, recipient group, quantity, urgent or routine) lives in the requesting
city; the offering city answers with one or more offers (each possibly partial), each
offer goes its own way::

    request:
        requested ──MakeOffer──► offered ──MakeOffer / an offer's step──► offered
            │                      ├──Close (nothing in transit)──► closed
            └──Cancel──► cancelled ◄┘ Cancel (nothing dispatched yet) / CancelReceived
                            └──DispatchOffer / ReceiveShipment (the crossed shipment)──► cancelled

    each offer:
        offered ──Accept──► accepted ──DispatchOffer──► dispatched ──ReceiveShipment──► received
           ├──Decline──► declined
           └─────────────────┴──Cancel / Close of the request──► cancelled
                          (a cancel that crossed the dispatch) ──DispatchOffer──► dispatched

=================  ================  =============  ==========================================
request state      step              next request   the offer it names (or every open offer)
=================  ================  =============  ==========================================
requested          MakeOffer         offered        (new) offered
offered            MakeOffer         offered        (new) offered
offered            Accept            offered        offered -> accepted
offered            Decline           offered        offered -> declined
offered            DispatchOffer     offered        accepted -> dispatched
offered            ReceiveShipment   offered        dispatched -> received
requested          Cancel            cancelled      -
offered            Cancel            cancelled      offered, accepted -> cancelled
offered            Close             closed         offered, accepted -> cancelled
requested          CancelReceived    cancelled      -
offered            CancelReceived    cancelled      offered, accepted -> cancelled (dispatched
                                                    and received stand, cancel_too_late)
cancelled          DispatchOffer     cancelled      cancelled -> dispatched (cancel_too_late)
cancelled          ReceiveShipment   cancelled      dispatched -> received
=================  ================  =============  ==========================================

Anything else is ``illegal-transition``. Cancel is refused once anything was dispatched
(``already-dispatched``); Close while a shipment is on its way (``shipment-in-transit``).

A cancellation can cross a dispatch on the bus (the requesting city cancels while the
supplying city dispatches): it lost the race, which is an answer, not an error. In the
supplying city the other city's cancellation arrives as ``CancelReceived``: what is still
open is cancelled, what was dispatched stands, marked ``cancel_too_late``. In the requesting
city the shipment of the offer it cancelled still arrives: the offer goes cancelled ->
dispatched (marked ``cancel_too_late``) and is received as usual; the request stays
cancelled.
A declined or cancelled offer's units, and the offered units a dispatch leaves behind, are
released (:func:`units_to_release`). A receipt judges each unit: expired on the way ->
received as expired; the logger outside the product's storage range -> quarantine; else
into stock.

Deadlines: each step has the policy's time after the step before (the offer after the
request; accept after the offer; dispatch after the acceptance; receipt after departure),
fixed when the step before happens. :func:`overdue` tells which passed, for escalation;
an overdue step is still accepted (blood in flight is never stranded by a late event).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final, Literal

from chengyu_contracts.cities import CITY_NAMES, City
from chengyu_contracts.domain_error import Conflict, DomainError, NotFound

from .blood_groups import PRODUCT_NAMES, Abo, BloodGroup, Product, Rhd
from .compatibility import may_give
from .policy import CityPolicy, DeadlineStep, Urgency
from .unit import BloodUnit, UnitState, receipt_state

RequestState = Literal["requested", "offered", "closed", "cancelled"]
OfferState = Literal["offered", "accepted", "declined", "dispatched", "received", "cancelled"]
TERMINAL_REQUEST_STATES: Final[frozenset[RequestState]] = frozenset({"closed", "cancelled"})
#: Offers whose units are still promised to the request (counted against its quantity).
LIVE_OFFER_STATES: Final[frozenset[OfferState]] = frozenset(
    {"offered", "accepted", "dispatched", "received"}
)


def _aware(at: datetime) -> datetime:
    # The two cities judge the same deadlines; naive times would be ambiguous.
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("dispatch times must be timezone-aware")
    return at


@dataclass(frozen=True)
class OfferedUnit:
    """A unit as an offer carries it: enough to check it and to judge its receipt."""

    din: str
    product: Product
    abo: Abo
    rhd: Rhd
    expires_at: datetime

    @classmethod
    def of(cls, unit: BloodUnit) -> OfferedUnit:
        """The offered form of ``unit``."""
        return cls(unit.din.text, unit.product, unit.abo, unit.rhd, unit.expires_at)

    @property
    def group(self) -> BloodGroup:
        """The unit's ABO/RhD group."""
        return BloodGroup(self.abo, self.rhd)


@dataclass(frozen=True)
class Receipt:
    """How one unit was received."""

    din: str
    state: UnitState


@dataclass(frozen=True)
class Offer:
    """One offer of the offering city for the request and how far it got."""

    offer_id: str
    state: OfferState
    units: tuple[OfferedUnit, ...]
    offered_at: datetime
    #: The deadline of the step the offer waits for (accept, dispatch, receive), if any.
    deadline: datetime | None
    shipment_id: str | None = None
    logger_id: str | None = None
    departed_at: datetime | None = None
    dispatched: tuple[str, ...] = ()
    receipts: tuple[Receipt, ...] = ()
    #: A cancellation of the request crossed this offer's dispatch and lost the race.
    cancel_too_late: bool = False

    @property
    def promised(self) -> int:
        """The units this offer counts against the request (the dispatched ones once
        dispatched)."""
        if self.state not in LIVE_OFFER_STATES:
            return 0
        return len(self.dispatched) if self.state in ("dispatched", "received") else len(self.units)


@dataclass(frozen=True)
class RequestBlood:
    """A clerk's (or the level's) request to the other city."""

    request_id: str
    requesting_city: City
    product: Product
    group: BloodGroup
    quantity: int
    urgency: Urgency


@dataclass(frozen=True)
class DispatchRequest:
    """One request and its offers."""

    request_id: str
    requesting_city: City
    offering_city: City
    product: Product
    group: BloodGroup
    quantity: int
    urgency: Urgency
    state: RequestState
    requested_at: datetime
    #: By when the offering city must make a first offer.
    offer_deadline: datetime
    offers: tuple[Offer, ...] = ()

    def offer(self, offer_id: str) -> Offer:
        """The offer ``offer_id``; ``unknown-offer`` if the request has none such."""
        for offer in self.offers:
            if offer.offer_id == offer_id:
                return offer
        raise NotFound("unknown-offer", f"Request {self.request_id} has no offer {offer_id}.")

    @property
    def outstanding(self) -> int:
        """Units still to be offered: the quantity less what live offers promise."""
        return max(0, self.quantity - sum(o.promised for o in self.offers))


@dataclass(frozen=True)
class MakeOffer:
    """The offering city offers ``units`` (reserved on its side)."""

    offer_id: str
    units: tuple[OfferedUnit, ...]


@dataclass(frozen=True)
class Accept:
    """The requesting city accepts an offer."""

    offer_id: str


@dataclass(frozen=True)
class Decline:
    """The requesting city declines an offer."""

    offer_id: str


@dataclass(frozen=True)
class DispatchOffer:
    """The offering city sends ``dins`` (all or some of the offer) with a temperature
    logger; departure is the step's instant."""

    offer_id: str
    shipment_id: str
    dins: tuple[str, ...]
    logger_id: str


@dataclass(frozen=True)
class ReceiveShipment:
    """The requesting city unpacked the shipment; the logger's extremes in tenths of °C."""

    offer_id: str
    shipment_id: str
    coldest: int
    warmest: int


@dataclass(frozen=True)
class Cancel:
    """The requesting city no longer needs the blood (before anything was dispatched)."""


@dataclass(frozen=True)
class CancelReceived:
    """The other city's cancellation as it arrives here: it cancels what is still open;
    what was dispatched before it arrived stands (the cancellation came too late)."""


@dataclass(frozen=True)
class Close:
    """The requesting city closes the request (nothing on its way)."""


DispatchStep = (
    MakeOffer | Accept | Decline | DispatchOffer | ReceiveShipment | Cancel | CancelReceived | Close
)

# (request state, step) -> next request state; anything else is illegal.
REQUEST_TRANSITIONS: Final[dict[tuple[RequestState, type[DispatchStep]], RequestState]] = {
    ("requested", MakeOffer): "offered",
    ("offered", MakeOffer): "offered",
    ("offered", Accept): "offered",
    ("offered", Decline): "offered",
    ("offered", DispatchOffer): "offered",
    ("offered", ReceiveShipment): "offered",
    ("requested", Cancel): "cancelled",
    ("offered", Cancel): "cancelled",
    ("offered", Close): "closed",
    ("requested", CancelReceived): "cancelled",
    ("offered", CancelReceived): "cancelled",
    # The shipment of an offer whose cancellation crossed its dispatch.
    ("cancelled", DispatchOffer): "cancelled",
    ("cancelled", ReceiveShipment): "cancelled",
}
# (offer state, step) -> next offer state, for the steps that name an offer or end them all.
OFFER_TRANSITIONS: Final[dict[tuple[OfferState, type[DispatchStep]], OfferState]] = {
    ("offered", Accept): "accepted",
    ("offered", Decline): "declined",
    ("accepted", DispatchOffer): "dispatched",
    ("dispatched", ReceiveShipment): "received",
    ("offered", Cancel): "cancelled",
    ("accepted", Cancel): "cancelled",
    ("offered", Close): "cancelled",
    ("accepted", Close): "cancelled",
    ("offered", CancelReceived): "cancelled",
    ("accepted", CancelReceived): "cancelled",
    ("cancelled", DispatchOffer): "dispatched",
}


def request_blood(command: RequestBlood, now: datetime, policy: CityPolicy) -> DispatchRequest:
    """A new request of the requesting city (whose ``policy`` sets the deadlines).

    Refused: ``bad-quantity`` (not at least one unit).
    """
    if command.quantity < 1:
        raise DomainError("bad-quantity", "A request is for at least one unit.")
    at = _aware(now)
    offering: City = "cd" if command.requesting_city == "cq" else "cq"
    return DispatchRequest(
        request_id=command.request_id,
        requesting_city=command.requesting_city,
        offering_city=offering,
        product=command.product,
        group=command.group,
        quantity=command.quantity,
        urgency=command.urgency,
        state="requested",
        requested_at=at,
        offer_deadline=at + policy.deadline(command.urgency, "offer"),
    )


def _illegal(request: DispatchRequest, step: DispatchStep, where: str) -> Conflict:
    return Conflict(
        "illegal-transition",
        f"Request {request.request_id} ({where}) cannot take step {type(step).__name__}.",
    )


def _check_offer(request: DispatchRequest, step: MakeOffer, policy: CityPolicy) -> None:
    if not step.units:
        raise DomainError("empty-offer", "An offer holds at least one unit.")
    if any(o.offer_id == step.offer_id for o in request.offers):
        raise Conflict("duplicate-offer", f"Offer {step.offer_id} was already made.")
    dins = [u.din for u in step.units]
    promised = {u.din for o in request.offers if o.promised for u in o.units}
    if len(set(dins)) != len(dins) or promised & set(dins):
        raise Conflict("unit-already-offered", "A unit is offered only once for a request.")
    if len(step.units) > request.outstanding:
        raise Conflict(
            "offer-exceeds-request",
            f"Request {request.request_id} still needs {request.outstanding} unit(s), "
            f"not {len(step.units)}.",
        )
    for unit in step.units:
        if unit.product != request.product or not may_give(
            request.product, unit.group, request.group, policy
        ):
            raise DomainError(
                "incompatible-unit",
                f"Unit {unit.din} ({PRODUCT_NAMES[unit.product]} {unit.group}) may not answer "
                f"a request for {PRODUCT_NAMES[request.product]} {request.group}.",
            )


def _offer_step(
    offer: Offer, step: DispatchStep, at: datetime, request: DispatchRequest, policy: CityPolicy
) -> Offer:
    """The offer after ``step`` (which names it)."""
    target = OFFER_TRANSITIONS.get((offer.state, type(step)))
    if target is None:
        raise Conflict(
            "illegal-transition",
            f"Offer {offer.offer_id} in state {offer.state} cannot take step "
            f"{type(step).__name__}.",
        )
    urgency = request.urgency
    if isinstance(step, Accept):
        return replace(offer, state=target, deadline=at + policy.deadline(urgency, "dispatch"))
    if isinstance(step, DispatchOffer):
        offered = {u.din for u in offer.units}
        if not step.dins:
            raise DomainError("empty-shipment", "A shipment carries at least one unit.")
        if not set(step.dins) <= offered or len(set(step.dins)) != len(step.dins):
            raise DomainError(
                "unit-not-in-offer", f"A shipment carries only units of offer {offer.offer_id}."
            )
        if not step.logger_id.strip() or not step.shipment_id.strip():
            raise DomainError(
                "missing-logger", "A shipment names itself and its temperature logger."
            )
        return replace(
            offer,
            state=target,
            deadline=at + policy.deadline(urgency, "receive"),
            shipment_id=step.shipment_id,
            logger_id=step.logger_id,
            departed_at=at,
            dispatched=step.dins,
            cancel_too_late=offer.cancel_too_late or offer.state == "cancelled",
        )
    if isinstance(step, ReceiveShipment):
        if step.shipment_id != offer.shipment_id:
            raise Conflict(
                "wrong-shipment", f"Shipment {step.shipment_id} is not offer {offer.offer_id}'s."
            )
        if step.coldest > step.warmest:
            raise DomainError("bad-logger-reading", "The coldest reading is above the warmest.")
        ok = policy.storage[request.product].holds(step.coldest, step.warmest)
        expiries = {u.din: u.expires_at for u in offer.units}
        receipts = tuple(Receipt(d, receipt_state(expiries[d], at, ok)) for d in offer.dispatched)
        return replace(offer, state=target, deadline=None, receipts=receipts)
    return replace(offer, state=target, deadline=None)


def apply(
    request: DispatchRequest, step: DispatchStep, now: datetime, policy: CityPolicy
) -> DispatchRequest:
    """The request after ``step`` at ``now``, under the requesting city's ``policy``
    (deadlines, substitutes, storage ranges); refused with a code when the saga forbids it
    (module docstring)."""
    at = _aware(now)
    target = REQUEST_TRANSITIONS.get((request.state, type(step)))
    if target is None:
        raise _illegal(request, step, request.state)
    if isinstance(step, MakeOffer):
        _check_offer(request, step, policy)
        offer = Offer(
            offer_id=step.offer_id,
            state="offered",
            units=step.units,
            offered_at=at,
            deadline=at + policy.deadline(request.urgency, "accept"),
        )
        return replace(request, state=target, offers=(*request.offers, offer))
    if isinstance(step, Cancel | CancelReceived | Close):
        if isinstance(step, Cancel) and any(o.dispatched for o in request.offers):
            raise Conflict(
                "already-dispatched",
                f"Blood for request {request.request_id} was dispatched: it cannot be cancelled.",
            )
        if isinstance(step, Close) and any(o.state == "dispatched" for o in request.offers):
            raise Conflict(
                "shipment-in-transit",
                f"A shipment for request {request.request_id} is still on its way.",
            )
        offers = tuple(
            replace(o, state="cancelled", deadline=None)
            if (o.state, type(step)) in OFFER_TRANSITIONS
            else replace(o, cancel_too_late=True)
            if isinstance(step, CancelReceived) and o.dispatched
            else o
            for o in request.offers
        )
        return replace(request, state=target, offers=offers)
    named = request.offer(step.offer_id)
    changed = _offer_step(named, step, at, request, policy)
    offers = tuple(changed if o.offer_id == named.offer_id else o for o in request.offers)
    return replace(request, state=target, offers=offers)


def units_to_release(before: DispatchRequest, after: DispatchRequest) -> tuple[str, ...]:
    """The DINs whose reservations a step released: the units of offers it declined or
    cancelled, and the offered units a dispatch left behind (once: not again when the
    shipment of a cancelled offer arrives)."""
    released: list[str] = []
    previous = {o.offer_id: o for o in before.offers}
    for offer in after.offers:
        old = previous.get(offer.offer_id)
        if old is None or old.state == offer.state:
            continue
        if offer.state in ("declined", "cancelled"):
            released.extend(u.din for u in offer.units)
        elif offer.state == "dispatched" and old.state != "cancelled":
            # (a cancelled offer's units were released when it was cancelled)
            released.extend(u.din for u in offer.units if u.din not in offer.dispatched)
    return tuple(released)


@dataclass(frozen=True)
class Overdue:
    """A step whose deadline passed: which, for which offer (none for the first offer),
    and when it was due."""

    step: DeadlineStep
    offer_id: str | None
    deadline: datetime

    def sentence(self, request: DispatchRequest) -> str:
        """The escalation's sentence, for the duty officer."""
        who = CITY_NAMES[
            request.offering_city if self.step in ("offer", "dispatch") else request.requesting_city
        ]
        return f"{who} missed the {self.step} deadline of request {request.request_id}."


_WAITING_STEP: Final[dict[OfferState, DeadlineStep]] = {
    "offered": "accept",
    "accepted": "dispatch",
    "dispatched": "receive",
}


def overdue(request: DispatchRequest, now: datetime) -> tuple[Overdue, ...]:
    """The steps of ``request`` whose deadline passed at ``now`` (the deadline itself is
    still in time); nothing once the request is closed or cancelled."""
    at = _aware(now)
    if request.state in TERMINAL_REQUEST_STATES:
        return ()
    late: list[Overdue] = []
    if request.state == "requested" and at > request.offer_deadline:
        late.append(Overdue("offer", None, request.offer_deadline))
    for offer in request.offers:
        step = _WAITING_STEP.get(offer.state)
        if step is not None and offer.deadline is not None and at > offer.deadline:
            late.append(Overdue(step, offer.offer_id, offer.deadline))
    return tuple(late)
