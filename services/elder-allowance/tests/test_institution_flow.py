"""The institution map across both cities (real PostgreSQL, the kit's inbox, the bus
replaced by a hand-kept log): what one city publishes, the other answers; the highest
version wins whatever the order; redelivery and replay change nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
from elder_institution_builders import a_body
from elder_institution_bus import Bus, ElderCity, two_cities

from chengyu_contracts.domain_error import NotFound
from chengyu_contracts.events.elder import ElderCareInstitutionPublished
from chengyu_kit.local.postgres import LocalPostgres

pytestmark = pytest.mark.integration

CQ_ID = "cq-yuzhong-0001"
CHENGDU_BODY = a_body(
    name="武侯区社会福利院", district="510107", latitude=30.642, longitude=104.043, grade=4
)


@pytest.fixture
async def cities(postgres: LocalPostgres) -> AsyncIterator[tuple[ElderCity, ElderCity, Bus]]:
    async for trio in two_cities(postgres):
        yield trio


async def institution_rows(city: ElderCity) -> list[tuple[str, int, int]]:
    rows = await city.pool.fetch(
        "SELECT institution_id, version, vacancies FROM institution ORDER BY institution_id"
    )
    return [(r["institution_id"], r["version"], r["vacancies"]) for r in rows]


async def test_an_institution_published_in_chongqing_is_found_in_chengdu(
    cities: tuple[ElderCity, ElderCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.publish(CQ_ID, a_body())
    await cd.publish("cd-wuhou-0001", CHENGDU_BODY)
    await bus.settle()
    page = await cd.query(near="29.56,106.55", within_km="20")
    assert [(f.institution.institution_id, f.institution.city) for f in page.items] == [
        (CQ_ID, "cq")
    ]
    assert page.items[0].distance_km == pytest.approx(2.63, abs=0.01)
    both = await cq.query(sort="grade")
    assert [f.institution.institution_id for f in both.items] == ["cd-wuhou-0001", CQ_ID]
    assert bus.dead == []


async def test_redelivery_and_replay_change_nothing(
    cities: tuple[ElderCity, ElderCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.publish(CQ_ID, a_body())
    await bus.settle()
    before = await institution_rows(cd)
    await bus.deliver(cd, bus.log)  # every record again
    await bus.deliver(cq, bus.log)  # the publisher gets its own back: nothing to do
    assert await institution_rows(cd) == before == [(CQ_ID, 1, 12)]
    assert await institution_rows(cq) == [(CQ_ID, 1, 12)]
    assert bus.dead == []


async def test_the_highest_version_wins_whatever_the_order(
    cities: tuple[ElderCity, ElderCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.publish(CQ_ID, a_body(vacancies=12))
    first = await bus.publish(cq)
    await cq.publish(CQ_ID, a_body(vacancies=5))
    second = await bus.publish(cq)
    await bus.deliver(cd, second)
    await bus.deliver(cd, first)  # the older version, late: changes nothing
    assert await institution_rows(cd) == [(CQ_ID, 2, 5)]
    assert bus.dead == []


async def test_a_closed_institution_leaves_the_other_citys_map(
    cities: tuple[ElderCity, ElderCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.publish(CQ_ID, a_body())
    await cq.publish(CQ_ID, a_body(closed=True))
    await bus.settle()
    assert (await cd.query()).total == 0
    assert (await cd.institution(CQ_ID)).closed is True


async def test_an_institution_of_chongqing_announced_by_chengdu_is_dead_lettered(
    cities: tuple[ElderCity, ElderCity, Bus],
) -> None:
    cq, cd, bus = cities
    async with cd.unit() as unit:
        unit.emit(
            ElderCareInstitutionPublished(
                institution_id=CQ_ID,  # a Chongqing id, signed by Chengdu as its own
                city="cd",
                version=9,
                name="冒名",
                district="510107",
                address="某处",
                latitude_e6=30_642_000,
                longitude_e6=104_043_000,
                beds=1,
                nursing_beds=0,
                vacancies=0,
                phone="028-1",
                updated_on=date(2026, 10, 15),
            )
        )
    await bus.settle()
    assert any("institution-of-other-city" in reason for reason in bus.dead_reasons())
    with pytest.raises(NotFound):
        await cq.institution(CQ_ID)
