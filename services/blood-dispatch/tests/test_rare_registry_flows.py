"""The rare-blood registry across both cities on the bus: a donor registered in Chongqing
is found by a search in Chengdu, pseudonymously; a consent withdrawal takes them out of
Chengdu's search once delivered; a recall from Chengdu is answered in Chongqing and the
answer shown in Chengdu; redelivery and replay of every event change nothing; the other
city cannot play the donor's city's part."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date

import pytest
from blood_rare_bus import TODAY, Bus, RareCity, payloads, ref, resident, two_cities

from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.events.blood import (
    RareDonorConsentWithdrawn,
    RareDonorRecallAnswered,
    RareDonorRegistered,
)
from chengyu_kit.local.postgres import LocalPostgres

pytestmark = pytest.mark.integration

ALICE = resident(21)
BOB = resident(22, "cd", "male")
NEEDED_BY = date(2026, 3, 5)


@pytest.fixture
async def cities(postgres: LocalPostgres) -> AsyncIterator[tuple[RareCity, RareCity, Bus]]:
    async for trio in two_cities(postgres):
        yield trio


def no_personal_data(payload: object) -> None:
    text = json.dumps(payload, ensure_ascii=False, default=str)
    for secret in (ALICE, BOB, "李秀英", "13912345678"):
        assert secret not in text


async def test_a_donor_registered_in_chongqing_is_found_by_a_search_in_chengdu(
    cities: tuple[RareCity, RareCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.register(ALICE, last_donation_on="2026-01-10")
    await cd.register(BOB, abo="B", phenotypes=["Rh-null"])
    await bus.settle()

    for city in (cq, cd):
        found = await city.search("RhD-neg")
        assert [(m.donor_ref, m.city, m.available_now, m.available_on) for m in found] == [
            (ref(BOB), "cd", True, None),
            (ref(ALICE), "cq", False, date(2026, 7, 9)),
        ]
        no_personal_data([m.__dict__ for m in found])
    assert [m.donor_ref for m in await cd.search("Jk(a-b-)", abo="O")] == [ref(ALICE)]
    assert await cd.search("Jk(a-b-)", abo="A") == []
    # Nothing personal crossed: the other city's rows and every event.
    no_personal_data(await cd.table("donor_seen"))
    no_personal_data(await cq.table("donor_seen"))
    for city in (cq, cd):
        no_personal_data(await city.outbox_payloads())
    assert bus.dead == []


async def test_a_donation_in_chongqing_moves_the_availability_chengdu_shows(
    cities: tuple[RareCity, RareCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.register(ALICE)
    await bus.settle()
    [before] = await cd.search("Jk(a-b-)")
    assert (before.available_now, before.available_on) == (True, None)
    await cq.donate(ref(ALICE), date(2026, 2, 20), "apheresis")
    await bus.settle()
    [after] = await cd.search("Jk(a-b-)")
    assert (after.available_now, after.available_on) == (False, date(2026, 3, 20))
    assert bus.dead == []


async def test_a_consent_withdrawal_removes_the_donor_from_chengdus_search_at_once(
    cities: tuple[RareCity, RareCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.register(ALICE)
    await bus.settle()
    assert [m.donor_ref for m in await cd.search("Jk(a-b-)")] == [ref(ALICE)]

    await cq.withdraw(ref(ALICE))
    assert await cq.search("Jk(a-b-)") == []
    await bus.settle()
    assert await cd.search("Jk(a-b-)") == []
    with pytest.raises(DomainError) as refused:
        await cd.request(ref(ALICE), NEEDED_BY)
    assert refused.value.code == "no-consent"

    # Consent given again: a later version, found again in both cities.
    again = await cq.register(ALICE)
    assert again.own.version == 3
    await bus.settle()
    assert [m.donor_ref for m in await cd.search("Jk(a-b-)")] == [ref(ALICE)]
    assert bus.dead == []


async def test_a_withdrawal_read_before_the_registration_keeps_the_donor_out(
    cities: tuple[RareCity, RareCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.register(ALICE)
    await cq.withdraw(ref(ALICE))
    registered, withdrawn = await bus.publish(cq)
    await bus.deliver(cd, [withdrawn])
    await bus.deliver(cd, [registered])
    assert await cd.search("Jk(a-b-)") == []
    with pytest.raises(DomainError) as refused:
        await cd.request(ref(ALICE), NEEDED_BY)
    assert refused.value.code == "no-consent"
    assert bus.dead == []


async def test_a_recall_from_chengdu_is_answered_in_chongqing_and_shown_in_chengdu(
    cities: tuple[RareCity, RareCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.register(ALICE)
    await bus.settle()

    asked = await cd.request(ref(ALICE), NEEDED_BY)
    assert asked.recall.state == "requested"
    await bus.settle()
    [shown] = await cq.recalls("requested")
    assert shown.recall == asked.recall
    assert (shown.urgency, shown.needed_by) == ("urgent", NEEDED_BY)

    # Chengdu cannot answer for Chongqing's donor.
    with pytest.raises(DomainError) as refused:
        await cd.answer(asked.recall.recall_id, "will-donate")
    assert refused.value.code == "not-the-donors-city"

    await cq.answer(asked.recall.recall_id, "will-donate")
    await bus.settle()
    [answered] = await cd.recalls()
    assert answered.recall.state == "will-donate"
    assert answered.recall.answered_at is not None
    assert await cd.recalls("requested") == []
    assert [r.recall for r in await cq.recalls()] == [answered.recall]

    with pytest.raises(DomainError) as twice:
        await cq.answer(asked.recall.recall_id, "declined")
    assert twice.value.code == "recall-answered"
    for city in (cq, cd):
        no_personal_data(await city.outbox_payloads())
        no_personal_data(await city.table("rare_recall"))
    assert bus.dead == []


async def test_the_other_city_cannot_change_a_donor_it_does_not_keep(
    cities: tuple[RareCity, RareCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.register(ALICE)
    await bus.settle()
    for action in (cd.withdraw(ref(ALICE)), cd.donate(ref(ALICE), TODAY)):
        with pytest.raises(DomainError) as refused:
            await action
        assert refused.value.code == "other-citys-donor"
    assert [m.donor_ref for m in await cd.search("Jk(a-b-)")] == [ref(ALICE)]


async def test_a_recall_of_a_donor_who_withdrew_meanwhile_is_declined_by_the_donors_city(
    cities: tuple[RareCity, RareCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.register(ALICE)
    await bus.settle()
    asked = await cd.request(ref(ALICE), NEEDED_BY)
    await cq.withdraw(ref(ALICE))
    await bus.settle()
    [declined] = await cd.recalls()
    assert (declined.recall.state, declined.reason_code) == ("declined", "consent-withdrawn")
    assert declined.recall.recall_id == asked.recall.recall_id
    assert await cq.recalls("requested") == []
    assert bus.dead == []


async def test_redelivering_and_replaying_every_event_changes_nothing(
    cities: tuple[RareCity, RareCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.register(ALICE)
    await cd.register(BOB, abo="AB", phenotypes=["Di(b-)"])
    await bus.settle()
    await cq.donate(ref(ALICE), date(2026, 2, 1))
    first = await cd.request(ref(ALICE), NEEDED_BY)
    second = await cq.request(ref(BOB), NEEDED_BY)
    await bus.settle()
    await cq.answer(first.recall.recall_id, "unreachable")
    await cd.answer(second.recall.recall_id, "will-donate")
    await cd.withdraw(ref(BOB))
    await bus.settle()
    before = [await c.tables() for c in (cq, cd)]

    # Every event again, in order, then in reverse order.
    for city in (cq, cd):
        await bus.deliver(city, list(bus.log))
        await bus.deliver(city, list(reversed(bus.log)))
    # The donor's city publishes an older version again under a new event id.
    [v1, _] = payloads(bus.log, RareDonorRegistered)[:2]
    withdrawn = payloads(bus.log, RareDonorConsentWithdrawn)
    answered = payloads(bus.log, RareDonorRecallAnswered)
    async with cq.unit() as unit:
        unit.emit(v1)
    async with cd.unit() as unit:
        for event in withdrawn:
            unit.emit(event)
    async with cq.unit() as unit:
        unit.emit(next(a for a in answered if a.donor_city == "cq"))
    await bus.settle()

    assert [await c.tables() for c in (cq, cd)] == before
    assert [m.donor_ref for m in await cd.search("Jk(a-b-)")] == [ref(ALICE)]
    assert await cq.search("Di(b-)") == []
    assert bus.dead == []


async def test_a_donor_published_by_the_wrong_city_is_dead_lettered(
    cities: tuple[RareCity, RareCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.register(ALICE)
    [made] = payloads(await bus.publish(cq), RareDonorRegistered)
    forged = made.model_copy(update={"city": "cd", "version": 9})
    async with cq.unit() as unit:
        unit.emit(forged)
    await bus.settle()
    assert [m.city for m in await cd.search("Jk(a-b-)")] == ["cq"]
    assert any("wrong-issuing-city" in reason for reason in bus.dead_reasons())
