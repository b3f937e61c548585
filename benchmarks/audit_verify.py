"""How fast ``chengyu audit verify`` replays the log: verified events per second at 100k,
300k and 1M signed events, against a bare aiokafka read of the same topic in the same run.

The topic ``medins.contribution`` (6 partitions, as deployed) is filled in steps with
signed ``contribution-years-accrued`` events of both cities (signed by worker processes,
so filling takes less time than it would in one); after each step both readers read the
whole topic from offset 0:

- bare aiokafka: ``getmany`` to the end offsets, counting records (the client's ceiling);
- the audit exactly as ``chengyu audit verify --no-invariants`` runs it (its own consumers
  in ``--processes`` workers; each record decoded, its signature, key and schema checked,
  its leaf hashed into its partition's tree; duplicates and offsets judged), and its report
  must be clean.

``uv run python -m benchmarks.audit_verify`` (about 3 minutes on 2 idle CPUs; ``--sizes``
changes the steps). Results in ``benchmarks/results/audit_verify.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import multiprocessing
import os
import platform
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
from benchmarks._infrastructure import ROOT, save_report
from chengyu_contracts.encode import encode_event
from chengyu_contracts.envelope import to_kafka_record
from chengyu_contracts.events.audit import CHECKPOINT_TOPIC
from chengyu_contracts.events.medins import CONTRIBUTION_TOPIC, ContributionYearsAccrued
from chengyu_contracts.keys import KeyRegistry, SigningKey
from chengyu_contracts.registry import REGISTRY
from chengyu_kit.kafka_auth import KafkaCredentials, client_options
from chengyu_kit.local.kafka import (
    KafkaCluster,
    admin_credentials_for,
    ensure_kafka_jars,
    free_port_block,
)
from chengyu_ops.audit.verify import AuditOptions, audit_log
from chengyu_ops.reading import topic_partitions
from chengyu_ops.topics import apply_topics, load_topic_specs

RESULTS = ROOT / "benchmarks" / "results" / "audit_verify.json"
SEEDS = {"cq": bytes(range(32)), "cd": bytes(range(32, 64))}
START = datetime(2025, 1, 1, tzinfo=UTC)


def signing_key(city: str) -> SigningKey:
    """The benchmark's key of ``city``'s insurance bureau (fixed seeds: workers agree)."""
    return SigningKey.from_seed(f"{city}-mi-bench", f"/{city}/mi", SEEDS[city])


def key_registry() -> KeyRegistry:
    """The public keys of both bureaus."""
    return KeyRegistry(signing_key(city).public_entry() for city in SEEDS)


async def _produce(
    bootstrap: str, credentials: KafkaCredentials | None, first: int, count: int
) -> None:
    keys = {city: signing_key(city) for city in SEEDS}
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        linger_ms=20,
        max_batch_size=1024 * 1024,
        **client_options(credentials),
    )
    await producer.start()
    try:
        pending = []
        for index in range(first, first + count):
            city = "cq" if index % 2 else "cd"
            data = ContributionYearsAccrued(
                period_id=f"period-{index}",
                person_ref=f"person-{index % 200_000}",
                city=city,
                start_month="2020-01",
                end_month="2020-12",
                kind="actual",
                version=1,
                cancelled=False,
            )
            envelope = encode_event(
                data,
                source=f"/{city}/mi/insurance-years",
                key=keys[city],
                registry=REGISTRY,
                time=START + timedelta(seconds=index),
            )
            record = to_kafka_record(envelope)
            pending.append(
                await producer.send(
                    CONTRIBUTION_TOPIC, record.value, key=record.key, headers=list(record.headers)
                )
            )
            if len(pending) >= 5_000:
                await asyncio.gather(*pending)
                pending = []
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


def produce_range(
    bootstrap: str, credentials: KafkaCredentials | None, first: int, count: int
) -> int:
    """Worker process: sign and publish events ``first`` to ``first + count - 1``."""
    asyncio.run(_produce(bootstrap, credentials, first, count))
    return count


def fill(
    bootstrap: str, credentials: KafkaCredentials | None, first: int, count: int, workers: int
) -> float:
    """Publish ``count`` more events in ``workers`` processes; the seconds it took."""
    began = time.perf_counter()
    share = -(-count // workers)
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = [
            pool.submit(
                produce_range, bootstrap, credentials, start, min(share, first + count - start)
            )
            for start in range(first, first + count, share)
        ]
        assert sum(f.result() for f in futures) == count
    return time.perf_counter() - began


async def bare_read(bootstrap: str, credentials: KafkaCredentials | None) -> tuple[int, float]:
    """Every record of the topic with a bare consumer: (records, seconds)."""
    partitions = await topic_partitions(bootstrap, [CONTRIBUTION_TOPIC], credentials)
    began = time.perf_counter()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        fetch_max_bytes=64 * 1024 * 1024,
        max_partition_fetch_bytes=8 * 1024 * 1024,
        **client_options(credentials),
    )
    await consumer.start()
    count = 0
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        for tp in partitions:
            consumer.seek(tp, 0)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batch = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            for tp, records in batch.items():
                count += len(records)
                if records and records[-1].offset + 1 >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
    return count, time.perf_counter() - began


async def audited(
    bootstrap: str, credentials: KafkaCredentials | None, processes: int
) -> dict[str, Any]:
    """The audit of the topic: seconds, events per second, and whether it was clean."""
    began = time.perf_counter()
    result = await audit_log(
        bootstrap,
        credentials,
        key_registry(),
        AuditOptions(topics=(CONTRIBUTION_TOPIC,), processes=processes, invariants=False),
        now=lambda: datetime.now(UTC),
    )
    seconds = time.perf_counter() - began
    return {
        "records": result.records,
        "seconds": round(seconds, 2),
        "events_per_second": round(result.records / seconds),
        "findings": len(result.findings),
        "rejected": sum(p.rejected for p in result.partitions),
    }


def load() -> list[float]:
    """The load average (1, 5, 15 min)."""
    return [round(x, 2) for x in os.getloadavg()]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start Kafka, fill and measure at each size, stop it."""
    report: dict[str, Any] = {
        "environment": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_at_start": load(),
            "processes": args.processes,
        },
        "steps": [],
    }
    with tempfile.TemporaryDirectory(prefix="chengyu-bench-audit-") as tmp:
        cluster = KafkaCluster(
            Path(tmp) / "kafka", port=free_port_block(2), jars=ensure_kafka_jars(ROOT)
        )
        await asyncio.to_thread(cluster.start)
        try:
            bootstrap = cluster.bootstrap_servers
            credentials = admin_credentials_for(bootstrap)
            specs = [
                spec
                for spec in load_topic_specs(ROOT / "deploy" / "topics.yaml")
                if spec.name in (CONTRIBUTION_TOPIC, CHECKPOINT_TOPIC)
            ]
            await apply_topics(bootstrap, specs, credentials=credentials)
            produced = 0
            for size in args.sizes:
                filled = fill(bootstrap, credentials, produced, size - produced, args.processes)
                produced = size
                print(f"{size:>9,} events published ({filled:.0f} s to add them)", flush=True)
                count, bare_seconds = await bare_read(bootstrap, credentials)
                assert count == size, (count, size)
                audit = await audited(bootstrap, credentials, args.processes)
                step = {
                    "events": size,
                    "bare_aiokafka": {
                        "seconds": round(bare_seconds, 2),
                        "events_per_second": round(count / bare_seconds),
                    },
                    "audit_verify": audit,
                    "audit_seconds_per_100k": round(audit["seconds"] / size * 100_000, 2),
                    "load": load(),
                }
                report["steps"].append(step)
                print(
                    f"{size:>9,}  bare aiokafka {count / bare_seconds:>9,.0f}/s"
                    f"  audit verify {audit['events_per_second']:>7,}/s"
                    f" ({audit['seconds']} s, {step['audit_seconds_per_100k']} s per 100k,"
                    f" findings {audit['findings']})",
                    flush=True,
                )
        finally:
            await asyncio.to_thread(cluster.stop)
    report["environment"]["load_at_end"] = load()
    return report


def main() -> None:
    """Run the benchmark, print the figures and write them as JSON."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(part) for part in text.split(",")],
        default=[100_000, 300_000, 1_000_000],
        help="comma-separated totals of events to measure at, growing",
    )
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    started = time.perf_counter()
    report = asyncio.run(run(args))
    save_report(report, args.results, started)
    print(f"written to {args.results}")


if __name__ == "__main__":
    main()
