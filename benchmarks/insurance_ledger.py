"""insurance-years: accrual events applied to the cross-city ledger per second, and ledger
query latency with 100,000 people.

Run from the workspace root: ``uv run python -m benchmarks.insurance_ledger`` (``--help``).
It starts its own Kafka and PostgreSQL in a temporary folder (like ``kit_consumer``), then:

1. **apply**: pre-loads ``medins.contribution`` with signed ``contribution-years-accrued``
   events of both cities (per person: a Chongqing period, a Chengdu period, and a
   correction of the first, i.e. version 2), and measures the service's own runtime
   (``chengyu_insurance_years.service.SERVICE.runtime``: FastStream batch consumer, the kit's
   inbox, the service's handlers and store) in this process, as Chengdu, from start to
   the last event applied; the ledger is checked at the end;
2. **query**: fills the same database up to 100,000 people (the rest inserted directly by
   SQL, same shape), then times the ledger query one at a time through the use case
   (``usecases.ledger_of``: three SQL queries and the interval union) and through the HTTP
   app in process (``GET /ledgers/{person_ref}``, FastAPI + the kit's middleware, over
   httpx's ASGI transport), for random people; and the queries per second of 8
   concurrent HTTP clients.

Results are printed and written to ``benchmarks/results/insurance_ledger.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import os
import platform
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer

import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
from benchmarks._domain import BenchKeys, make_keys
from benchmarks._infrastructure import identity_provider, kafka_and_postgres, save_report
from chengyu_contracts.events.medins import CONTRIBUTION_TOPIC, ContributionYearsAccrued
from chengyu_contracts.registry import REGISTRY
from chengyu_insurance_years import usecases
from chengyu_insurance_years.api import insurance_router
from chengyu_insurance_years.policy import default_policy_book
from chengyu_insurance_years.service import SERVICE
from chengyu_kit.issuer import EventIssuer
from chengyu_kit.local.kafka import admin_credentials_for, kafka_version
from chengyu_kit.local.oidc import OidcProvider
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.logs import configure_logging
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.settings import ServiceSettings
from chengyu_kit.testing import kafka_options, settings_login
from chengyu_kit.tracing import configure_tracing
from chengyu_kit.unit import Unit
from chengyu_ops.topics import apply_topics, load_topic_specs

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "insurance_ledger.json"
RUN_TIMEOUT = 900.0
EVENTS_PER_PERSON = 3


def person_ref_of(index: int) -> str:
    """A well-formed ``person_ref`` for person ``index`` (the SQL fill computes the same)."""
    return "pr1_" + hashlib.sha256(f"p{index}".encode()).hexdigest()


def _month(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def accrual_events(people: int) -> list[ContributionYearsAccrued]:
    """Per person: a Chongqing period from 1990 + (index mod 120) months for 10 years, a
    Chengdu period overlapping its last year for 10 more years, and version 2 of the first
    (shortened by a year). ``_FILL_VERSIONS`` writes the same shape in SQL."""
    events: list[ContributionYearsAccrued] = []
    for index in range(people):
        ref = person_ref_of(index)
        first = 1990 * 12 + index % 120
        for period_id, city, version, start, end in (
            (f"per-cq-{index}-a", "cq", 1, first, first + 119),
            (f"per-cd-{index}-b", "cd", 1, first + 108, first + 227),
            (f"per-cq-{index}-a", "cq", 2, first, first + 107),
        ):
            events.append(
                ContributionYearsAccrued(
                    period_id=period_id,
                    person_ref=ref,
                    city="cq" if city == "cq" else "cd",
                    start_month=_month(start),
                    end_month=_month(end),
                    kind="actual",
                    version=version,
                    cancelled=False,
                )
            )
    return events


async def preload(kafka: str, keys: BenchKeys, events: Sequence[ContributionYearsAccrued]) -> float:
    """Sign and publish ``events`` (each by its city's key); the seconds it took."""
    issuers = {
        city: EventIssuer(
            source=f"/{city}/bench/insurance-years", signing_key=key, registry=REGISTRY
        )
        for city, key in (("cq", keys.cq), ("cd", keys.cd))
    }
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka,
        **kafka_options(kafka),
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=1024 * 1024,
    )
    started = time.perf_counter()
    await producer.start()
    try:
        for first in range(0, len(events), 2000):
            futures = []
            for event in events[first : first + 2000]:
                record = issuers[event.city].issue(event)
                futures.append(
                    await producer.send(
                        record.topic, record.value, key=record.key, headers=list(record.headers)
                    )
                )
            await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return time.perf_counter() - started


def settings_for(
    kafka: str,
    database_url: str,
    keys: BenchKeys,
    *,
    batch: int,
    verify_processes: int,
    issuers: dict[str, str],
) -> ServiceSettings:
    """Chengdu's insurance-years instance (source ``/cd/bench/insurance-years``), trusting
    the tokens of ``issuers`` (city -> issuer)."""
    return ServiceSettings(
        city="cd",
        service_name="insurance-years",
        agency="bench",
        kafka_bootstrap=kafka,
        database_url=database_url,
        signing_key_file=keys.cd_file,
        key_registry_file=keys.registry_file,
        person_ref_key=os.urandom(32).hex(),
        consumer_max_batch=batch,
        verify_processes=verify_processes,
        oidc_issuer=issuers["cd"],
        oidc_peer_issuers={c: url for c, url in issuers.items() if c != "cd"},
        **settings_login(kafka),
    )


def _applied(runtime: ServiceRuntime) -> float:
    value = runtime.metrics.registry.get_sample_value(
        "chengyu_events_consumed_total", {"topic": CONTRIBUTION_TOPIC, "outcome": "applied"}
    )
    return value or 0.0


async def measure_apply(runtime: ServiceRuntime, events: int) -> dict[str, Any]:
    """Start the runtime and wait until it applied ``events``; leaves it running."""
    started = time.perf_counter()
    await runtime.start()
    first: float | None = None
    while (applied := _applied(runtime)) < events:
        if first is None and applied > 0:
            first = time.perf_counter()
        if time.perf_counter() - started > RUN_TIMEOUT:
            raise TimeoutError(f"only {applied} of {events} events applied")
        await asyncio.sleep(0.02)
    end = time.perf_counter()
    assert first is not None
    return {
        "events": events,
        "seconds": round(end - started, 3),
        "events_per_s": round(events / (end - started), 1),
        "steady_seconds": round(end - first, 3),
        "steady_events_per_s": round(events / (end - first), 1),
    }


async def check_ledger(pool: asyncpg.Pool, people: int) -> None:
    """Every event left its mark: two periods per person, the first at version 2."""
    versions = await pool.fetchval("SELECT count(*) FROM contribution_period_version")
    current = await pool.fetchrow(
        "SELECT count(*) AS periods, count(*) FILTER (WHERE version = 2) AS corrected"
        " FROM contribution_period"
    )
    expected = (people * EVENTS_PER_PERSON, people * 2, people)
    assert current is not None  # an aggregate always returns a row
    found = (versions, current["periods"], current["corrected"])
    if found != expected:
        raise AssertionError(f"ledger has {found}, expected {expected}")


# The same shape as accrual_events, for people from $1 to $2, straight into the tables.
_FILL_VERSIONS = """
INSERT INTO contribution_period_version
    (period_id, version, person_ref, city, start_month, end_month, kind, cancelled)
SELECT p.period_id, p.version, p.person_ref, p.city, p.start_month, p.end_month, 'actual', false
FROM generate_series($1::int, $2::int) AS i
CROSS JOIN LATERAL (SELECT 'pr1_' || encode(sha256(('p' || i)::text::bytea), 'hex') AS ref,
                           1990 * 12 + i % 120 AS first) AS s
CROSS JOIN LATERAL (VALUES
    ('per-cq-' || i || '-a', 1, s.ref, 'cq', s.first, s.first + 119),
    ('per-cd-' || i || '-b', 1, s.ref, 'cd', s.first + 108, s.first + 227),
    ('per-cq-' || i || '-a', 2, s.ref, 'cq', s.first, s.first + 107)
) AS v(period_id, version, person_ref, city, first_month, last_month)
CROSS JOIN LATERAL (SELECT v.period_id, v.version, v.person_ref, v.city,
    lpad((v.first_month / 12)::text, 4, '0') || '-' || lpad((v.first_month % 12 + 1)::text, 2, '0')
        AS start_month,
    lpad((v.last_month / 12)::text, 4, '0') || '-' || lpad((v.last_month % 12 + 1)::text, 2, '0')
        AS end_month) AS p
"""
_FILL_CURRENT = """
INSERT INTO contribution_period
    (period_id, person_ref, city, start_month, end_month, kind, version, cancelled)
SELECT DISTINCT ON (period_id) period_id, person_ref, city, start_month, end_month, kind,
       version, cancelled
FROM contribution_period_version WHERE person_ref = ANY(
    SELECT 'pr1_' || encode(sha256(('p' || i)::text::bytea), 'hex')
    FROM generate_series($1::int, $2::int) AS i)
ORDER BY period_id, version DESC
"""


async def fill(pool: asyncpg.Pool, first: int, last: int) -> float:
    """Insert people ``first..last`` (included) directly; the seconds it took."""
    started = time.perf_counter()
    for low in range(first, last + 1, 10_000):
        high = min(last, low + 9_999)
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(_FILL_VERSIONS, low, high)
            await conn.execute(_FILL_CURRENT, low, high)
    async with pool.acquire() as conn:
        await conn.execute("ANALYZE contribution_period")
        await conn.execute("ANALYZE contribution_period_version")
    return time.perf_counter() - started


def _percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending sequence."""
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def _latency(millis: list[float]) -> dict[str, Any]:
    ordered = sorted(millis)
    return {
        "queries": len(ordered),
        "median_ms": round(statistics.median(ordered), 3),
        "p90_ms": round(_percentile(ordered, 0.90), 3),
        "p99_ms": round(_percentile(ordered, 0.99), 3),
        "max_ms": round(ordered[-1], 3),
    }


async def _timed(calls: int, query: Callable[[int], Awaitable[None]]) -> list[float]:
    millis: list[float] = []
    for n in range(calls):
        mark = time.perf_counter()
        await query(n)
        millis.append((time.perf_counter() - mark) * 1000)
    return millis


async def measure_queries(
    runtime: ServiceRuntime, people: int, queries: int, seed: int, headers: dict[str, str]
) -> dict[str, Any]:
    """Ledger query latency through the use case and through the HTTP app (as the reader
    whose ``headers`` these are), one query at a time for random people; then queries/s of
    8 concurrent HTTP clients."""
    rng = random.Random(seed)
    picks = [person_ref_of(rng.randrange(people)) for _ in range(queries)]
    book = default_policy_book()
    # A clerk's read as a GET route runs it: a unit on a pooled connection, no transaction.
    now = datetime(2026, 1, 15, 4, 0, tzinfo=UTC)
    key = runtime.settings.person_ref_hmac_key()

    async def use_case(n: int) -> None:
        async with runtime.pool.acquire() as conn:
            unit = Unit(conn=conn, now=now, city="cd", person_ref_key=key, issuer=None)
            report = await usecases.ledger_of(picks[n], unit, book)
        if len(report.ledger.periods) != 2:
            raise AssertionError(f"person {picks[n]} has {len(report.ledger.periods)} periods")

    app = runtime.http_app(title="insurance-years (bench)", routers=[insurance_router(book)])
    transport = httpx.ASGITransport(app=app)
    results: dict[str, Any] = {}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://bench", headers=headers
    ) as client:

        async def over_http(n: int) -> None:
            answer = await client.get(f"/ledgers/{picks[n]}")
            if answer.status_code != 200 or len(answer.json()["periods"]) != 2:
                raise AssertionError(answer.text)

        await _timed(200, use_case)  # warm the pool, caches and code paths
        await _timed(200, over_http)
        results["use_case"] = _latency(await _timed(queries, use_case))
        results["http_in_process"] = _latency(await _timed(queries, over_http))

        clients, per_client = 8, max(1, queries // 8)

        async def client_loop(offset: int) -> None:
            for n in range(per_client):
                await over_http((offset * per_client + n) % queries)

        mark = time.perf_counter()
        await asyncio.gather(*(client_loop(c) for c in range(clients)))
        seconds = time.perf_counter() - mark
        results["http_8_clients"] = {
            "queries": clients * per_client,
            "seconds": round(seconds, 3),
            "queries_per_s": round(clients * per_client / seconds, 1),
        }
    return results


async def environment(postgres: LocalPostgres) -> dict[str, Any]:
    """Where the figures were taken."""
    conn = await asyncpg.connect(postgres.admin_dsn)
    try:
        pg_version = await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "kafka": kafka_version(ROOT) + " (single KRaft node)",
        "postgresql": pg_version,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start Kafka and PostgreSQL in a temporary folder, measure, stop them."""
    async with (
        kafka_and_postgres("chengyu-bench-medins-") as (folder, cluster, postgres),
        identity_provider(folder) as provider,
    ):
        return await _run_all(args, folder, cluster.bootstrap_servers, postgres, provider)


async def _run_all(
    args: argparse.Namespace,
    folder: Path,
    kafka: str,
    postgres: LocalPostgres,
    provider: OidcProvider,
) -> dict[str, Any]:
    keys = make_keys(folder / "keys")
    await apply_topics(
        kafka,
        load_topic_specs(ROOT / "deploy" / "topics.yaml"),
        credentials=admin_credentials_for(kafka),
    )
    events = accrual_events(args.people)
    print(f"pre-loading {len(events)} signed accrual events ({args.people} people) ...")
    preload_seconds = await preload(kafka, keys, events)
    name = f"medins_{uuid.uuid4().hex[:8]}"
    await postgres.ensure_database(name)
    runtime = SERVICE.runtime(
        settings_for(
            kafka,
            postgres.dsn(name),
            keys,
            batch=args.batch,
            verify_processes=args.verify_processes,
            issuers=provider.issuers,
        )
    )
    report: dict[str, Any] = {
        "environment": await environment(postgres),
        "setup": {
            "events": len(events),
            "people_applied": args.people,
            "people_queried": args.total_people,
            "partitions": 6,
            "batch": args.batch,
            "verify_processes": args.verify_processes,
            "preload_seconds": round(preload_seconds, 1),
        },
    }
    print("measuring accrual events applied per second ...", flush=True)
    try:
        report["apply"] = await measure_apply(runtime, len(events))
        await check_ledger(runtime.pool, args.people)
        print(f"  {report['apply']['events_per_s']:,.0f} events/s", flush=True)
        print(f"filling the ledger up to {args.total_people:,} people ...", flush=True)
        fill_seconds = await fill(runtime.pool, args.people, args.total_people - 1)
        report["setup"]["fill_seconds"] = round(fill_seconds, 1)
        await check_ledger(runtime.pool, args.total_people)
        print(f"measuring ledger queries ({args.queries} each) ...", flush=True)
        reader_token = provider.token(
            "cd", audience="insurance-years", role="reader", agency="bench"
        )
        report["query"] = await measure_queries(
            runtime,
            args.total_people,
            args.queries,
            args.seed,
            {"Authorization": "Bearer " + reader_token},
        )
    finally:
        await runtime.stop()
    return report


def print_report(report: dict[str, Any]) -> None:
    """The figures as a small table."""
    env, setup = report["environment"], report["setup"]
    print()
    print(
        f"Environment: {env['cpus']} CPUs ({env['machine']}), Python {env['python']}, "
        f"Kafka {env['kafka']}, PostgreSQL {env['postgresql']}, {env['date']}"
    )
    apply = report["apply"]
    print(
        f"Applied {apply['events']} accrual events ({setup['people_applied']} people, "
        f"{setup['partitions']} partitions, batches <= {setup['batch']}, "
        f"verify processes {setup['verify_processes']}): {apply['seconds']} s, "
        f"{apply['events_per_s']:,.0f} events/s (steady {apply['steady_events_per_s']:,.0f}/s)"
    )
    print(f"Ledger queries with {setup['people_queried']:,} people:")
    for label, row in report["query"].items():
        if "median_ms" in row:
            print(
                f"  {label:<18} median {row['median_ms']} ms, p90 {row['p90_ms']} ms, "
                f"p99 {row['p99_ms']} ms, max {row['max_ms']} ms ({row['queries']} queries)"
            )
        else:
            print(f"  {label:<18} {row['queries_per_s']:,.0f} queries/s ({row['queries']})")
    print(f"\nJSON: {RESULTS.relative_to(ROOT)}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--people", type=int, default=10_000, help="people whose events are applied (x3 events)"
    )
    parser.add_argument(
        "--total-people", type=int, default=100_000, help="people in the ledger when queried"
    )
    parser.add_argument("--queries", type=int, default=5_000, help="queries per measurement")
    parser.add_argument("--batch", type=int, default=500, help="max records per batch")
    parser.add_argument("--verify-processes", type=int, default=0)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args(argv)
    if args.total_people < args.people:
        parser.error("--total-people must be at least --people")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and write its JSON."""
    args = parse_args(argv)
    configure_logging("bench", "cd", "warning")
    logging.getLogger("faststream").setLevel(logging.WARNING)
    configure_tracing("bench", "cd", "none")  # as a service does: real spans, not exported
    started = time.perf_counter()
    report = asyncio.run(run(args))
    save_report(report, RESULTS, started)
    print_report(report)
    print(f"total run time {report['total_seconds']} s")


if __name__ == "__main__":
    main(sys.argv[1:])
