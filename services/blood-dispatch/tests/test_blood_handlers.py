"""Both cities on real PostgreSQL with a hand-kept log: a case opened in one city is known
in the other; an event signed by another city than the one it names is dead-lettered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest

from chengyu_blood_dispatch import store, usecases
from chengyu_blood_dispatch.service import SERVICE
from chengyu_contracts.cities import City
from chengyu_contracts.events.blood import BloodCaseOpened
from chengyu_contracts.resident_id import synthesize_resident_id
from chengyu_kit.clock import FixedClock
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.testing.bus import Bus, BusCity, BusService, open_city, two_cities

NOW = datetime(2026, 10, 15, 4, 0, tzinfo=UTC)
RESIDENT = synthesize_resident_id("510104", date(1958, 5, 1), 3, "male")
BUS = BusService.of(SERVICE)

Cities = tuple[BusCity, BusCity, Bus[BusCity]]


@pytest.fixture
async def cities(postgres: LocalPostgres) -> AsyncIterator[Cities]:
    async def open_one(city: City) -> BusCity:
        handlers = SERVICE.handlers(SERVICE.policy()) if SERVICE.handlers else None
        assert handlers is not None
        return await open_city(postgres, BUS, city, handlers=handlers, clock=FixedClock(NOW))

    async for opened in two_cities(open_one):
        yield opened


async def test_a_case_opened_in_chengdu_is_known_in_chongqing(cities: Cities) -> None:
    cq, cd, bus = cities
    async with cd.unit() as unit:
        case = await usecases.open_case_for(usecases.OpenCase(RESIDENT), unit, SERVICE.policy())
    await bus.settle()
    async with cq.pool.acquire() as conn:
        known = await store.load_case(conn, case.case_id)
    assert known is not None
    assert known[0] == case
    assert bus.dead == []


async def test_a_case_event_signed_by_the_other_city_is_dead_lettered(cities: Cities) -> None:
    cq, cd, bus = cities
    async with cd.unit() as unit:
        unit.emit(BloodCaseOpened(case_id="cq-forged", person_ref="ref", city="cq"))
    await bus.settle()
    assert set(bus.dead_reasons()) == {"wrong-issuing-city"}
    async with cq.pool.acquire() as conn:
        assert await store.load_case(conn, "cq-forged") is None
