"""12333 deadlines end to end across the 2026 National Day holiday: both cities' job-matching
processes on a fresh Kafka and real PostgreSQL, their clocks shifted (the kit's
``CLOCK_START``) so that a restart lives on a later day.

1. **Wednesday 2026-09-30, 09:00 China time**, the last working day before the holiday
   (1-7 October off; Saturday 10 October worked, 调休): each city forwards four requests to
   the other: a consultation left unsigned, and an urgent request, a consultation and a
   complaint signed at once. Both cities show the deadlines the rules give on the receiving
   city's calendar (``hotline/rules.py``: sign-for by 8 October, the urgent one resolved the
   same day, the consultation by Saturday 10 October, the complaint by 23 October); nothing
   is overdue.
2. **Friday 9 October**: Chongqing's process is SIGKILLed and Chengdu's stopped, both
   restarted on that day. Each city's sweep flags exactly the steps whose reminder day (the
   first working day after the deadline) has come — the unsigned requests' sign-for and the
   urgent ones' resolution — in both cities' views, with one reminder event each. A sign-for
   after the window and an extension after the deadline are refused (409, naming the date)
   with nothing written; the forwarding city re-forwards the unsigned request (attempt 2,
   a new sign-for day on the working Saturday).
3. **Monday 12 October**, both restarted again: now the consultations due on the working
   Saturday and the re-forwarded requests are flagged as well, the complaints still not;
   still one reminder per step and deadline. Every record of every hr topic delivered again
   changes nothing; nothing is dead-lettered.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from chengyu_contracts.cities import CITIES, City, other_city
from chengyu_contracts.events.hr import HOTLINE_TOPIC, HotlineCategory
from chengyu_contracts.keys import KeyRegistry
from chengyu_contracts.working_days import WorkingCalendar
from chengyu_job_matching import deadlines
from chengyu_job_matching.hotline import rules
from chengyu_job_matching.policy import default_policy_book
from chengyu_kit.local.postgres import LocalPostgres
from tests.support import redelivery
from tests.support.audit import domain_topics, invariant_violations
from tests.support.jobs import (
    TOPICS,
    JobsCity,
    View,
    both_cities_settings,
    hr_key_files,
    running_city,
)
from tests.support.kafka_io import apply_project_topics, bus_settled, fresh_kafka, read_all
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

CHINA = ZoneInfo("Asia/Shanghai")
BEFORE_HOLIDAY = date(2026, 9, 30)
AFTER_HOLIDAY = date(2026, 10, 9)
NEXT_MONDAY = date(2026, 10, 12)
OPENING = time(9, 0)
BOOK = default_policy_book()


@dataclass(frozen=True)
class Planned:
    """A request one city forwards to the other, signed at once or not."""

    key: str
    from_city: City
    category: HotlineCategory
    signed: bool

    @property
    def to_city(self) -> City:
        """The city the request belongs to."""
        return other_city(self.from_city)


_KINDS: tuple[tuple[str, HotlineCategory, bool], ...] = (
    ("unsigned", "consultation", False),
    ("urgent", "urgent", True),
    ("consultation", "consultation", True),
    ("complaint", "complaint", True),
)
PLANNED = tuple(
    Planned(f"{city}-{name}", city, category, signed)
    for city in CITIES
    for name, category, signed in _KINDS
)


def calendar_of(city: City, day: date) -> WorkingCalendar:
    """The receiving city's working-day calendar in force on ``day``."""
    return BOOK.policy_for(city, day).calendar


def expected_sign_by(planned: Planned, forwarded_on: date) -> date:
    """The sign-for day the rules give the receiving city."""
    return rules.sign_by(BOOK.policy_for(planned.to_city, forwarded_on), forwarded_on)


def expected_resolve_by(planned: Planned, signed_on: date) -> date:
    """The resolution day the rules give a request signed on ``signed_on``."""
    policy = BOOK.policy_for(planned.to_city, signed_on)
    return rules.resolve_by(policy, planned.category, signed_on)


def reminded_by(city: City, due_on: date, today: date) -> bool:
    """Whether the reminder of a step due by ``due_on`` has come on ``today``."""
    return today >= deadlines.reminder_day(calendar_of(city, due_on), due_on)


@dataclass
class World:
    """Both cities' processes, their databases and the requests made."""

    cities: dict[City, JobsCity]
    pools: dict[City, asyncpg.Pool]
    bootstrap: str
    keys: KeyRegistry
    request_ids: dict[str, str] = field(default_factory=dict)  # planned key -> request id

    async def settle(self, timeout: float = 120) -> None:
        """Wait until both cities consumed every hr record and relayed their outboxes."""
        groups = [self.cities[c].settings.consumer_group for c in CITIES]
        await bus_settled(self.bootstrap, TOPICS, groups, list(self.pools.values()), timeout)

    async def restart_on(self, day: date, *, killed: City) -> None:
        """SIGKILL ``killed``'s process and stop the other's, then start both living on
        ``day`` at 09:00 China time."""
        for city in CITIES:
            process = self.cities[city]
            await (process.kill() if city == killed else process.stop())
        for city in CITIES:
            self.cities[city].env["CLOCK_START"] = at_opening(day)
            await self.cities[city].start()

    async def view(self, city: City, planned: Planned) -> View:
        """``city``'s view of the planned request."""
        found = await self.cities[city].hotline_request(self.request_ids[planned.key])
        assert found is not None, (city, planned.key)
        return found


def at_opening(day: date) -> str:
    """09:00 China time on ``day``, as ``CLOCK_START`` takes it."""
    return datetime.combine(day, OPENING, tzinfo=CHINA).isoformat()


@pytest.fixture
async def world(tmp_path: Path, postgres: LocalPostgres) -> AsyncIterator[World]:
    keys = hr_key_files(tmp_path / "keys")
    with fresh_kafka(tmp_path / "kafka") as cluster:
        await apply_project_topics(cluster.bootstrap_servers)
        settings = await both_cities_settings(postgres, kafka=cluster.bootstrap_servers, keys=keys)
        start = at_opening(BEFORE_HOLIDAY)
        async with (
            running_city(settings["cq"], clock_start=start) as cq,
            running_city(settings["cd"], clock_start=start) as cd,
        ):
            pools = {
                c: await asyncpg.create_pool(settings[c].database_url, min_size=1, max_size=2)
                for c in CITIES
            }
            try:
                registry = KeyRegistry.from_json_file(keys.registry)
                yield World({"cq": cq, "cd": cd}, pools, cluster.bootstrap_servers, registry)
            finally:
                for pool in pools.values():
                    await pool.close()


async def forward_and_sign(world: World) -> None:
    """Each planned request forwarded on the morning before the holiday; the receiving city
    signs the planned ones as soon as it has them."""
    received = datetime.combine(BEFORE_HOLIDAY, time(8, 30), tzinfo=CHINA).isoformat()
    for n, planned in enumerate(PLANNED):
        body = {
            "category": planned.category,
            "caller_kind": "citizen",
            "caller_phone": f"1391234{n:04d}",
            "summary": f"来电反映在对方城市办理社保业务遇到的问题（{planned.category}）",
            "received_at": received,
        }
        view = await world.cities[planned.from_city].expect("POST", "/hotline/requests", body, 201)
        world.request_ids[planned.key] = view["request_id"]
    for planned in PLANNED:
        receiving = world.cities[planned.to_city]
        request_id = world.request_ids[planned.key]
        await wait_for(partial(receiving.hotline_request, request_id), bool, timeout=60)
        if planned.signed:
            await receiving.expect("POST", f"/hotline/requests/{request_id}/sign", None, 200)
    await world.settle()


def expected_flags(planned: Planned, today: date) -> set[tuple[str, str]]:
    """The (step, due_on) flags the plan's request should carry on ``today``."""
    flags: set[tuple[str, str]] = set()
    if planned.signed:
        due = expected_resolve_by(planned, BEFORE_HOLIDAY)
        if reminded_by(planned.to_city, due, today):
            flags.add(("resolve", due.isoformat()))
        return flags
    first = expected_sign_by(planned, BEFORE_HOLIDAY)
    if reminded_by(planned.to_city, first, today):
        flags.add(("sign", first.isoformat()))
    if today >= NEXT_MONDAY:  # re-forwarded on 9 October
        second = expected_sign_by(planned, AFTER_HOLIDAY)
        if reminded_by(planned.to_city, second, today):
            flags.add(("sign", second.isoformat()))
    return flags


async def flags_in_both(world: World, planned: Planned) -> dict[City, set[tuple[str, str]]]:
    """Each city's overdue flags of the planned request."""
    found: dict[City, set[tuple[str, str]]] = {}
    for city in CITIES:
        view = await world.view(city, planned)
        found[city] = {(f["step"], f["due_on"]) for f in view["overdue_steps"]}
    return found


async def assert_flagged_exactly(world: World, today: date) -> int:
    """Both cities flag exactly the steps whose reminder day has come by ``today``, the
    waiting step's flag is the request's ``overdue``, and the bus holds one reminder per
    request, step and deadline; how many flags there are."""
    expected = {p.key: expected_flags(p, today) for p in PLANNED}
    total = sum(len(f) for f in expected.values())

    async def all_flags() -> dict[str, dict[City, set[tuple[str, str]]]]:
        return {p.key: await flags_in_both(world, p) for p in PLANNED}

    # The forwarding city's sweep runs every second; the flag crosses to the other city.
    await wait_for(
        all_flags,
        lambda got: all(got[k][c] == expected[k] for k in expected for c in CITIES),
        timeout=60,
        interval=0.5,
    )
    await world.settle()
    for planned in PLANNED:
        for city in CITIES:
            view = await world.view(city, planned)
            waiting = (
                ("sign", view["sign_by"])
                if view["state"] == "forwarded"
                else ("resolve", view["resolve_by"])
            )
            assert view["overdue"] == (waiting in expected[planned.key]), (city, view)
    # A record published again after a SIGKILL carries the same event id: the same reminder.
    reminders: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for record in await read_all(world.bootstrap, HOTLINE_TOPIC):
        event = json.loads(record.value)
        if event["type"].endswith("hotline-request-overdue.v1"):
            data = event["data"]
            reminders[(data["request_id"], data["step"], data["due_on"])].add(event["id"])
    twice = {step: ids for step, ids in reminders.items() if len(ids) > 1}
    assert not twice, f"reminded more than once: {twice}"
    assert set(reminders) == {
        (world.request_ids[k], step, due) for k, flags in expected.items() for step, due in flags
    }
    return total


async def assert_refused_with_nothing_written(
    world: World, planned: Planned, path: str, body: View | None, date_named: date
) -> None:
    """``path`` answered 409 naming ``date_named``; the request unchanged in both cities."""
    before = {c: await world.view(c, planned) for c in CITIES}
    answer = await world.cities[planned.to_city].call("POST", path, body)
    assert answer.status_code == 409, answer.text
    assert date_named.isoformat() in answer.json()["message"], answer.text
    await world.settle()
    assert {c: await world.view(c, planned) for c in CITIES} == before


async def test_overdue_flags_follow_the_calendar_across_the_national_day_holiday(
    world: World,
) -> None:
    await forward_and_sign(world)
    for planned in PLANNED:
        for city in CITIES:
            view = await world.view(city, planned)
            assert view["sign_by"] == expected_sign_by(planned, BEFORE_HOLIDAY).isoformat()
            if planned.signed:
                due = expected_resolve_by(planned, BEFORE_HOLIDAY)
                assert view["resolve_by"] == due.isoformat(), (city, view)
            assert not view["overdue"] and not view["overdue_steps"], (city, view)
    # What the calendar says, spelled out once: the holiday moves every deadline.
    consultation = next(p for p in PLANNED if p.key == "cq-consultation")
    assert expected_sign_by(consultation, BEFORE_HOLIDAY) == date(2026, 10, 8)
    assert expected_resolve_by(consultation, BEFORE_HOLIDAY) == date(2026, 10, 10)  # 调休 Sat

    await world.restart_on(AFTER_HOLIDAY, killed="cq")
    flagged = await assert_flagged_exactly(world, AFTER_HOLIDAY)
    assert flagged == 4  # both cities' unsigned (sign) and urgent (resolve)

    unsigned = next(p for p in PLANNED if p.key == "cd-unsigned")
    urgent = next(p for p in PLANNED if p.key == "cd-urgent")
    unsigned_id, urgent_id = world.request_ids[unsigned.key], world.request_ids[urgent.key]
    await assert_refused_with_nothing_written(
        world,
        unsigned,
        f"/hotline/requests/{unsigned_id}/sign",
        None,
        expected_sign_by(unsigned, BEFORE_HOLIDAY),
    )
    await assert_refused_with_nothing_written(
        world,
        urgent,
        f"/hotline/requests/{urgent_id}/extensions",
        {"working_days": 2, "reason": "需协调工伤认定部门"},
        expected_resolve_by(urgent, BEFORE_HOLIDAY),
    )
    for planned in (p for p in PLANNED if not p.signed):
        request_id = world.request_ids[planned.key]
        path = f"/hotline/requests/{request_id}/reforward"
        view = await world.cities[planned.from_city].expect("POST", path, None, 200)
        assert view["attempt"] == 2
        assert view["sign_by"] == expected_sign_by(planned, AFTER_HOLIDAY).isoformat()
    await world.settle()

    await world.restart_on(NEXT_MONDAY, killed="cd")
    flagged = await assert_flagged_exactly(world, NEXT_MONDAY)
    # + both consultations (due the working Saturday) and both re-forwarded sign-fors.
    assert flagged == 8

    await redelivery.deliver_everything_again(world.bootstrap, TOPICS, world.pools, world.settle)
    await redelivery.assert_nothing_dead_lettered(world.bootstrap, TOPICS, world.pools)
    assert await assert_flagged_exactly(world, NEXT_MONDAY) == 8
    # The audit recomputes the same from the bus alone, as of the processes' clock.
    now = datetime.fromisoformat(at_opening(NEXT_MONDAY))
    found = await invariant_violations(world.bootstrap, domain_topics("hr"), world.keys, now)
    assert found == [], [f"{v.invariant} at {v.at}: {v.message}" for v in found[:5]]
