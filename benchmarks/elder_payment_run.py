"""elder-allowance: the monthly payment run of one city with 200,000 registered elders.

Run from the workspace root: ``uv run python -m benchmarks.elder_payment_run`` (``--help``).
It starts its own embedded PostgreSQL in a temporary folder (no Kafka: the run writes its
events to the outbox, as in production, and a relay would publish them later), creates
the service's tables (the kit's and the service's migrations), bulk-inserts the register
with ``COPY`` (elders aged 80-104 and a few not yet 80, 10 % of them 低保 or 特困, all
registered in Chongqing from before the policy's start), then times, through the run
use case (:func:`chengyu_elder_allowance.allowance.run.run_month`, chunks of 2,000
persons per transaction):

1. **first run** (2025-01, the policy's first month): every eligible person is granted
   (one ``ElderAllowanceGranted`` event each, signed, into the outbox) and paid once;
2. **next month** (2025-02): the steady state, one payment per person, no grants.

Each run is checked: exactly one payment per eligible person for the month, the bank file's
digest as stored. Results are printed and written to
``benchmarks/results/elder_payment_run.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import os
import platform
import random
import secrets
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
from benchmarks._infrastructure import save_report
from chengyu_contracts.months import Month
from chengyu_contracts.person_ref import PersonRefKey
from chengyu_contracts.registry import REGISTRY
from chengyu_contracts.signing import SigningKey
from chengyu_elder_allowance.allowance import run
from chengyu_elder_allowance.policy import default_policy_book
from chengyu_elder_allowance.service import SERVICE
from chengyu_kit.clock import FixedClock
from chengyu_kit.db import create_pool
from chengyu_kit.issuer import EventIssuer
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.logs import configure_logging
from chengyu_kit.migrations import apply_migrations, kit_migrations
from chengyu_kit.unit import Unit, open_unit

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "elder_payment_run.json"
FIRST_MONTH = Month(2025, 1)


@contextlib.asynccontextmanager
async def postgres_only(prefix: str) -> AsyncIterator[LocalPostgres]:
    """An embedded PostgreSQL in a fresh temporary folder, stopped afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        postgres = LocalPostgres(Path(tmp) / "pg")
        try:
            print("starting PostgreSQL ...", flush=True)
            await asyncio.to_thread(postgres.start)
            yield postgres
        finally:
            await asyncio.to_thread(postgres.stop)


def person_ref_of(index: int) -> str:
    """A well-formed ``person_ref`` for person ``index``."""
    return "pr1_" + hashlib.sha256(f"elder{index}".encode()).hexdigest()


async def fill_register(pool: asyncpg.Pool, people: int, seed: int) -> dict[str, Any]:
    """COPY ``people`` elders, their Chongqing registrations and assistance periods."""
    rng = random.Random(seed)
    now = datetime(2024, 12, 1, tzinfo=UTC)
    elders: list[tuple[Any, ...]] = []
    households: list[tuple[Any, ...]] = []
    assistance: list[tuple[Any, ...]] = []
    not_yet = 0
    for index in range(people):
        ref = person_ref_of(index)
        # 2 % turn 80 during 2025 (not yet paid in January); the rest are 80-104.
        if index % 50 == 0:
            birth = date(1945, 1, 1) + timedelta(days=rng.randrange(365))
            not_yet += 1
        else:
            birth = date(1920, 1, 1) + timedelta(days=rng.randrange(365 * 24))
        id_number = f"500103{birth:%Y%m%d}{index % 1000:03d}X"[:18]
        elders.append(
            (
                ref,
                f"{id_number[:14]}{index:08d}",  # unique stand-in: the run never reads it
                f"Elder {index}",
                birth,
                "female" if index % 2 else "male",
                "500103",
                f"tok-{index:08d}",
                "13800000000",
                None,
                now,
                now,
            )
        )
        households.append((ref, "cq", 1, "registered", None, None, now.date()))
        if index % 10 == 3:
            status = "tekun" if index % 20 == 3 else "dibao"
            assistance.append((ref, status, date(2020, 1, 1), None))
    started = time.perf_counter()
    async with pool.acquire() as conn:
        await conn.copy_records_to_table(
            "elder",
            records=elders,
            columns=[
                "person_ref",
                "id_number",
                "name",
                "birth_date",
                "sex",
                "district",
                "bank_account_token",
                "phone",
                "died_on",
                "created_at",
                "updated_at",
            ],
        )
        await conn.copy_records_to_table(
            "household",
            records=households,
            columns=[
                "person_ref",
                "city",
                "version",
                "status",
                "registered_from",
                "registered_until",
                "changed_on",
            ],
        )
        await conn.copy_records_to_table(
            "assistance_period",
            records=assistance,
            columns=["person_ref", "status", "start_on", "end_on"],
        )
        await conn.execute("ANALYZE")
    return {
        "people": people,
        "not_yet_80": not_yet,
        "assisted": len(assistance),
        "copy_seconds": round(time.perf_counter() - started, 2),
    }


async def timed_run(
    pool: asyncpg.Pool, month: Month, issuer: EventIssuer, key: PersonRefKey, chunk: int
) -> dict[str, Any]:
    """One month's run, timed, and checked."""
    clock = FixedClock(datetime(month.year, month.month, 10, 4, 0, tzinfo=UTC))
    book = default_policy_book()

    def unit() -> contextlib.AbstractAsyncContextManager[Unit]:
        return open_unit(pool, clock=clock, city="cq", person_ref_key=key, issuer=issuer)

    outbox_before = await pool.fetchval("SELECT count(*) FROM outbox")
    started = time.perf_counter()
    summary = await run.run_month(unit, month, book, chunk_size=chunk)
    seconds = time.perf_counter() - started
    assert summary is not None
    paid_for_month = await pool.fetchval(
        "SELECT count(*) FROM payment WHERE month = $1", date(month.year, month.month, 1)
    )
    content = await pool.fetchval(
        "SELECT bank_file FROM payment_run WHERE month = $1", date(month.year, month.month, 1)
    )
    assert hashlib.sha256(bytes(content)).hexdigest() == summary.bank_file_sha256
    events = await pool.fetchval("SELECT count(*) FROM outbox") - outbox_before
    c = summary.counts
    return {
        "month": str(month),
        "seconds": round(seconds, 2),
        "persons_per_s": 0,
        "granted": c.granted,
        "payments": c.payments,
        "payments_for_month": paid_for_month,
        "amount_fen": c.amount_fen,
        "back_payments": c.back_payments,
        "events_emitted": events,
        "bank_file_bytes": len(bytes(content)),
    }


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
        "postgresql": pg_version,
    }


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Start PostgreSQL, fill the register, time two runs, stop."""
    async with postgres_only("chengyu-bench-elder-") as postgres:
        await postgres.ensure_database("elder_bench")
        pool = await create_pool(postgres.dsn("elder_bench"), max_size=4)
        try:
            await apply_migrations(pool, [*kit_migrations(), *SERVICE.migrations()])
            register = await fill_register(pool, args.people, args.seed)
            signing = SigningKey.generate("cq-ca-bench", "/cq/ca")
            issuer = EventIssuer(
                source="/cq/ca/elder-allowance",
                signing_key=signing,
                registry=REGISTRY,
                clock=FixedClock(datetime.now(UTC)),
            )
            key = PersonRefKey.from_hex(secrets.token_hex(32))
            runs = []
            for month in (FIRST_MONTH, FIRST_MONTH.next()):
                result = await timed_run(pool, month, issuer, key, args.chunk)
                result["persons_per_s"] = round(args.people / result["seconds"])
                runs.append(result)
                print(f"  run {result['month']}: {result['seconds']} s", flush=True)
            return {
                "environment": await environment(postgres),
                "setup": {"chunk": args.chunk, **register},
                "runs": runs,
            }
        finally:
            await pool.close()


def print_report(report: dict[str, Any]) -> None:
    """The figures as a small table."""
    env, setup = report["environment"], report["setup"]
    print()
    print(
        f"Environment: {env['cpus']} CPUs ({env['machine']}), Python {env['python']}, "
        f"PostgreSQL {env['postgresql']}, {env['date']}"
    )
    print(
        f"Register: {setup['people']:,} elders of Chongqing ({setup['not_yet_80']:,} not yet "
        f"80, {setup['assisted']:,} 低保/特困), COPY in {setup['copy_seconds']} s; "
        f"chunks of {setup['chunk']:,}"
    )
    for r in report["runs"]:
        print(
            f"  run {r['month']}: {r['seconds']:>6} s  {r['persons_per_s']:>7,} persons/s  "
            f"granted {r['granted']:,}  payments {r['payments']:,} "
            f"({r['payments_for_month']:,} for the month)  events {r['events_emitted']:,}  "
            f"bank file {r['bank_file_bytes'] / 1e6:.1f} MB"
        )
    print(f"\nJSON: {RESULTS.relative_to(ROOT)}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=200_000, help="registered elders")
    parser.add_argument("--chunk", type=int, default=run.CHUNK_SIZE, help="persons per chunk")
    parser.add_argument("--seed", type=int, default=9)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and write its JSON."""
    args = parse_args(argv)
    configure_logging("bench", "cq", "warning")
    started = time.perf_counter()
    report = asyncio.run(measure(args))
    save_report(report, RESULTS, started)
    print_report(report)
    print(f"total run time {report['total_seconds']} s")


if __name__ == "__main__":
    main(sys.argv[1:])
