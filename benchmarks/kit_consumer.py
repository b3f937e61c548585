"""Consumer throughput and end-to-end latency of the kit, against a hand-written yardstick.

Run from the workspace root: ``uv run python -m benchmarks.kit_consumer`` (``--help``).
It starts its own Kafka and PostgreSQL in a temporary folder, pre-loads one topic with
signed tally events, then measures on that same topic, each with a fresh consumer group
and a fresh database:

1. ``bare``: an aiokafka consumer reading to the end (no database, no verification);
2. ``loop``: a hand-written aiokafka + asyncpg loop doing the kit's work per event;
3. ``kit``: the kit's ``ServiceRuntime`` consumer (relay off, then relay on);
4. ``latency``: outbox insert in one service to applied effect in another, at a fixed rate;
5. ``kit-plaintext``: the kit's consumer again on a second, plaintext broker without ACLs,
   against ``kit`` on the (default) SASL/SCRAM broker with ACLs: what authentication costs.

Results are printed and written to ``benchmarks/results/kit_consumer.json``; see
``benchmarks/README.md`` for what each figure means.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import dataclasses
import functools
import io
import logging
import multiprocessing
import os
import platform
import pstats
import statistics
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from benchmarks import _domain, _latency_consumer
from benchmarks._domain import (
    TALLY_MIGRATION,
    TALLY_TYPE,
    TALLY_UPSERT,
    BenchKeys,
    TallyApplied,
    TallyIncremented,
    bench_registry,
    bench_runtime,
    make_keys,
)
from benchmarks._infrastructure import kafka_and_postgres, save_report
from chengyu_contracts.decode import decode_event
from chengyu_contracts.encode import encode_event
from chengyu_contracts.envelope import to_kafka_record
from chengyu_contracts.keys import KeyRegistry, SigningKey
from chengyu_contracts.registry import Registry
from chengyu_kit import inbox as kit_inbox
from chengyu_kit.consumer import EventConsumer
from chengyu_kit.inbox import EventContext, Inbox
from chengyu_kit.issuer import EventIssuer
from chengyu_kit.local.kafka import KafkaCluster, ensure_kafka_jars, free_port_block, kafka_version
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.logs import configure_logging
from chengyu_kit.migrations import apply_migrations, kit_migrations
from chengyu_kit.outbox import OUTBOX_CHANNEL
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.testing import kafka_options
from chengyu_kit.tracing import configure_tracing
from tests.support.tally import request_increment

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "kit_consumer.json"
PROFILE_FILE = ROOT / "benchmarks" / "results" / "kit_consumer.prof"
PREFIX = "bench"
CONSUMER_SOURCE = "/cd/bench/tally"
RUN_TIMEOUT = 600.0

SEEN_SQL = "SELECT event_id FROM inbox WHERE consumer = $1 AND event_id = ANY($2::text[])"
# Same statement shape as chengyu_kit.inbox.Inbox._record.
INBOX_SQL = """
    INSERT INTO inbox
        (consumer, event_id, event_type, topic, kafka_partition, kafka_offset, outcome, reason)
    SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::int[],
                             $6::bigint[], $7::text[], $8::text[])
    ON CONFLICT (consumer, event_id) DO UPDATE
        SET outcome = excluded.outcome, reason = excluded.reason,
            topic = excluded.topic, kafka_partition = excluded.kafka_partition,
            kafka_offset = excluded.kafka_offset, processed_at = clock_timestamp()
"""
# Same statement as chengyu_kit.outbox.add_to_outbox.
OUTBOX_SQL = (
    "INSERT INTO outbox (topic, key, value, header_names, header_values, event_id)"
    " VALUES ($1, $2, $3, $4, $5, $6)"
)


# ------------------------------------------------------------------------------------------
# shared set-up


@dataclass
class Bench:
    """The infrastructure and pre-loaded topic every measurement uses."""

    kafka: str
    postgres: LocalPostgres
    keys: BenchKeys
    registry: Registry
    topic: str
    events: int
    batch: int
    amount_sum: int

    async def fresh_database(self, label: str) -> str:
        name = f"{label}_{uuid.uuid4().hex[:10]}"
        await self.postgres.ensure_database(name)
        return self.postgres.dsn(name)


@dataclass
class Throughput:
    """One throughput measurement."""

    name: str
    events: int
    seconds: float  # consumer start (group join included) -> last event applied
    steady_seconds: float  # first batch in hand -> last event applied
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """The headline figure: events / seconds from the consumer's start."""
        return self.events / self.seconds

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "events": self.events,
            "seconds": round(self.seconds, 3),
            "events_per_s": round(self.rate, 1),
            "steady_seconds": round(self.steady_seconds, 3),
            "steady_events_per_s": round(self.events / self.steady_seconds, 1),
            **self.notes,
        }


async def create_topics(bootstrap: str, names: Sequence[str], partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_options(bootstrap))
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(name, num_partitions=partitions, replication_factor=1) for name in names]
        )
    finally:
        await admin.close()


async def preload(bench: Bench, keys: int) -> float:
    """Publish ``bench.events`` signed tally events; return the seconds it took."""
    issuer = EventIssuer(
        source="/cq/bench/tally", signing_key=bench.keys.cq, registry=bench.registry
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bench.kafka,
        **kafka_options(bench.kafka),
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=1024 * 1024,
    )
    started = time.perf_counter()
    await producer.start()
    try:
        for first in range(0, bench.events, 2000):
            futures = []
            for i in range(first, min(bench.events, first + 2000)):
                record = issuer.issue(
                    TallyIncremented(tally_id=f"tally-{i % keys:05d}", amount=1 + i % 7)
                )
                futures.append(
                    await producer.send(
                        bench.topic, record.value, key=record.key, headers=list(record.headers)
                    )
                )
            await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return time.perf_counter() - started


def _new_consumer(bench: Bench, group: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        bench.topic,
        bootstrap_servers=bench.kafka,
        **kafka_options(bench.kafka),
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )


async def check_effects(conn: Any, bench: Bench) -> dict[str, Any]:
    """The tally totals must be exactly those of the pre-loaded events."""
    row = await conn.fetchrow("SELECT sum(total) AS total, sum(events) AS events FROM tally")
    inbox_rows = await conn.fetchval("SELECT count(*) FROM inbox")
    outbox_rows = await conn.fetchval("SELECT count(*) FROM outbox")
    correct = row["total"] == bench.amount_sum and row["events"] == bench.events
    if not correct or inbox_rows != bench.events:
        raise AssertionError(f"wrong effects: {dict(row)}, inbox={inbox_rows}")
    return {"effects_checked": True, "outbox_rows": outbox_rows}


# ------------------------------------------------------------------------------------------
# 1. bare aiokafka


async def run_bare(bench: Bench) -> Throughput:
    consumer = _new_consumer(bench, f"bare-{uuid.uuid4().hex[:8]}")
    started = time.perf_counter()
    await consumer.start()
    count = 0
    payload = 0
    first: float | None = None
    try:
        while count < bench.events:
            _check_deadline(started)
            batches = await consumer.getmany(timeout_ms=200, max_records=bench.batch)
            for records in batches.values():
                if first is None:
                    first = time.perf_counter()
                count += len(records)
                payload += sum(len(r.value) for r in records)
        end = time.perf_counter()
    finally:
        await consumer.stop()
    assert first is not None
    return Throughput(
        "1 bare aiokafka (no db, no verify)",
        count,
        end - started,
        end - first,
        {"payload_bytes": payload},
    )


def _check_deadline(started: float) -> None:
    if time.perf_counter() - started > RUN_TIMEOUT:
        raise TimeoutError("measurement did not finish in time")


# ------------------------------------------------------------------------------------------
# 2. the hand-written loop


@dataclass(frozen=True)
class _Work:
    """One verified record and, when emitting, its signed outgoing outbox row."""

    record: ConsumerRecord
    event_id: str
    tally_id: str
    amount: int
    outbox_row: tuple[Any, ...] | None


def _verify_and_issue(
    records: Sequence[ConsumerRecord],
    registry: Registry,
    keys: KeyRegistry,
    signing_key: SigningKey,
    emit: bool,
) -> list[_Work]:
    """Thread-pool work: verify each record and sign the event it causes."""
    applied_topic = registry.spec_for_model(TallyApplied).topic
    out: list[_Work] = []
    for record in records:
        event = decode_event(record.value, record.key, registry, keys)
        data = event.data
        assert isinstance(data, TallyIncremented)
        row = None
        if emit:
            envelope = encode_event(
                TallyApplied(
                    tally_id=data.tally_id, amount=data.amount, source_event_id=event.envelope.id
                ),
                source=CONSUMER_SOURCE,
                key=signing_key,
                registry=registry,
            )
            kafka = to_kafka_record(envelope)
            row = (
                applied_topic,
                kafka.key,
                kafka.value,
                [name for name, _ in kafka.headers],
                [value for _, value in kafka.headers],
                envelope.id,
            )
        out.append(_Work(record, event.envelope.id, data.tally_id, data.amount, row))
    return out


async def _apply_batch(conn: Any, group: str, work: Sequence[_Work], emit: bool) -> int:
    """One transaction: skip seen ids, upsert tallies, record inbox rows, fill the outbox."""
    async with conn.transaction():
        seen = {
            row["event_id"] for row in await conn.fetch(SEEN_SQL, group, [w.event_id for w in work])
        }
        new: list[_Work] = []
        for item in work:
            if item.event_id not in seen:
                seen.add(item.event_id)
                new.append(item)
        if not new:
            return 0
        await conn.executemany(TALLY_UPSERT, [(w.tally_id, w.amount) for w in new])
        await conn.execute(
            INBOX_SQL,
            group,
            [w.event_id for w in new],
            [TALLY_TYPE] * len(new),
            [w.record.topic for w in new],
            [w.record.partition for w in new],
            [w.record.offset for w in new],
            ["applied"] * len(new),
            [None] * len(new),
        )
        if emit:
            await conn.executemany(OUTBOX_SQL, [w.outbox_row for w in new])
            await conn.execute("SELECT pg_notify($1, '')", OUTBOX_CHANNEL)
    return len(new)


async def run_loop(bench: Bench, *, emit: bool) -> Throughput:
    dsn = await bench.fresh_database("loop")
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
    await apply_migrations(pool, [*kit_migrations(), TALLY_MIGRATION])
    executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="loop-verify")
    loop = asyncio.get_running_loop()
    group = f"loop-{uuid.uuid4().hex[:8]}"
    consumer = _new_consumer(bench, group)
    phases: dict[str, float] = defaultdict(float)
    applied = 0
    first: float | None = None
    started = time.perf_counter()
    await consumer.start()
    try:
        async with pool.acquire() as conn:
            while applied < bench.events:
                _check_deadline(started)
                mark = time.perf_counter()
                batches = await consumer.getmany(timeout_ms=200, max_records=bench.batch)
                records = [r for part in batches.values() for r in part]
                phases["kafka fetch (getmany)"] += time.perf_counter() - mark
                if not records:
                    continue
                mark = time.perf_counter()
                half = (len(records) + 1) // 2
                parts = await asyncio.gather(
                    *(
                        loop.run_in_executor(
                            executor,
                            _verify_and_issue,
                            chunk,
                            bench.registry,
                            bench.keys.registry,
                            bench.keys.cd,
                            emit,
                        )
                        for chunk in (records[:half], records[half:])
                        if chunk
                    )
                )
                work = [item for part in parts for item in part]
                phases["verify + sign (2 threads)"] += time.perf_counter() - mark
                if first is None:
                    first = time.perf_counter()
                mark = time.perf_counter()
                applied += await _apply_batch(conn, group, work, emit)
                phases["db transaction"] += time.perf_counter() - mark
                mark = time.perf_counter()
                await consumer.commit()
                phases["kafka offset commit"] += time.perf_counter() - mark
            end = time.perf_counter()
            notes = await check_effects(conn, bench)
    finally:
        await consumer.stop()
        await pool.close()
        executor.shutdown(wait=True)
    assert first is not None
    total = end - started
    notes["phases_s"] = {name: round(value, 3) for name, value in phases.items()}
    notes["phase_shares"] = {name: round(value / total, 3) for name, value in phases.items()}
    label = "2 hand-written loop" + ("" if emit else " (no emit)")
    return Throughput(label, applied, total, end - first, notes)


# ------------------------------------------------------------------------------------------
# 3. the kit


class _NoRelay:
    """Stands in for the runtime's OutboxRelay when the run measures the consumer alone."""

    async def start(self) -> None:
        return None

    async def stop(self, timeout: float = 10.0) -> None:
        return None

    def wake(self) -> None:
        return None


def _applied(runtime: ServiceRuntime, topic: str) -> float:
    value = runtime.metrics.registry.get_sample_value(
        "chengyu_events_consumed_total", {"topic": topic, "outcome": "applied"}
    )
    return value or 0.0


async def run_kit(
    bench: Bench,
    *,
    emit: bool,
    relay: bool,
    profiler: cProfile.Profile | None = None,
    verify_processes: int = 0,
) -> Throughput:
    dsn = await bench.fresh_database("kit")
    runtime = bench_runtime(
        "cd", kafka=bench.kafka, database_url=dsn, keys=bench.keys, registry=bench.registry,
        batch=bench.batch, verify_processes=verify_processes,
    )  # fmt: skip
    if not relay:
        runtime.relay = _NoRelay()  # type: ignore[assignment]
    first: list[float] = []
    chosen = _domain.on_tally_incremented_and_emit if emit else _domain.on_tally_incremented

    async def handler(event: TallyIncremented, context: EventContext) -> None:
        if not first:
            first.append(time.perf_counter())
        await chosen(event, context)

    runtime.consume(
        [bench.topic], _domain.handlers_of(handler), group_id=f"kit-{uuid.uuid4().hex[:8]}"
    )
    if profiler is not None:
        profiler.enable()
    started = time.perf_counter()
    await runtime.start()
    notes: dict[str, Any] = {"relay": "on" if relay else "off (stub)"}
    try:
        while _applied(runtime, bench.topic) < bench.events:
            _check_deadline(started)
            await asyncio.sleep(0.02)
        end = time.perf_counter()
        if profiler is not None:
            profiler.disable()
        if relay:
            notes["unpublished_when_applied"] = await runtime.pool.fetchval(
                "SELECT count(*) FROM outbox WHERE published_at IS NULL"
            )
            while await runtime.pool.fetchval(
                "SELECT count(*) FROM outbox WHERE published_at IS NULL"
            ):
                _check_deadline(started)
                await asyncio.sleep(0.05)
            published = time.perf_counter()
            notes["seconds_until_all_published"] = round(published - started, 3)
            notes["events_per_s_applied_and_published"] = round(
                bench.events / (published - started), 1
            )
        notes.update(await check_effects(runtime.pool, bench))
    finally:
        await runtime.stop()
    label = "3 kit ServiceRuntime" + ("" if emit else " (no emit)")
    label += ", relay on" if relay else ""
    label += f", {verify_processes} verify processes" if verify_processes else ""
    return Throughput(label, bench.events, end - started, end - first[0], notes)


# ------------------------------------------------------------------------------------------
# profile: where the kit's time goes


@contextlib.contextmanager
def _timed(targets: Sequence[tuple[Any, str, str]], totals: dict[str, float]) -> Iterator[None]:
    """Wrap ``owner.attr`` callables to add their wall time to ``totals[label]``."""
    saved = []
    for owner, attr, label in targets:
        original = getattr(owner, attr)
        saved.append((owner, attr, original))
        setattr(owner, attr, _timing_wrapper(original, label, totals))
    try:
        yield
    finally:
        for owner, attr, original in reversed(saved):
            setattr(owner, attr, original)


def _timing_wrapper(original: Any, label: str, totals: dict[str, float]) -> Any:
    if asyncio.iscoroutinefunction(original):

        @functools.wraps(original)
        async def timed_async(*args: Any, **kwargs: Any) -> Any:
            mark = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                totals[label] += time.perf_counter() - mark

        return timed_async

    @functools.wraps(original)
    def timed_sync(*args: Any, **kwargs: Any) -> Any:
        mark = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            totals[label] += time.perf_counter() - mark

    return timed_sync


async def profile_kit(bench: Bench) -> dict[str, Any]:
    """Wall-time breakdown of the kit run (instrumented), then a cProfile run."""
    totals: dict[str, float] = defaultdict(float)
    targets = [
        (EventConsumer, "on_batch", "EventConsumer.on_batch (whole batch)"),
        (Inbox, "process", "Inbox.process"),
        (Inbox, "_decode_all", "Inbox._decode_all (wait for verify threads)"),
        (Inbox, "_apply", "Inbox._apply (db transaction incl. handlers)"),
        (Inbox, "_run_handler", "Inbox._run_handler (span+metrics+handler)"),
        (_domain, "on_tally_incremented", "handler: tally upsert (deferred)"),
        (Inbox, "_run_deferred", "Inbox._run_deferred (executemany of deferred writes)"),
        (Inbox, "_sign_all", "Inbox._sign_all (wait for signing of emitted events)"),
        (Inbox, "_record", "Inbox._record (inbox insert)"),
        (kit_inbox, "add_to_outbox", "add_to_outbox (executemany + notify)"),
    ]
    with _timed(targets, totals):
        result = await run_kit(bench, emit=True, relay=False)
    wall = result.seconds
    breakdown = {
        label: {"seconds": round(totals[label], 3), "share": round(totals[label] / wall, 3)}
        for _, _, label in targets
    }
    profiler = cProfile.Profile()
    profiled = await run_kit(bench, emit=True, relay=False, profiler=profiler)
    PROFILE_FILE.parent.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(PROFILE_FILE)
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(
        r"chengyu_kit|chengyu_contracts|benchmarks|faststream|aiokafka|opentelemetry|rfc8785", 30
    )
    return {
        "instrumented_run": result.as_json(),
        "wall_breakdown": breakdown,
        "cprofile_run_events_per_s": round(profiled.rate, 1),
        "cprofile_file": str(PROFILE_FILE.relative_to(ROOT)),
        "cprofile_top_cumulative": text.getvalue(),
    }


# ------------------------------------------------------------------------------------------
# 4. latency: outbox insert (producer service) -> applied (consumer service)


async def _wait_count(
    probe: Callable[[], Awaitable[int]], target: int, timeout: float = 120.0
) -> int:
    deadline = time.monotonic() + timeout
    while (value := await probe()) < target:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {value} of {target} within {timeout}s")
        await asyncio.sleep(0.05)
    return value


async def run_latency(
    bench: Bench,
    keys_dir: Path,
    *,
    rates: Sequence[float],
    duration: float,
    partitions: int,
) -> list[dict[str, Any]]:
    prefix = "benchlat"
    registry = bench_registry(prefix)
    topic = registry.spec_for_model(TallyIncremented).topic
    await create_topics(
        bench.kafka, [topic, registry.spec_for_model(TallyApplied).topic], partitions
    )
    producer_dsn = await bench.fresh_database("latprod")
    consumer_dsn = await bench.fresh_database("latcons")
    context = multiprocessing.get_context("spawn")
    ready, stop = context.Event(), context.Event()
    config = {
        "keys_dir": str(keys_dir),
        "prefix": prefix,
        "kafka": bench.kafka,
        "database_url": consumer_dsn,
        "group_id": f"lat-{uuid.uuid4().hex[:8]}",
    }
    child = context.Process(target=_latency_consumer.run, args=(config, ready, stop))
    child.start()
    producer = bench_runtime(
        "cq", kafka=bench.kafka, database_url=producer_dsn, keys=bench.keys, registry=registry
    )
    try:
        if not await asyncio.to_thread(ready.wait, 120):
            raise TimeoutError("the latency consumer did not start")
        await producer.start()
        consumer_db = await asyncpg.connect(consumer_dsn)
        try:
            results = []
            for rate in rates:
                results.append(
                    await _measure_latency(producer, consumer_db, rate=rate, duration=duration)
                )
                print(f"  {rate:.0f}/s: median {results[-1]['median_ms']} ms", flush=True)
            return results
        finally:
            await consumer_db.close()
    finally:
        stop.set()
        await producer.stop()
        await asyncio.to_thread(child.join, 30)
        if child.is_alive():
            child.terminate()
            await asyncio.to_thread(child.join, 10)


async def _measure_latency(
    producer: ServiceRuntime, consumer_db: Any, *, rate: float, duration: float
) -> dict[str, Any]:
    async def inbox_count() -> int:
        return int(await consumer_db.fetchval("SELECT count(*) FROM inbox"))

    warm_up = 50
    before = await inbox_count()
    for i in range(warm_up):
        await request_increment(producer.pool, producer.issuer, f"warm-{i}", 1)
    await _wait_count(inbox_count, before + warm_up)
    total = round(rate * duration)
    # Open loop: each use case starts on its schedule, whatever the previous ones do.
    tasks: list[asyncio.Task[str]] = []
    loop = asyncio.get_running_loop()
    started = loop.time()
    for i in range(total):
        delay = started + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(
            asyncio.create_task(
                request_increment(producer.pool, producer.issuer, f"lat-{i % 500}", 1)
            )
        )
    ids = list(await asyncio.gather(*tasks))
    produced_in = loop.time() - started
    await _wait_count(inbox_count, before + warm_up + total)
    await _wait_count(lambda: _published(producer, ids), len(ids))
    rows = await producer.pool.fetch(
        "SELECT event_id, created_at, published_at FROM outbox WHERE event_id = ANY($1::text[])",
        ids,
    )
    inserted = {row["event_id"]: row["created_at"] for row in rows}
    published = {row["event_id"]: row["published_at"] for row in rows}
    applied = {
        row["event_id"]: row["processed_at"]
        for row in await consumer_db.fetch(
            "SELECT event_id, processed_at FROM inbox WHERE event_id = ANY($1::text[])", ids
        )
    }
    millis = sorted(
        (applied[event_id] - inserted[event_id]).total_seconds() * 1000 for event_id in ids
    )
    relayed = sorted(
        (published[event_id] - inserted[event_id]).total_seconds() * 1000 for event_id in ids
    )
    return {
        "target_rate": rate,
        "insert_to_published_median_ms": round(statistics.median(relayed), 2),
        "insert_to_published_p99_ms": round(_percentile(relayed, 0.99), 2),
        "events": total,
        "achieved_rate": round(total / produced_in, 1),
        "median_ms": round(statistics.median(millis), 2),
        "p90_ms": round(_percentile(millis, 0.90), 2),
        "p99_ms": round(_percentile(millis, 0.99), 2),
        "max_ms": round(millis[-1], 2),
        "min_ms": round(millis[0], 2),
    }


async def _published(producer: ServiceRuntime, ids: Sequence[str]) -> int:
    """How many of ``ids`` the producer's relay has marked published."""
    return int(
        await producer.pool.fetchval(
            "SELECT count(*) FROM outbox WHERE event_id = ANY($1::text[])"
            " AND published_at IS NOT NULL",
            ids,
        )
    )


def _percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending sequence."""
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


# ------------------------------------------------------------------------------------------
# reporting


async def environment(postgres: LocalPostgres) -> dict[str, Any]:
    conn = await asyncpg.connect(postgres.admin_dsn)
    try:
        pg_version = await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()
    packages = ("aiokafka", "faststream", "asyncpg", "pydantic", "pynacl", "rfc8785")
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "kafka": kafka_version(ROOT) + " (deploy/kafka/pom.xml, single KRaft node)",
        "postgresql": pg_version,
        "packages": {name: metadata.version(name) for name in packages},
    }


def print_report(report: dict[str, Any]) -> None:
    env = report["environment"]
    print()
    print(
        f"Environment: {env['cpus']} CPUs ({env['machine']}), Python {env['python']}, "
        f"Kafka {env['kafka']}, PostgreSQL {env['postgresql']}, {env['date']}"
    )
    print(
        "Packages: " + ", ".join(f"{name} {version}" for name, version in env["packages"].items())
    )
    setup = report["setup"]
    print(
        f"Topic: {setup['events']} signed events, {setup['partitions']} partitions, "
        f"{setup['keys']} keys, batches of up to {setup['batch']} "
        f"(pre-load {setup['preload_seconds']} s)"
    )
    print()
    print(f"{'measurement':<46} {'events':>7} {'seconds':>8} {'events/s':>9} {'steady/s':>9}")
    for row in report["throughput"]:
        print(
            f"{row['name']:<46} {row['events']:>7} {row['seconds']:>8.2f} "
            f"{row['events_per_s']:>9.0f} {row['steady_events_per_s']:>9.0f}"
        )
        extra = {
            key: value
            for key, value in row.items()
            if key in ("seconds_until_all_published", "events_per_s_applied_and_published")
        }
        if extra:
            print(f"{'':<6}relay: {extra}")
    print()
    for name, value in report["ratios"].items():
        print(f"{name:<46} {value:.3f}")
    for name, value in report["targets"].items():
        print(f"target {name:<39} {'met' if value else 'NOT met'}")
    for row in report["throughput"]:
        if "phase_shares" in row:
            print(f"{row['name']} phase shares of wall time: {row['phase_shares']}")
    if "latency" in report:
        print()
        for lat in report["latency"]:
            print(
                f"Latency outbox insert -> applied at {lat['target_rate']:.0f}/s target "
                f"({lat['achieved_rate']}/s achieved, {lat['events']} events): "
                f"median {lat['median_ms']} ms, p90 {lat['p90_ms']} ms, "
                f"p99 {lat['p99_ms']} ms, max {lat['max_ms']} ms; of which outbox insert -> "
                f"published by the relay: median {lat['insert_to_published_median_ms']} ms, "
                f"p99 {lat['insert_to_published_p99_ms']} ms"
            )
    if "profile" in report:
        prof = report["profile"]
        print()
        print(
            "Kit wall-time breakdown (instrumented run, "
            f"{prof['instrumented_run']['events_per_s']} events/s; shares of wall time, nested):"
        )
        for label, value in prof["wall_breakdown"].items():
            print(f"  {label:<58} {value['seconds']:>7.2f} s {value['share']:>6.1%}")
        print(f"cProfile ({prof['cprofile_run_events_per_s']} events/s under the profiler):")
        print(prof["cprofile_top_cumulative"])
    print(f"\nJSON: {RESULTS.relative_to(ROOT)}")


# ------------------------------------------------------------------------------------------
# main


async def run(args: argparse.Namespace) -> dict[str, Any]:
    async with kafka_and_postgres("chengyu-bench-") as (folder, cluster, postgres):
        return await _run_all(args, folder, cluster.bootstrap_servers, postgres)


async def _run_all(
    args: argparse.Namespace, folder: Path, kafka: str, postgres: LocalPostgres
) -> dict[str, Any]:
    keys = make_keys(folder / "keys")
    registry = bench_registry(PREFIX)
    topic = registry.spec_for_model(TallyIncremented).topic
    await create_topics(
        kafka, [topic, registry.spec_for_model(TallyApplied).topic], args.partitions
    )
    bench = Bench(
        kafka=kafka,
        postgres=postgres,
        keys=keys,
        registry=registry,
        topic=topic,
        events=args.events,
        batch=args.batch,
        amount_sum=sum(1 + i % 7 for i in range(args.events)),
    )
    print(f"pre-loading {args.events} signed events ...", flush=True)
    preload_seconds = await preload(bench, args.keys)
    report: dict[str, Any] = {
        "environment": await environment(postgres),
        "setup": {
            "events": args.events,
            "partitions": args.partitions,
            "keys": args.keys,
            "batch": args.batch,
            "preload_seconds": round(preload_seconds, 1),
        },
    }
    steps: list[tuple[str, Callable[[], Awaitable[Throughput]]]] = [
        ("bare", lambda: run_bare(bench)),
        ("loop", lambda: run_loop(bench, emit=True)),
        ("kit", lambda: run_kit(bench, emit=True, relay=False)),
    ]
    if not args.skip_relay:
        steps.append(("kit+relay", lambda: run_kit(bench, emit=True, relay=True)))
    if not args.skip_no_emit:
        steps.append(("loop-no-emit", lambda: run_loop(bench, emit=False)))
        steps.append(("kit-no-emit", lambda: run_kit(bench, emit=False, relay=False)))
    if not args.skip_processes:
        steps.append(
            ("kit-processes", lambda: run_kit(bench, emit=True, relay=False, verify_processes=2))
        )
        if not args.skip_no_emit:
            steps.append(
                (
                    "kit-no-emit-processes",
                    lambda: run_kit(bench, emit=False, relay=False, verify_processes=2),
                )
            )
    results: dict[str, Throughput] = {}
    for key, step in steps:
        print(f"measuring {key} ...", flush=True)
        results[key] = await step()
        print(f"  {results[key].rate:,.0f} events/s", flush=True)
    report["throughput"] = [result.as_json() for result in results.values()]
    kit, loop, bare = results["kit"].rate, results["loop"].rate, results["bare"].rate
    report["ratios"] = {
        "kit / loop (3/2)": kit / loop,
        "kit / bare (3/1)": kit / bare,
        "kit / loop (3/2), steady": (results["kit"].events / results["kit"].steady_seconds)
        / (results["loop"].events / results["loop"].steady_seconds),
    }
    if "kit-no-emit" in results:
        report["ratios"]["kit / loop, no emit"] = (
            results["kit-no-emit"].rate / results["loop-no-emit"].rate
        )
    best = max(result.rate for key, result in results.items() if key.startswith("kit"))
    report["targets"] = {
        "3/2 >= 0.6": kit / loop >= 0.6,
        "kit >= 5000 events/s (best kit configuration)": best >= 5000,
    }
    if not args.skip_plaintext:
        print("measuring kit-plaintext (a second, plaintext broker) ...", flush=True)
        plain = await run_on_plaintext(bench, folder, args.partitions, args.keys)
        results["kit-plaintext"] = plain
        report["throughput"].append(plain.as_json())
        print(f"  {plain.rate:,.0f} events/s", flush=True)
        report["ratios"]["kit on SASL/SCRAM+ACLs / kit on plaintext"] = kit / plain.rate
    if not args.skip_latency:
        rates = [float(r) for r in args.rates.split(",") if r.strip()]
        print(f"measuring latency at {rates} events/s, {args.duration} s each ...", flush=True)
        report["latency"] = await run_latency(
            bench,
            folder / "keys",
            rates=rates,
            duration=args.duration,
            partitions=args.partitions,
        )
    if args.profile:
        print("profiling the kit (two more kit runs) ...", flush=True)
        report["profile"] = await profile_kit(bench)
    return report


async def run_on_plaintext(bench: Bench, folder: Path, partitions: int, keys: int) -> Throughput:
    """``kit`` (emit, relay off) on a plaintext broker of its own with the same events."""
    cluster = KafkaCluster(
        folder / "kafka-plaintext", port=free_port_block(2), jars=ensure_kafka_jars(ROOT),
        secure=False,
    )  # fmt: skip
    await asyncio.to_thread(cluster.start)
    try:
        plain = dataclasses.replace(bench, kafka=cluster.bootstrap_servers)
        await create_topics(
            plain.kafka,
            [plain.topic, plain.registry.spec_for_model(TallyApplied).topic],
            partitions,
        )
        await preload(plain, keys)
        result = await run_kit(plain, emit=True, relay=False)
    finally:
        await asyncio.to_thread(cluster.stop)
    result.name += ", plaintext broker"
    return result


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=30_000, help="pre-loaded events")
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--keys", type=int, default=5_000, help="distinct tally ids")
    parser.add_argument("--batch", type=int, default=500, help="max records per batch")
    parser.add_argument(
        "--rates", default="500,100", help="latency: comma-separated events/s, one run each"
    )
    parser.add_argument("--duration", type=float, default=20.0, help="latency: seconds")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument(
        "--skip-plaintext", action="store_true", help="no kit run on a plaintext broker"
    )
    parser.add_argument("--skip-relay", action="store_true", help="no relay-on kit run")
    parser.add_argument("--skip-no-emit", action="store_true", help="no verify-only runs")
    parser.add_argument(
        "--skip-processes", action="store_true", help="no runs with VERIFY_PROCESSES=2"
    )
    parser.add_argument(
        "--profile", action="store_true", help="add an instrumented and a cProfile kit run"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
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
