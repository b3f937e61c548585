"""Capability assessments across both cities: one made in a city is recognised by the
other without a new assessment, both list the same assessments and the same current one;
redelivery changes nothing; an assessment whose figures contradict its scores is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
from elder_applications_support import TODAY, Bus, ElderCity, elder, payloads, ref, two_cities

from chengyu_contracts.events.elder import ElderCapabilityAssessed
from chengyu_kit.local.postgres import LocalPostgres

pytestmark = pytest.mark.integration

ALICE = elder(21)


@pytest.fixture
async def cities(postgres: LocalPostgres) -> AsyncIterator[tuple[ElderCity, ElderCity, Bus]]:
    async for trio in two_cities(postgres):
        yield trio


async def test_an_assessment_made_in_one_city_is_recognised_in_the_other(
    cities: tuple[ElderCity, ElderCity, Bus],
) -> None:
    cq, cd, bus = cities
    made = await cq.assess(ALICE, date(2026, 9, 1), dementia_or_mental_disorder=True)
    await bus.settle()

    here, there = await cq.assessments(ref(ALICE)), await cd.assessments(ref(ALICE))
    assert [s.assessment for s in here.assessments] == [s.assessment for s in there.assessments]
    [own], [recognised] = here.assessments, there.assessments
    assert (own.recognised, recognised.recognised) == (False, True)
    assessment = recognised.assessment
    # 60 points: level 2 by the total, one level up for the diagnosis.
    assert (assessment.level.total, assessment.level.base_level, assessment.level.level) == (
        60,
        2,
        3,
    )
    assert assessment.valid_until == date(2027, 9, 1)
    assert here.current == there.current == assessment
    assert made == assessment.assessment_id
    assert bus.dead == []


async def test_both_cities_count_the_latest_valid_assessment_of_either_city(
    cities: tuple[ElderCity, ElderCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.assess(ALICE, date(2025, 9, 1))  # expired by today
    latest = await cd.assess(ALICE, date(2026, 3, 1), self_care=5)
    older = await cq.assess(ALICE, date(2026, 1, 10))
    await bus.settle()
    for city in (cq, cd):
        found = await city.assessments(ref(ALICE))
        assert len(found.assessments) == 3
        assert found.current is not None and found.current.assessment_id == latest
        assert older != latest
    assert bus.dead == []


async def test_redelivering_every_assessment_changes_nothing(
    cities: tuple[ElderCity, ElderCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.assess(ALICE, date(2026, 9, 1))
    await cd.assess(ALICE, TODAY, coma=True)
    await bus.settle()
    before = [await c.table("capability_assessment") for c in (cq, cd)]
    for city in (cq, cd):
        await bus.deliver(city, list(bus.log))
    # The assessing city publishes the same assessment again under a new event id.
    [first, _] = payloads(bus.log, ElderCapabilityAssessed)
    async with cq.unit() as unit:
        unit.emit(first)
    await bus.settle()
    assert [await c.table("capability_assessment") for c in (cq, cd)] == before
    assert bus.dead == []


async def test_an_assessment_whose_total_contradicts_its_scores_is_dead_lettered(
    cities: tuple[ElderCity, ElderCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.assess(ALICE, date(2026, 9, 1))
    [made] = payloads(await bus.publish(cq), ElderCapabilityAssessed)
    forged = made.model_copy(update={"assessment_id": "cap-cq-forged", "total": 90, "level": 0})
    async with cq.unit() as unit:
        unit.emit(forged)
    await bus.settle()
    assert len((await cd.assessments(ref(ALICE))).assessments) == 1
    assert any("inconsistent-assessment" in reason for reason in bus.dead_reasons())
