"""What checking a clerk's token costs an HTTP read: one GET route with and without it.

    uv run python -m benchmarks.http_auth            # ~1 min
    uv run python -m benchmarks.http_auth --help

Starts an embedded PostgreSQL and the local OIDC provider in a temporary folder, serves
fund-transfer's real app on a fresh database (``serve_without_bus``: no Kafka), opens one
account as a Chongqing clerk, then reads it (``GET /accounts/{id}``) in alternating rounds:

* **with**: the route class verifies the bearer token (JWKS cached after the first
  request, as in a running service: an RS256 signature check and the claims per request);
* **without**: the same app with the route class's check replaced by one that only names
  the actor (what the route did before tokens), everything else unchanged.

Requests go through ``httpx.ASGITransport`` (no sockets), so the ratio shows the server's
own cost, the strictest view; over real HTTP the share of the check is smaller. Writes the
figures to ``benchmarks/results/http_auth.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import Request
from fastapi.responses import Response

from benchmarks._infrastructure import ROOT, identity_provider, save_report
from chengyu_contracts.resident_id import synthesize_resident_id
from chengyu_fund_transfer.service import SERVICE
from chengyu_kit import web
from chengyu_kit.auth import Access
from chengyu_kit.clock import FixedClock
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.testing.stand_in import serve_without_bus, settings_for
from chengyu_kit.unit import Actor

NOW = datetime(2026, 10, 15, 4, 0, tzinfo=UTC)
RESIDENT = synthesize_resident_id("500101", date(1980, 1, 2), 5, "female")
Authorise = Callable[[Request, Access], Awaitable[Response | None]]


async def _no_check(request: Request, access: Access) -> Response | None:
    # The actor a verified token would give, without verifying anything.
    setattr(request.state, web.ACTOR_STATE, Actor("clerk", "clerk-1", "hpf", "cq"))
    return None


async def _round(
    client: httpx.AsyncClient, path: str, requests: int, concurrency: int
) -> dict[str, Any]:
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            started = time.perf_counter()
            answer = await client.get(path)
            latencies.append(time.perf_counter() - started)
            if answer.status_code != 200:
                raise AssertionError(answer.text)

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(requests)))
    seconds = time.perf_counter() - started
    latencies.sort()
    return {
        "requests_per_s": requests / seconds,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)],
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start PostgreSQL and the provider, measure both ways in alternating rounds, stop."""
    with tempfile.TemporaryDirectory(prefix="chengyu-bench-auth-") as tmp:
        folder = Path(tmp)
        postgres = LocalPostgres(folder / "pg")
        await asyncio.to_thread(postgres.start)
        try:
            async with identity_provider(folder) as provider:
                await postgres.ensure_database("auth_bench")
                settings = settings_for(
                    SERVICE,
                    "cq",
                    database_url=postgres.dsn("auth_bench"),
                    key_folder=folder / "keys",
                    issuers=provider.issuers,
                    log_level="warning",
                )
                async with serve_without_bus(
                    SERVICE, settings, clock=FixedClock(NOW), provider=provider
                ) as (client, _):
                    opened = await client.post(
                        "/accounts",
                        json={"resident_id": RESIDENT, "name": "测试", "kind": "employee"},
                    )
                    opened.raise_for_status()
                    path = f"/accounts/{opened.json()['account_id']}"
                    checked: Authorise = web._authorise
                    rounds: dict[str, list[dict[str, Any]]] = {"with": [], "without": []}
                    await _round(client, path, args.requests // 4, args.concurrency)  # warm-up
                    for _ in range(args.rounds):
                        for name, check in (("with", checked), ("without", _no_check)):
                            web._authorise = check  # type: ignore[assignment]
                            try:
                                rounds[name].append(
                                    await _round(client, path, args.requests, args.concurrency)
                                )
                            finally:
                                web._authorise = checked  # type: ignore[assignment]
        finally:
            await asyncio.to_thread(postgres.stop)
    summary = {
        name: {
            key: round(statistics.median(r[key] for r in results), 2)
            for key in ("requests_per_s", "p50_ms", "p99_ms")
        }
        for name, results in rounds.items()
    }
    ratio = summary["with"]["requests_per_s"] / summary["without"]["requests_per_s"]
    return {
        "setup": {
            "route": "GET /accounts/{id} (fund-transfer, cq)",
            "requests_per_round": args.requests,
            "rounds_each": args.rounds,
            "concurrency": args.concurrency,
        },
        "median_of_rounds": summary,
        "throughput_ratio_with_to_without": round(ratio, 3),
        "rounds": rounds,
    }


def main() -> None:
    """Run the benchmark, print the figures and write them as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=4, help="rounds of each kind")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--results", type=Path, default=ROOT / "benchmarks" / "results" / "http_auth.json"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    report = asyncio.run(run(args))
    for name, figures in report["median_of_rounds"].items():
        print(
            f"{name:>8} token check: {figures['requests_per_s']:8.0f} requests/s, "
            f"p50 {figures['p50_ms']:.2f} ms, p99 {figures['p99_ms']:.2f} ms"
        )
    print(f"throughput with / without: {report['throughput_ratio_with_to_without']:.3f}")
    save_report(report, args.results, started)


if __name__ == "__main__":
    main()
