"""12333 requests between both cities (real PostgreSQL, the kit's inbox, a hand-kept log):
signed, resolved and closed by the callback; returned; extended; reopened by a poor
callback; left unsigned over the Spring Festival, reminded of once on the first working day
after it and forwarded again; a re-forward crossing a signature; events out of order. In
every path both cities end with the same state and deadlines, and every event delivered
again (in order and reversed) changes nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date

import pytest
from hotline_bus import Bus, HotlineCity, of_type, payloads, two_cities

from chengyu_contracts.domain_error import Conflict
from chengyu_contracts.events.hr import (
    HotlineRequestForwarded,
    HotlineRequestOverdue,
    HotlineRequestSigned,
)
from chengyu_kit.local.postgres import LocalPostgres

pytestmark = pytest.mark.integration

PHONE = "13812345678"
ID_NUMBER = "11010519491231002X"


@pytest.fixture
async def cities(
    postgres: LocalPostgres,
) -> AsyncIterator[tuple[HotlineCity, HotlineCity, Bus]]:
    async for trio in two_cities(postgres):
        yield trio


async def same_in_both(
    cq: HotlineCity, cd: HotlineCity, request_id: str
) -> tuple[str, int, str, str, str]:
    """The request's state and deadlines, equal in both cities."""
    seen = [(await city.seen(request_id)) for city in (cq, cd)]
    views: list[tuple[str, int, str, str, str]] = [
        (
            s.stored.request.state,
            s.stored.request.attempt,
            s.stored.request.sign_by.isoformat(),
            str(s.stored.request.resolve_by),
            str(s.overdue),
        )
        for s in seen
    ]
    assert views[0] == views[1]
    return views[0]


async def redelivery_changes_nothing(cq: HotlineCity, cd: HotlineCity, bus: Bus) -> None:
    before = (await cq.tables(), await cd.tables())
    for city in (cq, cd):
        await bus.deliver(city, bus.log)
        await bus.deliver(city, list(reversed(bus.log)))
    assert (await cq.tables(), await cd.tables()) == before
    assert bus.dead == []


async def test_signed_resolved_and_closed_by_a_satisfied_caller(
    cities: tuple[HotlineCity, HotlineCity, Bus],
) -> None:
    cq, cd, bus = cities
    forwarded = await cq.forward()
    rid = forwarded.request.request_id
    assert forwarded.request.sign_by == date(2026, 2, 13)
    await bus.settle()
    assert await same_in_both(cq, cd, rid) == ("forwarded", 1, "2026-02-13", "None", "False")
    await cd.sign(rid)
    await bus.settle()
    # A consultation: 3 working days of Chengdu after Thursday 02-12, over the holiday.
    assert await same_in_both(cq, cd, rid) == ("signed", 1, "2026-02-13", "2026-02-24", "False")
    await cd.resolve(rid)
    await bus.settle()
    assert (await cq.seen(rid)).stored.request.resolution == "已电话告知办理流程"
    await cq.callback(rid, "satisfied")
    await bus.settle()
    assert (await same_in_both(cq, cd, rid))[0] == "closed"
    # The phone stays in Chongqing, masked to its clerks; nothing personal on the bus.
    assert (await cq.seen(rid)).caller_phone == "138****5678"
    assert (await cd.seen(rid)).caller_phone is None
    assert await cd.pool.fetchval("SELECT count(*) FROM hotline_caller") == 0
    for record in bus.log:
        assert record.value is not None
        assert PHONE not in record.value.decode() and ID_NUMBER not in record.value.decode()
    caller_ref = payloads(bus.log, HotlineRequestForwarded)[0].caller_ref
    assert caller_ref is not None and len(caller_ref) > 20
    await redelivery_changes_nothing(cq, cd, bus)


async def test_a_wrongly_routed_request_is_returned_within_the_window_only(
    cities: tuple[HotlineCity, HotlineCity, Bus],
) -> None:
    cq, cd, bus = cities
    late = (await cq.forward()).request.request_id
    early = (await cq.forward()).request.request_id
    await bus.settle()
    await cd.give_back(early)
    await bus.settle()
    assert (await same_in_both(cq, cd, early))[0] == "returned"
    assert (await cq.seen(early)).stored.request.return_reason == "不属本市管辖"
    cd.set_day(date(2026, 2, 14))
    with pytest.raises(Conflict) as refused:
        await cd.give_back(late)
    assert refused.value.code == "return-window-passed" and "2026-02-13" in refused.value.sentence
    await redelivery_changes_nothing(cq, cd, bus)


async def test_an_extension_asked_in_time_and_approved_moves_the_deadline_in_both(
    cities: tuple[HotlineCity, HotlineCity, Bus],
) -> None:
    cq, cd, bus = cities
    rid = (await cq.forward(category="help")).request.request_id
    await bus.settle()
    await cd.sign(rid)
    await bus.settle()
    # help: 5 working days after 02-12 -> 02-13, 02-14, 02-24, 02-25, 02-26.
    assert (await same_in_both(cq, cd, rid))[3] == "2026-02-26"
    cd.set_day(date(2026, 2, 26))
    asked = await cd.extend(rid, 2)
    await bus.settle()
    assert (await cq.seen(rid)).stored.request.extension(asked.extension_id).state == "requested"
    cq.set_day(date(2026, 2, 26))
    decided = await cq.decide(rid, asked.extension_id)
    # Two working days after 02-26 on Chengdu's calendar: 02-27, then Saturday 02-28 (worked).
    assert decided.resolve_by == date(2026, 2, 28)
    await bus.settle()
    assert (await same_in_both(cq, cd, rid))[3] == "2026-02-28"
    assert (await cd.seen(rid)).stored.request.extension(asked.extension_id).state == "approved"
    cd.set_day(date(2026, 3, 2))
    with pytest.raises(Conflict) as late:
        await cd.extend(rid, 1)
    assert late.value.code == "extension-after-deadline"
    await redelivery_changes_nothing(cq, cd, bus)


async def test_a_poor_callback_reopens_the_request_in_both_cities(
    cities: tuple[HotlineCity, HotlineCity, Bus],
) -> None:
    cq, cd, bus = cities
    rid = (await cq.forward(category="complaint")).request.request_id
    await bus.settle()
    await cd.sign(rid)
    await cd.resolve(rid)
    await bus.settle()
    cq.set_day(date(2026, 2, 13))
    await cq.callback(rid, "dissatisfied")
    await bus.settle()
    # Reopened on 02-13: 5 working days -> 02-14, 02-24, 02-25, 02-26, 02-27.
    assert await same_in_both(cq, cd, rid) == ("reopened", 1, "2026-02-13", "2026-02-27", "False")
    assert (await cd.seen(rid)).stored.request.reopens == 1
    cd.set_day(date(2026, 2, 25))
    await cd.resolve(rid, "已督促用人单位补缴并回复来电人")
    await bus.settle()
    cq.set_day(date(2026, 2, 26))
    await cq.callback(rid, "basically-satisfied")
    await bus.settle()
    assert (await same_in_both(cq, cd, rid))[0] == "closed"
    seen = await cd.seen(rid)
    assert seen.stored.request.resolution == "已督促用人单位补缴并回复来电人"
    assert [h.step for h in seen.stored.request.history] == [
        "forwarded",
        "signed",
        "resolved",
        "reopened",
        "resolved",
        "closed",
    ]
    await redelivery_changes_nothing(cq, cd, bus)


async def test_unsigned_over_the_spring_festival_is_reminded_once_then_forwarded_again(
    cities: tuple[HotlineCity, HotlineCity, Bus],
) -> None:
    cq, cd, bus = cities
    for city in (cq, cd):
        city.set_day(date(2026, 2, 13))
    rid = (await cq.forward(category="urgent")).request.request_id
    await bus.settle()
    # Due on Saturday 02-14 (a working day); the reminder waits for the holiday's end.
    assert (await cq.seen(rid)).stored.request.sign_by == date(2026, 2, 14)
    for day in (date(2026, 2, 14), date(2026, 2, 16), date(2026, 2, 23)):
        cq.set_day(day)
        assert await cq.remind() == 0
    for city in (cq, cd):
        city.set_day(date(2026, 2, 24))
    assert await cq.remind() == 1
    assert await cq.remind() == 0  # a restart of the sweep never sends two
    await bus.settle()
    [overdue] = payloads(bus.log, HotlineRequestOverdue)
    assert (overdue.step, overdue.due_on, overdue.flagged_on) == (
        "sign",
        date(2026, 2, 14),
        date(2026, 2, 24),
    )
    assert await same_in_both(cq, cd, rid) == ("forwarded", 1, "2026-02-14", "None", "True")
    assert await cq.listed(overdue=True) == [rid] == await cd.listed(overdue=True)
    assert await cd.listed(direction="received") == [rid] == await cq.listed(direction="forwarded")
    assert await cd.listed(direction="forwarded") == []
    with pytest.raises(Conflict) as late:
        await cd.sign(rid)
    assert late.value.code == "sign-window-passed" and "2026-02-14" in late.value.sentence
    await cq.reforward(rid)
    await bus.settle()
    assert await same_in_both(cq, cd, rid) == ("forwarded", 2, "2026-02-25", "None", "False")
    await cd.sign(rid)
    await bus.settle()
    # urgent: the same day.
    assert await same_in_both(cq, cd, rid) == ("signed", 2, "2026-02-25", "2026-02-24", "False")
    assert await cq.listed(overdue=True) == []
    await redelivery_changes_nothing(cq, cd, bus)


async def test_a_reforward_crossing_a_signature_leaves_it_signed_in_both(
    cities: tuple[HotlineCity, HotlineCity, Bus],
) -> None:
    cq, cd, bus = cities
    rid = (await cq.forward()).request.request_id
    await bus.settle()
    cd.set_day(date(2026, 2, 13), hour=23)
    await cd.sign(rid)  # in time, but its event is late
    cq.set_day(date(2026, 2, 14))
    await cq.reforward(rid)
    await bus.publish(cq)
    await bus.publish(cd)
    await bus.deliver(cd)
    await bus.deliver(cq)
    await bus.settle()
    # Signed on the first attempt, to be resolved by 02-25; the second attempt recorded.
    assert await same_in_both(cq, cd, rid) == ("signed", 2, "2026-02-24", "2026-02-25", "False")
    for city in (cq, cd):
        assert (await city.seen(rid)).stored.request.signed_attempt == 1
    await redelivery_changes_nothing(cq, cd, bus)


async def test_events_out_of_order_are_handled(
    cities: tuple[HotlineCity, HotlineCity, Bus],
) -> None:
    cq, cd, bus = cities
    rid = (await cq.forward()).request.request_id
    cq.set_day(date(2026, 2, 16))
    await cq.reforward(rid)
    cq.set_day(date(2026, 2, 25))
    assert await cq.remind() == 1
    await bus.publish(cq)
    first, second = of_type(bus.log, HotlineRequestForwarded)
    [reminder] = of_type(bus.log, HotlineRequestOverdue)
    # The reminder and the second attempt reach Chengdu before the first attempt.
    await bus.deliver(cd, [reminder, second, first])
    seen = await cd.seen(rid)
    assert (seen.stored.request.attempt, seen.stored.request.sign_by) == (2, date(2026, 2, 24))
    assert seen.overdue
    assert [(f.step, f.due_on) for f in seen.stored.flags] == [("sign", date(2026, 2, 24))]
    assert bus.dead == []
    assert json.loads(first.value or b"{}")["data"]["attempt"] == 1
    assert not of_type(bus.log, HotlineRequestSigned)
