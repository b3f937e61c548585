"""The provident-fund transfer saga end to end: completed transfers per second and the
time from request to completion, at a steady rate and at saturation.

Run from the workspace root: ``uv run python -m benchmarks.fund_saga`` (``--help``).
It starts its own Kafka and PostgreSQL in a temporary folder on free ports, runs both
cities' fund-transfer service processes (``python -m chengyu_kit.run
chengyu_fund_transfer``), opens accounts with deposits in Chongqing over HTTP, then has
Chengdu request their transfers:

1. ``steady``: requests at a fixed rate for a fixed time, each for a different person;
2. ``saturation``: every remaining request at once (bounded HTTP concurrency).

Every figure is read from Chengdu's database after the run, not from the client: a
transfer's time is its ``completed`` step time minus its ``requested_at`` (both written
by the Chengdu process's clock). Results go to ``benchmarks/results/fund_saga.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from benchmarks._infrastructure import (
    clerk_headers,
    identity_provider,
    kafka_and_postgres,
    save_report,
)
from chengyu_contracts.keys import KeyRegistry, SigningKey
from chengyu_contracts.resident_id import synthesize_resident_id
from chengyu_kit.local.kafka import free_port_block
from chengyu_kit.local.oidc import OidcProvider
from chengyu_kit.testing import settings_login
from chengyu_ops.topics import apply_topics, load_topic_specs

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "fund_saga.json"
HTTP_CONCURRENCY = 16


@dataclass
class City:
    """One city's service process."""

    city: str
    url: str
    dsn: str
    process: asyncio.subprocess.Process
    headers: dict[str, str]  # a clerk's Authorization header


def _person(serial: int) -> str:
    # Synthetic numbers of Chongqing's Yuzhong district; serials keep them distinct.
    birthday = date(1960 + serial % 40, 1 + serial % 12, 1 + serial % 28)
    return synthesize_resident_id("500103", birthday, serial % 500, "male")


def people(count: int) -> list[str]:
    """``count`` distinct synthetic resident ID numbers."""
    found: dict[str, None] = {}
    serial = 0
    while len(found) < count:
        found[_person(serial)] = None
        serial += 1
    return list(found)


def write_keys(folder: Path) -> tuple[Path, Path, Path]:
    """Signing keys of both cities' fund centres and the registry of both."""
    folder.mkdir(parents=True)
    paths = []
    keys = []
    for city in ("cq", "cd"):
        # The service declares its agency (hpf): its events are signed by that agency's key.
        key = SigningKey.generate(f"{city}-hpf-bench-1", f"/{city}/hpf")
        path = folder / f"{city}.json"
        key.write_json_file(path)
        paths.append(path)
        keys.append(key)
    registry = folder / "registry.json"
    KeyRegistry([k.public_entry() for k in keys]).write_json_file(registry)
    return paths[0], paths[1], registry


@contextlib.asynccontextmanager
async def service(
    city: str,
    kafka: str,
    dsn: str,
    key_file: Path,
    registry: Path,
    ref_key: str,
    logs: Path,
    provider: OidcProvider,
) -> AsyncIterator[City]:
    """One city's service process, ready; SIGTERM after."""
    port = free_port_block(1)
    env = {
        **os.environ,
        "CITY": city,
        "SERVICE_NAME": "fund-transfer",
        "AGENCY": "hpf",
        "KAFKA_BOOTSTRAP": kafka,
        **{key.upper(): str(value) for key, value in settings_login(kafka).items()},
        "DATABASE_URL": dsn,
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(port),
        "SIGNING_KEY_FILE": str(key_file),
        "KEY_REGISTRY_FILE": str(registry),
        "PERSON_REF_KEY": ref_key,
        "LOG_LEVEL": "warning",
        "OTEL_TRACES_EXPORTER": "none",
        "OIDC_ISSUER": provider.issuer(city),
        "OIDC_PEER_ISSUERS": json.dumps({c: u for c, u in provider.issuers.items() if c != city}),
    }
    with (logs / f"fund-transfer-{city}.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "chengyu_kit.run",
            "chengyu_fund_transfer",
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url) as client:
            for _ in range(600):
                if process.returncode is not None:
                    raise RuntimeError(f"fund-transfer {city} exited; see {logs}")
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/readyz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"fund-transfer {city} not ready in 60 s")
        yield City(city, url, dsn, process, clerk_headers(provider, city, "fund-transfer", "hpf"))
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 60)


async def _bounded(calls: Sequence[Any], concurrency: int = HTTP_CONCURRENCY) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(call: Any) -> None:
        async with gate:
            await call()

    await asyncio.gather(*(one(c) for c in calls))


async def open_accounts(cq: City, residents: Sequence[str], months: int) -> float:
    """Open an employee account with ``months`` deposits for each person; seconds taken."""
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=cq.url, timeout=60, headers=cq.headers) as client:

        async def person(resident: str) -> None:
            opened = await client.post(
                "/accounts", json={"resident_id": resident, "name": "测试", "kind": "employee"}
            )
            opened.raise_for_status()
            account_id = opened.json()["account_id"]
            for month in range(1, months + 1):
                answer = await client.post(
                    f"/accounts/{account_id}/deposits",
                    json={"month": f"2025-{month:02d}", "amount_fen": 100_000},
                )
                answer.raise_for_status()

        await _bounded([lambda r=r: person(r) for r in residents])
    return time.perf_counter() - started


async def request_transfers(cd: City, residents: Sequence[str], rate: float | None) -> list[str]:
    """Chengdu requests each person's transfer from Chongqing, at ``rate`` per second or
    as fast as the bounded concurrency allows; the transfer ids."""
    ids: list[str] = []
    async with httpx.AsyncClient(base_url=cd.url, timeout=60, headers=cd.headers) as client:

        async def request(resident: str) -> None:
            answer = await client.post(
                "/transfers", json={"resident_id": resident, "name": "测试", "from_city": "cq"}
            )
            answer.raise_for_status()
            ids.append(answer.json()["transfer_id"])

        if rate is None:
            await _bounded([lambda r=r: request(r) for r in residents])
            return ids
        started = time.perf_counter()
        pending: list[asyncio.Task[None]] = []
        for index, resident in enumerate(residents):
            delay = started + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            pending.append(asyncio.create_task(request(resident)))
        await asyncio.gather(*pending)
    return ids


async def wait_until_finished(dsn: str, ids: Sequence[str], timeout: float) -> None:
    """Wait until every transfer of ``ids`` is in an end state in Chengdu."""
    deadline = time.monotonic() + timeout
    conn = await asyncpg.connect(dsn)
    try:
        while True:
            done = await conn.fetchval(
                "SELECT count(*) FROM transfer WHERE transfer_id = ANY($1)"
                " AND state IN ('completed', 'rejected', 'reverted')",
                list(ids),
            )
            if done == len(ids):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {done} of {len(ids)} transfers finished in time")
            await asyncio.sleep(0.2)
    finally:
        await conn.close()


async def measure(dsn: str, ids: Sequence[str]) -> dict[str, Any]:
    """Completed transfers per second and request-to-completion times, from the database."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT t.requested_at, s.at AS completed_at FROM transfer t"
            " JOIN transfer_step s ON s.transfer_id = t.transfer_id AND s.state = 'completed'"
            " WHERE t.transfer_id = ANY($1)",
            list(ids),
        )
        states = await conn.fetch(
            "SELECT state, count(*) AS n FROM transfer WHERE transfer_id = ANY($1) GROUP BY state",
            list(ids),
        )
    finally:
        await conn.close()
    seconds = sorted((r["completed_at"] - r["requested_at"]).total_seconds() for r in rows)
    first = min(r["requested_at"] for r in rows)
    last = max(r["completed_at"] for r in rows)
    span = (last - first).total_seconds()
    return {
        "transfers": len(ids),
        "states": {r["state"]: r["n"] for r in states},
        "span_seconds": round(span, 2),
        "completed_per_second": round(len(rows) / span, 1),
        "median_ms": round(statistics.median(seconds) * 1000, 1),
        "p99_ms": round(seconds[min(len(seconds) - 1, int(len(seconds) * 0.99))] * 1000, 1),
        "max_ms": round(seconds[-1] * 1000, 1),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start everything, run both phases, stop everything."""
    steady_count = int(args.rate * args.duration)
    total = steady_count + args.saturation
    async with kafka_and_postgres("chengyu-bench-fund-") as (folder, cluster, postgres):
        await apply_topics(
            cluster.bootstrap_servers,
            load_topic_specs(ROOT / "deploy" / "topics.yaml"),
            credentials=cluster.admin_credentials,
        )
        cq_key, cd_key, registry = write_keys(folder / "keys")
        ref_key = secrets.token_hex(32)
        dsns = {}
        for city in ("cq", "cd"):
            await postgres.ensure_database(f"fund_{city}")
            dsns[city] = postgres.dsn(f"fund_{city}")
        kafka = cluster.bootstrap_servers
        async with (
            identity_provider(folder) as provider,
            service("cq", kafka, dsns["cq"], cq_key, registry, ref_key, folder, provider) as cq,
            service("cd", kafka, dsns["cd"], cd_key, registry, ref_key, folder, provider) as cd,
        ):
            residents = people(total)
            print(f"opening {total} accounts with {args.months} deposits each ...")
            setup = await open_accounts(cq, residents, args.months)
            print(f"  {setup:.1f} s")
            steady, rest = residents[:steady_count], residents[steady_count:]
            print(f"steady: {args.rate}/s for {args.duration} s ...", flush=True)
            steady_ids = await request_transfers(cd, steady, args.rate)
            await wait_until_finished(dsns["cd"], steady_ids, timeout=300)
            steady_result = await measure(dsns["cd"], steady_ids)
            print(f"  {steady_result}", flush=True)
            print(f"saturation: {len(rest)} requests at once ...", flush=True)
            saturation_ids = await request_transfers(cd, rest, None)
            await wait_until_finished(dsns["cd"], saturation_ids, timeout=600)
            saturation_result = await measure(dsns["cd"], saturation_ids)
            print(f"  {saturation_result}", flush=True)
    return {
        "environment": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
        },
        "setup": {
            "accounts": total,
            "deposits_each": args.months,
            "setup_seconds": round(setup, 1),
        },
        "steady": {"rate": args.rate, "duration": args.duration, **steady_result},
        "saturation": saturation_result,
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rate", type=float, default=20.0, help="steady: requests per second")
    parser.add_argument("--duration", type=float, default=30.0, help="steady: seconds")
    parser.add_argument("--saturation", type=int, default=1000, help="requests sent at once")
    parser.add_argument("--months", type=int, default=3, help="deposits per account")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and write its results."""
    args = parse_args(argv)
    started = time.perf_counter()
    report = asyncio.run(run(args))
    save_report(report, RESULTS, started)
    print(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
