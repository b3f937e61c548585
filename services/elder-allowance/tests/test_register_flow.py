"""Both cities' registers on the bus: a person registered in both is flagged in both
(重复享受); a move out recorded in one clears it in both (the other city's registration then
starts the month after the move month); redelivering every event changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from elder_bus import DISTRICT, Bus, ElderCity, payloads, ref, resident, row, two_cities
from elder_register_builders import NOW

from chengyu_contracts.events.elder import ElderRegistrationChanged
from chengyu_contracts.months import Month, month_range
from chengyu_elder_allowance.register import usecases
from chengyu_elder_allowance.register.households import payer_of
from chengyu_elder_allowance.register.rows import ImportRow
from chengyu_kit.local.postgres import LocalPostgres

pytestmark = pytest.mark.integration

ALICE = resident(31)
ALICE_REF = ref(ALICE)


@pytest.fixture
async def cities(postgres: LocalPostgres) -> AsyncIterator[tuple[ElderCity, ElderCity, Bus]]:
    async for trio in two_cities(postgres, now=NOW):
        yield trio


async def flagged_in(city: ElderCity) -> Month | None:
    flag = await city.flag(ALICE_REF)
    return None if flag is None or flag.cleared_on is not None else flag.first_month


async def test_a_person_in_both_registers_is_flagged_in_both_until_a_move_out(
    cities: tuple[ElderCity, ElderCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.register(ALICE)
    await cd.register(ALICE)
    await bus.settle()
    assert await flagged_in(cq) == Month(2025, 1)
    assert await flagged_in(cd) == Month(2025, 1)

    await cq.move_out(ALICE_REF, "2026-03")
    await bus.settle()
    assert await flagged_in(cq) is None
    assert await flagged_in(cd) is None
    # Both cities now know the same versions: Chongqing through the move month, Chengdu
    # from the month after, each month exactly one payer.
    known = await cq.registrations(ALICE_REF)
    assert known == await cd.registrations(ALICE_REF)
    assert known["cd"].registered_from == Month(2026, 4)
    for month in month_range(Month(2025, 1), Month(2027, 12)):
        assert payer_of(month, known) == ("cq" if month <= Month(2026, 3) else "cd")
    assert bus.dead == []


async def test_a_move_recorded_before_the_new_city_registers_raises_no_flag(
    cities: tuple[ElderCity, ElderCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cd.register(ALICE)
    await cd.move_out(ALICE_REF, "2026-02")
    await bus.settle()
    await cq.register(ALICE)
    await bus.settle()
    known = await cd.registrations(ALICE_REF)
    assert known["cq"].registered_from == Month(2026, 3)
    assert (await flagged_in(cq), await flagged_in(cd)) == (None, None)


async def test_a_withdrawal_in_one_city_clears_the_flag_in_both(
    cities: tuple[ElderCity, ElderCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.register(ALICE)
    await cd.register(ALICE)
    await bus.settle()
    await cd.withdraw(ALICE_REF)
    await bus.settle()
    assert (await flagged_in(cq), await flagged_in(cd)) == (None, None)
    assert bus.dead == []


async def test_redelivering_every_event_changes_nothing(
    cities: tuple[ElderCity, ElderCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.register(ALICE)
    await cd.register(ALICE)
    await bus.settle()
    await cq.move_out(ALICE_REF, "2026-03")
    await bus.settle()
    before = (await cq.state(), await cd.state())
    for city in (cq, cd):
        await bus.deliver(city, list(bus.log))
        # And again in reverse order, as a replay after a crash might.
        await bus.deliver(city, list(reversed(bus.log)))
    assert (await cq.state(), await cd.state()) == before
    assert bus.dead == []


async def test_older_versions_arriving_late_change_nothing(
    cities: tuple[ElderCity, ElderCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.register(ALICE)
    await cq.move_out(ALICE_REF, "2026-03")
    records = await bus.publish(cq)
    # The move (version 2) first, then the first registration (version 1): Chengdu keeps 2.
    await bus.deliver(cd, list(reversed(records)))
    known = await cd.registrations(ALICE_REF)
    assert (known["cq"].version, known["cq"].status) == (2, "moved-out")
    assert bus.dead == []


async def test_a_version_applied_again_past_the_inbox_changes_nothing(
    cities: tuple[ElderCity, ElderCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.register(ALICE)
    await cd.register(ALICE)
    await cq.move_out(ALICE_REF, "2026-03")
    await bus.settle()
    before = await cd.state()
    # As a replay from another consumer group or a restored inbox would: every Chongqing
    # version handed to the use case again, newest first.
    for event in reversed(payloads(bus.log, ElderRegistrationChanged)):
        if event.city == "cq":
            async with cd.unit() as unit:
                await usecases.receive_registration(event, unit, cd.book)
    assert await cd.state() == before


async def test_a_move_received_while_the_new_city_imports_the_person_still_starts_after_it(
    cities: tuple[ElderCity, ElderCity, Bus],
) -> None:
    # Chengdu's move out reaches Chongqing's consumer while a clerk's import of the person
    # is still open in Chongqing: the consumer must wait for the import and then start
    # Chongqing's registration after the move month, not miss the person.
    cq, cd, bus = cities
    await cd.register(ALICE)
    await cd.move_out(ALICE_REF, "2026-02")
    [moved] = [
        e
        for e in payloads(await bus.publish(cd), ElderRegistrationChanged)
        if e.status == "moved-out"
    ]
    async with cq.unit() as importing:
        await usecases.import_rows(
            [ImportRow(**row(2, id_number=ALICE, district=DISTRICT["cq"]))], importing, cq.book
        )
        async with asyncio.timeout(10):
            receiving = asyncio.create_task(_receive(cq, moved))
            await asyncio.sleep(0.5)  # the consumer's turn, before the import commits
    await receiving
    known = await cq.registrations(ALICE_REF)
    assert known["cq"].registered_from == Month(2026, 3)
    await bus.settle()
    assert (await flagged_in(cq), await flagged_in(cd)) == (None, None)


async def _receive(city: ElderCity, event: ElderRegistrationChanged) -> None:
    async with city.unit() as unit:
        await usecases.receive_registration(event, unit, city.book)
