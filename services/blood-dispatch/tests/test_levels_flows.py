"""Levels across both cities (real PostgreSQL, the kit's inbox, a hand-kept log): a
movement crossing into orange publishes stock-low once; the better level is shown (and
stock-recovered published) only after the hold, by the periodic job with no movement; the
periodic job expires units and escalates; the other city keeps the levels it is sent, and
redelivery changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from blood_bus import RED_O_NEG, BloodCity, Bus, din, payloads, row, two_cities

from chengyu_blood_dispatch.blood_groups import StockKey
from chengyu_contracts.events.blood import (
    BloodStockLevelChanged,
    BloodStockLow,
    BloodStockRecovered,
)
from chengyu_kit.local.postgres import LocalPostgres

pytestmark = pytest.mark.integration

PLATELETS_A = StockKey("platelets", "A", "pos")


@pytest.fixture
async def cities(postgres: LocalPostgres) -> AsyncIterator[tuple[BloodCity, BloodCity, Bus]]:
    async for trio in two_cities(postgres):
        yield trio


async def shown(city: BloodCity, key: StockKey = RED_O_NEG) -> str:
    stored = await city.level(key)
    assert stored is not None
    return stored.state.level


async def down_to_orange(cq: BloodCity) -> None:
    """20 units of red cells O neg, 15 issued today: 5 usable at 15/14 a day (4.67 days)."""
    await cq.collect_many(1, 20)
    await cq.issue(*(din("cq", n) for n in range(1, 15)))
    assert await shown(cq) == "yellow"  # 6 units at 1 a day
    await cq.issue(din("cq", 15))


async def test_crossing_into_orange_publishes_stock_low_once(
    cities: tuple[BloodCity, BloodCity, Bus],
) -> None:
    cq, cd, bus = cities
    await down_to_orange(cq)
    assert await shown(cq) == "orange"
    await cq.issue(din("cq", 16))  # 4 units at 16/14 a day: 3.5 days, orange still
    await cq.recompute()
    await bus.settle()
    lows = payloads(bus.log, BloodStockLow)
    assert [(low.request_id, low.level, low.usable_units, low.units_needed) for low in lows] == [
        ("low-cq-red-cells-Oneg-1", "orange", 5, 6)  # 10 days' target: ceil(150/14 - 5)
    ]
    assert lows[0].days_of_supply_centi == 466
    changes = [(c.previous_level, c.level) for c in payloads(bus.log, BloodStockLevelChanged)]
    assert changes == [("green", "yellow"), ("yellow", "orange")]
    # Chengdu keeps Chongqing's level and open request.
    seen = await cd.seen_level("cq", RED_O_NEG)
    assert seen is not None and (seen.level, seen.low_request_id) == (
        "orange",
        "low-cq-red-cells-Oneg-1",
    )
    before = await cd.state()
    await bus.deliver(cd, bus.log)  # every event again
    await bus.deliver(cd, list(reversed(bus.log)))
    assert await cd.state() == before
    assert bus.dead == []


async def test_recovery_only_after_the_hold_by_the_periodic_job(
    cities: tuple[BloodCity, BloodCity, Bus],
) -> None:
    cq, cd, bus = cities
    await down_to_orange(cq)
    await cq.collect_many(100, 10)  # 15 usable at 15/14 a day: 14 days, green computed
    assert await shown(cq) == "orange"
    cq.advance(timedelta(hours=5, minutes=59))
    await cq.recompute()
    assert await shown(cq) == "orange"
    await bus.settle()
    assert payloads(bus.log, BloodStockRecovered) == []
    cq.advance(timedelta(minutes=1))  # Chongqing's hold: 6 hours
    assert await cq.recompute() == 1
    assert await shown(cq) == "green"
    await cq.recompute()
    await bus.settle()
    recovered = payloads(bus.log, BloodStockRecovered)
    assert [(r.level, r.city) for r in recovered] == [("green", "cq")]
    seen = await cd.seen_level("cq", RED_O_NEG)
    assert seen is not None and (seen.level, seen.low_request_id) == ("green", None)
    stored = await cq.level(RED_O_NEG)
    assert stored is not None and stored.low_request_id is None and stored.low_count == 1


async def test_a_second_shortage_gets_a_new_request(
    cities: tuple[BloodCity, BloodCity, Bus],
) -> None:
    cq, _cd, bus = cities
    await down_to_orange(cq)
    await cq.collect_many(100, 10)
    cq.advance(timedelta(hours=6))
    await cq.recompute()
    assert await shown(cq) == "green"
    # 8 more issued: 7 usable at 23/14 a day (4.26 days), orange again: a new request.
    await cq.issue(*(din("cq", n) for n in range(100, 108)))
    assert await shown(cq) == "orange"
    # 2 more: red from orange asks again (the rules: the shortage got worse).
    await cq.issue(din("cq", 108), din("cq", 109))
    assert await shown(cq) == "red"
    await bus.settle()
    assert [(low.request_id, low.level) for low in payloads(bus.log, BloodStockLow)] == [
        ("low-cq-red-cells-Oneg-1", "orange"),
        ("low-cq-red-cells-Oneg-2", "orange"),
        ("low-cq-red-cells-Oneg-3", "red"),
    ]


async def test_the_periodic_jobs_expire_units_and_escalate(
    cities: tuple[BloodCity, BloodCity, Bus],
) -> None:
    cq, _cd, bus = cities
    # Platelets A pos: 14 issued in the window (1 a day); 2 keeping 5 days, 4 keeping 2.
    await cq.collect(
        *(
            row(n, product="platelets", abo="A", rhd="pos", keeps=timedelta(days=5))
            for n in range(1, 17)
        ),
        *(
            row(n, product="platelets", abo="A", rhd="pos", keeps=timedelta(days=2))
            for n in range(17, 21)
        ),
    )
    await cq.issue(*(din("cq", n) for n in range(1, 15)))
    assert await shown(cq, PLATELETS_A) == "green"  # 6 units at 1 a day (green from 3 days)
    cq.advance(timedelta(days=1, hours=1))
    assert await cq.expire_due() == 4
    await cq.recompute()
    assert await shown(cq, PLATELETS_A) == "yellow"  # 2 units at 1 a day
    await bus.settle()
    assert payloads(bus.log, BloodStockLow) == []
    states = await cq.pool.fetch(
        "SELECT state, count(*) AS n FROM blood_unit GROUP BY state ORDER BY state"
    )
    assert [(r["state"], r["n"]) for r in states] == [
        ("available", 2),
        ("expired", 4),
        ("issued", 14),
    ]
