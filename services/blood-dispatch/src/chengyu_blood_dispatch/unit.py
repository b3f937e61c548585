"""A blood unit and where it is: one place at a time, moved only by legal movements.

::

                 CollectAndRelease
    (unknown) ─────────────────────► available ◄──ReleaseReservation── reserved
                                      │   │  └──────────Reserve──────────►│
                                      │   │                                │
                         Issue ◄──────┘   │                      Dispatch  │
                           │              │                                ▼
                           ▼              │     ┌──────────────────── in-transit
                        issued            │     │ Receive: at the receiving centre
                                          │     ├─ within range, unexpired ──► available
    available | reserved | quarantined ───┤     ├─ temperature breach ───────► quarantined
        ──Expire (at or after expiry)──► expired ◄┘ expired on the way
        ──Discard──► discarded

Places: ``in-stock`` (available, reserved, quarantined: in one centre's stock),
``in-transit`` (on a shipment between the centres), ``gone`` (issued, expired, discarded:
never moves again).

=================  ====================  ================================================
state              movement              next state
=================  ====================  ================================================
(unknown)          CollectAndRelease     available
available          Reserve               reserved
reserved           ReleaseReservation    available
reserved           Dispatch              in-transit
available          Issue                 issued
available          Expire                expired
reserved           Expire                expired
quarantined        Expire                expired
available          Discard               discarded
reserved           Discard               discarded
quarantined        Discard               discarded
in-transit         Receive               available | quarantined | expired
=================  ====================  ================================================

Every other pair is refused with a code: ``unknown-unit``, ``din-already-known``,
``unit-gone``, ``unit-not-in-stock``, ``unit-not-in-transit``, ``unit-not-reserved``,
``unit-reserved``, ``unit-quarantined``; and within a legal pair ``unit-expired``,
``unit-not-expired``, ``reserved-for-another-offer``, ``wrong-shipment``,
``wrong-receiving-city``, ``same-city``, ``released-before-collection``.

:class:`Stock` holds units and their places; its counts are sizes of sets of places, so
they cannot go negative, and every unit ever collected is counted in exactly one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Final, Literal

from chengyu_contracts.cities import CITY_NAMES, City
from chengyu_contracts.domain_error import Conflict, DomainError, NotFound

from .blood_groups import (
    PRODUCT_NAMES,
    Abo,
    BloodGroup,
    Product,
    Rhd,
    StockKey,
    parse_abo,
    parse_product,
    parse_rhd,
)
from .din import Din, parse_din
from .policy import CityPolicy

UnitState = Literal[
    "available", "reserved", "quarantined", "in-transit", "issued", "expired", "discarded"
]
STOCK_STATES: Final[frozenset[UnitState]] = frozenset({"available", "reserved", "quarantined"})
GONE_STATES: Final[frozenset[UnitState]] = frozenset({"issued", "expired", "discarded"})
Place = Literal["in-stock", "in-transit", "gone"]


def _aware(at: datetime) -> datetime:
    # Units cross between the cities' machines; naive times would be ambiguous.
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("blood unit times must be timezone-aware")
    return at


@dataclass(frozen=True)
class BloodUnit:
    """One unit as collected: it never changes; where it is lives in :class:`Location`."""

    din: Din
    product: Product
    abo: Abo
    rhd: Rhd
    collected_at: datetime
    expires_at: datetime

    @property
    def group(self) -> BloodGroup:
        """The unit's ABO/RhD group."""
        return BloodGroup(self.abo, self.rhd)

    @property
    def key(self) -> StockKey:
        """The stock line the unit counts in."""
        return StockKey(self.product, self.abo, self.rhd)

    def expired_at(self, at: datetime) -> bool:
        """Whether the unit is expired at ``at`` (its expiry instant is already too late)."""
        return _aware(at) >= self.expires_at

    def remaining_at(self, at: datetime) -> timedelta:
        """Shelf life left at ``at`` (negative once expired)."""
        return self.expires_at - _aware(at)


@dataclass(frozen=True)
class UnitRecord:
    """A unit as a centre's information system reports it (codes still text)."""

    din: str
    product: str
    abo: str
    rhd: str
    collected_at: datetime
    expires_at: datetime


def new_unit(record: UnitRecord, policy: CityPolicy) -> BloodUnit:
    """The unit ``record`` describes, under the collecting centre's ``policy``.

    Refused: ``invalid-din`` / ``bad-din-check``, ``unknown-product``, ``unknown-abo``,
    ``unknown-rhd``, ``expiry-before-collection`` (an expiry at or before collection) and
    ``expiry-beyond-shelf-life`` (longer than the policy's shelf life of the product).
    """
    din = parse_din(record.din)
    product = parse_product(record.product)
    abo = parse_abo(record.abo)
    rhd = parse_rhd(record.rhd)
    collected_at = _aware(record.collected_at)
    expires_at = _aware(record.expires_at)
    if expires_at <= collected_at:
        raise DomainError(
            "expiry-before-collection", f"Unit {din} would expire before it was collected."
        )
    if expires_at - collected_at > policy.shelf_life(product):
        raise DomainError(
            "expiry-beyond-shelf-life",
            f"Unit {din} would keep longer than the {policy.shelf_life_days[product]} days "
            f"{PRODUCT_NAMES[product]} keeps.",
        )
    return BloodUnit(din, product, abo, rhd, collected_at, expires_at)


@dataclass(frozen=True)
class Location:
    """Where a unit is: its state and the city it is in (the sending city in transit)."""

    state: UnitState
    city: City
    #: The offer a reserved unit is held for.
    reservation: str | None = None
    #: The shipment and destination of a unit in transit.
    shipment_id: str | None = None
    to_city: City | None = None

    @property
    def place(self) -> Place:
        """In one centre's stock, in transit, or gone."""
        if self.state in STOCK_STATES:
            return "in-stock"
        return "in-transit" if self.state == "in-transit" else "gone"


@dataclass(frozen=True)
class CollectAndRelease:
    """The collecting centre released a tested unit into its stock."""

    city: City
    at: datetime


@dataclass(frozen=True)
class Issue:
    """The centre issued the unit to a hospital."""

    at: datetime


@dataclass(frozen=True)
class Expire:
    """The unit reached its expiry in stock."""

    at: datetime


@dataclass(frozen=True)
class Discard:
    """The centre discarded the unit (damaged, failed inspection, a breach not cleared)."""

    at: datetime


@dataclass(frozen=True)
class Reserve:
    """The unit is held for an offer to the other city."""

    reservation: str
    at: datetime


@dataclass(frozen=True)
class ReleaseReservation:
    """The offer was declined or cancelled: the unit is available again."""

    reservation: str


@dataclass(frozen=True)
class Dispatch:
    """The reserved unit left on a shipment to the other city."""

    reservation: str
    shipment_id: str
    to_city: City
    at: datetime


@dataclass(frozen=True)
class Receive:
    """The receiving centre unpacked the shipment; ``temperature_ok`` from its logger."""

    shipment_id: str
    city: City
    at: datetime
    temperature_ok: bool


Movement = (
    CollectAndRelease | Issue | Expire | Discard | Reserve | ReleaseReservation | Dispatch | Receive
)

# (state, movement) -> the states it may lead to; anything else is refused.
TRANSITIONS: Final[Mapping[tuple[UnitState | None, type[Movement]], tuple[UnitState, ...]]] = (
    MappingProxyType(
        {
            (None, CollectAndRelease): ("available",),
            ("available", Reserve): ("reserved",),
            ("reserved", ReleaseReservation): ("available",),
            ("reserved", Dispatch): ("in-transit",),
            ("available", Issue): ("issued",),
            ("available", Expire): ("expired",),
            ("reserved", Expire): ("expired",),
            ("quarantined", Expire): ("expired",),
            ("available", Discard): ("discarded",),
            ("reserved", Discard): ("discarded",),
            ("quarantined", Discard): ("discarded",),
            ("in-transit", Receive): ("available", "quarantined", "expired"),
        }
    )
)


def receipt_state(expires_at: datetime, at: datetime, temperature_ok: bool) -> UnitState:
    """The state a unit expiring at ``expires_at`` enters when received at ``at``:
    ``expired`` when it expired on the way (whatever the logger says), ``quarantined`` on a
    temperature breach, else ``available``."""
    if _aware(at) >= expires_at:
        return "expired"
    return "available" if temperature_ok else "quarantined"


def _refusal(unit: BloodUnit, location: Location | None, movement: Movement) -> DomainError:
    din = unit.din
    if location is None:
        return NotFound("unknown-unit", f"Unit {din} was never collected and released here.")
    if isinstance(movement, CollectAndRelease):
        return Conflict(
            "din-already-known",
            f"Unit {din} is already known ({location.state} in {CITY_NAMES[location.city]}).",
        )
    state = location.state
    if location.place == "gone":
        return Conflict("unit-gone", f"Unit {din} is {state}: it does not move again.")
    if location.place == "in-transit":
        return Conflict("unit-not-in-stock", f"Unit {din} is in transit, not in stock.")
    if isinstance(movement, Receive):
        return Conflict("unit-not-in-transit", f"Unit {din} is in stock, not in transit.")
    if isinstance(movement, Dispatch | ReleaseReservation):
        return Conflict("unit-not-reserved", f"Unit {din} is {state}, not reserved.")
    if state == "reserved":
        return Conflict("unit-reserved", f"Unit {din} is reserved for an offer.")
    return Conflict("unit-quarantined", f"Unit {din} is in quarantine.")


def _expired(unit: BloodUnit) -> Conflict:
    return Conflict("unit-expired", f"Unit {unit.din} has expired.")


def _check(unit: BloodUnit, location: Location | None, movement: Movement) -> None:
    """The refusals inside a legal (state, movement) pair: times, offers, shipments."""
    if isinstance(movement, CollectAndRelease) and _aware(movement.at) < unit.collected_at:
        raise DomainError(
            "released-before-collection",
            f"Unit {unit.din} cannot be released before it was collected.",
        )
    # Nothing expired enters stock, leaves it for a patient or is promised to the other city.
    if isinstance(movement, CollectAndRelease | Issue | Reserve | Dispatch) and unit.expired_at(
        movement.at
    ):
        raise _expired(unit)
    if isinstance(movement, Expire) and not unit.expired_at(movement.at):
        raise Conflict("unit-not-expired", f"Unit {unit.din} has not reached its expiry.")
    if location is None:
        return
    if (
        isinstance(movement, ReleaseReservation | Dispatch)
        and movement.reservation != location.reservation
    ):
        raise Conflict("reserved-for-another-offer", f"Unit {unit.din} is held for another offer.")
    if isinstance(movement, Dispatch) and movement.to_city == location.city:
        raise DomainError("same-city", "A shipment goes from one city to the other.")
    if isinstance(movement, Receive):
        if movement.shipment_id != location.shipment_id:
            raise Conflict("wrong-shipment", f"Unit {unit.din} is not on this shipment.")
        if movement.city != location.to_city:
            raise Conflict(
                "wrong-receiving-city",
                f"Unit {unit.din} is on its way to another city than {CITY_NAMES[movement.city]}.",
            )


def move(unit: BloodUnit, location: Location | None, movement: Movement) -> Location:
    """Where ``unit``, now at ``location`` (``None``: never collected), is after
    ``movement``; refused with a code when the movement is impossible (module docstring)."""
    state = None if location is None else location.state
    targets = TRANSITIONS.get((state, type(movement)))
    if targets is None:
        raise _refusal(unit, location, movement)
    _check(unit, location, movement)
    if isinstance(movement, CollectAndRelease):
        return Location("available", movement.city)
    assert location is not None
    if isinstance(movement, Reserve):
        return Location("reserved", location.city, reservation=movement.reservation)
    if isinstance(movement, Dispatch):
        return Location(
            "in-transit", location.city, shipment_id=movement.shipment_id, to_city=movement.to_city
        )
    if isinstance(movement, Receive):
        return Location(
            receipt_state(unit.expires_at, movement.at, movement.temperature_ok), movement.city
        )
    return Location(targets[0], location.city)


@dataclass(frozen=True)
class Holding:
    """A unit, where it is, and the city that collected it."""

    unit: BloodUnit
    location: Location
    collected_in: City


@dataclass(frozen=True)
class Census:
    """How many units are in each state; ``collected`` counts every unit ever collected."""

    collected: int = 0
    available: int = 0
    reserved: int = 0
    quarantined: int = 0
    in_transit: int = 0
    issued: int = 0
    expired: int = 0
    discarded: int = 0

    @property
    def in_stock(self) -> int:
        """Available, reserved and quarantined units."""
        return self.available + self.reserved + self.quarantined

    @property
    def balanced(self) -> bool:
        """Collected = in stock + in transit + issued + expired + discarded."""
        gone = self.issued + self.expired + self.discarded
        return self.collected == self.in_stock + self.in_transit + gone


@dataclass(frozen=True)
class Stock:
    """Units and their places (both centres' or one's): an immutable value; each movement
    answers a new stock or a refusal, and a refusal leaves the stock as it was."""

    holdings: Mapping[str, Holding] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "holdings", MappingProxyType(dict(self.holdings)))

    def holding(self, din: Din | str) -> Holding:
        """The unit ``din`` and where it is; ``unknown-unit`` when it was never collected."""
        found = self.holdings.get(str(din))
        if found is None:
            raise NotFound("unknown-unit", f"Unit {din} was never collected and released here.")
        return found

    def collect(self, unit: BloodUnit, movement: CollectAndRelease) -> Stock:
        """The stock with ``unit`` collected and released into ``movement.city``'s stock;
        ``din-already-known`` when any centre already reported the DIN (never merged)."""
        known = self.holdings.get(unit.din.text)
        location = move(unit, None if known is None else known.location, movement)
        return Stock({**self.holdings, unit.din.text: Holding(unit, location, movement.city)})

    def apply(self, din: Din | str, movement: Movement) -> Stock:
        """The stock after ``movement`` of unit ``din`` (not a collection: :meth:`collect`)."""
        if isinstance(movement, CollectAndRelease):
            raise ValueError("a collection brings its unit: use Stock.collect")
        held = self.holding(din)
        location = move(held.unit, held.location, movement)
        changed = Holding(held.unit, location, held.collected_in)
        return Stock({**self.holdings, held.unit.din.text: changed})

    def census(self, collected_in: City | None = None) -> Census:
        """The counts per state of the units collected in ``collected_in`` (all if ``None``),
        wherever they are now."""
        counts = dict.fromkeys(
            ("available", "reserved", "quarantined", "in-transit", "issued", "expired"), 0
        )
        counts["discarded"] = 0
        collected = 0
        for held in self.holdings.values():
            if collected_in is None or held.collected_in == collected_in:
                collected += 1
                counts[held.location.state] += 1
        return Census(
            collected=collected,
            available=counts["available"],
            reserved=counts["reserved"],
            quarantined=counts["quarantined"],
            in_transit=counts["in-transit"],
            issued=counts["issued"],
            expired=counts["expired"],
            discarded=counts["discarded"],
        )

    def in_stock_of(self, city: City) -> tuple[Holding, ...]:
        """The holdings in ``city``'s stock (available, reserved or quarantined)."""
        return tuple(
            h
            for h in self.holdings.values()
            if h.location.place == "in-stock" and h.location.city == city
        )

    def usable(self, city: City, key: StockKey, now: datetime) -> tuple[BloodUnit, ...]:
        """``city``'s available, unexpired units of line ``key``, first-expiring first."""
        return usable_units(self.in_stock_of(city), key, now)


def usable_units(
    holdings: Iterable[Holding], key: StockKey, now: datetime
) -> tuple[BloodUnit, ...]:
    """The available units of ``key`` among ``holdings`` not expired at ``now``, ordered
    first-expiring first (DIN breaks ties, so the order is the same on every machine)."""
    units = [
        h.unit
        for h in holdings
        if h.location.state == "available" and h.unit.key == key and not h.unit.expired_at(now)
    ]
    return tuple(sorted(units, key=lambda u: (u.expires_at, u.din.text)))
