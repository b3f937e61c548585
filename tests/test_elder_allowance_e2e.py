"""Elder allowance end to end: both cities' service processes on a fresh Kafka and real
PostgreSQL, 1,000 synthetic elders over 24 months of monthly payment runs.

The workload is :func:`chengyu_demo.elder.generate_elder_workload` (seeded, pure): elders
of both cities crossing 80, 90 and 100 (birthdays on the 1st, the last day of a month and
29 February), 低保/特困 recipients, household moves both ways, deaths (some recorded one or
two months late), verifications (some recorded in the other city; some lapsed and resumed
within the window, some never made again), persons the register missed who are imported
late and apply in the other city, capability assessments and 50 institutions per city.

Both registers are imported through ``POST /register/rows`` (Chongqing's process is
SIGKILLed in the middle of it, restarted, and the rows posted again); then month by month
(2025-01 to 2026-12): register changes, arrivals, verifications and decisions, both
cities' payment runs (Chengdu's process SIGKILLed while one of its runs is in flight,
restarted, the month run again), applications of persons the register missed (imported
late and approved by a clerk in the last month, today's, as decisions grant on the
services' clock), each step followed by a quiet bus. At the end, read from both cities' databases:

- every eligible person is paid exactly once per month, by exactly one city, the amount
  the policy says, and no month is missing across a move (the whole payment set equals
  the plan's, move by move);
- each death recorded late left a recovery claim of exactly what was paid after it;
- lapses are resumed or terminated, applications approved, assessments and institutions
  seen by both cities;
- every record of every elder topic published once more changes no row of either
  database;
- nothing was dead-lettered.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from chengyu_contracts.cities import CITIES, City
from chengyu_contracts.keys import KeyRegistry
from chengyu_contracts.months import Month
from chengyu_contracts.person_ref import person_ref
from chengyu_demo.elder import ElderWorkload, ExpectedPayment, generate_elder_workload
from chengyu_kit.local.postgres import LocalPostgres
from tests.support import redelivery
from tests.support.audit import domain_topics, invariant_violations
from tests.support.elder import (
    TOPICS,
    ElderCity,
    View,
    both_cities_settings,
    ca_key_files,
    in_chunks,
    running_city,
)
from tests.support.kafka_io import (
    apply_project_topics,
    bus_settled,
    fresh_kafka,
)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

SEED = 20261202
ELDERS = 1000
FIRST_MONTH = Month(2025, 1)
LAST_MONTH = Month(2026, 12)
# The services' real clock decides what is in the future; the plan's dates never pass it.
TODAY = date.today()
# Rows per POST /register/rows, and concurrent clerk requests to one city.
IMPORT_CHUNK = 200
CONCURRENCY = 16
# Chengdu's process is SIGKILLed while its run of this month is in flight.
KILLED_RUN_MONTH = Month(2025, 8)


@dataclass
class World:
    """Both cities, their databases and bus, the plan and what the test learnt."""

    cq: ElderCity
    cd: ElderCity
    pools: dict[City, asyncpg.Pool]
    bootstrap: str
    workload: ElderWorkload
    refs: dict[str, str]  # elder key -> person_ref
    keys: KeyRegistry
    application_ids: dict[str, str] = field(default_factory=dict)  # elder key -> id
    summaries: dict[tuple[City, str], View] = field(default_factory=dict)
    run_seconds: dict[City, list[float]] = field(
        default_factory=lambda: {city: [] for city in CITIES}
    )
    notes: list[str] = field(default_factory=list)

    def __getitem__(self, city: City) -> ElderCity:
        return self.cq if city == "cq" else self.cd

    @property
    def groups(self) -> list[str]:
        return [self[city].settings.consumer_group for city in CITIES]

    async def settle(self, timeout: float = 120) -> None:
        await bus_settled(self.bootstrap, TOPICS, self.groups, list(self.pools.values()), timeout)


@pytest.fixture
async def world(tmp_path: Path, postgres: LocalPostgres) -> AsyncIterator[World]:
    workload = generate_elder_workload(
        SEED, today=TODAY, elders=ELDERS, first_month=FIRST_MONTH, last_month=LAST_MONTH
    )
    keys = ca_key_files(tmp_path / "keys")
    with fresh_kafka(tmp_path / "kafka") as cluster:
        await apply_project_topics(cluster.bootstrap_servers)
        settings = await both_cities_settings(postgres, kafka=cluster.bootstrap_servers, keys=keys)
        key = settings["cq"].person_ref_hmac_key()
        refs = {e.key: person_ref(e.resident_id, key) for e in workload.elders}
        async with running_city(settings["cq"]) as cq, running_city(settings["cd"]) as cd:
            pools = {
                c: await asyncpg.create_pool(settings[c].database_url, min_size=1, max_size=2)
                for c in CITIES
            }
            try:
                registry = KeyRegistry.from_json_file(keys.registry)
                yield World(cq, cd, pools, cluster.bootstrap_servers, workload, refs, registry)
            finally:
                for pool in pools.values():
                    await pool.close()


@contextlib.contextmanager
def timed(world: World, what: str) -> Iterator[None]:
    """Note how long ``what`` took (printed at the end)."""
    start = time.monotonic()
    yield
    world.notes.append(f"{what}: {time.monotonic() - start:.1f}s")


async def count(pool: asyncpg.Pool, sql: str) -> int:
    return int(await pool.fetchval(sql))


# ---- the registers ---------------------------------------------------------------------


def chunks(rows: Sequence[dict[str, Any]], size: int = IMPORT_CHUNK) -> list[list[dict[str, Any]]]:
    return [list(rows[first : first + size]) for first in range(0, len(rows), size)]


async def post_rows(city: ElderCity, rows: Sequence[dict[str, Any]]) -> list[View]:
    """Post ``rows`` chunk after chunk; the reports."""
    return [await city.import_rows(chunk) for chunk in chunks(rows)]


def assert_import_reports(world: World, city: City, reports: Sequence[View]) -> Counter[str]:
    """The reports of a whole first import: every row counted once, exactly the bad rows
    refused, each with its line and code. The counts."""
    rows = world.workload.first_import(city)
    counted: Counter[str] = Counter()
    refused: dict[int, str] = {}
    for report in reports:
        for name in ("received", "registered", "updated", "unchanged"):
            counted[name] += report[name]
        refused.update({r["line"]: r["error"] for r in report["rejected"]})
    assert counted["received"] == len(rows)
    assert counted["registered"] + counted["updated"] + counted["unchanged"] + len(refused) == len(
        rows
    )
    assert refused == world.workload.refused_lines(city)
    return counted


async def import_registers_with_a_kill(world: World) -> None:
    """Chongqing's register posted chunk after chunk, its process SIGKILLed once a chunk
    has committed and the next is in flight; restarted, every row posted again (what was
    imported is unchanged). Chengdu's register in one go. Then both registers hold
    exactly their good rows, and posting Chengdu's again changes nothing."""
    cq_rows = world.workload.first_import("cq")
    importing = asyncio.create_task(post_rows(world.cq, cq_rows))
    await wait_for(
        partial(count, world.pools["cq"], "SELECT count(*) FROM elder"), bool, timeout=60
    )
    await asyncio.sleep(0.2)
    await world.cq.kill()
    held_at_kill = await count(world.pools["cq"], "SELECT count(*) FROM elder")
    with contextlib.suppress(httpx.TransportError):
        await importing
    await world.cq.start()
    world.notes.append(f"cq killed mid-import with {held_at_kill} of {len(cq_rows)} rows held")
    counted = assert_import_reports(world, "cq", await post_rows(world.cq, cq_rows))
    assert counted["unchanged"] >= held_at_kill > 0
    assert counted["registered"] == len(cq_rows) - len(world.workload.refused_lines("cq")) - (
        counted["unchanged"] + counted["updated"]
    )
    cd_rows = world.workload.first_import("cd")
    first = assert_import_reports(world, "cd", await post_rows(world.cd, cd_rows))
    assert first["unchanged"] == first["updated"] == 0
    again = assert_import_reports(world, "cd", await post_rows(world.cd, cd_rows))
    assert again["registered"] == again["updated"] == 0
    for city in CITIES:
        good = len(world.workload.first_import(city)) - len(world.workload.refused_lines(city))
        assert await count(world.pools[city], "SELECT count(*) FROM elder") == good


async def publish_institutions(world: World) -> None:
    calls = [
        partial(world[i.city].put_institution, i.institution_id, i.body())
        for i in world.workload.institutions
    ]
    await in_chunks(calls, CONCURRENCY)


# ---- a month ---------------------------------------------------------------------------


async def register_changes(world: World, month: Month) -> None:
    """Moves out, deaths and assistance changes, each in the paying city."""
    plan = world.workload.in_month(month)
    refs = world.refs
    calls: list[Callable[[], Awaitable[View]]] = [
        partial(world[m.from_city].move_out, refs[m.person], m.to_city, str(m.month))
        for m in plan.moves
    ]
    calls += [
        partial(world[d.city].record_death, refs[d.person], d.died_on.isoformat())
        for d in plan.deaths
    ]
    calls += [
        partial(world[a.city].change_assistance, refs[a.person], a.status, a.since.isoformat())
        for a in plan.assistance_changes
    ]
    await in_chunks(calls, CONCURRENCY)


async def arrivals_and_answers(world: World, month: Month) -> None:
    """Movers imported by their new city (the move is known there by now), persons the
    register missed imported by their household city, verifications recorded, last
    month's applications approved by the paying city's clerk."""
    plan = world.workload.in_month(month)
    workload = world.workload
    for to_city in CITIES:
        rows = [
            workload.elder(m.person).row(line, city=to_city, district=m.new_district)
            for line, m in enumerate((m for m in plan.moves if m.to_city == to_city), start=2)
        ]
        rows += [
            e.row(line)
            for line, e in enumerate(plan.late_imports, start=len(rows) + 2)
            if e.home_city == to_city
        ]
        if rows:
            report = await world[to_city].import_rows(rows)
            assert report["registered"] == len(rows) and not report["rejected"], report
    calls: list[Callable[[], Awaitable[View]]] = [
        partial(
            world[v.recorded_in].verify,
            workload.elder(v.person).resident_id,
            v.verified_on.isoformat(),
        )
        for v in plan.verifications
    ]
    calls += [
        partial(
            world[a.household_city].decide,
            world.application_ids[a.person],
            "approved",
            "registered late; of allowance age",
        )
        for a in plan.decisions
    ]
    await in_chunks(calls, CONCURRENCY)


async def timed_run(world: World, city: City, month: Month) -> View:
    start = time.monotonic()
    summary = await world[city].run_month(str(month))
    world.run_seconds[city].append(time.monotonic() - start)
    return summary


# A transaction of the service's own connections that has written payments or the run's
# row and not committed: the run's chunk (or its completion) in flight.
RUN_IN_FLIGHT = """
SELECT state, coalesce(wait_event_type, '-') AS waiting, left(query, 48) AS query
FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL
  AND state IN ('active', 'idle in transaction') AND query ILIKE '%payment%'
"""


async def run_with_a_kill(world: World, city: City, month: Month) -> View:
    """Start ``city``'s run of ``month``, SIGKILL the process while the run's transaction
    is open in the database (seen in ``pg_stat_activity``), restart it and run the month
    again: what the killed transaction wrote is gone, the run continues and completes."""
    pool = world.pools[city]
    running = asyncio.create_task(world[city].call("POST", "/payment-runs", {"month": str(month)}))
    started = time.monotonic()
    in_flight: list[asyncpg.Record] = []
    while not running.done() and time.monotonic() - started < 30:
        in_flight = await pool.fetch(RUN_IN_FLIGHT)
        if in_flight:
            break
        await asyncio.sleep(0.005)
    answered = running.done()
    await world[city].kill()
    status = await pool.fetchval(
        "SELECT status FROM payment_run WHERE month = $1", date(month.year, month.month, 1)
    )
    with contextlib.suppress(httpx.TransportError):
        await running
    await world[city].start()
    world.notes.append(
        f"{city} killed {time.monotonic() - started:.2f}s into its {month} run with its"
        f" transaction open (answered before: {answered}; run in the database: {status};"
        f" open: {[tuple(r) for r in in_flight]})"
    )
    assert in_flight and not answered, "the kill missed the run's open transaction"
    summary = await world[city].run_month(str(month))
    assert summary["status"] == "completed"
    return summary


async def payment_runs(world: World, month: Month) -> None:
    """Both cities' runs of ``month`` (one killed in flight and rerun, in its month)."""

    async def one(city: City) -> View:
        if month == KILLED_RUN_MONTH and city == "cd":
            return await run_with_a_kill(world, city, month)
        return await timed_run(world, city, month)

    summaries = await asyncio.gather(*(one(city) for city in CITIES))
    for city, summary in zip(CITIES, summaries, strict=True):
        assert summary["month"] == str(month) and summary["status"] == "completed", summary
        world.summaries[(city, str(month))] = summary


async def applications(world: World, month: Month) -> None:
    """Persons the register missed apply in the other city after the run; the household
    city cannot decide before it holds them (its clerk approves next month)."""
    plan = world.workload.in_month(month)
    answers = await in_chunks(
        [
            partial(
                world[a.accepted_in].apply,
                world.workload.elder(a.person).resident_id,
                a.household_city,
            )
            for a in plan.applications
        ],
        CONCURRENCY,
    )
    for application, answer in zip(plan.applications, answers, strict=True):
        assert (
            answer["status"] == "submitted" and answer["paying_city"] == application.household_city
        )
        world.application_ids[application.person] = answer["application_id"]


async def run_the_timeline(world: World) -> None:
    for month in world.workload.months:
        await register_changes(world, month)
        await world.settle()
        await arrivals_and_answers(world, month)
        await world.settle()
        await payment_runs(world, month)
        await applications(world, month)
    await world.settle()


# ---- what the databases hold -------------------------------------------------------------


@dataclass(frozen=True)
class PaidRow:
    city: City
    amount_fen: int
    status: str


async def payments(world: World) -> dict[tuple[str, Month], list[PaidRow]]:
    """Every payment row of both cities by (person_ref, month)."""
    found: dict[tuple[str, Month], list[PaidRow]] = {}
    for city in CITIES:
        for r in await world.pools[city].fetch(
            "SELECT person_ref, month, amount_fen, status FROM payment"
        ):
            month = Month.of(r["month"])
            found.setdefault((r["person_ref"], month), []).append(
                PaidRow(city, r["amount_fen"], r["status"])
            )
    return found


def describe(world: World, keys: Sequence[tuple[str, Month]]) -> list[str]:
    """Mismatches named by elder key, story and month (no personal data)."""
    return [f"{k} ({world.workload.elder(k).story}) {m}" for k, m in keys[:8]]


async def assert_paid_exactly_as_planned(world: World) -> None:
    """Each planned (person, month) paid once, by its city, with its amount; nothing else
    paid; movers' months contiguous across both cities."""
    expected: dict[tuple[str, Month], ExpectedPayment] = world.workload.expected_paid()
    by_ref = {ref: key for key, ref in world.refs.items()}
    held = await payments(world)
    twice = [key for key, rows in held.items() if len(rows) > 1]
    assert not twice, f"{len(twice)} months paid by both cities: {twice[:5]}"
    paid = {(by_ref.get(ref, ref), month): rows[0] for (ref, month), rows in held.items()}
    missing = sorted(set(expected) - set(paid))
    unplanned = sorted(set(paid) - set(expected))
    wrong = sorted(
        key
        for key in set(expected) & set(paid)
        if (paid[key].city, paid[key].amount_fen) != (expected[key].city, expected[key].amount_fen)
    )
    assert not missing, f"{len(missing)} planned months not paid: {describe(world, missing)}"
    assert not unplanned, f"{len(unplanned)} months paid unplanned: {describe(world, unplanned)}"
    assert not wrong, f"{len(wrong)} paid by another city or amount: {describe(world, wrong)}"
    for move in world.workload.moves:
        months = sorted(m for (key, m) in paid if key == move.person)
        if months:
            assert [m.index for m in months] == list(
                range(months[0].index, months[-1].index + 1)
            ), f"{move.person}: a month missing across the move"
            cities = {m: paid[(move.person, m)].city for m in months}
            assert all(cities[m] == move.from_city for m in months if m <= move.month)
            assert all(cities[m] == move.to_city for m in months if m > move.month)


async def assert_recovery_claims(world: World) -> None:
    """One claim per death recorded late, of exactly the months paid after it; no other."""
    by_ref = {ref: key for key, ref in world.refs.items()}
    held: dict[str, tuple[City, set[Month], int]] = {}
    for city in CITIES:
        for r in await world.pools[city].fetch(
            "SELECT person_ref, months, amount_fen FROM recovery_claim"
        ):
            key = by_ref.get(r["person_ref"], r["person_ref"])
            months = {Month.of(m) for m in r["months"]}
            assert key not in held, f"{key}: more than one recovery claim"
            held[key] = (city, months, int(r["amount_fen"]))
    planned = {c.person: (c.city, set(c.months), c.amount_fen) for c in world.workload.claims}
    assert held == planned
    # The paying city shows the claim on the person's allowance.
    for claim in world.workload.claims[:10]:
        view = await world[claim.city].allowance(world.refs[claim.person])
        assert view is not None
        assert sum(c["amount_fen"] for c in view["recovery_claims"]) == claim.amount_fen


async def assert_lapses_and_applications(world: World) -> None:
    """Lapsed and resumed allowances are active again, never-verified ones terminated;
    every application approved, alike in both cities."""
    for elder in world.workload.elders:
        if elder.story in ("lapses", "lapses-out"):
            view = await world[elder.home_city].allowance(world.refs[elder.key])
            assert view is not None, elder.key
            wanted = "active" if elder.story == "lapses" else "terminated"
            assert view["state"] == wanted, (elder.key, view["state"])
    for application in world.workload.applications:
        application_id = world.application_ids[application.person]
        seen = [await world[city].application(application_id) for city in CITIES]
        assert all(v is not None and v["status"] == "approved" for v in seen), seen


async def assessments_and_the_map(world: World) -> None:
    """Assessments recorded with their levels are listed by the other city as
    recognised; both cities list both cities' institutions."""
    workload = world.workload
    answers = await in_chunks(
        [
            partial(world[a.city].assess, a.body(workload.elder(a.person).resident_id))
            for a in workload.assessments
        ],
        CONCURRENCY,
    )
    for planned, answer in zip(workload.assessments, answers, strict=True):
        assert (answer["total"], answer["base_level"], answer["level"]) == (
            planned.total,
            planned.base_level,
            planned.level,
        ), planned
    await world.settle()
    for planned in workload.assessments[:20]:
        other: City = "cd" if planned.city == "cq" else "cq"
        listed = await world[other].assessments_of(world.refs[planned.person])
        assert [a["level"] for a in listed] == [planned.level]
        assert all(a["recognised"] for a in listed)
    per_city = Counter(i.city for i in workload.institutions)
    for city in CITIES:
        for shown in CITIES:
            page = await world[city].institutions(city=shown, page_size=100)
            total = page.get("total", len(page.get("items", [])))
            assert total == per_city[shown], (city, shown, page.get("total"))


async def deliver_everything_again(world: World) -> None:
    """Every record of every elder topic published once more changes no row."""
    count = await redelivery.deliver_everything_again(
        world.bootstrap, TOPICS, world.pools, world.settle
    )
    world.notes.append(f"{count} records delivered a second time")


async def assert_nothing_dead_lettered(world: World) -> None:
    await redelivery.assert_nothing_dead_lettered(world.bootstrap, TOPICS, world.pools)
    for city in CITIES:
        logged = [line for line in world[city].output if b"event dead-lettered" in line]
        assert not logged, logged[:3]
    for city in CITIES:
        logged = [line for line in world[city].output if b"event dead-lettered" in line]
        assert not logged, logged[:3]


async def assert_elder_invariants_hold(world: World) -> None:
    """The audit's elder-allowance invariants, recomputed from the bus alone (both runs,
    the kill and the second delivery included): one paying city per person and month,
    every recovery claim exactly what was paid and not owed."""
    found = await invariant_violations(
        world.bootstrap, domain_topics("elder"), world.keys, datetime.now(UTC)
    )
    assert found == [], [f"{v.invariant} at {v.at}: {v.message}" for v in found[:5]]


# ---- the scenario ----------------------------------------------------------------------


async def test_every_eligible_elder_is_paid_once_a_month_by_one_city_under_faults(
    world: World,
) -> None:
    started = time.monotonic()
    workload = world.workload
    assert workload.story_counts()["moves"] >= 50 and len(workload.claims) >= 20
    with timed(world, "registers imported (cq killed mid-import)"):
        await import_registers_with_a_kill(world)
        await publish_institutions(world)
        await world.settle()
    with timed(world, f"{len(workload.months)} months run"):
        await run_the_timeline(world)
    with timed(world, "payments and claims checked"):
        await assert_paid_exactly_as_planned(world)
        await assert_recovery_claims(world)
        await assert_lapses_and_applications(world)
    with timed(world, "assessments and map"):
        await assessments_and_the_map(world)
    with timed(world, "duplicate delivery"):
        await deliver_everything_again(world)
    await assert_nothing_dead_lettered(world)
    await assert_elder_invariants_hold(world)
    runs = {city: sum(world.run_seconds[city]) for city in CITIES}
    totals = Counter[str]()
    for summary in world.summaries.values():
        for name in ("granted", "payments", "back_payments", "suspended", "resumed", "terminated"):
            totals[name] += summary[name]
    print(
        f"\n{ELDERS} elders, {len(workload.payments)} payments planned;"
        f" runs took cq {runs['cq']:.1f}s, cd {runs['cd']:.1f}s; totals {dict(totals)};"
        f" total {time.monotonic() - started:.1f}s",
        *world.notes,
        sep="\n",
    )
