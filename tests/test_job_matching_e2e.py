"""Job matching end to end: both cities' job-matching service processes on a fresh Kafka and
real PostgreSQL, a seeded workload (:func:`chengyu_demo.jobs.jobs_plan`) entered through
the clerks' API as the brief fixes it, on the services' real clock.

1. Thousands of postings and seekers of both cities in batches: the other city answers
   with the first city's postings within seconds (measured and printed), and a seeker who
   wants both cities gets matches of both.
2. Consent withdrawn by seekers of both cities: each profile disappears from the other
   city's answers (its ``GET /seekers/{ref}``, every posting's matches) and its
   ``seeker_profile`` table, at once.
3. 12333 requests forwarded both ways along every path (closed after a callback, reopened
   then closed, returned, extended then closed, left unsigned, signed and open) and
   personnel-file transfers both ways (one incomplete, then supplemented) with a
   certificate, driven by the demo's driver (every POST retried with its Idempotency-Key)
   while each city's process is SIGKILLed and restarted; then every record of every hr
   topic delivered a second time. At the end every request is known to both cities, in
   exactly one state, the same in both and the planned one, none lost; the overdue flag is
   set on exactly the requests whose open step's deadline is before today on the
   calendar; a duplicate delivery changed nothing; nothing dead-lettered.

   On the real clock every deadline counts from today (a request's sign-for window from
   the day it is forwarded), so none passes during the test and the overdue check can only
   confirm that nothing is flagged early (the processes sweep every second). Requests
   actually past their deadline: ``test_job_matching_overdue_e2e.py``, on shifted clocks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
import pytest
from rich.progress import Progress

from chengyu_contracts.cities import CITIES, City, other_city
from chengyu_contracts.events.hr import HOTLINE_TOPIC
from chengyu_contracts.keys import KeyRegistry
from chengyu_contracts.policy_book import policy_day
from chengyu_demo.cli_jobs import _Driver
from chengyu_demo.jobs import JobsPlan, PlannedSeeker, jobs_plan
from chengyu_kit.local.postgres import LocalPostgres
from tests.support import redelivery
from tests.support.audit import domain_topics, invariant_violations
from tests.support.elder import in_chunks
from tests.support.jobs import (
    TOPICS,
    JobsCity,
    View,
    both_cities_settings,
    hr_key_files,
    running_city,
)
from tests.support.kafka_io import (
    apply_project_topics,
    bus_settled,
    fresh_kafka,
    read_all,
)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

SEED = 20261211
POSTINGS = 4000  # both cities
SEEKERS = 2000
WITHDRAWING = 20  # per city
#: The other city answers with a city's postings within this many seconds of the batch.
SECONDS_TO_SHARE = 30
BATCH = 1000


@dataclass
class World:
    cq: JobsCity
    cd: JobsCity
    pools: dict[City, asyncpg.Pool]
    bootstrap: str
    plan: JobsPlan
    today: date
    keys: KeyRegistry
    posting_ids: dict[str, str] = field(default_factory=dict)  # plan key -> posting_id
    seeker_refs: dict[str, str] = field(default_factory=dict)  # plan key -> seeker_ref
    notes: list[str] = field(default_factory=list)

    def __getitem__(self, city: City) -> JobsCity:
        return self.cq if city == "cq" else self.cd

    async def settle(self, timeout: float = 120) -> None:
        groups = [self[c].settings.consumer_group for c in CITIES]
        await bus_settled(self.bootstrap, TOPICS, groups, list(self.pools.values()), timeout)


@pytest.fixture
async def world(tmp_path: Path, postgres: LocalPostgres) -> AsyncIterator[World]:
    today = policy_day(datetime.now(UTC))
    plan = jobs_plan(
        SEED,
        now=datetime.now(UTC),
        postings=POSTINGS,
        seekers=SEEKERS,
        requests_per_path=3,
        files=3,
    )
    keys = hr_key_files(tmp_path / "keys")
    with fresh_kafka(tmp_path / "kafka") as cluster:
        await apply_project_topics(cluster.bootstrap_servers)
        settings = await both_cities_settings(postgres, kafka=cluster.bootstrap_servers, keys=keys)
        async with running_city(settings["cq"]) as cq, running_city(settings["cd"]) as cd:
            pools = {
                c: await asyncpg.create_pool(settings[c].database_url, min_size=1, max_size=2)
                for c in CITIES
            }
            try:
                registry = KeyRegistry.from_json_file(keys.registry)
                yield World(cq, cd, pools, cluster.bootstrap_servers, plan, today, registry)
            finally:
                for pool in pools.values():
                    await pool.close()


@contextlib.contextmanager
def timed(world: World, what: str) -> Iterator[None]:
    start = time.monotonic()
    yield
    world.notes.append(f"{what}: {time.monotonic() - start:.1f}s")


# ---- 1. postings and seekers -----------------------------------------------------------


async def publish_postings(world: World) -> dict[City, float]:
    """Each city's postings in batches, both cities at once; per city, the seconds from
    the first batch until the other city lists all of them."""
    started = time.monotonic()

    async def publish(city: City) -> None:
        planned = world.plan.postings_of(city)
        for first in range(0, len(planned), BATCH):
            chunk = planned[first : first + BATCH]
            answer = await world[city].publish_postings([p.body for p in chunk])
            assert not answer["refused"], answer["refused"][:3]
            for accepted in answer["accepted"]:
                world.posting_ids[chunk[accepted["index"]].key] = accepted["posting_id"]

    async def seen_in_other(city: City) -> float:
        count = len(world.plan.postings_of(city))

        async def listed() -> int:
            view = await world[other_city(city)].postings(city=city, state="open", per_page=1)
            return int(view["total"])

        await wait_for(listed, lambda n: n == count, timeout=120, interval=0.2)
        return time.monotonic() - started

    waits = [asyncio.create_task(seen_in_other(c)) for c in CITIES]
    await asyncio.gather(*(publish(c) for c in CITIES))
    published = time.monotonic() - started
    seen = dict(zip(CITIES, await asyncio.gather(*waits), strict=True))
    for city, seconds in seen.items():
        world.notes.append(
            f"{len(world.plan.postings_of(city))} postings of {city} published in"
            f" {published:.1f}s, all answered by {other_city(city)} after {seconds:.1f}s"
        )
    return seen


async def register_seekers(world: World) -> None:
    async def register(city: City) -> None:
        planned = world.plan.seekers_of(city)
        for first in range(0, len(planned), BATCH):
            chunk = planned[first : first + BATCH]
            answer = await world[city].register_seekers([s.body for s in chunk])
            assert not answer["refused"], answer["refused"][:3]
            for accepted in answer["accepted"]:
                world.seeker_refs[chunk[accepted["index"]].key] = accepted["seeker_ref"]

    await asyncio.gather(*(register(c) for c in CITIES))


async def shared_profiles(world: World, city: City) -> set[str]:
    """The other city's seekers whose profiles ``city``'s table holds."""
    rows = await world.pools[city].fetch(
        "SELECT seeker_ref FROM seeker_profile WHERE city = $1", other_city(city)
    )
    return {r["seeker_ref"] for r in rows}


async def assert_matches_span_both_cities(world: World) -> None:
    """A seeker who wants both cities gets postings of both; one who wants only the other
    city gets only the other city's."""
    for city in CITIES:
        seekers = [s for s in world.plan.seekers_of(city) if not s.withdraws]
        both = [s for s in seekers if set(s.body["desired_cities"]) == set(CITIES)][:20]
        away = [s for s in seekers if s.body["desired_cities"] == [other_city(city)]][:5]
        found: Counter[str] = Counter()
        for seeker in both:
            view = await world[city].seeker_matches(world.seeker_refs[seeker.key], limit=20)
            found.update(m["city"] for m in view["matches"])
        assert found[other_city(city)] > 0 and found[city] > 0, (city, found)
        for seeker in away:
            view = await world[city].seeker_matches(world.seeker_refs[seeker.key], limit=20)
            assert view["matches"], (city, seeker.key)
            assert {m["city"] for m in view["matches"]} == {other_city(city)}, view
            for match in view["matches"]:
                assert set(match["factors"]) >= {"occupation", "skills", "distance", "salary"}
                assert all(f["why"] for f in match["factors"].values()), match
        world.notes.append(f"matches of {city}'s seekers wanting both cities: {dict(found)}")


async def withdraw_consents(world: World) -> list[PlannedSeeker]:
    """Consenting seekers of both cities withdraw: gone from the other city at once."""
    withdrawing = [
        s
        for city in CITIES
        for s in [x for x in world.plan.seekers_of(city) if x.body["consent_other_city"]][
            :WITHDRAWING
        ]
    ]
    for city in CITIES:
        held = await shared_profiles(world, city)
        mine = {world.seeker_refs[s.key] for s in withdrawing if s.city == other_city(city)}
        assert mine <= held, f"{city} does not hold the consenting profiles yet"
    started = time.monotonic()
    await in_chunks(
        [
            lambda s=s: world[s.city].consent(world.seeker_refs[s.key], False)  # type: ignore[misc]
            for s in withdrawing
        ]
    )
    for city in CITIES:
        gone = {world.seeker_refs[s.key] for s in withdrawing if s.city == other_city(city)}

        async def left(city: City = city, gone: set[str] = gone) -> set[str]:
            return gone & await shared_profiles(world, city)

        await wait_for(left, lambda still: not still, timeout=30, interval=0.1)
        for ref in gone:
            assert await world[city].seeker(ref) is None, ref
    world.notes.append(
        f"{len(withdrawing)} consents withdrawn: gone from the other city's table and"
        f" answers after {time.monotonic() - started:.1f}s"
    )
    return withdrawing


async def assert_withdrawn_in_no_answer(world: World, withdrawn: list[PlannedSeeker]) -> None:
    """No posting's matches in the other city name a withdrawn seeker (postings of the
    occupations the withdrawn seekers want)."""
    for seeker in withdrawn:
        other = other_city(seeker.city)
        ref = world.seeker_refs[seeker.key]
        postings = [
            p
            for p in world.plan.postings
            if p.body["occupation_code"] == seeker.intended
            and p.body["education"] == seeker.body["education"]
        ][:3]
        for posting in postings:
            view = await world[other].posting_matches(world.posting_ids[posting.key], limit=500)
            assert ref not in {m["seeker_ref"] for m in view["matches"]}, (seeker.key, posting)
        # ... while in its own city the profile is still matched (consent only binds the
        # other city).
        assert await world[seeker.city].seeker(ref) is not None


# ---- 3. 12333 requests and personnel files ---------------------------------------------


async def kill_each_city(world: World, busy: asyncio.Task[None]) -> list[str]:
    """SIGKILL Chengdu's, then Chongqing's process while ``busy`` drives both; restart."""
    killed = []
    for city in ("cd", "cq"):
        await asyncio.sleep(2.0)
        if busy.done():
            break
        await world[city].kill()
        await asyncio.sleep(0.5)
        await world[city].start()
        killed.append(city)
    return killed


def expected_overdue(view: View, today: date) -> bool:
    """Whether a request's open step is past its deadline on ``today``: unsigned past
    ``sign_by``, or signed (or reopened) and unresolved past ``resolve_by``."""
    state = view["state"]
    if state == "forwarded":
        return date.fromisoformat(view["sign_by"]) < today
    if state in ("signed", "reopened"):
        return date.fromisoformat(view["resolve_by"]) < today
    return False


async def requests_and_files_under_kills(world: World) -> _Driver:
    clients = {c: world[c].client for c in CITIES}
    driver = _Driver(world.plan, clients, Progress(disable=True), concurrency=16, wait_seconds=60)

    async def drive() -> None:
        await asyncio.gather(driver.hotline(), driver.files())

    busy = asyncio.create_task(drive())
    killed = await kill_each_city(world, busy)
    await busy
    assert killed == ["cd", "cq"], "the workload ended before both kills"
    world.notes.append(f"SIGKILLed mid-workload: {', '.join(killed)}")
    await world.settle()
    await driver.read_requests()
    return driver


async def assert_one_state_each(world: World, driver: _Driver) -> Counter[str]:
    """Every request known to both cities in one state, the same and the planned one;
    the lists of both cities (forwarded / received) hold exactly the requests made."""
    report = driver.report
    assert not report.problems, report.problems
    assert report.unfinished == 0, driver.unseen
    assert len(report.requests) == len(world.plan.requests), "a request was not forwarded"
    wrong = {k: v for k, v in report.requests.items() if not v[0] == v[1] == v[2]}
    assert not wrong, wrong
    made = set(driver.request_ids.values())
    for city in CITIES:
        sent = {r["request_id"] for r in await world[city].hotline_requests(direction="forwarded")}
        got = {r["request_id"] for r in await world[city].hotline_requests(direction="received")}
        planned_sent = {
            driver.request_ids[r.key] for r in world.plan.requests if r.from_city == city
        }
        assert sent == planned_sent and not sent & got, city
        assert sent | got == made, f"{city} lost a request"
    return Counter(v[0] for v in report.requests.values())


async def assert_overdue_exactly(world: World, driver: _Driver) -> int:
    """In both cities, overdue is flagged on exactly the requests past a deadline; one
    reminder per request, step and deadline on the bus."""
    flagged = 0
    for request_id in driver.request_ids.values():
        for city in CITIES:
            view = await world[city].hotline_request(request_id)
            assert view is not None
            assert bool(view.get("overdue")) == expected_overdue(view, world.today), (city, view)
            flagged += city == "cq" and bool(view.get("overdue"))
    reminders: dict[str, tuple[str, str, str]] = {}
    for record in await read_all(world.bootstrap, HOTLINE_TOPIC):
        event = json.loads(record.value)
        if event["type"].endswith("hotline-request-overdue.v1"):
            data = event["data"]
            reminders[event["id"]] = (data["request_id"], data["step"], data["due_on"])
    assert len(set(reminders.values())) == len(reminders), "a reminder was sent twice"
    # On the real clock no deadline of this run has passed (see the module's docstring).
    assert flagged == len(reminders) == 0
    return len(reminders)


async def deliver_everything_again(world: World) -> None:
    count = await redelivery.deliver_everything_again(
        world.bootstrap, TOPICS, world.pools, world.settle
    )
    world.notes.append(f"{count} records delivered a second time: nothing changed")


async def assert_nothing_dead_lettered(world: World) -> None:
    await redelivery.assert_nothing_dead_lettered(world.bootstrap, TOPICS, world.pools)


async def assert_job_invariants_hold(world: World) -> None:
    """The audit's job-matching invariants, recomputed from the bus alone (kills and the
    second delivery included): every request's steps follow its machine, every reminder
    is right and none is missing."""
    found = await invariant_violations(
        world.bootstrap, domain_topics("hr"), world.keys, datetime.now(UTC)
    )
    assert found == [], [f"{v.invariant} at {v.at}: {v.message}" for v in found[:5]]


async def test_both_cities_share_match_and_forward_with_nothing_lost(world: World) -> None:
    started = time.monotonic()
    with timed(world, f"{POSTINGS} postings and {SEEKERS} seekers entered"):
        seen = await publish_postings(world)
        await register_seekers(world)
        await world.settle()
    assert all(s < SECONDS_TO_SHARE for s in seen.values()), seen
    await assert_matches_span_both_cities(world)
    withdrawn = await withdraw_consents(world)
    await assert_withdrawn_in_no_answer(world, withdrawn)
    with timed(world, "12333 requests and file transfers, two SIGKILLs"):
        driver = await requests_and_files_under_kills(world)
    states = await assert_one_state_each(world, driver)
    reminders = await assert_overdue_exactly(world, driver)
    report = driver.report
    assert report.files["completed"] == 2 * 3 and report.files["held as incomplete"] == 2
    assert report.files_moved == 2 * 3 and report.certificate
    with timed(world, "duplicate delivery"):
        await deliver_everything_again(world)
    assert await assert_one_state_each(world, driver) == states
    await assert_nothing_dead_lettered(world)
    await assert_job_invariants_hold(world)
    print(
        f"\nrequests by state {dict(states)}; {reminders} overdue reminders;"
        f" files {dict(report.files)}; total {time.monotonic() - started:.1f}s",
        *world.notes,
        sep="\n",
    )
