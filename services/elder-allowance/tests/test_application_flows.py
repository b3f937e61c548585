"""Applications across both cities on real PostgreSQL, events handed across by the kit's
bus harness: accepted in one city, decided in the paying city at once or by a clerk, the
answer visible in the accepting city; overdue flagged in both; redelivering every event
changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
from elder_applications_support import (
    TODAY,
    Bus,
    ElderCity,
    FakeGrants,
    elder,
    install_fake_grants,
    payloads,
    ref,
    two_cities,
)

from chengyu_contracts.domain_error import Conflict, DomainError, Forbidden
from chengyu_contracts.events.elder import (
    ElderAllowanceApplicationDecided,
    ElderAllowanceApplicationOverdue,
    ElderAllowanceApplied,
)
from chengyu_elder_allowance.allowance import flow as allowance_flow
from chengyu_kit.local.postgres import LocalPostgres

pytestmark = pytest.mark.integration

ALICE = elder(11)
BOB = elder(12)
# Chongqing's default policy: 15 working days; 15 October 2026 is a Thursday.
CQ_DECIDE_BY = date(2026, 11, 5)
TABLES = ("allowance_application", "outbox", "parked_key")


@pytest.fixture
async def cities(postgres: LocalPostgres) -> AsyncIterator[tuple[ElderCity, ElderCity, Bus]]:
    async for trio in two_cities(postgres):
        yield trio


@pytest.fixture
def grants(monkeypatch: pytest.MonkeyPatch) -> FakeGrants:
    return install_fake_grants(monkeypatch)


async def test_an_application_accepted_in_chengdu_is_decided_in_chongqing_and_answered_in_both(
    cities: tuple[ElderCity, ElderCity, Bus], grants: FakeGrants
) -> None:
    cq, cd, bus = cities
    accepted = await cd.apply(ALICE, "cq")
    assert (accepted.accepted_in, accepted.paying_city, accepted.decide_by) == (
        "cd",
        "cq",
        CQ_DECIDE_BY,
    )
    await bus.settle()

    assert grants.calls == [("cq", ref(ALICE), accepted.application_id)]
    here, there = (
        await cq.application(accepted.application_id),
        await cd.application(accepted.application_id),
    )
    assert here == there
    assert (there.status, there.decided_on) == ("approved", TODAY)
    [decided] = payloads(bus.log, ElderAllowanceApplicationDecided)
    assert (decided.outcome, decided.accepted_in, decided.paying_city) == ("approved", "cd", "cq")
    assert bus.dead == []


async def test_an_application_in_the_household_city_is_decided_there_on_its_own_event(
    cities: tuple[ElderCity, ElderCity, Bus], grants: FakeGrants
) -> None:
    cq, cd, bus = cities
    accepted = await cq.apply(ALICE, "cq")
    await bus.settle()
    assert grants.calls == [("cq", ref(ALICE), accepted.application_id)]
    assert (await cq.application(accepted.application_id)).status == "approved"
    # Chengdu keeps the case too: it is visible in both cities.
    assert (await cd.application(accepted.application_id)).status == "approved"
    assert bus.dead == []


async def test_a_refusal_of_the_allowance_area_refuses_with_its_code_in_both_cities(
    cities: tuple[ElderCity, ElderCity, Bus], grants: FakeGrants
) -> None:
    cq, cd, bus = cities
    grants.refusals[ref(ALICE)] = "deceased"
    accepted = await cd.apply(ALICE, "cq")
    await bus.settle()
    for city in (cq, cd):
        answer = await city.application(accepted.application_id)
        assert answer.status == "refused"
        assert answer.reason is not None and answer.reason.code == "deceased"
    assert bus.dead == []


async def test_a_person_not_yet_in_the_register_waits_for_a_clerk_who_decides_later(
    cities: tuple[ElderCity, ElderCity, Bus], grants: FakeGrants
) -> None:
    cq, cd, bus = cities
    grants.refusals[ref(ALICE)] = "not-registered"
    accepted = await cd.apply(ALICE, "cq")
    await bus.settle()
    assert (await cq.application(accepted.application_id)).status == "submitted"
    assert payloads(bus.log, ElderAllowanceApplicationDecided) == []

    # The new household registration reached the register; the clerk approves.
    del grants.refusals[ref(ALICE)]
    await cq.decide(accepted.application_id, "approved")
    await bus.settle()
    assert (await cd.application(accepted.application_id)).status == "approved"
    assert len(grants.calls) == 2
    assert bus.dead == []


async def test_only_the_paying_city_decides_and_only_once(
    cities: tuple[ElderCity, ElderCity, Bus], grants: FakeGrants
) -> None:
    cq, cd, bus = cities
    grants.refusals[ref(ALICE)] = "not-registered"
    accepted = await cd.apply(ALICE, "cq")
    await bus.settle()
    with pytest.raises(Forbidden) as elsewhere:
        await cd.decide(accepted.application_id, "refused", "no")
    assert elsewhere.value.code == "not-paying-city"
    with pytest.raises(Conflict) as not_granted:
        await cq.decide(accepted.application_id, "approved")
    assert not_granted.value.code == "not-registered"
    refused = await cq.decide(accepted.application_id, "refused", "Household not in Chongqing.")
    assert refused.reason is not None and refused.reason.code == "refused-by-clerk"
    with pytest.raises(Conflict) as twice:
        await cq.decide(accepted.application_id, "approved")
    assert twice.value.code == "already-decided"
    await bus.settle()
    there = await cd.application(accepted.application_id)
    assert there.status == "refused"
    assert there.reason == refused.reason
    assert bus.dead == []


async def test_an_application_not_decided_in_time_is_flagged_overdue_in_both_cities(
    cities: tuple[ElderCity, ElderCity, Bus], grants: FakeGrants
) -> None:
    cq, cd, bus = cities
    grants.refusals[ref(ALICE)] = "not-registered"
    accepted = await cd.apply(ALICE, "cq")
    await bus.settle()

    for city in (cq, cd):
        city.set_day(CQ_DECIDE_BY)  # the deadline itself is still in time
    assert await cq.sweep() == 0
    assert await cd.sweep() == 0  # Chengdu never flags what Chongqing decides
    for city in (cq, cd):
        city.set_day(date(2026, 11, 6))
    assert await cd.sweep() == 0
    assert await cq.sweep() == 1
    assert await cq.sweep() == 0  # flagged once
    await bus.settle()

    for city in (cq, cd):
        flagged = await city.application(accepted.application_id)
        assert (flagged.status, flagged.overdue_on) == ("overdue", date(2026, 11, 6))
    [overdue] = payloads(bus.log, ElderAllowanceApplicationOverdue)
    assert (overdue.decide_by, overdue.flagged_on) == (CQ_DECIDE_BY, date(2026, 11, 6))

    # Still decidable, and then no longer overdue anywhere.
    del grants.refusals[ref(ALICE)]
    await cq.decide(accepted.application_id, "approved")
    await bus.settle()
    for city in (cq, cd):
        assert (await city.application(accepted.application_id)).status == "approved"
    assert bus.dead == []


async def test_redelivering_every_event_to_both_cities_changes_nothing(
    cities: tuple[ElderCity, ElderCity, Bus], grants: FakeGrants
) -> None:
    cq, cd, bus = cities
    grants.refusals[ref(BOB)] = "not-registered"
    first = await cd.apply(ALICE, "cq")
    second = await cq.apply(BOB, "cq")
    await bus.settle()
    for city in (cq, cd):
        city.set_day(date(2026, 12, 1))
    await cq.sweep()
    await bus.settle()
    assert len(payloads(bus.log, ElderAllowanceApplied)) == 2
    before = {c.city: [await c.table(t) for t in TABLES] for c in (cq, cd)}
    calls = list(grants.calls)

    for city in (cq, cd):
        outcome = await bus.deliver(city, list(bus.log))
        assert outcome.duplicates == len(bus.log)
    await bus.settle()
    assert {c.city: [await c.table(t) for t in TABLES] for c in (cq, cd)} == before
    assert grants.calls == calls
    assert (await cd.application(first.application_id)).status == "approved"
    assert (await cd.application(second.application_id)).status == "overdue"
    assert bus.dead == []


async def test_a_second_copy_of_the_application_under_a_new_event_id_never_decides_again(
    cities: tuple[ElderCity, ElderCity, Bus], grants: FakeGrants
) -> None:
    cq, cd, bus = cities
    grants.refusals[ref(ALICE)] = "not-registered"
    accepted = await cd.apply(ALICE, "cq")
    await bus.settle()
    [applied] = payloads(bus.log, ElderAllowanceApplied)
    del grants.refusals[ref(ALICE)]
    # The accepting city publishes the same application again (a retry after a timeout):
    # a new event id, so the inbox does not catch it; the first look already happened.
    async with cd.unit() as unit:
        unit.emit(applied)
    await bus.settle()
    assert len(grants.calls) == 1
    assert (await cq.application(accepted.application_id)).status == "submitted"
    assert bus.dead == []


async def test_with_the_real_allowance_area_a_person_not_in_the_register_waits_for_a_clerk(
    cities: tuple[ElderCity, ElderCity, Bus],
) -> None:
    """The same flow on the allowance area's real ``grant_on_application``: nobody is in
    Chongqing's register, so it must answer ``not-registered`` and the application waits.

    Skipped only while the allowance area's function is still the stub that raises
    ``NotImplementedError`` (written by another helper on its own branch); once merged,
    this test runs and checks the two areas agree on the ``not-registered`` code."""
    cq, cd, bus = cities
    try:
        async with cq.unit() as unit:
            await allowance_flow.grant_on_application(unit, ref(ALICE), "app-probe", cq.book)
    except NotImplementedError:
        pytest.skip("allowance.flow.grant_on_application is still the stub")
    except DomainError as refusal:
        assert refusal.code == "not-registered"
    else:
        pytest.fail("granted to a person in no register")
    accepted = await cd.apply(ALICE, "cq")
    await bus.settle()
    for city in (cq, cd):
        assert (await city.application(accepted.application_id)).status == "submitted"
    assert bus.dead == []
