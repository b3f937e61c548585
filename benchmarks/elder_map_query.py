"""elder-allowance: the institution map query over 5,000 institutions of both cities.

    uv run python -m benchmarks.elder_map_query          # ~1 min
    uv run python -m benchmarks.elder_map_query --help   # --institutions, --repetitions

Starts an embedded PostgreSQL in a temporary folder (no Kafka: the query reads only this
city's database), migrates a fresh database with the service's migrations, and fills the
map with ``--institutions`` institutions, 60 % Chongqing and 40 % Chengdu (each city's
published versions as the other city keeps them, ``store.keep_if_newer``), most clustered
around the city centres and the rest spread over the municipality, 5 % closed; then
``ANALYZE``. It then times, one at a time, ``--repetitions`` of each query:

1. **near**: within 20 km of a random point near one of the two city centres, sorted by
   distance, a page of 50 (``near=...&within_km=20&sort=distance&page_size=50``);
2. **district**: one random district and ``min_grade=3``, sorted by grade, a page of 50;

each through the service's query function (``usecases.map_page``: one SQL statement on a
pooled connection, rows to the domain) and through the real app in process
(``GET /institutions?...`` and ``GET /institutions.geojson?...``: FastAPI, the kit's route
class, JSON, over httpx's ASGI transport, no TCP; the routes are public, so no token).
Prints median, p90 and p99 and writes ``benchmarks/results/elder_map_query.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

from benchmarks._infrastructure import ROOT, save_report
from chengyu_contracts.cities import City
from chengyu_contracts.city_bounds import CITY_BOUNDS
from chengyu_elder_allowance.institutions import store, usecases
from chengyu_elder_allowance.institutions.institution import CITY_CENTRES, Institution
from chengyu_elder_allowance.institutions.query import parse_query
from chengyu_elder_allowance.service import SERVICE
from chengyu_kit.clock import FixedClock
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.testing.stand_in import serve_without_bus, settings_for
from chengyu_kit.unit import Unit

NOW = datetime(2026, 10, 15, 4, 0, tzinfo=UTC)
RESULTS = ROOT / "benchmarks" / "results" / "elder_map_query.json"
DISTRICTS: dict[City, tuple[str, ...]] = {
    "cq": tuple(f"5001{n:02d}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 15, 16)),
    "cd": tuple(f"5101{n:02d}" for n in (4, 5, 6, 7, 8, 12, 13, 14, 15, 16, 17, 18)),
}
# No provider runs: public routes never verify a token, so these are never contacted.
UNUSED_ISSUERS = {"cq": "http://127.0.0.1:9/cq", "cd": "http://127.0.0.1:9/cd"}


def institutions(count: int, rng: random.Random) -> list[Institution]:
    """``count`` institutions, 60 % Chongqing, 70 % of each city's within ~25 km of its
    centre (Gaussian), the rest anywhere in its box."""
    made: list[Institution] = []
    for serial in range(count):
        city: City = "cq" if rng.random() < 0.6 else "cd"
        box, centre = CITY_BOUNDS[city], CITY_CENTRES[city]
        if rng.random() < 0.7:
            latitude = min(max(rng.gauss(centre.latitude, 0.2), box.south), box.north)
            longitude = min(max(rng.gauss(centre.longitude, 0.2), box.west), box.east)
        else:
            latitude = rng.uniform(box.south, box.north)
            longitude = rng.uniform(box.west, box.east)
        beds = rng.randrange(20, 600)
        made.append(
            Institution(
                institution_id=f"{city}-bench-{serial:05d}",
                city=city,
                version=1,
                name=f"养老机构 {serial:05d}",
                district=rng.choice(DISTRICTS[city]),
                address=f"某街道 {serial} 号",
                latitude_e6=round(latitude * 1e6),
                longitude_e6=round(longitude * 1e6),
                grade=rng.choice((None, 1, 2, 3, 3, 4, 5)),
                beds=beds,
                nursing_beds=rng.randrange(0, beds + 1),
                vacancies=rng.choice((0, rng.randrange(0, beds + 1))),
                phone=f"023-{serial:08d}",
                closed=rng.random() < 0.05,
                updated_on=date(2026, 10, 15),
            )
        )
    return made


def near_parameters(rng: random.Random) -> dict[str, str]:
    """Within 20 km of a point up to ~10 km from a random city centre, nearest first."""
    centre = CITY_CENTRES[rng.choice(("cq", "cd"))]
    latitude = centre.latitude + rng.uniform(-0.09, 0.09)
    longitude = centre.longitude + rng.uniform(-0.09, 0.09)
    return {
        "near": f"{latitude:.5f},{longitude:.5f}",
        "within_km": "20",
        "sort": "distance",
        "page_size": "50",
    }


def district_parameters(rng: random.Random) -> dict[str, str]:
    """One random district of either city, grade 三级 or better, highest first."""
    city: City = rng.choice(("cq", "cd"))
    return {
        "district": rng.choice(DISTRICTS[city]),
        "min_grade": "3",
        "sort": "grade",
        "page_size": "50",
    }


def figures(latencies: list[float]) -> dict[str, float]:
    """Median, p90 and p99 of ``latencies`` (seconds) in milliseconds."""
    ordered = sorted(latencies)
    centiles = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "count": len(ordered),
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p90_ms": round(centiles[89] * 1000, 3),
        "p99_ms": round(centiles[98] * 1000, 3),
        "max_ms": round(ordered[-1] * 1000, 3),
    }


async def timed(
    repetitions: int,
    parameters: Callable[[random.Random], dict[str, str]],
    once: Callable[[dict[str, str]], Awaitable[int]],
    rng: random.Random,
) -> dict[str, Any]:
    """Run ``once`` for ``repetitions`` random parameter sets (after 50 warm-up runs);
    the latency figures and the mean page length."""
    for _ in range(50):
        await once(parameters(rng))
    latencies: list[float] = []
    items = 0
    for _ in range(repetitions):
        chosen = parameters(rng)
        started = time.perf_counter()
        items += await once(chosen)
        latencies.append(time.perf_counter() - started)
    return {**figures(latencies), "mean_items": round(items / repetitions, 1)}


async def fill(runtime: ServiceRuntime, made: list[Institution]) -> float:
    """Write ``made`` into the map (one transaction) and ANALYZE; the seconds it took."""
    started = time.perf_counter()
    async with runtime.pool.acquire() as conn, conn.transaction():
        for institution in made:
            await store.keep_if_newer(conn, institution)
    await runtime.pool.execute("ANALYZE institution")
    return time.perf_counter() - started


def use_case(runtime: ServiceRuntime) -> Callable[[dict[str, str]], Awaitable[int]]:
    """One query through ``usecases.map_page`` on a pooled connection (as a GET route)."""

    async def once(raw: dict[str, str]) -> int:
        async with runtime.pool.acquire() as conn:
            unit = Unit(
                conn=conn,
                now=NOW,
                city="cd",
                person_ref_key=runtime.settings.person_ref_hmac_key(),
                issuer=runtime.issuer,
            )
            page = await usecases.map_page(parse_query(dict(raw)), unit)
        return len(page.items)

    return once


def over_http(
    client: httpx.AsyncClient, path: str, key: str
) -> Callable[[dict[str, str]], Awaitable[int]]:
    """One ``GET path?...`` of the app in process; the number of ``key`` entries."""

    async def once(raw: dict[str, str]) -> int:
        answer = await client.get(path, params=raw)
        answer.raise_for_status()
        return len(answer.json()[key])

    return once


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start PostgreSQL, fill the map, time the queries, stop."""
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="chengyu-bench-map-") as tmp:
        folder = Path(tmp)
        postgres = LocalPostgres(folder / "pg")
        await asyncio.to_thread(postgres.start)
        try:
            await postgres.ensure_database("map_bench")
            settings = settings_for(
                SERVICE,
                "cd",
                database_url=postgres.dsn("map_bench"),
                key_folder=folder / "keys",
                issuers=UNUSED_ISSUERS,
                log_level="warning",
            )
            async with serve_without_bus(SERVICE, settings, clock=FixedClock(NOW)) as (
                client,
                runtime,
            ):
                made = institutions(args.institutions, rng)
                fill_seconds = await fill(runtime, made)
                print(f"{len(made)} institutions written in {fill_seconds:.1f} s", flush=True)
                results: dict[str, Any] = {}
                for name, parameters in (
                    ("near", near_parameters),
                    ("district", district_parameters),
                ):
                    for way, once in (
                        ("use case", use_case(runtime)),
                        ("HTTP /institutions", over_http(client, "/institutions", "items")),
                        (
                            "HTTP /institutions.geojson",
                            over_http(client, "/institutions.geojson", "features"),
                        ),
                    ):
                        result = await timed(args.repetitions, parameters, once, rng)
                        results[f"{name}, {way}"] = result
                        print(
                            f"{name:>8}, {way:<27} median {result['median_ms']:6.2f} ms"
                            f"  p90 {result['p90_ms']:6.2f} ms  p99 {result['p99_ms']:6.2f} ms"
                            f"  ({result['count']} queries, {result['mean_items']} items each)",
                            flush=True,
                        )
        finally:
            await asyncio.to_thread(postgres.stop)
    return {
        "setup": {
            "institutions": args.institutions,
            "open": sum(not i.closed for i in made),
            "repetitions": args.repetitions,
            "seed": args.seed,
            "fill_seconds": round(fill_seconds, 2),
            "python": platform.python_version(),
            "machine": platform.machine(),
        },
        "queries": results,
    }


def main() -> None:
    """Run the benchmark, print the figures and write them as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--institutions", type=int, default=5000)
    parser.add_argument("--repetitions", type=int, default=1000, help="timed queries of each")
    parser.add_argument("--seed", type=int, default=20261015)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    started = time.perf_counter()
    report = asyncio.run(run(args))
    save_report(report, args.results, started)
    print(f"written to {args.results}")


if __name__ == "__main__":
    main()
