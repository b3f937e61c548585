"""The stock across both cities (real PostgreSQL, the kit's inbox, the bus replaced by a
hand-kept log): a unit moved in one city is seen in the other; a DIN both centres hold in
stock is flagged in both and never merged; redelivery of every event changes nothing; the
dispatch area's movements (reserve, release, dispatch, receive) and the expiry sweep."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from blood_bus import NOW, BloodCity, Bus, din, payloads, row, two_cities

from chengyu_blood_dispatch.stock import store
from chengyu_blood_dispatch.stock import usecases as stock
from chengyu_contracts.domain_error import Conflict, DomainError, NotFound
from chengyu_contracts.events.blood import BloodUnitConflictFlagged, BloodUnitMoved
from chengyu_kit.local.postgres import LocalPostgres

pytestmark = pytest.mark.integration


@pytest.fixture
async def cities(postgres: LocalPostgres) -> AsyncIterator[tuple[BloodCity, BloodCity, Bus]]:
    async for trio in two_cities(postgres):
        yield trio


async def test_a_unit_moved_in_chongqing_is_seen_in_chengdu(
    cities: tuple[BloodCity, BloodCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.collect(row(1))
    await bus.settle()
    seen = (await cd.unit_view(din("cq", 1))).seen
    assert seen is not None and (seen.city, seen.state, seen.sequence) == ("cq", "available", 1)
    await cq.issue(din("cq", 1))
    await bus.settle()
    seen = (await cd.unit_view(din("cq", 1))).seen
    assert seen is not None and (seen.state, seen.sequence, seen.movement) == (
        "issued",
        2,
        "issued",
    )
    assert (await cd.unit_view(din("cq", 1))).own is None
    assert bus.dead == []


async def test_an_older_movement_arriving_late_changes_nothing(
    cities: tuple[BloodCity, BloodCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.collect(row(1))
    first = await bus.publish(cq)
    await cq.issue(din("cq", 1))
    second = await bus.publish(cq)
    await bus.deliver(cd, second)
    await bus.deliver(cd, first)
    seen = (await cd.unit_view(din("cq", 1))).seen
    assert seen is not None and (seen.state, seen.sequence) == ("issued", 2)


async def test_a_din_in_both_stocks_is_flagged_in_both_and_never_merged(
    cities: tuple[BloodCity, BloodCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.collect(row(1))
    await cd.collect(row(1))  # Chengdu reports Chongqing's DIN in its own stock
    await bus.settle()
    for city in (cq, cd):
        view = await city.unit_view(din("cq", 1))
        assert view.own is not None and view.own.location.state == "available"
        assert view.seen is not None and view.seen.state == "available"
        assert sorted(c.city for c in view.conflicts) == ["cd", "cq"]
    assert sorted(f.city for f in payloads(bus.log, BloodUnitConflictFlagged)) == ["cd", "cq"]
    # Redelivery of every event to both changes nothing.
    before = (await cq.state(), await cd.state())
    await bus.deliver(cq, bus.log)
    await bus.deliver(cd, bus.log)
    assert (await cq.state(), await cd.state()) == before
    assert bus.dead == []


async def test_a_unit_issued_in_one_city_is_no_conflict(
    cities: tuple[BloodCity, BloodCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.collect(row(1))
    await cq.issue(din("cq", 1))
    await bus.settle()
    await cd.collect(row(1))
    await bus.settle()
    assert await cq.count("unit_conflict") == await cd.count("unit_conflict") == 0


async def test_redelivery_of_every_event_changes_nothing(
    cities: tuple[BloodCity, BloodCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.collect_many(1, 5)
    await cd.collect_many(1, 3, abo="A", rhd="pos")
    await cq.issue(din("cq", 1), din("cq", 2))
    await bus.settle()
    before = (await cq.state(), await cd.state())
    await bus.deliver(cd, list(reversed(bus.log)))
    await bus.deliver(cq, bus.log)
    assert (await cq.state(), await cd.state()) == before
    assert len(payloads(bus.log, BloodUnitMoved)) == 5 + 3 + 2


async def test_a_shipment_reserve_dispatch_receive(
    cities: tuple[BloodCity, BloodCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.collect_many(1, 3)
    dins = (din("cq", 1), din("cq", 2))
    async with cq.unit() as unit:
        held = await stock.reserve_units(stock.ReserveUnits("offer-1", dins), unit, cq.book)
    assert {s.location.state for s in held} == {"reserved"}
    # A unit reserved cannot be issued; nor reserved again for another offer.
    with pytest.raises(Conflict, match="reserved"):
        await cq.issue(dins[0])
    with pytest.raises(Conflict):
        async with cq.unit() as unit:
            await stock.reserve_units(
                stock.ReserveUnits("offer-2", (din("cq", 3), dins[0])), unit, cq.book
            )
    third = (await cq.unit_view(din("cq", 3))).own
    assert third is not None and third.location.state == "available"
    async with cq.unit() as unit:
        sent = await stock.dispatch_units(
            stock.DispatchUnits("offer-1", "ship-1", "cd"), unit, cq.book
        )
    assert {(s.location.state, s.location.shipment_id) for s in sent} == {("in-transit", "ship-1")}
    await bus.settle()
    units = tuple(s.unit for s in sent)
    cd.advance(timedelta(hours=4))
    async with cd.unit() as unit:
        got = await stock.receive_units(
            stock.ReceiveUnits("ship-1", "cq", units, temperature_ok=False), unit, cd.book
        )
    assert {(s.location.state, s.collected_in, s.sequence) for s in got} == {
        ("quarantined", "cq", 1)
    }
    await bus.settle()
    # Received in Chengdu while Chongqing shows it in transit: no conflict anywhere.
    assert await cq.count("unit_conflict") == await cd.count("unit_conflict") == 0
    seen = (await cq.unit_view(dins[0])).seen
    assert seen is not None and (seen.city, seen.state) == ("cd", "quarantined")
    # The same shipment twice is refused whole: the units are in Chengdu's stock already.
    with pytest.raises(Conflict, match="already recorded"):
        async with cd.unit() as unit:
            await stock.receive_units(
                stock.ReceiveUnits("ship-1", "cq", units, temperature_ok=True), unit, cd.book
            )
    assert bus.dead == []


async def test_a_release_returns_the_units_and_an_empty_dispatch_is_refused(
    cities: tuple[BloodCity, BloodCity, Bus],
) -> None:
    cq, _cd, _bus = cities
    await cq.collect_many(1, 2)
    async with cq.unit() as unit:
        await stock.reserve_units(
            stock.ReserveUnits("offer-1", (din("cq", 1), din("cq", 2))), unit, cq.book
        )
    async with cq.unit() as unit:
        released = await stock.release_units(stock.ReleaseUnits("offer-1"), unit, cq.book)
    assert {s.location.state for s in released} == {"available"}
    with pytest.raises(Conflict, match="No unit is held"):
        async with cq.unit() as unit:
            await stock.dispatch_units(
                stock.DispatchUnits("offer-1", "ship-1", "cd"), unit, cq.book
            )
    with pytest.raises(NotFound):
        async with cq.unit() as unit:
            await stock.reserve_units(stock.ReserveUnits("offer-3", (din("cq", 7),)), unit, cq.book)
    with pytest.raises(DomainError, match="same-city"):
        async with cq.unit() as unit:
            await stock.receive_units(
                stock.ReceiveUnits("ship-9", "cq", (), temperature_ok=True), unit, cq.book
            )


async def test_a_unit_expiring_in_transit_is_received_expired(
    cities: tuple[BloodCity, BloodCity, Bus],
) -> None:
    cq, cd, _bus = cities
    await cq.collect(row(1, product="platelets", keeps=timedelta(days=2)))
    async with cq.unit() as unit:
        await stock.reserve_units(stock.ReserveUnits("o", (din("cq", 1),)), unit, cq.book)
    async with cq.unit() as unit:
        (sent,) = await stock.dispatch_units(stock.DispatchUnits("o", "s", "cd"), unit, cq.book)
    cd.advance(timedelta(days=2))
    async with cd.unit() as unit:
        (got,) = await stock.receive_units(
            stock.ReceiveUnits("s", "cq", (sent.unit,), temperature_ok=True), unit, cd.book
        )
    assert got.location.state == "expired"


async def test_the_expiry_sweep_expires_units_in_stock(
    cities: tuple[BloodCity, BloodCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.collect(
        row(1, product="platelets", keeps=timedelta(days=3)),
        row(2, product="platelets", keeps=timedelta(days=5)),
        row(3),
    )
    assert await cq.expire_due() == 0
    cq.advance(timedelta(days=2))
    assert await cq.expire_due() == 1
    assert await cq.expire_due() == 0
    async with cq.unit() as unit:
        expired = await store.load_unit(unit.conn, din("cq", 1), "cq")
    assert expired is not None and expired.location.state == "expired"
    await bus.settle()
    seen = (await cd.unit_view(din("cq", 1))).seen
    assert seen is not None and seen.state == "expired"
    assert cq.clock.now() == NOW + timedelta(days=2)
