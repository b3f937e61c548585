"""Both cities on real PostgreSQL and the kit's bus: a household move paid by the old city
through the move month and by the new city from the month after, with no gap and no
overlap; the person's case visible in both cities; a verification recorded in the other
city applied by the paying city; duplicate delivery changing nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
from elder_allowance_rows import (
    AllowanceCity,
    Bus,
    add_elder,
    payloads,
    payments,
    set_household,
    two_cities,
)

from chengyu_contracts.events.elder import ElderAllowanceResumed, ElderAllowanceTerminated
from chengyu_kit.local.postgres import LocalPostgres

pytestmark = pytest.mark.integration


@pytest.fixture
async def cities(
    postgres: LocalPostgres,
) -> AsyncIterator[tuple[AllowanceCity, AllowanceCity, Bus]]:
    async for trio in two_cities(postgres):
        yield trio


async def test_a_move_is_paid_through_the_move_month_then_by_the_new_city_without_gap_or_overlap(
    cities: tuple[AllowanceCity, AllowanceCity, Bus],
) -> None:
    cq, cd, bus = cities
    person = await add_elder(cq.pool, date(1940, 1, 1), 1, registered_from="2026-03")
    await cq.runs("2026-03", "2026-04")
    await bus.settle()
    assert (await cd.allowance(person.person_ref)).paying_city == "cq"
    # The move to Chengdu recorded in May with the move month 2026-05: both registers
    # (each city holds both registrations) end and start accordingly.
    for city in (cq, cd):
        await set_household(
            city.pool,
            person.person_ref,
            "cq",
            status="moved-out",
            registered_from="2026-03",
            registered_until="2026-05",
        )
    await add_elder(
        cd.pool, date(1940, 1, 1), 1, city="cd", registered_from="2026-06", same_as=person
    )
    await set_household(cq.pool, person.person_ref, "cd", registered_from="2026-06")
    await cq.registration_changed(person.person_ref)

    for month in ("2026-05", "2026-06", "2026-07"):
        await cq.run(month)
        await cd.run(month)
        await bus.settle()

    paid_cq = [p.month for p in await payments(cq.pool, person.person_ref)]
    paid_cd = [p.month for p in await payments(cd.pool, person.person_ref)]
    assert paid_cq == ["2026-03", "2026-04", "2026-05"]
    assert paid_cd == ["2026-06", "2026-07"]
    [terminated] = payloads(bus.log, ElderAllowanceTerminated)
    assert (terminated.last_month, terminated.reason_code) == ("2026-05", "household-moved")
    seen_in_cq = await cq.allowance(person.person_ref)
    assert seen_in_cq.paying_city == "cq"  # its own, terminated, with its payments
    assert seen_in_cq.state == "terminated"
    assert bus.dead == []


async def test_a_verification_recorded_in_the_other_city_is_applied_by_the_paying_city(
    cities: tuple[AllowanceCity, AllowanceCity, Bus],
) -> None:
    cq, cd, bus = cities
    person = await add_elder(cq.pool, date(1940, 1, 1), 1, registered_from="2026-03")
    await cq.runs("2026-03", "2027-06")
    await bus.settle()
    assert (await cq.allowance(person.person_ref)).state == "suspended"
    assert (await cd.allowance(person.person_ref)).state == "suspended"

    cd.set_day(date(2027, 7, 12))
    recorded = await cd.verify(person.id_number, date(2027, 7, 12))
    await bus.settle()
    await bus.deliver(cq, bus.log)  # every event again: nothing changes

    assert (recorded.paying_city, recorded.recorded_in) == ("cq", "cd")
    assert (await cq.allowance(person.person_ref)).state == "active"
    assert (await cd.allowance(person.person_ref)).state == "active"
    assert len(payloads(bus.log, ElderAllowanceResumed)) == 1
    assert await cq.count("verification") == 1
    await cq.run("2027-07")
    assert [p.month for p in await payments(cq.pool, person.person_ref)][-2:] == [
        "2027-06",
        "2027-07",
    ]
    assert bus.dead == []
