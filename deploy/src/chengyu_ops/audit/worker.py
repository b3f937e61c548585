"""Reading partitions for the audit, in a worker process or in the caller's: its own
consumer (manual assignment, no group, no commits: read-only), each partition from its
start to the end offset taken when the audit began, every record through a
:class:`PartitionCheck`.

A job holds only picklable values (the key registry as JSON), so it runs the same in a
process pool started with ``spawn``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
from chengyu_contracts.keys import KeyRegistry
from chengyu_contracts.registry import REGISTRY
from chengyu_kit.kafka_auth import KafkaCredentials, client_options
from chengyu_ops.audit.partition_check import PartitionCheck, PartitionResult, RawRecord

#: How long a partition may yield nothing before the rest of it counts as missing.
STALL_SECONDS = 30.0
#: Records between two progress reports of a worker.
PROGRESS_EVERY = 2_000


@dataclass(frozen=True)
class PartitionJob:
    """One partition to read: from ``start`` to ``end`` (exclusive); the tree sizes whose
    roots the checkpoints claim."""

    topic: str
    partition: int
    start: int
    end: int
    tree_sizes: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ReadJob:
    """The partitions one worker reads, and how to reach and judge them."""

    bootstrap: str
    credentials: KafkaCredentials | None
    keys_json: str
    partitions: tuple[PartitionJob, ...]
    keep_events: bool


Progress = Callable[[int], None]


def _record(raw: object) -> RawRecord:
    headers = tuple((name, value) for name, value in getattr(raw, "headers", ()) or ())
    return RawRecord(
        raw.topic,  # type: ignore[attr-defined]
        raw.partition,  # type: ignore[attr-defined]
        raw.offset,  # type: ignore[attr-defined]
        raw.timestamp,  # type: ignore[attr-defined]
        raw.key,  # type: ignore[attr-defined]
        raw.value,  # type: ignore[attr-defined]
        headers,
    )


async def read_partitions(job: ReadJob, progress: Progress | None = None) -> list[PartitionResult]:
    """Read and check every partition of ``job``; the results in the job's order."""
    keys = KeyRegistry.from_json(job.keys_json)
    checks = {
        TopicPartition(p.topic, p.partition): PartitionCheck(
            p.topic,
            p.partition,
            start=p.start,
            end=p.end,
            registry=REGISTRY,
            keys=keys,
            tree_sizes=p.tree_sizes,
            keep_events=job.keep_events,
        )
        for p in job.partitions
    }
    ends = {TopicPartition(p.topic, p.partition): p.end for p in job.partitions}
    pending = {tp for tp, check in checks.items() if not check.done}
    if pending:
        await _consume(job, checks, ends, pending, progress)
    return [checks[TopicPartition(p.topic, p.partition)].finish() for p in job.partitions]


async def _consume(
    job: ReadJob,
    checks: dict[TopicPartition, PartitionCheck],
    ends: dict[TopicPartition, int],
    pending: set[TopicPartition],
    progress: Progress | None,
) -> None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=job.bootstrap,
        group_id=None,
        enable_auto_commit=False,
        fetch_max_bytes=64 * 1024 * 1024,
        max_partition_fetch_bytes=8 * 1024 * 1024,
        **client_options(job.credentials),
    )
    await consumer.start()
    loop = asyncio.get_running_loop()
    try:
        consumer.assign(sorted(pending))
        for tp in pending:
            consumer.seek(tp, checks[tp].start)
        unreported = 0
        stalled_since = loop.time()
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=1000, max_records=10_000)
            for tp, records in batch.items():
                check = checks[tp]
                for raw in records:
                    if raw.offset >= ends[tp]:
                        break
                    check.add(_record(raw))
                    unreported += 1
            if batch:
                stalled_since = loop.time()
            for tp in list(pending):
                # A partition is read once its records reach the end; a control record
                # (transaction marker) at the end is skipped by the consumer, so its
                # position, not the last record, says so.
                if checks[tp].done or await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
            if loop.time() - stalled_since > STALL_SECONDS:
                return
            if progress is not None and unreported >= PROGRESS_EVERY:
                progress(unreported)
                unreported = 0
        if progress is not None and unreported:
            progress(unreported)
    finally:
        await consumer.stop()


def run_in_process(job: ReadJob, queue: object | None = None) -> list[PartitionResult]:
    """The entry point of a worker process: progress goes to ``queue`` (a manager queue)."""
    put = getattr(queue, "put", None)
    return asyncio.run(read_partitions(job, put))
