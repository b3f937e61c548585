"""blood-dispatch: the time from a stock movement that makes one city's line cross into
orange to the other city's offer being visible to the first, and the level computation
over 10,000 units of one centre.

    uv run python -m benchmarks.blood_dispatch          # from the workspace root, ~2-3 min
    uv run python -m benchmarks.blood_dispatch --help   # --batches, --background, --skip-*

1. **stock-low -> offer latency.** It starts its own single-node KRaft Kafka, embedded
   PostgreSQL and the local OIDC provider in a temporary folder on free ports, applies
   ``deploy/topics.yaml`` (and the project's ACLs: each process runs as its centre's
   principal), and runs **both cities' service processes** (``python -m chengyu_kit.run
   chengyu_blood_dispatch``, as ``tests/support/blood.py`` starts them for the end-to-end
   test), each on a fresh database. Chongqing (A) is seeded, per line of red cells,
   platelets, plasma and cryoprecipitate (32 lines), with 14 units issued over the
   trailing days (reported with ``at``) and just enough usable units that the line is
   green or yellow and **one more issue makes it orange** (computed with the service's own
   ``levels.supply_of`` under the default policy). Chengdu (B) holds 30 fresh units on
   each of these lines and issues nothing there (green, all spare). Whole blood is the
   background: in both cities a steady stream of collections and issues of whole-blood
   units over HTTP (``--background`` movements per second per city) runs all along.
   Then, one line at a time in random order, A's clerk issues one unit of the line
   (``POST /units/{din}/issue``): the line crosses into orange and A publishes
   ``blood.stock-low``; B answers with an offer (``offers.plan_offer``, units reserved,
   ``BloodDispatchOffered``); the latency is from the issuing request's answer to the
   moment A's ``GET /requests/{request_id}`` (the stock-low's request id) shows an offer,
   polled every 10 ms. After each batch A's ``GET /stock`` is checked: every crossed line
   orange with that request id. ``--batches`` repeats it with fresh databases and
   processes (same Kafka): 32 crossings per batch.
2. **level computation, 10,000 units.** In process, on embedded PostgreSQL (no Kafka):
   the service's runtime on a fresh database (``serve_without_bus``, FixedClock),
   10,000 units of one centre over the 40 lines (COPY: collected over the last 30 days,
   about a quarter issued, spread over the trailing window and before it, expired units
   expired), ``ANALYZE``; then ``stock_levels.usecases.recompute_all`` (every line: lock,
   usable units, issues in the window, save; what the periodic job runs) and
   ``recompute_lines`` of one line (what every movement runs), each timed
   ``--repetitions`` times after a warm-up.

Prints the figures and writes ``benchmarks/results/blood_dispatch.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import random
import statistics
import tempfile
import time
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks._infrastructure import ROOT, identity_provider, kafka_and_postgres, save_report
from chengyu_blood_dispatch.blood_groups import ABOS, PRODUCTS, RHDS, STOCK_KEYS, Product, StockKey
from chengyu_blood_dispatch.levels import severity, supply_of
from chengyu_blood_dispatch.policy import CityPolicy
from chengyu_blood_dispatch.service import SERVICE
from chengyu_blood_dispatch.stock_levels.usecases import (
    low_request_id,
    recompute_all,
    recompute_lines,
)
from chengyu_contracts.cities import City
from chengyu_kit.clock import FixedClock
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.testing.stand_in import serve_without_bus, settings_for
from tests.support.blood import (
    BloodCity,
    blood_key_files,
    both_cities_settings,
    in_chunks,
    running_city,
)
from tests.support.identity import use_provider
from tests.support.kafka_io import apply_project_topics

RESULTS = ROOT / "benchmarks" / "results" / "blood_dispatch.json"
LOW: City = "cq"  # the city whose lines cross into orange (A)
SUPPLIER: City = "cd"  # the city that offers (B)
FACILITY: dict[City, str] = {"cq": "X9990", "cd": "X9991"}  # the placeholder FINs
CROSSING_PRODUCTS = ("red-cells", "platelets", "plasma", "cryo")
BACKGROUND_PRODUCT: Product = "whole-blood"
ISSUED_BEFORE = 14  # units issued on a crossing line in the trailing window
SUPPLIER_UNITS = 30  # B's units per crossing line
BACKGROUND_UNITS = 60  # whole-blood units per group seeded in each city
POLL_SECONDS = 0.01
# The default policy of both cities (the processes run the service's default book).
POLICY = CityPolicy("cq", date(2020, 1, 1))
# No provider runs for the in-process part: nothing there checks a token.
UNUSED_ISSUERS = {"cq": "http://127.0.0.1:9/cq", "cd": "http://127.0.0.1:9/cd"}


def figures(seconds: Sequence[float]) -> dict[str, Any]:
    """Count, median, p95, p99 and max of ``seconds``, in milliseconds."""
    ordered = sorted(seconds)
    if len(ordered) < 2:
        return {"count": len(ordered)}
    centiles = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "count": len(ordered),
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(centiles[94] * 1000, 1),
        "p99_ms": round(centiles[98] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def show(name: str, result: dict[str, Any]) -> None:
    """One line of figures."""
    print(
        f"  {name:<34} n={result['count']:<4} median {result['median_ms']:8.1f} ms"
        f"  p95 {result['p95_ms']:8.1f} ms  p99 {result['p99_ms']:8.1f} ms"
        f"  max {result['max_ms']:8.1f} ms",
        flush=True,
    )


def load() -> list[float]:
    """The machine's load averages (1, 5, 15 min)."""
    return [round(x, 2) for x in os.getloadavg()]


# ---- 1. stock-low -> offer -------------------------------------------------------------------


def usable_to_seed(key: StockKey) -> int:
    """The fewest usable units beside ``ISSUED_BEFORE`` issues that keep ``key`` out of
    orange, such that one more issue takes it into orange (not red)."""
    for usable in range(1, 200):
        now = supply_of(key, usable, ISSUED_BEFORE, POLICY).level
        after = supply_of(key, usable - 1, ISSUED_BEFORE + 1, POLICY).level
        if severity(now) < severity("orange") and after == "orange":
            return usable
    raise AssertionError(f"no seed makes {key} cross into orange with one issue")


@dataclass
class Dins:
    """DINs of one city's placeholder facility, numbered on."""

    city: City
    next: int

    def take(self) -> str:
        self.next += 1
        return f"{FACILITY[self.city]}26{self.next:06d}"


def unit_row(
    din: str, key: StockKey, collected: datetime, *, at: datetime | None
) -> dict[str, Any]:
    """A collected unit as ``POST /units`` or a batch row takes it."""
    expires = collected + POLICY.shelf_life(key.product) - timedelta(hours=1)
    row: dict[str, Any] = {
        "din": din,
        "product": key.product,
        "abo": key.abo,
        "rhd": key.rhd,
        "collected_at": collected.isoformat(),
        "expires_at": expires.isoformat(),
    }
    if at is not None:
        row["at"] = at.isoformat()
    return row


async def import_all(city: BloodCity, rows: list[dict[str, Any]]) -> None:
    """``POST /units/batch`` in batches of 1,000 (the import command's size)."""
    for first in range(0, len(rows), 1000):
        batch = [{**row, "line": n} for n, row in enumerate(rows[first : first + 1000], 2)]
        report = await city.import_units(batch)
        assert report["recorded"] == len(batch) and not report["rejected"], report


async def issue(city: BloodCity, din: str, at: datetime | None = None) -> None:
    """Issue ``din`` (reported at ``at``, or now)."""
    answer = await city.move(din, "issue", None if at is None else at.isoformat())
    assert answer.status_code == 200, f"{city.city} issue {din}: {answer.text}"


@dataclass
class Seeded:
    """What a batch's seed left: A's usable DINs per crossing line, and each city's
    whole-blood DINs for the background issues."""

    usable: dict[StockKey, list[str]]
    background: dict[City, deque[str]]


async def seed(cities: dict[City, BloodCity], dins: dict[City, Dins]) -> Seeded:
    """A's crossing lines just above orange, B's lines green with spare units, whole blood
    in both cities."""
    now = datetime.now(UTC)
    crossing = [k for k in STOCK_KEYS if k.product in CROSSING_PRODUCTS]
    a_rows: list[dict[str, Any]] = []
    to_issue: list[tuple[str, datetime]] = []
    usable: dict[StockKey, list[str]] = {}
    # A: collected four days ago (platelets keep five), issued over the last 3.8 days.
    collected = now - timedelta(days=4)
    for key in crossing:
        usable[key] = []
        for n in range(ISSUED_BEFORE + usable_to_seed(key)):
            din = dins[LOW].take()
            a_rows.append(unit_row(din, key, collected, at=collected))
            if n < ISSUED_BEFORE:
                at = collected + timedelta(hours=2) + n * timedelta(days=3.8) / ISSUED_BEFORE
                to_issue.append((din, at))
            else:
                usable[key].append(din)
    # B: fresh units (an hour old: the remaining shelf life on arrival holds).
    fresh = now - timedelta(hours=1)
    b_rows = [
        unit_row(dins[SUPPLIER].take(), key, fresh, at=fresh)
        for key in crossing
        for _ in range(SUPPLIER_UNITS)
    ]
    background: dict[City, deque[str]] = {}
    for city in (LOW, SUPPLIER):
        rows = [
            unit_row(dins[city].take(), StockKey(BACKGROUND_PRODUCT, abo, rhd), fresh, at=fresh)
            for abo in ABOS
            for rhd in RHDS
            for _ in range(BACKGROUND_UNITS)
        ]
        random.shuffle(rows)
        background[city] = deque(row["din"] for row in rows)
        (a_rows if city == LOW else b_rows).extend(rows)
    await asyncio.gather(import_all(cities[LOW], a_rows), import_all(cities[SUPPLIER], b_rows))
    to_issue.sort(key=lambda pair: pair[1])
    await in_chunks([partial(issue, cities[LOW], din, at) for din, at in to_issue], 8)
    return Seeded(usable, background)


@dataclass
class Background:
    """A steady stream of whole-blood movements in one city: a collection and an issue in
    turn, ``rate`` a second."""

    city: BloodCity
    dins: Dins
    stock: deque[str]
    rate: float
    done: int = 0
    failed: list[str] = field(default_factory=list)

    async def run(self) -> None:
        started = time.perf_counter()
        groups = [StockKey(BACKGROUND_PRODUCT, abo, rhd) for abo in ABOS for rhd in RHDS]
        while True:
            delay = started + self.done / self.rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if self.done % 2 == 0:
                din = self.dins.take()
                row = unit_row(
                    din, random.choice(groups), datetime.now(UTC) - timedelta(hours=1), at=None
                )
                answer = await self.city.call("POST", "/units", row)
                if answer.status_code == 201:
                    self.stock.append(din)
            else:
                din = self.stock.popleft()
                answer = await self.city.move(din, "issue")
            if answer.status_code not in (200, 201):
                self.failed.append(f"{answer.status_code} {answer.text[:200]}")
            self.done += 1


@contextlib.asynccontextmanager
async def background(
    cities: dict[City, BloodCity], dins: dict[City, Dins], seeded: Seeded, rate: float
) -> AsyncIterator[list[Background]]:
    """Both cities' background streams, running while the block runs."""
    streams = [Background(cities[c], dins[c], seeded.background[c], rate) for c in (LOW, SUPPLIER)]
    tasks = [asyncio.create_task(s.run()) for s in streams] if rate > 0 else []
    try:
        yield streams
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


@dataclass(frozen=True)
class Crossing:
    """One line made to cross into orange and what A saw of B's offer."""

    key: StockKey
    request_id: str
    issue_seconds: float
    offer_seconds: float
    units_offered: int


async def cross(a: BloodCity, key: StockKey, din: str, timeout: float = 60) -> Crossing:
    """Issue ``din`` of ``key`` in A; poll A's request until an offer shows."""
    request_id = low_request_id(LOW, key, 1)
    sent = time.perf_counter()
    await issue(a, din)
    answered = time.perf_counter()
    while True:
        request = await a.request(request_id)
        if request is not None and request["offers"]:
            seen = time.perf_counter()
            break
        if time.perf_counter() - answered > timeout:
            raise AssertionError(f"no offer for {request_id} within {timeout} s: {request}")
        await asyncio.sleep(POLL_SECONDS)
    units = sum(len(offer["units"]) for offer in request["offers"])
    return Crossing(key, request_id, answered - sent, seen - answered, units)


async def check_lows(a: BloodCity, crossings: Sequence[Crossing]) -> None:
    """A's ``GET /stock`` shows every crossed line orange (or worse) with its request."""
    stock = await a.stock()
    own = next(c for c in stock["cities"] if c["city"] == LOW and c["source"] == "own")
    lines = {(x["product"], x["abo"], x["rhd"]): x for x in own["lines"]}
    for crossing in crossings:
        line = lines[(crossing.key.product, crossing.key.abo, crossing.key.rhd)]
        assert line["level"] in ("orange", "red"), line
        assert line["low_request_id"] == crossing.request_id, line


async def batch(
    folder: Path, bootstrap: str, postgres: LocalPostgres, number: int, args: argparse.Namespace
) -> dict[str, Any]:
    """Fresh databases and processes; seed; cross every line under the background."""
    keys = blood_key_files(folder / f"keys-{number}")
    settings = await both_cities_settings(postgres, kafka=bootstrap, keys=keys)
    settings = {
        c: s.model_copy(update={"log_level": "warning", "otel_traces_exporter": "none"})
        for c, s in settings.items()
    }
    dins = {c: Dins(c, number * 100_000) for c in (LOW, SUPPLIER)}
    async with running_city(settings[LOW]) as a, running_city(settings[SUPPLIER]) as b:
        cities = {LOW: a, SUPPLIER: b}
        started = time.perf_counter()
        seeded = await seed(cities, dins)
        seed_seconds = time.perf_counter() - started
        print(f"batch {number}: seeded in {seed_seconds:.1f} s", flush=True)
        order = list(seeded.usable)
        random.shuffle(order)
        crossings: list[Crossing] = []
        async with background(cities, dins, seeded, args.background) as streams:
            await asyncio.sleep(2)  # the background reaches its pace
            began = time.perf_counter()
            for key in order:
                crossings.append(await cross(a, key, seeded.usable[key][0]))
                await asyncio.sleep(random.uniform(0.2, 0.5))
            elapsed = time.perf_counter() - began
        await check_lows(a, crossings)
        movements = sum(s.done for s in streams)
        failures = [f for s in streams for f in s.failed]
    assert not failures, failures[:5]
    offer = figures([c.offer_seconds for c in crossings])
    show(f"batch {number}: issue answer -> offer", offer)
    return {
        "seed_seconds": round(seed_seconds, 1),
        "crossings": [
            {
                "line": str(c.key),
                "request_id": c.request_id,
                "issue_ms": round(c.issue_seconds * 1000, 1),
                "offer_ms": round(c.offer_seconds * 1000, 1),
                "units_offered": c.units_offered,
            }
            for c in crossings
        ],
        "background_movements": movements,
        "background_per_second_both_cities": round(movements / (elapsed + 2), 1),
        "offer": offer,
    }


async def stock_low_to_offer(
    folder: Path, bootstrap: str, postgres: LocalPostgres, args: argparse.Namespace
) -> dict[str, Any]:
    """Part 1 over ``args.batches`` batches."""
    await apply_project_topics(bootstrap)
    async with identity_provider(folder) as provider:
        use_provider(provider)
        batches = [
            await batch(folder, bootstrap, postgres, n, args) for n in range(1, args.batches + 1)
        ]
    every = [c for b in batches for c in b["crossings"]]
    offer = figures([c["offer_ms"] / 1000 for c in every])
    issue_answer = figures([c["issue_ms"] / 1000 for c in every])
    print("stock-low -> offer, all batches:", flush=True)
    show("issue request (send -> answer)", issue_answer)
    show("issue answer -> offer seen by A", offer)
    return {
        "batches": batches,
        "issue_request": issue_answer,
        "offer": offer,
        "background_per_second_per_city": args.background,
        "lines_per_batch": len(batches[0]["crossings"]) if batches else 0,
    }


# ---- 2. the level computation ----------------------------------------------------------------

LEVELS_NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def unit_records(count: int, rng: random.Random) -> tuple[list[tuple[Any, ...]], list[Any]]:
    """``count`` units of Chongqing's centre over every line (blood_unit rows) and their
    movements (unit_movement rows): collected over the last 30 days; about a quarter issued
    (at a random time after collection, before now), the rest available or expired."""
    units: list[tuple[Any, ...]] = []
    movements: list[tuple[Any, ...]] = []
    weights = {"O": 30, "A": 28, "B": 30, "AB": 12}
    for n in range(count):
        product = rng.choice(PRODUCTS)
        abo = rng.choices(ABOS, weights=[weights[a] for a in ABOS])[0]
        rhd = "neg" if rng.random() < 0.05 else "pos"
        collected = LEVELS_NOW - timedelta(days=rng.uniform(0.1, 30))
        expires = collected + POLICY.shelf_life(product) - timedelta(hours=1)
        din = f"X999026{n:06d}"
        movements.append(
            (din, 1, "collected", "available", product, abo, rhd, collected, None, None, None)
        )
        if rng.random() < 0.27:
            at = collected + (min(expires, LEVELS_NOW) - collected) * rng.random()
            state, sequence = "issued", 2
            movements.append((din, 2, "issued", state, product, abo, rhd, at, None, None, None))
        elif expires <= LEVELS_NOW:
            at, state, sequence = expires, "expired", 2
            movements.append((din, 2, "expired", state, product, abo, rhd, at, None, None, None))
        else:
            at, state, sequence = collected, "available", 1
        # no reservation, shipment or destination; updated by nobody
        units.append(
            (
                din,
                product,
                abo,
                rhd,
                collected,
                expires,
                "cq",
                state,
                None,
                None,
                None,
                sequence,
                at,
                None,
            )
        )
    return units, movements


async def level_computation(postgres: LocalPostgres, args: argparse.Namespace) -> dict[str, Any]:
    """Part 2 on a fresh database of ``postgres``."""
    rng = random.Random(args.seed)
    await postgres.ensure_database("blood_levels_bench")
    with tempfile.TemporaryDirectory(prefix="chengyu-bench-blood-keys-") as keys:
        settings = settings_for(
            SERVICE,
            "cq",
            database_url=postgres.dsn("blood_levels_bench"),
            key_folder=Path(keys),
            issuers=UNUSED_ISSUERS,
            log_level="warning",
        )
        async with serve_without_bus(SERVICE, settings, clock=FixedClock(LEVELS_NOW)) as (
            _client,
            runtime,
        ):
            units, movements = unit_records(args.units, rng)
            started = time.perf_counter()
            async with runtime.pool.acquire() as conn, conn.transaction():
                await conn.copy_records_to_table("blood_unit", records=units)
                await conn.copy_records_to_table("unit_movement", records=movements)
            await runtime.pool.execute("ANALYZE blood_unit")
            await runtime.pool.execute("ANALYZE unit_movement")
            fill_seconds = time.perf_counter() - started
            states: dict[str, int] = {}
            for row in units:
                states[row[7]] = states.get(row[7], 0) + 1
            window_start = LEVELS_NOW - timedelta(days=POLICY.issue_window_days)
            in_window = sum(1 for m in movements if m[2] == "issued" and m[7] > window_start)
            print(
                f"{len(units)} units ({states}, {in_window} issued in the window)"
                f" written in {fill_seconds:.1f} s",
                flush=True,
            )
            book = runtime.policy
            await recompute_all(runtime, book)  # warm-up: first computation, level events
            every: list[float] = []
            for _ in range(args.repetitions):
                started = time.perf_counter()
                await recompute_all(runtime, book)
                every.append(time.perf_counter() - started)
            busiest = StockKey("red-cells", "O", "pos")
            one: list[float] = []
            for _ in range(args.repetitions):
                started = time.perf_counter()
                async with runtime.unit() as unit:
                    await recompute_lines(unit, [busiest], book)
                one.append(time.perf_counter() - started)
            levels = await runtime.pool.fetch(
                "SELECT level, count(*) AS n FROM level_state GROUP BY level"
            )
    all_lines, one_line = figures(every), figures(one)
    print("level computation:", flush=True)
    show(f"all {len(STOCK_KEYS)} lines (recompute_all)", all_lines)
    show("one line (recompute_lines)", one_line)
    return {
        "units": len(units),
        "states": states,
        "issued_in_window": in_window,
        "fill_seconds": round(fill_seconds, 2),
        "levels": {r["level"]: r["n"] for r in levels},
        "all_lines": all_lines,
        "one_line": {"line": str(busiest), **one_line},
    }


# ---- the run -------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start what each part needs, run it, stop everything."""
    random.seed(args.seed)
    report: dict[str, Any] = {
        "environment": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "load_at_start": load(),
        }
    }
    if not args.skip_latency:
        async with kafka_and_postgres("chengyu-bench-blood-") as (folder, cluster, postgres):
            bootstrap = cluster.bootstrap_servers
            report["stock_low_to_offer"] = await stock_low_to_offer(
                folder, bootstrap, postgres, args
            )
            if not args.skip_levels:
                report["level_computation"] = await level_computation(postgres, args)
    elif not args.skip_levels:
        with tempfile.TemporaryDirectory(prefix="chengyu-bench-blood-") as tmp:
            postgres = LocalPostgres(Path(tmp) / "pg")
            await asyncio.to_thread(postgres.start)
            try:
                report["level_computation"] = await level_computation(postgres, args)
            finally:
                await asyncio.to_thread(postgres.stop)
    report["environment"]["load_at_end"] = load()
    print(f"load average at start {report['environment']['load_at_start']}, at end {load()}")
    return report


def main() -> None:
    """Run the benchmark, print the figures and write them as JSON."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--batches",
        type=int,
        default=1,
        help="fresh databases and processes, 32 lines each (more than 1: see the README)",
    )
    parser.add_argument(
        "--background", type=float, default=4.0, help="whole-blood movements/s per city"
    )
    parser.add_argument("--units", type=int, default=10_000, help="units for the levels")
    parser.add_argument("--repetitions", type=int, default=30, help="timed level computations")
    parser.add_argument("--seed", type=int, default=20261210)
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-levels", action="store_true")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    started = time.perf_counter()
    report = asyncio.run(run(args))
    save_report(report, args.results, started)
    print(f"written to {args.results}")


if __name__ == "__main__":
    main()
