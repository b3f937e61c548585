"""A blood unit's record and its one place at a time: every legal movement, every refusal
by its code, and under random movement sequences a stock that never goes negative and
conserves its units (collected = in stock + in transit + issued + expired + discarded)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from blood_rule_builders import CQ, T0, unit
from hypothesis import given, settings
from hypothesis import strategies as st

from chengyu_blood_dispatch.blood_groups import StockKey
from chengyu_blood_dispatch.unit import (
    TRANSITIONS,
    CollectAndRelease,
    Discard,
    Dispatch,
    Expire,
    Holding,
    Issue,
    Location,
    Movement,
    Receive,
    ReleaseReservation,
    Reserve,
    Stock,
    UnitRecord,
    move,
    new_unit,
)
from chengyu_contracts.cities import City
from chengyu_contracts.domain_error import Conflict, DomainError, NotFound

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def record(**changes: object) -> UnitRecord:
    fields: dict[str, object] = {
        "din": "X9990 26 000001",
        "product": "red-cells",
        "abo": "A",
        "rhd": "neg",
        "collected_at": T0,
        "expires_at": T0 + timedelta(days=35),
    }
    fields.update(changes)
    return UnitRecord(**fields)  # type: ignore[arg-type]


def test_a_unit_is_recorded_from_its_report() -> None:
    made = new_unit(record(), CQ)
    assert (made.din.text, made.product, made.abo, made.rhd) == (
        "X999026000001",
        "red-cells",
        "A",
        "neg",
    )
    assert made.key == StockKey("red-cells", "A", "neg")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"din": "X9990-26"}, "invalid-din"),
        ({"product": "blood"}, "unknown-product"),
        ({"abo": "C"}, "unknown-abo"),
        ({"rhd": "maybe"}, "unknown-rhd"),
        ({"expires_at": T0}, "expiry-before-collection"),
        ({"expires_at": T0 - HOUR}, "expiry-before-collection"),
        ({"expires_at": T0 + timedelta(days=35, seconds=1)}, "expiry-beyond-shelf-life"),
        (
            {"product": "platelets", "expires_at": T0 + timedelta(days=6)},
            "expiry-beyond-shelf-life",
        ),
    ],
)
def test_a_bad_report_is_refused_by_name(changes: dict[str, object], code: str) -> None:
    with pytest.raises(DomainError) as refused:
        new_unit(record(**changes), CQ)
    assert refused.value.code == code


def test_a_unit_keeps_exactly_its_shelf_life_at_most() -> None:
    assert new_unit(record(product="platelets", expires_at=T0 + 5 * DAY), CQ).product == "platelets"


def test_the_whole_journey_of_a_unit() -> None:
    u = unit(1)
    at = move(u, None, CollectAndRelease("cq", T0 + HOUR))
    assert (at.state, at.place, at.city) == ("available", "in-stock", "cq")
    at = move(u, at, Reserve("offer-1", T0 + 2 * HOUR))
    assert (at.state, at.reservation) == ("reserved", "offer-1")
    at = move(u, at, Dispatch("offer-1", "ship-1", "cd", T0 + 3 * HOUR))
    assert (at.state, at.place, at.city, at.to_city) == ("in-transit", "in-transit", "cq", "cd")
    at = move(u, at, Receive("ship-1", "cd", T0 + 7 * HOUR, temperature_ok=True))
    assert (at.state, at.city) == ("available", "cd")
    at = move(u, at, Issue(T0 + 8 * HOUR))
    assert (at.state, at.place) == ("issued", "gone")


def _in_transit() -> Location:
    return Location("in-transit", "cq", shipment_id="ship-1", to_city="cd")


def test_a_receipt_goes_to_quarantine_on_a_breach_and_expired_when_expired_on_the_way() -> None:
    short = unit(2, keeps=5 * HOUR)
    assert move(short, _in_transit(), Receive("ship-1", "cd", T0 + HOUR, False)).state == (
        "quarantined"
    )
    # Expired on the way: expired even when the logger saw no breach.
    for ok in (True, False):
        assert move(short, _in_transit(), Receive("ship-1", "cd", T0 + 5 * HOUR, ok)).state == (
            "expired"
        )


U = unit(3, keeps=2 * DAY)
AVAILABLE = Location("available", "cq")
RESERVED = Location("reserved", "cq", reservation="offer-1")
QUARANTINED = Location("quarantined", "cq")
LATER = T0 + HOUR
EXPIRED = T0 + 2 * DAY


@pytest.mark.parametrize(
    ("location", "movement", "code"),
    [
        (None, Issue(LATER), "unknown-unit"),
        (AVAILABLE, CollectAndRelease("cd", LATER), "din-already-known"),
        (Location("issued", "cq"), Issue(LATER), "unit-gone"),
        (Location("expired", "cq"), Discard(LATER), "unit-gone"),
        (Location("discarded", "cq"), Reserve("o", LATER), "unit-gone"),
        (_in_transit(), Issue(LATER), "unit-not-in-stock"),
        (_in_transit(), Reserve("o", LATER), "unit-not-in-stock"),
        (_in_transit(), Expire(EXPIRED), "unit-not-in-stock"),
        (AVAILABLE, Receive("ship-1", "cd", LATER, True), "unit-not-in-transit"),
        (AVAILABLE, Dispatch("offer-1", "ship-1", "cd", LATER), "unit-not-reserved"),
        (AVAILABLE, ReleaseReservation("offer-1"), "unit-not-reserved"),
        (RESERVED, Issue(LATER), "unit-reserved"),
        (RESERVED, Reserve("offer-2", LATER), "unit-reserved"),
        (QUARANTINED, Issue(LATER), "unit-quarantined"),
        (QUARANTINED, Dispatch("offer-1", "ship-1", "cd", LATER), "unit-not-reserved"),
        (AVAILABLE, Issue(EXPIRED), "unit-expired"),
        (AVAILABLE, Reserve("offer-1", EXPIRED), "unit-expired"),
        (RESERVED, Dispatch("offer-1", "ship-1", "cd", EXPIRED), "unit-expired"),
        (None, CollectAndRelease("cq", EXPIRED), "unit-expired"),
        (None, CollectAndRelease("cq", T0 - HOUR), "released-before-collection"),
        (AVAILABLE, Expire(EXPIRED - timedelta(seconds=1)), "unit-not-expired"),
        (RESERVED, ReleaseReservation("offer-2"), "reserved-for-another-offer"),
        (RESERVED, Dispatch("offer-2", "ship-1", "cd", LATER), "reserved-for-another-offer"),
        (RESERVED, Dispatch("offer-1", "ship-1", "cq", LATER), "same-city"),
        (_in_transit(), Receive("ship-2", "cd", LATER, True), "wrong-shipment"),
        (_in_transit(), Receive("ship-1", "cq", LATER, True), "wrong-receiving-city"),
    ],
)
def test_every_impossible_movement_is_refused_by_name(
    location: Location | None, movement: Movement, code: str
) -> None:
    with pytest.raises(DomainError) as refused:
        move(U, location, movement)
    assert refused.value.code == code


def test_refusals_of_state_are_conflicts_and_an_unknown_unit_is_not_found() -> None:
    with pytest.raises(NotFound):
        move(U, None, Issue(LATER))
    with pytest.raises(Conflict):
        move(U, RESERVED, Issue(LATER))


def test_the_table_and_the_moves_agree() -> None:
    # Every pair the table allows is reachable with a fitting movement, and leads where the
    # table says.
    samples: dict[type[Movement], tuple[Location | None, Movement]] = {
        CollectAndRelease: (None, CollectAndRelease("cq", LATER)),
        Reserve: (AVAILABLE, Reserve("offer-1", LATER)),
        ReleaseReservation: (RESERVED, ReleaseReservation("offer-1")),
        Dispatch: (RESERVED, Dispatch("offer-1", "ship-1", "cd", LATER)),
        Issue: (AVAILABLE, Issue(LATER)),
        Discard: (QUARANTINED, Discard(LATER)),
        Expire: (RESERVED, Expire(EXPIRED)),
        Receive: (_in_transit(), Receive("ship-1", "cd", LATER, True)),
    }
    for (state, kind), targets in TRANSITIONS.items():
        location, movement = samples[kind]
        if location is not None and state is not None:
            location = Location(
                state,
                "cq",
                reservation=location.reservation,
                shipment_id=location.shipment_id,
                to_city=location.to_city,
            )
        assert move(U, location, movement).state in targets


def test_a_din_reported_by_both_centres_is_a_conflict_not_a_merge() -> None:
    stock = Stock().collect(unit(4), CollectAndRelease("cq", LATER))
    with pytest.raises(Conflict) as refused:
        stock.collect(unit(4), CollectAndRelease("cd", LATER))
    assert refused.value.code == "din-already-known"
    assert stock.holding(unit(4).din).location.city == "cq"


def test_usable_units_are_available_unexpired_and_first_expiring_first() -> None:
    stock = Stock()
    for n, days in ((1, 10), (2, 3), (3, 20), (4, 1)):
        stock = stock.collect(unit(n, keeps=days * DAY), CollectAndRelease("cq", LATER))
    stock = stock.apply(unit(3).din, Reserve("o", LATER))
    key = StockKey("red-cells", "O", "pos")
    usable = stock.usable("cq", key, T0 + DAY)
    assert [u.din.sequence for u in usable] == ["000002", "000001"]
    assert stock.usable("cd", key, T0) == ()


# --- random movement sequences ------------------------------------------------------------


@dataclass
class Flows:
    """What the movements that were accepted add up to, counted on the side."""

    collected: int = 0
    received_in_stock: int = 0
    dispatched: int = 0
    received: int = 0
    issued: int = 0
    expired_in_stock: int = 0
    received_expired: int = 0
    discarded: int = 0


KINDS: dict[type[Movement], str] = {
    CollectAndRelease: "collect",
    Issue: "issue",
    Expire: "expire",
    Discard: "discard",
    Reserve: "reserve",
    ReleaseReservation: "release",
    Dispatch: "dispatch",
    Receive: "receive",
}
steps = st.lists(
    st.tuples(
        st.integers(0, 7),  # which movement (among those the unit's state allows, if fitting)
        st.booleans(),  # fitting: choose among the movements the table allows in the state
        st.integers(0, 5),  # which unit
        st.integers(0, 4),  # hours since the step before: time only goes forward
        st.booleans(),  # the temperature was within range
        st.integers(0, 9),  # 0: a wrong offer, shipment or city (refused), else the right one
    ),
    min_size=30,
    max_size=80,
)


def _kind(index: int, fitting: bool, held: Holding | None) -> str:
    """The movement kind of a step: when ``fitting``, one the unit's state allows (so that
    journeys get long), else any (so that the refusals are exercised)."""
    state = None if held is None else held.location.state
    allowed = [KINDS[k] for (s, k) in TRANSITIONS if s == state]
    kinds = allowed if fitting and allowed else list(KINDS.values())
    return kinds[index % len(kinds)]


def _movement(kind: str, at: datetime, ok: bool, right: bool, held: Holding | None) -> Movement:
    """A movement of ``kind``; its offer, shipment and cities fit the unit unless not
    ``right``, so that most movements can succeed and some are refused for their details."""
    location = held.location if held is not None else Location("available", "cq")
    city = location.city if right else ("cd" if location.city == "cq" else "cq")
    other: City = "cd" if city == "cq" else "cq"
    offer = "offer-1" if right else "offer-2"
    shipment = location.shipment_id or "ship-1" if right else "ship-0"
    movements: dict[str, Movement] = {
        "collect": CollectAndRelease(city, at),
        "issue": Issue(at),
        "expire": Expire(at),
        "discard": Discard(at),
        "reserve": Reserve(offer, at),
        "release": ReleaseReservation(offer),
        "dispatch": Dispatch(offer, shipment, other, at),
        "receive": Receive(shipment, location.to_city or other if right else city, at, ok),
    }
    return movements[kind]


@settings(max_examples=300)
@given(st.lists(st.integers(0, 5), min_size=3), steps)
def test_stock_is_never_negative_and_units_are_conserved(
    first: list[int], later: list[tuple[int, bool, int, int, bool, int]]
) -> None:
    # Six units of both cities, some keeping only a day so that expiry happens on the way.
    units = [
        unit(n, city="cq" if n % 2 else "cd", keeps=(DAY if n < 2 else 5 * DAY)) for n in range(6)
    ]
    stock = Stock()
    flows = Flows()
    at = T0
    # Some units collected first (repeats are refused as known DINs), then anything.
    sequence = [(0, False, which, 0, True, 1) for which in first] + later
    for index, fitting, which, hours, ok, right in sequence:
        u = units[which]
        at += hours * HOUR
        held = stock.holdings.get(u.din.text)
        movement = _movement(_kind(index, fitting, held), at, ok, right > 0, held)
        try:
            if isinstance(movement, CollectAndRelease):
                changed = stock.collect(u, movement)
            else:
                changed = stock.apply(u.din, movement)
        except DomainError:
            continue  # a refusal changes nothing (the stock is a value)
        state = changed.holding(u.din).location.state
        match movement:
            case CollectAndRelease():
                flows.collected += 1
            case Issue():
                flows.issued += 1
            case Expire():
                flows.expired_in_stock += 1
            case Discard():
                flows.discarded += 1
            case Dispatch():
                flows.dispatched += 1
            case Receive():
                flows.received += 1
                if state == "expired":
                    flows.received_expired += 1
                else:
                    flows.received_in_stock += 1
        stock = changed
        total = stock.census()
        per_city = [stock.census(c) for c in ("cq", "cd")]
        assert total.balanced and all(c.balanced for c in per_city)
        assert all(n >= 0 for c in (total, *per_city) for n in vars(c).values())
        assert total.collected == sum(c.collected for c in per_city) == flows.collected
        assert total.in_stock == (
            flows.collected
            + flows.received_in_stock
            - flows.dispatched
            - flows.issued
            - flows.expired_in_stock
            - flows.discarded
        )
        assert total.in_transit == flows.dispatched - flows.received
        assert total.issued == flows.issued
        assert total.expired == flows.expired_in_stock + flows.received_expired
        assert total.discarded == flows.discarded
        # One place at a time: every unit has exactly one location, in one city.
        assert len(stock.holdings) == flows.collected
