"""The dispatch saga on both cities (real PostgreSQL, the kit's inbox, a hand-kept log): a
stock-low in Chongqing answered by Chengdu with compatible, green, first-expiring units
that will still keep on arrival, never below Chengdu's target; accepted, dispatched and
received into Chongqing's stock; a temperature breach into quarantine; a unit expiring on
the way received as expired; cancellation and declines release reservations; every unit
in exactly one place at each step; redelivery of every event changes nothing; escalation
of a late step on a fixed clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from blood_bus import BloodCity, Bus, din, payloads, two_cities

from chengyu_contracts.domain_error import Conflict, Forbidden
from chengyu_contracts.events.blood import (
    BloodDispatchEscalated,
    BloodDispatchOffered,
    BloodShipmentReceived,
    BloodStockLow,
)
from chengyu_kit.local.postgres import LocalPostgres

pytestmark = pytest.mark.integration

IN_STOCK = {"available", "reserved", "quarantined"}


@pytest.fixture
async def cities(postgres: LocalPostgres) -> AsyncIterator[tuple[BloodCity, BloodCity, Bus]]:
    async for trio in two_cities(postgres):
        yield trio


async def chengdu_stock(cd: BloodCity) -> None:
    """Chengdu's red cells O neg: 17 collected a day ago, 7 issued today (half a unit a
    day: 10 units keep its 10-day target at 5); of the 10 usable, 8 and 9 keep only 5 more
    days (too little on arrival), 10..17 keep 34 down to 27 more days. And 5 A pos units
    (green, plenty) that may never answer an O neg request."""
    await cd.collect_many(1, 7)
    await cd.collect_many(8, 2, keeps=timedelta(days=6))
    for n in range(10, 18):
        await cd.collect_many(n, 1, keeps=timedelta(days=45 - n))
    await cd.collect_many(30, 5, abo="A", rhd="pos")
    await cd.issue(*(din("cd", n) for n in range(1, 8)))


async def chongqing_low(cq: BloodCity) -> None:
    """20 units of red cells O neg, 15 issued today: orange (stock-low for 6 units)."""
    await cq.collect_many(1, 20)
    await cq.issue(*(din("cq", n) for n in range(1, 16)))


async def census(cq: BloodCity, cd: BloodCity) -> dict[str, str]:
    """Where each DIN is, over both databases: a unit in stock in one city, in transit, or
    gone; a unit the sender shows in transit that the receiver holds is at the receiver.
    Fails when a DIN is in two places."""
    places: dict[str, str] = {}
    own = {"cq": await cq.unit_states(), "cd": await cd.unit_states()}
    for city, other in (("cq", "cd"), ("cd", "cq")):
        for d, state in own[city].items():
            if state == "in-transit" and d in own[other]:
                continue  # received by the other city: its row tells where it is
            place = f"{city}:{state}" if state in IN_STOCK else state
            assert d not in places, f"{d} is in {places[d]} and {place}"
            places[d] = place
    return places


async def test_a_stock_low_is_answered_accepted_dispatched_and_received(
    cities: tuple[BloodCity, BloodCity, Bus],
) -> None:
    cq, cd, bus = cities
    await chengdu_stock(cd)
    await bus.settle()
    await chongqing_low(cq)
    await bus.settle()
    low = payloads(bus.log, BloodStockLow)[0]
    assert (low.request_id, low.units_needed) == ("low-cq-red-cells-Oneg-1", 6)
    offers = payloads(bus.log, BloodDispatchOffered)
    assert len(offers) == 1
    offer = offers[0]
    # Only O neg, first-expiring among those keeping 7 days after the 6-hour journey, and
    # only 5: Chengdu keeps 5 for its own target. A partial offer.
    assert [u.din for u in offer.units] == [din("cd", n) for n in (17, 16, 15, 14, 13)]
    assert offer.partial and offer.offering_city == "cd"
    # Both cities keep the request and its offer.
    for city in (cq, cd):
        kept = await city.dispatch_request(low.request_id)
        assert kept.origin == "stock-low" and kept.request.state == "offered"
        assert [o.state for o in kept.request.offers] == ["offered"]
    assert {d: s for d, s in (await census(cq, cd)).items() if s == "cd:reserved"} == {
        din("cd", n): "cd:reserved" for n in (13, 14, 15, 16, 17)
    }
    await cq.accept(low.request_id, offer.offer_id)
    await bus.settle()
    assert (await cd.dispatch_request(low.request_id)).request.offers[0].state == "accepted"
    shipment = await cd.send(low.request_id, offer.offer_id)
    await census(cq, cd)
    await bus.settle()
    places = await census(cq, cd)
    assert all(places[din("cd", n)] == "in-transit" for n in (13, 14, 15, 16, 17))
    section = await cq.unit_section()
    assert [s.shipment_id for s in section.in_transit] == [shipment.shipment_id]
    cq.advance(timedelta(hours=4))
    received = await cq.unpack(shipment.shipment_id, 30, 50)
    assert received.temperature_in_range and {r.state for r in received.receipts} == {"available"}
    await bus.settle()
    places = await census(cq, cd)
    assert all(places[din("cd", n)] == "cq:available" for n in (13, 14, 15, 16, 17))
    assert places[din("cd", 12)] == "cd:available"
    sent = await cd.dispatch_request(low.request_id)
    assert sent.request.offers[0].state == "received"
    assert [s.state for s in await cd.shipments()] == ["received"]
    # Everyone accounted for: Chongqing's 20 + Chengdu's 22, each once; no DIN flagged as
    # held in both stocks.
    assert len(await census(cq, cd)) == 42
    assert await cq.count("unit_conflict") == await cd.count("unit_conflict") == 0
    # Close: closed in both.
    await cq.close_request(low.request_id)
    await bus.settle()
    assert (await cd.dispatch_request(low.request_id)).request.state == "closed"
    assert (await cq.unit_section()).open_requests == []
    # Redelivery of every event, in order and reversed, changes nothing in either city.
    before = (await cq.everything(), await cd.everything())
    for city in (cq, cd):
        await bus.deliver(city, bus.log)
        await bus.deliver(city, list(reversed(bus.log)))
    assert (await cq.everything(), await cd.everything()) == before
    assert bus.dead == []


async def test_a_breach_quarantines_and_a_unit_expiring_on_the_way_is_received_expired(
    cities: tuple[BloodCity, BloodCity, Bus],
) -> None:
    cq, cd, bus = cities
    # Chengdu: 3 A pos units keeping 34 days, 2 keeping 8 more days (7.75 on arrival).
    await cd.collect_many(1, 3, abo="A", rhd="pos")
    await cd.collect_many(4, 2, abo="A", rhd="pos", keeps=timedelta(days=9))
    await bus.settle()
    first = await cq.request(abo="A", rhd="pos", quantity=3)
    second = await cq.request(abo="A", rhd="pos", quantity=2)
    await bus.settle()
    got = {o.request_id: o for o in payloads(bus.log, BloodDispatchOffered)}
    assert [u.din for u in got[first.request.request_id].units] == [
        din("cd", 4),
        din("cd", 5),
        din("cd", 1),
    ]
    assert [u.din for u in got[second.request.request_id].units] == [din("cd", 2), din("cd", 3)]
    shipments = {}
    for request in (first, second):
        rid = request.request.request_id
        await cq.accept(rid, got[rid].offer_id)
        await bus.settle()
        shipments[rid] = await cd.send(rid, got[rid].offer_id)
    await bus.settle()
    # A breach: 8.0 °C for red cells (2-6 °C) -> quarantined.
    breach = await cq.unpack(shipments[second.request.request_id].shipment_id, 30, 80)
    assert breach.temperature_in_range is False
    assert {r.state for r in breach.receipts} == {"quarantined"}
    # Nine days on the road: units 4 and 5 expired on the way (1 did not).
    cq.advance(timedelta(days=9))
    late = await cq.unpack(shipments[first.request.request_id].shipment_id, 30, 50)
    assert {r.din: r.state for r in late.receipts} == {
        din("cd", 1): "available",
        din("cd", 4): "expired",
        din("cd", 5): "expired",
    }
    await bus.settle()
    places = await census(cq, cd)
    assert places[din("cd", 2)] == places[din("cd", 3)] == "cq:quarantined"
    assert places[din("cd", 4)] == "expired" and places[din("cd", 1)] == "cq:available"
    received = payloads(bus.log, BloodShipmentReceived)
    assert sorted(r.temperature_in_range for r in received) == [False, True]
    assert bus.dead == []


async def test_cancel_before_dispatch_and_a_decline_release_the_reservation(
    cities: tuple[BloodCity, BloodCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cd.collect_many(1, 4)
    await bus.settle()
    cancelled = await cq.request(quantity=2)
    declined = await cq.request(quantity=2)
    await bus.settle()
    got = {o.request_id: o for o in payloads(bus.log, BloodDispatchOffered)}
    assert sorted((await cd.unit_states()).values()) == ["reserved"] * 4
    # Cancelled by Chongqing before dispatch: released in Chengdu.
    await cq.cancel(cancelled.request.request_id)
    await bus.settle()
    kept = await cd.dispatch_request(cancelled.request.request_id)
    assert kept.request.state == "cancelled"
    assert [o.state for o in kept.request.offers] == ["cancelled"]
    # Declined: released, the request stays open.
    rid = declined.request.request_id
    await cq.decline(rid, got[rid].offer_id)
    await bus.settle()
    assert [o.state for o in (await cd.dispatch_request(rid)).request.offers] == ["declined"]
    assert sorted((await cd.unit_states()).values()) == ["available"] * 4
    # A declined offer cannot be accepted or dispatched; cancelling twice is refused.
    with pytest.raises(Conflict):
        await cq.accept(rid, got[rid].offer_id)
    with pytest.raises(Conflict):
        await cq.cancel(cancelled.request.request_id)
    # Only the requesting city accepts; only the supplying city dispatches.
    with pytest.raises(Forbidden):
        await cd.accept(rid, got[rid].offer_id)
    with pytest.raises(Forbidden):
        await cq.send(rid, got[rid].offer_id)
    before = (await cq.everything(), await cd.everything())
    for city in (cq, cd):
        await bus.deliver(city, bus.log)
    assert (await cq.everything(), await cd.everything()) == before
    assert bus.dead == []


async def test_a_late_step_is_escalated_once_and_shown_in_both_cities(
    cities: tuple[BloodCity, BloodCity, Bus],
) -> None:
    cq, cd, bus = cities
    request = await cq.request(quantity=2)  # Chengdu has nothing to offer
    await bus.settle()
    assert payloads(bus.log, BloodDispatchOffered) == []
    rid = request.request.request_id
    cq.advance(timedelta(minutes=15))  # the deadline itself is in time
    assert await cq.escalate() == 0
    cq.advance(timedelta(seconds=1))
    assert await cq.escalate() == 1
    assert await cq.escalate() == 0
    await bus.settle()
    assert [(e.step, e.city) for e in payloads(bus.log, BloodDispatchEscalated)] == [
        ("offer", "cq")
    ]
    for city in (cq, cd):
        kept = await city.dispatch_request(rid)
        assert [e.step for e in kept.escalations] == ["offer"]
        section = await city.unit_section()
        assert [(r.request_id, r.escalated) for r in section.open_requests] == [(rid, "offer")]
    assert await cd.escalate() == 0  # the requesting city escalates, once
    assert bus.dead == []


async def test_an_offer_arriving_before_the_stock_low_comes_back_is_kept(
    cities: tuple[BloodCity, BloodCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cd.collect_many(1, 10)
    await bus.settle()
    await chongqing_low(cq)
    from_cq = await bus.publish(cq)
    await bus.deliver(cd, from_cq)
    from_cd = await bus.publish(cd)
    offers = payloads(from_cd, BloodDispatchOffered)
    assert len(offers) == 1
    await bus.deliver(cq, from_cd)  # before Chongqing reads its own stock-low
    kept = await cq.dispatch_request(offers[0].request_id)
    assert [o.offer_id for o in kept.request.offers] == [offers[0].offer_id]
    await bus.settle()
    assert (await cq.dispatch_request(offers[0].request_id)).version == kept.version
    assert bus.dead == []


async def test_a_cancel_crossing_a_dispatch_loses_the_race_and_the_shipment_is_received(
    cities: tuple[BloodCity, BloodCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cd.collect_many(1, 2)
    await bus.settle()
    request = await cq.request(quantity=2)
    await bus.settle()
    rid = request.request.request_id
    (offer,) = payloads(bus.log, BloodDispatchOffered)
    await cq.accept(rid, offer.offer_id)
    await bus.settle()
    # The race: Chongqing cancels while Chengdu dispatches, each before the other's event.
    await cq.cancel(rid)
    shipment = await cd.send(rid, offer.offer_id)
    await census(cq, cd)
    await bus.settle()
    assert bus.dead == []
    # Chengdu: the shipment stands; the cancellation is recorded as too late.
    sent = (await cd.dispatch_request(rid)).request
    assert sent.state == "cancelled"
    assert [(o.state, o.cancel_too_late) for o in sent.offers] == [("dispatched", True)]
    # Chongqing: the shipment of its cancelled offer is in transit and shown on the request.
    kept = (await cq.dispatch_request(rid)).request
    assert kept.state == "cancelled"
    assert [(o.state, o.shipment_id) for o in kept.offers] == [("dispatched", shipment.shipment_id)]
    assert [(s.shipment_id, s.state) for s in await cq.shipments()] == [
        (shipment.shipment_id, "in-transit")
    ]
    places = await census(cq, cd)
    assert {places[din("cd", n)] for n in (1, 2)} == {"in-transit"}
    # Received as usual.
    cq.advance(timedelta(hours=4))
    received = await cq.unpack(shipment.shipment_id)
    assert {r.state for r in received.receipts} == {"available"}
    await bus.settle()
    places = await census(cq, cd)
    assert {places[din("cd", n)] for n in (1, 2)} == {"cq:available"}
    assert len(places) == 2
    for city in (cq, cd):
        assert [o.state for o in (await city.dispatch_request(rid)).request.offers] == ["received"]
    # Redelivery of every event, in order and reversed, changes nothing in either city.
    before = (await cq.everything(), await cd.everything())
    for city in (cq, cd):
        await bus.deliver(city, bus.log)
        await bus.deliver(city, list(reversed(bus.log)))
    assert (await cq.everything(), await cd.everything()) == before
    assert bus.dead == []
