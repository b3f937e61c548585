"""What every benchmark does around its measurements: its own Kafka and PostgreSQL in a
temporary folder on free ports (stopped at the end), and its results written as JSON."""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from chengyu_kit.local.kafka import KafkaCluster, ensure_kafka_jars, free_port_block
from chengyu_kit.local.oidc import OidcProvider, ensure_oidc_jars
from chengyu_kit.local.postgres import LocalPostgres

ROOT = Path(__file__).resolve().parents[1]


@contextlib.asynccontextmanager
async def kafka_and_postgres(
    prefix: str,
) -> AsyncIterator[tuple[Path, KafkaCluster, LocalPostgres]]:
    """A single-node Kafka and an embedded PostgreSQL in a fresh temporary folder, started
    side by side; yields the folder and both, and stops both afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        folder = Path(tmp)
        cluster = KafkaCluster(
            folder / "kafka", port=free_port_block(2), jars=ensure_kafka_jars(ROOT)
        )
        postgres = LocalPostgres(folder / "pg")
        try:
            print("starting Kafka and PostgreSQL ...", flush=True)
            await asyncio.gather(
                asyncio.to_thread(cluster.start), asyncio.to_thread(postgres.start)
            )
            yield folder, cluster, postgres
        finally:
            await asyncio.to_thread(cluster.stop)
            await asyncio.to_thread(postgres.stop)


@contextlib.asynccontextmanager
async def identity_provider(folder: Path) -> AsyncIterator[OidcProvider]:
    """The local OIDC provider (an issuer per city) on a free port; stopped afterwards."""
    provider = OidcProvider(folder / "oidc", free_port_block(1), jars=ensure_oidc_jars(ROOT))
    await asyncio.to_thread(provider.start)
    try:
        yield provider
    finally:
        await asyncio.to_thread(provider.stop)


def clerk_headers(provider: OidcProvider, city: str, service: str, agency: str) -> dict[str, str]:
    """A clerk's ``Authorization`` header for ``service`` in ``city``."""
    token = provider.token(city, audience=service, role="clerk", agency=agency)
    return {"Authorization": f"Bearer {token}"}


def save_report(report: dict[str, Any], results: Path, started: float) -> None:
    """Add the total run time since ``started`` (``time.perf_counter``) and write
    ``report`` as JSON to ``results``."""
    report["total_seconds"] = round(time.perf_counter() - started, 1)
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(report, indent=2, default=str) + "\n")
