"""Insurance years end to end: both cities' service processes on a fresh Kafka and real
PostgreSQL, driven over HTTP and through raw Kafka records.

One scenario, one seeded workload of 520 people:

- 400 people's careers recorded over HTTP in both cities, with overlapping months,
  deemed years, corrections (some twice) and cancellations;
- 120 people's version histories published straight to Kafka, signed by each city's key,
  **shuffled** (versions arrive out of order, a cancellation before the version it
  cancels) and partly **twice** (the same records, and the same versions under new event
  ids), while the Chengdu process is **SIGKILLed** mid-stream and started again;
- every record the services published is published once more (duplicate delivery).

Then: every person's ledger is the same in both cities and equal to the ledger the domain
builds from every version issued; 20 people ask for a retirement city in both cities at
the same moment, and for each exactly one request is determined, the same in both cities,
the other refused ``retirement-city-already-determined``; a late period recorded in the
losing city is flagged for review by the winning one, in both cities' ledgers; moderate
care assessments are recognised across; nothing was dead-lettered.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import pytest

import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
from chengyu_contracts.cities import CITIES, City
from chengyu_contracts.events.medins import CONTRIBUTION_TOPIC, ContributionYearsAccrued
from chengyu_contracts.keys import KeyRegistry
from chengyu_contracts.months import Month
from chengyu_contracts.person_ref import PersonRefKey, person_ref
from chengyu_contracts.registry import REGISTRY
from chengyu_insurance_years.invariants import LedgerRebuilds
from chengyu_insurance_years.ledger import Ledger, build_ledger, totals
from chengyu_insurance_years.periods import ContributionPeriod, PeriodKind
from chengyu_kit.issuer import EventIssuer
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.outbox import OutgoingRecord
from chengyu_kit.testing import KeyFiles
from chengyu_ops.audit.invariants import check_invariants, load_invariants, service_packages
from tests.conftest import PROJECT_ROOT
from tests.support.audit import domain_topics, logged_events
from tests.support.insurance import (
    InsuranceCity,
    in_chunks,
    insurance_key_files,
    insurance_settings,
    publish_records,
    resident_id,
    running_city,
)
from tests.support.kafka_io import apply_project_topics, fresh_kafka, read_all
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

SEED = 20250711
HTTP_PEOPLE = 400
RAW_PEOPLE = 120
RACERS = 20
LAST_MONTH = Month(2025, 12)  # no month after it, whatever day the test runs
RETIREMENT_DAY = "2025-12-31"
Call = Callable[[], Awaitable[dict[str, Any]]]


@dataclass
class World:
    """Both cities, their databases and what the test issued (the expected versions)."""

    cq: InsuranceCity
    cd: InsuranceCity
    dsn: dict[str, str]
    key: PersonRefKey
    keys: KeyFiles
    kafka: str
    versions: dict[str, list[ContributionPeriod]] = field(default_factory=dict)

    def city(self, name: str) -> InsuranceCity:
        return self.cq if name == "cq" else self.cd

    def ref(self, resident: str) -> str:
        return person_ref(resident, self.key)

    def issued(self, version: dict[str, Any]) -> None:
        """Remember a version a service answered with."""
        self.remember(
            ContributionPeriod(
                period_id=version["period_id"],
                person_ref=version["person_ref"],
                city=version["city"],
                start=Month.parse(version["start_month"]),
                end=Month.parse(version["end_month"]),
                kind=version["kind"],
                version=version["version"],
                cancelled=version["cancelled"],
            )
        )

    def remember(self, period: ContributionPeriod) -> None:
        self.versions.setdefault(period.person_ref, []).append(period)

    @property
    def distinct_versions(self) -> int:
        return len({(p.period_id, p.version) for ps in self.versions.values() for p in ps})


@pytest.fixture
async def world(tmp_path: Path, postgres: LocalPostgres) -> AsyncIterator[World]:
    key_files = insurance_key_files(tmp_path / "keys")
    with fresh_kafka(tmp_path / "kafka") as cluster:
        await apply_project_topics(cluster.bootstrap_servers)
        key_hex = secrets.token_hex(32)
        settings, dsn = {}, {}
        for city in ("cq", "cd"):
            name = f"insurance_{city}_{secrets.token_hex(4)}"
            await postgres.ensure_database(name)
            dsn[city] = postgres.dsn(name)
            settings[city] = insurance_settings(
                city,
                kafka=cluster.bootstrap_servers,
                database_url=dsn[city],
                keys=key_files,
                person_ref_key=key_hex,
            )
        async with running_city(settings["cq"]) as cq, running_city(settings["cd"]) as cd:
            yield World(
                cq, cd, dsn, PersonRefKey.from_hex(key_hex), key_files, cluster.bootstrap_servers
            )


# -- the workload ---------------------------------------------------------------------------------


def random_span(rng: random.Random) -> tuple[str, str]:
    first = Month(rng.randint(1980, 2024), rng.randint(1, 12))
    last = min(first.plus(rng.randint(0, 120)), LAST_MONTH)
    return str(first), str(last)


def kind_of(rng: random.Random) -> PeriodKind:
    return "deemed" if rng.random() < 0.15 else "actual"


async def record_careers_over_http(world: World, rng: random.Random) -> list[str]:
    """Periods of 400 people in both cities, then corrections and cancellations (some
    corrected periods cancelled after); the racers' residents (careers long enough for
    either city)."""
    racers = [resident_id(serial) for serial in range(RACERS)]
    calls: list[Call] = []
    for resident in racers:
        calls.append(partial(world.cq.record, resident, "1985-01", "2000-12", "actual"))
        calls.append(partial(world.cd.record, resident, "2001-01", "2025-12", "actual"))
    for serial in range(RACERS, HTTP_PEOPLE):
        resident = resident_id(serial)
        for city in ("cq", "cd"):
            for _ in range(rng.randint(1, 2)):
                start, end = random_span(rng)
                kind = kind_of(rng)
                calls.append(partial(world.city(city).record, resident, start, end, kind))
    recorded = await in_chunks(calls)
    for version in recorded:
        world.issued(version)

    # Corrections (some twice) and cancellations, each sent to the recording city.
    editable = [v for v in recorded[2 * RACERS :]]
    rng.shuffle(editable)
    corrected = editable[: len(editable) // 3]
    cancelled = editable[len(editable) // 3 : len(editable) // 3 + len(editable) // 10]

    def correction(version: dict[str, Any]) -> Call:
        start, end = random_span(rng)
        if (start, end) == (version["start_month"], version["end_month"]):
            start = str(Month.parse(start).previous())  # a correction must change something
        city = world.city(version["city"])
        return partial(city.correct, version["period_id"], start, end, version["kind"])

    def cancellation(version: dict[str, Any]) -> Call:
        return partial(world.city(version["city"]).cancel, version["period_id"])

    second = await in_chunks(
        [correction(v) for v in corrected] + [cancellation(v) for v in cancelled]
    )
    for version in second:
        world.issued(version)
    # Some corrected periods are then cancelled: version 3 of them.
    third = [cancellation(v) for v in second[: len(corrected)] if rng.random() < 0.3]
    for version in await in_chunks(third):
        world.issued(version)
    return racers


def raw_histories(world: World, rng: random.Random) -> list[OutgoingRecord]:
    """Version histories of 120 people, signed by each city's key as its service would
    sign them, with some versions issued twice under new event ids."""
    issuers = {
        city: EventIssuer(source=f"/{city}/mi/insurance-years", signing_key=key, registry=REGISTRY)
        for city, key in (("cq", world.keys.cq), ("cd", world.keys.cd))
    }
    records: list[OutgoingRecord] = []
    for serial in range(HTTP_PEOPLE, HTTP_PEOPLE + RAW_PEOPLE):
        ref = world.ref(resident_id(serial))
        for number in range(rng.randint(2, 4)):
            city: City = rng.choice(CITIES)
            period_id = f"per-{city}-raw-{serial}-{number}"
            start, end = random_span(rng)
            kind = kind_of(rng)
            for version in range(1, rng.randint(1, 3) + 1):
                if version > 1:
                    start, end = random_span(rng)
                cancelled = version == 3 and rng.random() < 0.5
                period = ContributionPeriod(
                    period_id,
                    ref,
                    city,
                    Month.parse(start),
                    Month.parse(end),
                    kind,
                    version,
                    cancelled,
                )
                world.remember(period)
                event = ContributionYearsAccrued(
                    period_id=period_id,
                    person_ref=ref,
                    city=city,
                    start_month=start,
                    end_month=end,
                    kind=kind,
                    version=version,
                    cancelled=cancelled,
                )
                records.append(issuers[city].issue(event))
                if rng.random() < 0.1:
                    records.append(issuers[city].issue(event))  # same version, new event id
    rng.shuffle(records)
    return records


async def count(dsn: str, sql: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


async def versions_in(world: World, city: str) -> int:
    return await count(world.dsn[city], "SELECT count(*) FROM contribution_period_version")


def expected_ledger(world: World, ref: str) -> tuple[list[tuple[Any, ...]], dict[str, int]]:
    return ledger_view(build_ledger(ref, world.versions.get(ref, [])))


def ledger_view(ledger: Ledger) -> tuple[list[tuple[Any, ...]], dict[str, int]]:
    """A ledger as the comparisons see it: its periods and totals."""
    counted = totals(ledger)
    periods = sorted(
        (p.period_id, p.city, str(p.start), str(p.end), p.kind, p.version, p.cancelled)
        for p in ledger.periods
    )
    return periods, {
        "actual_months": counted.actual_months,
        "months_in_both": counted.months_in_both,
        "deemed_months": counted.deemed_months,
    }


def shown_ledger(body: dict[str, Any]) -> tuple[list[tuple[Any, ...]], dict[str, int]]:
    periods = sorted(
        (
            p["period_id"],
            p["city"],
            p["start_month"],
            p["end_month"],
            p["kind"],
            p["version"],
            p["cancelled"],
        )
        for p in body["periods"]
    )
    t = body["totals"]
    return periods, {k: t[k] for k in ("actual_months", "months_in_both", "deemed_months")}


async def ledger_pair(world: World, ref: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The person's ledger in Chongqing and in Chengdu, asked at the same time."""
    here, there = await asyncio.gather(world.cq.ledger(ref), world.cd.ledger(ref))
    return here, there


async def both_ledgers(world: World, refs: list[str]) -> list[tuple[str, Any, Any]]:
    answers = await in_chunks(
        [partial(ledger_pair, world, ref) for ref in refs],
        size=8,
    )
    return [(ref, here, there) for ref, (here, there) in zip(refs, answers, strict=True)]


async def assert_the_log_rebuilds_what_both_cities_answer(world: World) -> None:
    """The audit's insurance-years invariants hold on what the scenario left on the bus
    (kill and duplicate delivery included), and every person's ledger rebuilt from the
    events alone is what each city's API answers (read-only)."""
    events = await logged_events(
        world.kafka, domain_topics("medins"), KeyRegistry.from_json_file(world.keys.registry)
    )
    # Every service's invariants, as the audit loads them; the ledgers come from this one.
    rebuilt = LedgerRebuilds()
    others = [i for i in load_invariants(service_packages(PROJECT_ROOT)) if i.name != rebuilt.name]
    assert "insurance-years.one-retirement-city" in {i.name for i in others}
    found = check_invariants([rebuilt, *others], events, datetime.now(UTC))
    assert found == [], [f"{v.invariant} at {v.at}: {v.message}" for v in found[:5]]
    ledgers = rebuilt.ledgers()
    refs = [world.ref(resident_id(s)) for s in range(HTTP_PEOPLE + RAW_PEOPLE)]
    differ = [
        ref
        for ref, here, there in await both_ledgers(world, refs)
        if not shown_ledger(here) == shown_ledger(there) == ledger_view(ledgers[ref])
    ]
    assert differ == [], f"{len(differ)} ledgers differ from the log's, e.g. {differ[:3]}"


# -- the scenario ----------------------------------------------------------------------------------


async def apply_raw_with_a_restart(world: World, rng: random.Random) -> int:
    """Publish the raw, shuffled histories and kill Chengdu while it applies them; publish
    every contribution record again; start Chengdu. How many versions Chengdu held when
    it was killed."""
    raw = raw_histories(world, rng)
    before_raw = await versions_in(world, "cd")
    publishing = asyncio.create_task(publish_records(world.kafka, raw))
    await wait_for(partial(versions_in, world, "cd"), lambda n: n > before_raw, timeout=60)
    await world.cd.kill()
    killed_at = await versions_in(world, "cd")
    await publishing

    # Duplicate delivery: every record on the contribution topic again, byte for byte.
    replay = [
        OutgoingRecord(r.topic, r.key, r.value, tuple(r.headers))
        for r in await read_all(world.kafka, CONTRIBUTION_TOPIC)
    ]
    await publish_records(world.kafka, replay)
    await world.cd.start()
    return killed_at


async def assert_ledgers_agree(world: World) -> None:
    """Every person's ledger is the same in both cities (the whole answer) and holds what
    the domain builds from every version issued."""
    refs = [world.ref(resident_id(s)) for s in range(HTTP_PEOPLE + RAW_PEOPLE)]
    assert len(set(refs)) == HTTP_PEOPLE + RAW_PEOPLE
    assert all(world.versions.get(r) for r in refs)
    mismatches = []
    for ref, here, there in await both_ledgers(world, refs):
        if here != there or shown_ledger(here) != expected_ledger(world, ref):
            mismatches.append(ref)
    assert mismatches == [], f"{len(mismatches)} ledgers differ, e.g. {mismatches[:3]}"


async def race_for_retirement(world: World, racers: list[str]) -> dict[str, str]:
    """Both cities' clerks ask for their own city at the same moment, for each racer;
    exactly one request wins and both cities agree. The winning city per racer."""
    requests = await asyncio.gather(
        *(
            world.city(city).request_retirement(resident, city, RETIREMENT_DAY)
            for resident in racers
            for city in ("cq", "cd")
        )
    )
    pairs = list(zip(requests[::2], requests[1::2], strict=True))
    winners: dict[str, str] = {}
    for resident, (in_cq, in_cd) in zip(racers, pairs, strict=True):
        outcomes = {}
        for city in (world.cq, world.cd):
            outcomes[city.city] = [await city.decided(in_cq), await city.decided(in_cd)]
        assert outcomes["cq"] == outcomes["cd"], "the cities disagree"
        states = [o["state"] for o in outcomes["cq"]]
        assert sorted(states) == ["determined", "refused"], outcomes
        loser = outcomes["cq"][states.index("refused")]
        assert loser["code"] == "retirement-city-already-determined"
        winners[resident] = outcomes["cq"][states.index("determined")]["chosen_city"]
        assert loser["determined_city"] == winners[resident]
    return winners


async def late_history_is_flagged(world: World, winners: dict[str, str]) -> None:
    """A period the losing city records late changes the figures: the winner flags it, and
    both cities' ledgers show the same flag."""
    late = await in_chunks(
        [
            partial(
                world.city("cd" if won == "cq" else "cq").record,
                resident,
                "1980-01",
                "1984-12",
                "actual",
            )
            for resident, won in winners.items()
        ]
    )
    racer_refs = [v["person_ref"] for v in late]

    async def flagged() -> list[tuple[str, Any, Any]]:
        return await both_ledgers(world, racer_refs)

    settled = await wait_for(
        flagged,
        lambda found: all(
            len(h["review_flags"]) == 1 == len(t["review_flags"]) for _, h, t in found
        ),
        timeout=60,
    )
    for _, here, there in settled:
        assert here == there
        assert here["retirement"]["city"] == here["review_flags"][0]["city"]
        assert here["review_flags"][0]["code"] == "determination-figures-changed"


async def moderate_assessments_are_recognised(world: World, residents: list[str]) -> None:
    """Moderate assessments concluded in Chongqing are recognised by Chengdu (today is past
    its moderate-level effective date in the default policies); both show the answer."""
    today = date.today()
    concluded, until = today - timedelta(days=30), today + timedelta(days=700)
    assessed = await in_chunks(
        [
            partial(world.cq.assess, r, "moderate", concluded.isoformat(), until.isoformat())
            for r in residents
        ]
    )
    for assessment in assessed:
        assessment_id = assessment["assessment_id"]
        here = await wait_for(
            partial(world.cq.assessment, assessment_id),
            lambda found: found is not None and found["recognition"] is not None,
        )
        assert here is not None and here["recognition"]["recognised"] is True
        assert await world.cd.assessment(assessment_id) == here


async def test_ledgers_agree_and_one_retirement_city_wins_under_faults(world: World) -> None:
    rng = random.Random(SEED)
    started = time.monotonic()
    phases: dict[str, float] = {}

    def lap(name: str) -> None:
        phases[name] = time.monotonic() - started

    racers = await record_careers_over_http(world, rng)
    lap("http workload")
    killed_at = await apply_raw_with_a_restart(world, rng)
    lap("raw + replay published")
    expected = world.distinct_versions
    for city in ("cq", "cd"):
        await wait_for(partial(versions_in, world, city), lambda n: n == expected, timeout=120)
    lap("both cities applied everything")
    assert killed_at < expected, "Chengdu was killed after it had applied everything"
    await assert_ledgers_agree(world)
    lap("ledgers compared")
    winners = await race_for_retirement(world, racers)
    lap("retirement race decided")
    await late_history_is_flagged(world, winners)
    await moderate_assessments_are_recognised(world, racers[:10])
    for city in ("cq", "cd"):
        parked = await count(
            world.dsn[city], "SELECT count(*) FROM inbox WHERE outcome = 'dead-lettered'"
        )
        assert parked == 0, f"{city} dead-lettered {parked} events"
    await assert_the_log_rebuilds_what_both_cities_answer(world)
    lap("total")
    won = sorted(winners.values())
    print(
        f"\nversions {expected}, Chengdu killed after {killed_at}; retirement winners "
        f"cq {won.count('cq')} / cd {won.count('cd')}; phases (s): "
        + ", ".join(f"{name} {seconds:.1f}" for name, seconds in phases.items())
    )
