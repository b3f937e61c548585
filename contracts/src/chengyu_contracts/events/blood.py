"""Blood-dispatch (血液调剂) events: both cities' blood centres' units and stock levels,
"blood stock low" answered by offers from the other city, shipments tracked unit by unit,
and the joint rare-blood registry (特殊稀有血型库).

``blood.unit`` is keyed by the donation identification number (DIN, ISBT 128): every
movement of a unit in or out of a centre's stock, so that every reader sees each unit in
exactly one place, and a DIN reported by both centres is a conflict both can show.

``blood.level`` is keyed by city: level changes per product and ABO/RhD group, and the
first-class ``cn.chengyu.blood.stock-low.v1`` (crossing into orange or red) and
``stock-recovered``. A stock-low names the ``request_id`` the other city's offers answer.

``blood.dispatch`` is keyed by ``request_id``: the dispatch saga::

    requesting city: dispatch-requested (a clerk's request; a stock-low is one too)
    supplying city:  dispatch-offered (possibly partial, possibly several)
    requesting city: dispatch-offer-accepted | dispatch-offer-declined
    supplying city:  shipment-dispatched (unit list, temperature logger, departure)
    requesting city: shipment-received (stock, quarantine on a breach, or expired)
    either city:     dispatch-cancelled (before dispatch), dispatch-escalated (a step late)
    requesting city: dispatch-closed

``blood.rare-donor`` is keyed by ``donor_ref``: a donor's pseudonymous record (no name, ID
number or phone: those stay in the donor's city), consent withdrawn, recalls and answers.

Times are RFC 3339 with an offset; days of supply are hundredths of a day (canonical
JSON carries no floats).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from chengyu_contracts.cities import City
from chengyu_contracts.registry import REGISTRY, EventData, event

__all__ = [
    "DISPATCH_TOPIC",
    "LEVEL_TOPIC",
    "RARE_DONOR_TOPIC",
    "UNIT_TOPIC",
    "BloodDispatchCancelled",
    "BloodDispatchClosed",
    "BloodDispatchEscalated",
    "BloodDispatchOfferAccepted",
    "BloodDispatchOfferDeclined",
    "BloodDispatchOffered",
    "BloodDispatchRequested",
    "BloodShipmentDispatched",
    "BloodShipmentReceived",
    "BloodStockLevelChanged",
    "BloodStockLow",
    "BloodStockRecovered",
    "BloodUnitConflictFlagged",
    "BloodUnitMoved",
    "OfferedUnit",
    "RareDonorConsentWithdrawn",
    "RareDonorRecallAnswered",
    "RareDonorRecallRequested",
    "RareDonorRegistered",
    "ReceivedUnit",
]

UNIT_TOPIC = "blood.unit"
LEVEL_TOPIC = "blood.level"
DISPATCH_TOPIC = "blood.dispatch"
RARE_DONOR_TOPIC = "blood.rare-donor"

Product = Literal["whole-blood", "red-cells", "platelets", "plasma", "cryo"]
Abo = Literal["O", "A", "B", "AB"]
Rhd = Literal["pos", "neg"]
Level = Literal["green", "yellow", "orange", "red"]
Urgency = Literal["urgent", "routine"]
Din = Annotated[str, Field(pattern=r"^[A-Z][0-9]{4}[0-9]{2}[0-9]{6}$", description="ISBT 128")]
Id = Annotated[str, Field(min_length=1, max_length=128)]
Count = Annotated[int, Field(ge=0)]
Quantity = Annotated[int, Field(ge=1, le=10_000)]
ReasonCode = Annotated[str, Field(pattern=r"^[a-z0-9-]+$", max_length=64)]
ReasonText = Annotated[str, Field(max_length=500)]
# Hundredths of a day; None when nothing was issued in the window (supply unbounded).
CentiDays = Annotated[int, Field(ge=0)] | None


# --------------------------------------------------------------------------------------------
# units


@event(REGISTRY, type="cn.chengyu.blood.unit-moved.v1", topic=UNIT_TOPIC, key="din")
class BloodUnitMoved(EventData):
    """A unit entered or left a centre's stock, or changed state in it. ``sequence`` counts
    the movements of this DIN recorded by ``city``; a reader keeps the highest."""

    din: Din
    city: City
    sequence: Annotated[int, Field(ge=1)]
    movement: Literal[
        "collected",
        "issued",
        "expired",
        "discarded",
        "reserved",
        "reservation-released",
        "dispatched",
        "received",
    ]
    # Where the unit is after the movement.
    state: Literal[
        "available", "reserved", "quarantined", "in-transit", "issued", "expired", "discarded"
    ]
    product: Product
    abo: Abo
    rhd: Rhd
    collected_at: AwareDatetime
    expires_at: AwareDatetime
    moved_at: AwareDatetime
    shipment_id: Id | None = None


@event(REGISTRY, type="cn.chengyu.blood.unit-conflict-flagged.v1", topic=UNIT_TOPIC, key="din")
class BloodUnitConflictFlagged(EventData):
    """Both centres report the DIN in their stock: shown to both, never merged."""

    din: Din
    city: City
    flagged_at: AwareDatetime


# --------------------------------------------------------------------------------------------
# levels


@event(REGISTRY, type="cn.chengyu.blood.stock-level-changed.v1", topic=LEVEL_TOPIC, key="city")
class BloodStockLevelChanged(EventData):
    """The level a centre shows for one product and group changed (hysteresis applied)."""

    city: City
    product: Product
    abo: Abo
    rhd: Rhd
    level: Level
    previous_level: Level
    usable_units: Count
    days_of_supply_centi: CentiDays
    changed_at: AwareDatetime


@event(REGISTRY, type="cn.chengyu.blood.stock-low.v1", topic=LEVEL_TOPIC, key="city")
class BloodStockLow(EventData):
    """A centre's stock of one product and group crossed into orange or red: the other
    city answers ``request_id`` with offers when it can spare units."""

    request_id: Id
    city: City
    product: Product
    abo: Abo
    rhd: Rhd
    level: Literal["orange", "red"]
    usable_units: Count
    days_of_supply_centi: CentiDays
    # Units to reach the centre's target days of supply.
    units_needed: Annotated[int, Field(ge=1)]
    at: AwareDatetime


@event(REGISTRY, type="cn.chengyu.blood.stock-recovered.v1", topic=LEVEL_TOPIC, key="city")
class BloodStockRecovered(EventData):
    """The stock left orange or red (and held the better level for the hold time)."""

    city: City
    product: Product
    abo: Abo
    rhd: Rhd
    level: Literal["green", "yellow"]
    days_of_supply_centi: CentiDays
    at: AwareDatetime


# --------------------------------------------------------------------------------------------
# the dispatch saga


class OfferedUnit(BaseModel):
    """One unit of an offer or a shipment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    din: Din
    product: Product
    abo: Abo
    rhd: Rhd
    expires_at: AwareDatetime


class ReceivedUnit(BaseModel):
    """What became of one shipped unit on arrival."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    din: Din
    state: Literal["available", "quarantined", "expired"]


@event(
    REGISTRY, type="cn.chengyu.blood.dispatch-requested.v1", topic=DISPATCH_TOPIC, key="request_id"
)
class BloodDispatchRequested(EventData):
    """A centre asks the other city for units (a clerk's request, or its stock-low)."""

    request_id: Id
    requesting_city: City
    supplying_city: City
    product: Product
    abo: Abo
    rhd: Rhd
    quantity: Quantity
    urgency: Urgency
    origin: Literal["clerk", "stock-low"]
    accepts_substitutes: bool
    requested_at: AwareDatetime
    offer_by: AwareDatetime


@event(
    REGISTRY, type="cn.chengyu.blood.dispatch-offered.v1", topic=DISPATCH_TOPIC, key="request_id"
)
class BloodDispatchOffered(EventData):
    """The supplying centre offers (and reserves) these units; possibly fewer than asked."""

    offer_id: Id
    request_id: Id
    offering_city: City
    requesting_city: City
    units: Annotated[list[OfferedUnit], Field(min_length=1)]
    partial: bool
    offered_at: AwareDatetime
    accept_by: AwareDatetime


@event(
    REGISTRY,
    type="cn.chengyu.blood.dispatch-offer-accepted.v1",
    topic=DISPATCH_TOPIC,
    key="request_id",
)
class BloodDispatchOfferAccepted(EventData):
    """The requesting centre takes the offer: the supplier ships it by ``dispatch_by``."""

    offer_id: Id
    request_id: Id
    requesting_city: City
    accepted_at: AwareDatetime
    dispatch_by: AwareDatetime


@event(
    REGISTRY,
    type="cn.chengyu.blood.dispatch-offer-declined.v1",
    topic=DISPATCH_TOPIC,
    key="request_id",
)
class BloodDispatchOfferDeclined(EventData):
    """The requesting centre declines the offer: the supplier releases the reservation."""

    offer_id: Id
    request_id: Id
    requesting_city: City
    reason: ReasonText
    declined_at: AwareDatetime


@event(
    REGISTRY, type="cn.chengyu.blood.shipment-dispatched.v1", topic=DISPATCH_TOPIC, key="request_id"
)
class BloodShipmentDispatched(EventData):
    """The units left the supplier's stock and are in transit."""

    shipment_id: Id
    offer_id: Id
    request_id: Id
    from_city: City
    to_city: City
    units: Annotated[list[OfferedUnit], Field(min_length=1)]
    temperature_logger_id: Annotated[str, Field(min_length=1, max_length=64)]
    departed_at: AwareDatetime
    receive_by: AwareDatetime


@event(
    REGISTRY, type="cn.chengyu.blood.shipment-received.v1", topic=DISPATCH_TOPIC, key="request_id"
)
class BloodShipmentReceived(EventData):
    """The shipment arrived: each unit into stock, quarantine (temperature out of range)
    or received as expired."""

    shipment_id: Id
    offer_id: Id
    request_id: Id
    to_city: City
    temperature_in_range: bool
    units: Annotated[list[ReceivedUnit], Field(min_length=1)]
    received_at: AwareDatetime


@event(
    REGISTRY, type="cn.chengyu.blood.dispatch-cancelled.v1", topic=DISPATCH_TOPIC, key="request_id"
)
class BloodDispatchCancelled(EventData):
    """A request (or one offer of it) cancelled before dispatch; reservations released."""

    request_id: Id
    offer_id: Id | None = None
    cancelled_by: City
    reason: ReasonText
    cancelled_at: AwareDatetime


@event(
    REGISTRY, type="cn.chengyu.blood.dispatch-escalated.v1", topic=DISPATCH_TOPIC, key="request_id"
)
class BloodDispatchEscalated(EventData):
    """A step of the saga passed its deadline: escalated to the duty officers."""

    request_id: Id
    offer_id: Id | None = None
    city: City
    step: Literal["offer", "accept", "dispatch", "receive"]
    deadline: AwareDatetime
    escalated_at: AwareDatetime


@event(REGISTRY, type="cn.chengyu.blood.dispatch-closed.v1", topic=DISPATCH_TOPIC, key="request_id")
class BloodDispatchClosed(EventData):
    """The requesting centre closed the request."""

    request_id: Id
    requesting_city: City
    units_received: Count
    closed_at: AwareDatetime


# --------------------------------------------------------------------------------------------
# the rare-blood registry


@event(
    REGISTRY,
    type="cn.chengyu.blood.rare-donor-registered.v1",
    topic=RARE_DONOR_TOPIC,
    key="donor_ref",
)
class RareDonorRegistered(EventData):
    """A version of a rare donor's record, with consent to be searched from either city."""

    donor_ref: Id
    city: City
    version: Annotated[int, Field(ge=1)]
    abo: Abo
    rhd: Rhd
    phenotypes: list[Annotated[str, Field(min_length=1, max_length=40)]]
    last_donation_on: date | None = None
    available_on: date


@event(
    REGISTRY,
    type="cn.chengyu.blood.rare-donor-consent-withdrawn.v1",
    topic=RARE_DONOR_TOPIC,
    key="donor_ref",
)
class RareDonorConsentWithdrawn(EventData):
    """The donor withdrew consent: gone from every search at once."""

    donor_ref: Id
    city: City
    version: Annotated[int, Field(ge=1)]
    withdrawn_on: date


@event(
    REGISTRY,
    type="cn.chengyu.blood.rare-donor-recall-requested.v1",
    topic=RARE_DONOR_TOPIC,
    key="donor_ref",
)
class RareDonorRecallRequested(EventData):
    """A centre asks the donor's city to contact the donor."""

    recall_id: Id
    donor_ref: Id
    donor_city: City
    requesting_city: City
    urgency: Urgency
    needed_by: date
    requested_at: AwareDatetime


@event(
    REGISTRY,
    type="cn.chengyu.blood.rare-donor-recall-answered.v1",
    topic=RARE_DONOR_TOPIC,
    key="donor_ref",
)
class RareDonorRecallAnswered(EventData):
    """The donor's city contacted the donor and answers."""

    recall_id: Id
    donor_ref: Id
    donor_city: City
    requesting_city: City
    answer: Literal["will-donate", "declined", "unreachable"]
    reason_code: ReasonCode | None = None
    answered_at: AwareDatetime
