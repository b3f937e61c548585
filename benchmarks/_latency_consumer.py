"""The consuming service of the latency measurement, run in its own process.

A real deployment runs the producing and the consuming service in separate processes;
sharing one event loop would make each delay the other.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from benchmarks._domain import (
    BenchKeys,
    TallyIncremented,
    bench_registry,
    bench_runtime,
    handlers_of,
    on_tally_incremented_and_emit,
)
from chengyu_contracts.keys import KeyRegistry, SigningKey
from chengyu_kit.logs import configure_logging
from chengyu_kit.tracing import configure_tracing


def run(config: dict[str, Any], ready: Any, stop: Any) -> None:
    """Process entry: serve until ``stop`` (a multiprocessing Event) is set."""
    asyncio.run(_serve(config, ready, stop))


async def _serve(config: dict[str, Any], ready: Any, stop: Any) -> None:
    configure_logging("bench-consumer", "cd", "warning")
    configure_tracing("bench-consumer", "cd", "none")
    folder = Path(config["keys_dir"])
    keys = BenchKeys(
        folder / "cq.json",
        folder / "cd.json",
        folder / "registry.json",
        SigningKey.from_json_file(folder / "cq.json"),
        SigningKey.from_json_file(folder / "cd.json"),
        KeyRegistry.from_json_file(folder / "registry.json"),
    )
    registry = bench_registry(config["prefix"])
    runtime = bench_runtime(
        "cd",
        kafka=config["kafka"],
        database_url=config["database_url"],
        keys=keys,
        registry=registry,
    )
    runtime.consume(
        [registry.spec_for_model(TallyIncremented).topic],
        handlers_of(on_tally_incremented_and_emit),
        group_id=config["group_id"],
    )
    await runtime.start()
    ready.set()
    try:
        await asyncio.to_thread(stop.wait)
    finally:
        await runtime.stop()
