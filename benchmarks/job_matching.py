"""job-matching: matching latency with 100,000 postings and 100,000 seekers of both cities.

    uv run python -m benchmarks.job_matching          # ~10 min (most of it writing the rows)
    uv run python -m benchmarks.job_matching --help   # --postings, --seekers, --repetitions

Starts an embedded PostgreSQL in a temporary folder (no Kafka: matching reads only the
answering city's database, where both cities' postings and shared seekers already are),
migrates a fresh database with the service's migrations, and writes ``--postings`` postings
and ``--seekers`` seekers of both cities from the demo's seeded plan (``benchmarks/
_jobs_data.py``: checked by the service's rules, written by its store, as Chengdu holds them);
then ``ANALYZE``. It then times, one at a time after warm-up, ``--repetitions`` answers of
each direction through the service's use cases (``matching/usecases.py``: the candidate cut
in one SQL statement on a pooled connection, rows to facts, the hard filters and the score
in Python, the best 50):

1. **postings for a seeker**: a random seeker of either city;
2. **seekers for a posting**: a random open posting of either city.

Prints median, p90 and p99 with the mean number of candidates scored, and writes
``benchmarks/results/job_matching.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks._infrastructure import ROOT, save_report
from benchmarks._jobs_data import ANSWERING, JobsData, answering_city, jobs_data, load
from benchmarks.elder_map_query import figures
from chengyu_job_matching.matching import usecases
from chengyu_job_matching.policy import default_policy_book
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.unit import Unit

NOW = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)
RESULTS = ROOT / "benchmarks" / "results" / "job_matching.json"
# No provider runs: no route is called, so these are never contacted.
UNUSED_ISSUERS = {"cq": "http://127.0.0.1:9/cq", "cd": "http://127.0.0.1:9/cd"}
LIMIT = 50
WARM_UP = 20

Query = Callable[[str], Awaitable[int]]


def seeker_query(runtime: ServiceRuntime) -> Query:
    """``matches_for_seeker`` for one seeker on a pooled connection; candidates scored."""
    book = default_policy_book()

    async def once(seeker_ref: str) -> int:
        async with runtime.pool.acquire() as conn:
            unit = _unit(runtime, conn)
            answer = await usecases.matches_for_seeker(unit, seeker_ref, LIMIT, book)
        return answer.considered

    return once


def posting_query(runtime: ServiceRuntime) -> Query:
    """``matches_for_posting`` for one posting on a pooled connection; candidates scored."""
    book = default_policy_book()

    async def once(posting_id: str) -> int:
        async with runtime.pool.acquire() as conn:
            unit = _unit(runtime, conn)
            answer = await usecases.matches_for_posting(unit, posting_id, LIMIT, book)
        return answer.considered

    return once


def _unit(runtime: ServiceRuntime, conn: Any) -> Unit:
    return Unit(
        conn=conn,
        now=NOW,
        city=ANSWERING,
        person_ref_key=runtime.settings.person_ref_hmac_key(),
        issuer=runtime.issuer,
    )


async def timed(
    repetitions: int, ids: list[str], once: Query, rng: random.Random
) -> dict[str, Any]:
    """``once`` for ``repetitions`` random ids after :data:`WARM_UP` runs; the latency
    figures, the mean and largest number of candidates scored."""
    for _ in range(WARM_UP):
        await once(rng.choice(ids))
    latencies: list[float] = []
    considered: list[int] = []
    for _ in range(repetitions):
        chosen = rng.choice(ids)
        started = time.perf_counter()
        considered.append(await once(chosen))
        latencies.append(time.perf_counter() - started)
    return {
        **figures(latencies),
        "mean_considered": round(sum(considered) / len(considered), 1),
        "max_considered": max(considered),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start PostgreSQL, write the rows, time both directions, stop."""
    rng = random.Random(args.seed)
    started = time.perf_counter()
    data: JobsData = jobs_data(
        args.seed, NOW, postings=args.postings, seekers=args.seekers, chunk=args.chunk
    )
    plan_seconds = time.perf_counter() - started
    print(
        f"planned {len(data.postings)} postings and {len(data.seekers)} seekers"
        f" in {plan_seconds:.1f} s",
        flush=True,
    )
    async with answering_city(NOW, "jobs_bench") as runtime:
        started = time.perf_counter()
        await load(runtime, data, NOW, NOW.date())
        load_seconds = time.perf_counter() - started
        print(f"written in {load_seconds:.1f} s", flush=True)
        seeker_refs = [s.seeker_ref for s in data.seekers]
        posting_ids = [p.posting.posting_id for p in data.postings]
        results: dict[str, Any] = {}
        for name, ids, once in (
            ("postings for a seeker", seeker_refs, seeker_query(runtime)),
            ("seekers for a posting", posting_ids, posting_query(runtime)),
        ):
            result = await timed(args.repetitions, ids, once, rng)
            results[name] = result
            print(
                f"{name:<22} median {result['median_ms']:7.2f} ms"
                f"  p90 {result['p90_ms']:7.2f} ms  p99 {result['p99_ms']:7.2f} ms"
                f"  ({result['count']} answers of {LIMIT}; candidates scored: mean"
                f" {result['mean_considered']}, max {result['max_considered']})",
                flush=True,
            )
    return {
        "setup": {
            "postings": len(data.postings),
            "seekers": len(data.seekers),
            "answering_city": ANSWERING,
            "repetitions": args.repetitions,
            "limit": LIMIT,
            "seed": args.seed,
            "load_seconds": round(load_seconds, 1),
            "python": platform.python_version(),
            "machine": platform.machine(),
        },
        "queries": results,
    }


def main() -> None:
    """Run the benchmark, print the figures and write them as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=int, default=100_000)
    parser.add_argument("--seekers", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=20_000, help="rows per seeded plan")
    parser.add_argument("--repetitions", type=int, default=500, help="timed answers of each")
    parser.add_argument("--seed", type=int, default=20261116)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    started = time.perf_counter()
    report = asyncio.run(run(args))
    save_report(report, args.results, started)
    print(f"written to {args.results}")


if __name__ == "__main__":
    main()
