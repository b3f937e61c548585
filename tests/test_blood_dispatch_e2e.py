"""Blood dispatch end to end: both cities' service processes on a fresh Kafka and real
PostgreSQL, two weeks of each centre's movements (:func:`chengyu_demo.blood.blood_plan`,
seeded) reported after the fact with their ``at`` in time order, against the services'
real clock (hysteresis and escalation timing are covered in-process with a FixedClock in
``services/blood-dispatch/tests``).

Each city runs short of one red-cell group (issued heavily, nothing collected): its
levels cross into orange, then red, each crossing a ``stock-low`` the other city answers
with an offer from its ample stock of the group. Every offer is accepted, dispatched and
received (one shipment with a temperature breach: quarantined); each city's process is
SIGKILLed while one of its dispatches is in flight, restarted, and the dispatch re-sent
with the same Idempotency-Key. Then every record of every blood topic is delivered again.
At the end, from both databases: every unit is in exactly one place (in at most one
city's stock; in transit exactly while its shipment is not received), units are
conserved per city and in total, every stock-low was answered, nothing dead-lettered.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import asyncpg
import httpx
import pytest

from chengyu_contracts.cities import CITIES, City
from chengyu_contracts.events.blood import LEVEL_TOPIC
from chengyu_contracts.keys import KeyRegistry
from chengyu_demo.blood import BloodPlan, Step, blood_plan
from chengyu_kit.local.postgres import LocalPostgres
from tests.support import redelivery
from tests.support.audit import domain_topics, invariant_violations
from tests.support.blood import (
    TOPICS,
    BloodCity,
    View,
    blood_key_files,
    both_cities_settings,
    in_chunks,
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

SEED = 20261210
IN_STOCK = ("available", "reserved", "quarantined")
GONE = ("issued", "expired", "discarded")


def other(city: City) -> City:
    return "cd" if city == "cq" else "cq"


@dataclass
class World:
    cq: BloodCity
    cd: BloodCity
    pools: dict[City, asyncpg.Pool]
    bootstrap: str
    plan: BloodPlan
    keys: KeyRegistry
    notes: list[str] = field(default_factory=list)

    def __getitem__(self, city: City) -> BloodCity:
        return self.cq if city == "cq" else self.cd

    async def settle(self, timeout: float = 120) -> None:
        groups = [self[c].settings.consumer_group for c in CITIES]
        await bus_settled(self.bootstrap, TOPICS, groups, list(self.pools.values()), timeout)


@pytest.fixture
async def world(tmp_path: Path, postgres: LocalPostgres) -> AsyncIterator[World]:
    plan = blood_plan(SEED, end=datetime.now(UTC) - timedelta(minutes=5), days=14)
    keys = blood_key_files(tmp_path / "keys")
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
                yield World(cq, cd, pools, cluster.bootstrap_servers, plan, registry)
            finally:
                for pool in pools.values():
                    await pool.close()


@contextlib.contextmanager
def timed(world: World, what: str) -> Iterator[None]:
    start = time.monotonic()
    yield
    world.notes.append(f"{what}: {time.monotonic() - start:.1f}s")


# ---- the history ---------------------------------------------------------------------


async def report(world: World, step: Step) -> None:
    """One reported movement; an expiry the service's sweep recorded first is fine."""
    answer = await world[step.city].move(step.din, step.kind, step.at.isoformat())
    if answer.status_code == 409 and step.kind == "expire":
        unit = await world[step.city].unit(step.din)
        assert unit and unit["own"]["state"] == "expired", answer.text
        return
    assert answer.status_code == 200, f"{step}: {answer.text}"


async def replay(world: World) -> None:
    """The plan day by day: each city's collections of a day in one batch (before any
    movement later that day), its other movements one by one, in time order."""
    for day in world.plan.days():
        for city in CITIES:
            rows = [
                s.row(line)
                for line, s in enumerate(
                    (x for x in day if x.city == city and x.kind == "collect"), 2
                )
            ]
            if rows:
                report_ = await world[city].import_units(rows)
                assert report_["recorded"] == len(rows) and not report_["rejected"], report_
        moves = [s for s in day if s.kind != "collect"]
        for city in CITIES:
            mine = [s for s in moves if s.city == city]
            await in_chunks([partial(report, world, s) for s in mine], 1)


# ---- the saga --------------------------------------------------------------------------


async def stock_lows(world: World) -> list[dict[str, object]]:
    """Every stock-low on the bus (each published once by its city)."""
    found = {}
    for record in await read_all(world.bootstrap, LEVEL_TOPIC):
        event = json.loads(record.value)
        if event["type"].endswith("stock-low.v1"):
            found[event["data"]["request_id"]] = event["data"]
    return list(found.values())


async def offers_of(world: World, city: City, request_id: str) -> list[View]:
    """The offers the low ``city`` sees on its request (waits for at least one)."""

    async def seen() -> list[View]:
        request = await world[city].request(request_id)
        found: list[View] = [] if request is None else request["offers"]
        return found

    offers = await wait_for(seen, bool, timeout=60)
    return offers


async def dispatch_with_a_kill(
    world: World, supplier: City, request_id: str, offer_id: str
) -> View:
    """SIGKILL ``supplier`` while its dispatch is in flight, restart, re-send with the same
    Idempotency-Key: one shipment, the units moved once."""
    key = str(uuid.uuid4())
    sent = asyncio.create_task(world[supplier].dispatch(request_id, offer_id, "LOG-K", key))
    await asyncio.sleep(0.02)
    answered = sent.done()
    await world[supplier].kill()
    with contextlib.suppress(httpx.TransportError):
        await sent
    await world[supplier].start()
    again = await world[supplier].dispatch(request_id, offer_id, "LOG-K", key)
    assert again.status_code in (200, 201), again.text
    world.notes.append(f"{supplier} killed mid-dispatch (answered before the kill: {answered})")
    body: View = again.json()
    return body


async def answer_every_stock_low(world: World) -> None:
    lows = await stock_lows(world)
    assert {low["city"] for low in lows} == set(CITIES), lows
    killed: set[City] = set()
    breach_done = False
    for low in lows:
        city: City = low["city"]  # type: ignore[assignment]
        supplier = other(city)
        request_id = str(low["request_id"])
        offers = await offers_of(world, city, request_id)
        for offer in offers:
            await world[city].accept(request_id, offer["offer_id"])
            await world.settle()
            if supplier not in killed:
                killed.add(supplier)
                shipment = await dispatch_with_a_kill(
                    world, supplier, request_id, offer["offer_id"]
                )
            else:
                sent = await world[supplier].dispatch(request_id, offer["offer_id"], "LOG-1")
                assert sent.status_code == 201, sent.text
                shipment = sent.json()
            await world.settle()
            await check_places(world)
            warmest = 80 if not breach_done else 45
            breach_done = True
            await world[city].receive(shipment["shipment_id"], 20, warmest)
            await world.settle()
    world.notes.append(f"{len(lows)} stock-lows answered")


# ---- the invariants --------------------------------------------------------------------


async def rows(world: World) -> dict[City, list[asyncpg.Record]]:
    return {
        c: await world.pools[c].fetch(
            "SELECT din, state, collected_in, shipment_id FROM blood_unit"
        )
        for c in CITIES
    }


async def check_places(world: World) -> Counter[tuple[City, str]]:
    """Every unit in exactly one place; the census by collecting city and place."""
    in_transit = {s["shipment_id"] for c in CITIES for s in await world[c].shipments("in-transit")}
    by_din: dict[str, list[tuple[City, asyncpg.Record]]] = {}
    for city, found in (await rows(world)).items():
        for r in found:
            by_din.setdefault(r["din"], []).append((city, r))
    census: Counter[tuple[City, str]] = Counter()
    for din, held in by_din.items():
        stocked = [(c, r) for c, r in held if r["state"] in IN_STOCK]
        gone = [(c, r) for c, r in held if r["state"] in GONE]
        moving = [(c, r) for c, r in held if r["state"] == "in-transit"]
        assert len(stocked) + len(gone) <= 1, (din, held)
        collected_in: City = held[0][1]["collected_in"]
        if stocked or gone:
            place = "in stock" if stocked else (stocked or gone)[0][1]["state"]
            for _, r in moving:
                assert r["shipment_id"] not in in_transit, (din, held)
        else:
            assert len(moving) == 1 and moving[0][1]["shipment_id"] in in_transit, (din, held)
            place = "in transit"
        census[(collected_in, place)] += 1
    return census


def assert_conserved(world: World, census: Counter[tuple[City, str]]) -> None:
    planned = world.plan.counts()
    for city in CITIES:
        held = sum(n for (c, _), n in census.items() if c == city)
        assert held == planned[(city, "collect")], (city, census)
        assert census[(city, "discarded")] == planned[(city, "discard")]
        assert census[(city, "issued")] == planned[(city, "issue")]
    assert sum(census.values()) == sum(planned[(c, "collect")] for c in CITIES)


async def deliver_everything_again(world: World) -> None:
    count = await redelivery.deliver_everything_again(
        world.bootstrap, TOPICS, world.pools, world.settle
    )
    world.notes.append(f"{count} records delivered a second time")


async def assert_nothing_dead_lettered(world: World) -> None:
    await redelivery.assert_nothing_dead_lettered(world.bootstrap, TOPICS, world.pools)


async def assert_blood_invariants_hold(world: World) -> None:
    """The audit's blood-dispatch invariants, recomputed from the bus alone (the second
    delivery included): every unit in one place, every shipment received in full."""
    found = await invariant_violations(
        world.bootstrap, domain_topics("blood"), world.keys, datetime.now(UTC)
    )
    assert found == [], [f"{v.invariant} at {v.at}: {v.message}" for v in found[:5]]


async def test_every_stock_low_is_answered_and_every_unit_is_in_one_place(world: World) -> None:
    started = time.monotonic()
    with timed(world, f"{len(world.plan.steps)} movements reported"):
        await replay(world)
        await world.settle()
    census = await check_places(world)
    assert_conserved(world, census)
    with timed(world, "stock-lows answered, shipments received"):
        await answer_every_stock_low(world)
    quarantined = 0
    for c in CITIES:
        sql = "SELECT count(*) FROM blood_unit WHERE state = 'quarantined'"
        quarantined += await world.pools[c].fetchval(sql)
    assert quarantined > 0
    with timed(world, "duplicate delivery"):
        await deliver_everything_again(world)
    census = await check_places(world)
    assert_conserved(world, census)
    await assert_nothing_dead_lettered(world)
    await assert_blood_invariants_hold(world)
    print(
        f"\ncensus {dict(census)}; total {time.monotonic() - started:.1f}s", *world.notes, sep="\n"
    )
