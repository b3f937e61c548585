"""Personnel files on both cities (real PostgreSQL, the kit's inbox, a hand-kept log):
either city finds where a file is held; a transfer requested by Chengdu from Chongqing,
dispatched, received complete or incomplete then supplemented and completed, with the
holdings moving in both indexes; certificates asked in either city and answered by the
holder (the document's sha256 on the bus, its text kept by the holder); late steps
reminded of once, on the first working day after their deadline on the holder's calendar,
by the requesting city and flagged in both; every event delivered again changes nothing;
no ID number on the bus or in a table."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import date

import pytest
from files_bus import (
    Bus,
    FilesCity,
    china_morning,
    id_number,
    payloads,
    two_cities,
)

from chengyu_contracts.events.hr import (
    PersonnelFileCertificateAnswered,
    PersonnelFileHeld,
    PersonnelFileOverdue,
    PersonnelFileReceived,
    PersonnelFileTransferCompleted,
)
from chengyu_job_matching.personnel_files.usecases import Lookup
from chengyu_kit.local.postgres import LocalPostgres

pytestmark = pytest.mark.integration


@pytest.fixture
async def cities(postgres: LocalPostgres) -> AsyncIterator[tuple[FilesCity, FilesCity, Bus]]:
    async for trio in two_cities(postgres):
        yield trio


@pytest.fixture
async def before_the_holidays(
    postgres: LocalPostgres,
) -> AsyncIterator[tuple[FilesCity, FilesCity, Bus]]:
    """Both cities on Wednesday 2026-09-09."""
    async for trio in two_cities(postgres, now=china_morning(date(2026, 9, 9))):
        yield trio


async def redelivery_changes_nothing(cq: FilesCity, cd: FilesCity, bus: Bus) -> None:
    """Every event delivered again to both cities, in order and reversed, changes nothing."""
    before = (await cq.everything(), await cd.everything())
    for city in (cq, cd):
        await bus.deliver(city, bus.log)
        await bus.deliver(city, list(reversed(bus.log)))
    assert (await cq.everything(), await cd.everything()) == before
    assert bus.dead == []


async def no_id_number_anywhere(cq: FilesCity, cd: FilesCity, bus: Bus) -> None:
    number = id_number(1)
    assert all(number.encode() not in (record.value or b"") for record in bus.log)
    assert number not in await cq.files_state()
    assert number not in await cd.files_state()


def places(found: Lookup) -> list[tuple[str, str]]:
    return [(h.city, h.centre_id) for h in found.holdings]


async def test_either_city_finds_where_a_file_is_held(
    cities: tuple[FilesCity, FilesCity, Bus],
) -> None:
    cq, cd, bus = cities
    held = await cq.register()
    await bus.settle()
    for city in (cq, cd):
        found = await city.lookup()
        assert found.person_ref == held.person_ref
        assert places(found) == [("cq", "cq-centre-1")]
        assert found.holdings[0].held_since == date(2020, 7, 1)
    assert places(await cd.lookup(2)) == []
    await no_id_number_anywhere(cq, cd, bus)
    await redelivery_changes_nothing(cq, cd, bus)


async def test_a_complete_transfer_moves_the_file_in_both_indexes(
    cities: tuple[FilesCity, FilesCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.register()
    await bus.settle()
    asked = await cd.request_transfer()
    tid = asked.transfer.transfer_id
    assert (asked.transfer.holder_city, asked.transfer.to_city) == ("cq", "cd")
    # Requested Fri 09-18: 15 working days on Chongqing's calendar, across both holidays.
    assert asked.transfer.dispatch_by == date(2026, 10, 15)
    await bus.settle()
    kept = await cq.transfer(tid)
    assert (kept.transfer.state, kept.transfer.dispatch_by) == ("requested", date(2026, 10, 15))
    cq.set_day(date(2026, 9, 21))
    cd.set_day(date(2026, 9, 21))
    await cq.dispatch(tid)
    await bus.settle()
    seen = (await cd.transfer(tid)).transfer
    assert seen.state == "dispatched"
    assert seen.dispatched is not None and seen.dispatched.tracking_number == "JY-2026-0001"
    # Mon 09-21 + 10: 09-22..24, 09-28..30, 10-08, 10-09, 10-10 (Saturday, worked), 10-12.
    assert seen.receive_by == date(2026, 10, 12)
    cd.set_day(date(2026, 9, 24))
    cq.set_day(date(2026, 9, 24))
    done = await cd.receive(tid)
    assert done.transfer.state == "completed"
    await bus.settle()
    for city in (cq, cd):
        t = (await city.transfer(tid)).transfer
        assert (t.state, t.completed_at) == ("completed", done.transfer.completed_at)
        found = await city.lookup()
        assert places(found) == [("cd", "cd-centre-9")]
        assert found.holdings[0].held_since == date(2026, 9, 24)
    held = payloads(bus.log, PersonnelFileHeld)
    assert [(h.city, h.version, h.held) for h in held] == [
        ("cq", 1, True),
        ("cd", 1, True),
        ("cq", 2, False),
    ]
    assert [r.complete for r in payloads(bus.log, PersonnelFileReceived)] == [True]
    assert len(payloads(bus.log, PersonnelFileTransferCompleted)) == 1
    await no_id_number_anywhere(cq, cd, bus)
    await redelivery_changes_nothing(cq, cd, bus)
    # The file can travel back: Chongqing asks Chengdu for it now.
    back = await cq.request_transfer()
    assert back.transfer.holder_city == "cd"


async def test_an_incomplete_file_is_supplemented_then_completed(
    cities: tuple[FilesCity, FilesCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.register()
    await bus.settle()
    tid = (await cd.request_transfer()).transfer.transfer_id
    await bus.settle()
    await cq.dispatch(tid)
    await bus.settle()
    cd.set_day(date(2026, 9, 30))
    cq.set_day(date(2026, 9, 30))
    held = await cd.receive(tid, "1998年招工登记表", "转正定级表")
    # Received Wed 09-30: 10-08, 10-09, 10-10 (Saturday, worked), 10-12..16, 10-19, 10-20.
    assert (held.transfer.state, held.transfer.supplement_by) == ("incomplete", date(2026, 10, 20))
    await bus.settle()
    at_holder = (await cq.transfer(tid)).transfer
    assert at_holder.state == "incomplete"
    assert at_holder.missing_parts == ("1998年招工登记表", "转正定级表")
    assert at_holder.supplement_by == date(2026, 10, 20)
    # Nothing moves while the file is incomplete.
    assert places(await cq.lookup()) == [("cq", "cq-centre-1")]
    cq.set_day(date(2026, 10, 9))
    cd.set_day(date(2026, 10, 9))
    await cq.supplement(tid)
    await bus.settle()
    for city in (cq, cd):
        t = (await city.transfer(tid)).transfer
        # Sent Fri 10-09: receipt due 10 working days on, counting Saturday 10-10.
        assert (t.state, t.receive_by) == ("supplemented", date(2026, 10, 22))
    cd.set_day(date(2026, 10, 12))
    await cd.complete(tid)
    await bus.settle()
    for city in (cq, cd):
        assert (await city.transfer(tid)).transfer.state == "completed"
        assert places(await city.lookup()) == [("cd", "cd-centre-9")]
    await no_id_number_anywhere(cq, cd, bus)
    await redelivery_changes_nothing(cq, cd, bus)


async def test_a_late_dispatch_is_reminded_of_once_after_the_holiday(
    before_the_holidays: tuple[FilesCity, FilesCity, Bus],
) -> None:
    cq, cd, bus = before_the_holidays
    await cq.register()
    await bus.settle()
    tid = (await cd.request_transfer()).transfer.transfer_id
    await bus.settle()
    # Requested Wed 09-09: the 15th working day is Wed 09-30, the eve of National Day.
    assert (await cq.transfer(tid)).transfer.dispatch_by == date(2026, 9, 30)
    for day in (date(2026, 9, 30), date(2026, 10, 1), date(2026, 10, 7)):
        cd.set_day(day)
        cq.set_day(day)
        assert await cd.sweep() == 0
    # Overdue from 10-01 in both views, reminded of on 10-08, the first working day.
    assert await cd.overdue_transfers() == [tid]
    await bus.settle()
    assert await cq.overdue_transfers() == [tid]
    cd.set_day(date(2026, 10, 8))
    cq.set_day(date(2026, 10, 8))
    assert await cq.sweep() == 0  # the holder never reminds itself
    assert await cd.sweep() == 1
    assert await cd.sweep() == 0
    await bus.settle()
    cd.set_day(date(2026, 10, 9))
    assert await cd.sweep() == 0  # once per step and deadline
    reminders = payloads(bus.log, PersonnelFileOverdue)
    assert [(r.transfer_id, r.step, r.due_on, r.flagged_on) for r in reminders] == [
        (tid, "dispatch", date(2026, 9, 30), date(2026, 10, 8))
    ]
    for city in (cq, cd):
        kept = await city.transfer(tid)
        assert [(r.step, r.due_on, r.flagged_on) for r in kept.reminders] == [
            ("dispatch", date(2026, 9, 30), date(2026, 10, 8))
        ]
    # Dispatched late on 10-08: no longer overdue; receipt due 10 working days on.
    await cq.dispatch(tid)
    await bus.settle()
    assert await cd.overdue_transfers() == await cq.overdue_transfers() == []
    t = (await cd.transfer(tid)).transfer
    assert t.receive_by == date(2026, 10, 21)
    # The receipt deadline passes too: Thu 10-22 is the first working day after it.
    cd.set_day(date(2026, 10, 22))
    assert await cd.sweep() == 1
    await bus.settle()
    steps = [(r.step, r.due_on) for r in (await cq.transfer(tid)).reminders]
    assert steps == [("dispatch", date(2026, 9, 30)), ("receive", date(2026, 10, 21))]
    await redelivery_changes_nothing(cq, cd, bus)


async def test_a_certificate_asked_in_chengdu_is_answered_by_chongqing(
    cities: tuple[FilesCity, FilesCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.register()
    await bus.settle()
    asked = await cd.request_certificate()
    assert (asked.holder_city, asked.requesting_city) == ("cq", "cd")
    # Fri 09-18: 09-20 (Sunday, worked), 09-21..24.
    assert asked.answer_by == date(2026, 9, 24)
    await bus.settle()
    text = "兹证明该同志档案自2020年7月1日起存放于我中心。"
    answered = await cq.answer(asked.certificate_id, text)
    digest = hashlib.sha256(text.encode()).hexdigest()
    assert (answered.state, answered.document_sha256) == ("issued", digest)
    await bus.settle()
    on_bus = payloads(bus.log, PersonnelFileCertificateAnswered)
    assert [(a.issued, a.document_sha256) for a in on_bus] == [(True, digest)]
    assert all(text.encode() not in (record.value or b"") for record in bus.log)
    seen = await cd.certificate(asked.certificate_id)
    assert (seen.state, seen.certificate_number) == ("issued", "ZM-2026-001")
    assert (seen.document_sha256, seen.document_text) == (digest, None)
    assert (await cq.certificate(asked.certificate_id)).document_text == text
    await no_id_number_anywhere(cq, cd, bus)
    await redelivery_changes_nothing(cq, cd, bus)


async def test_an_unanswered_certificate_is_reminded_of_by_the_requesting_city(
    cities: tuple[FilesCity, FilesCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.register()
    await bus.settle()
    for city in (cq, cd):
        city.set_day(date(2026, 9, 24))
    asked = await cd.request_certificate()
    # Thu 09-24: 09-28, 09-29, 09-30, 10-08, 10-09.
    assert asked.answer_by == date(2026, 10, 9)
    await bus.settle()
    cd.set_day(date(2026, 10, 9))
    assert await cd.sweep() == 0
    cd.set_day(date(2026, 10, 10))  # a Saturday worked (调休)
    assert await cd.sweep() == 1
    assert await cd.sweep() == 0
    await bus.settle()
    for city in (cq, cd):
        kept = await city.certificate(asked.certificate_id)
        assert [(r.step, r.due_on, r.flagged_on) for r in kept.reminders] == [
            ("certificate", date(2026, 10, 9), date(2026, 10, 10))
        ]
    reminder = payloads(bus.log, PersonnelFileOverdue)[0]
    assert (reminder.certificate_id, reminder.transfer_id) == (asked.certificate_id, None)
    await redelivery_changes_nothing(cq, cd, bus)
