"""``chengyu audit verify``: the whole audit of the log, from plan to result.

1. Read ``audit.checkpoints`` to its end (verified like any topic) and sort its claims.
2. Only then take each chosen partition's start (offset 0, or the first offset at
   ``since``) and end (the end offset now, or the first at ``until``): every checkpoint read
   in step 1 was signed after its records were in the log, so none covers more records
   than the read will see unless records are gone.
3. Split the partitions over worker processes (largest first, to balance the records) and
   check them (:mod:`partition_check`): records, offsets, trees.
4. Judge what needs all partitions: repeated event ids, each checkpoint's root against the
   recomputed one, and every service's invariants over the verified events.

Read-only throughout: no consumer group, no commits, nothing written to the cluster.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import multiprocessing
import queue
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition

import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
from chengyu_contracts.events.audit import CHECKPOINT_TOPIC
from chengyu_contracts.invariants import Violation
from chengyu_contracts.keys import KeyRegistry
from chengyu_kit.kafka_auth import KafkaCredentials, client_options
from chengyu_ops.audit.checkpoints import CheckpointBook, compare_with_log, read_checkpoints
from chengyu_ops.audit.duplicates import DEFAULT_REDELIVERY_WINDOW_MS, judge_duplicates
from chengyu_ops.audit.findings import Finding
from chengyu_ops.audit.invariants import check_invariants, load_invariants, service_packages
from chengyu_ops.audit.partition_check import PartitionResult
from chengyu_ops.audit.worker import PartitionJob, ReadJob, read_partitions, run_in_process
from chengyu_ops.reading import list_topics, topic_partitions


@dataclass(frozen=True)
class AuditOptions:
    """What to audit and how."""

    #: Topics to read (default: every domain topic on the cluster).
    topics: Sequence[str] = ()
    #: A time range (Kafka record timestamps); checkpoints are only checked from offset 0.
    since: datetime | None = None
    until: datetime | None = None
    processes: int = 1
    invariants: bool = True
    redelivery_window_ms: int = DEFAULT_REDELIVERY_WINDOW_MS
    #: The workspace whose services' invariants are loaded.
    project_root: Path | None = None


@dataclass
class AuditResult:
    """Everything the report shows."""

    started_at: datetime
    finished_at: datetime
    options: AuditOptions
    partitions: list[PartitionResult]
    checkpoints: CheckpointBook
    findings: list[Finding]
    redeliveries: Counter[str] = field(default_factory=Counter)
    invariants: dict[str, tuple[str, list[Violation]]] = field(default_factory=dict)

    @property
    def records(self) -> int:
        """Records read, on every topic."""
        return sum(result.records for result in self.partitions)

    @property
    def clean(self) -> bool:
        """True when nothing was found."""
        return not self.findings


async def domain_topics(bootstrap: str, credentials: KafkaCredentials | None) -> list[str]:
    """Every domain topic of the cluster: not a dead-letter topic, not the checkpoints."""
    return [
        name
        for name in await list_topics(bootstrap, credentials)
        if not name.endswith(".dlq") and name != CHECKPOINT_TOPIC
    ]


async def _bounds(
    bootstrap: str,
    credentials: KafkaCredentials | None,
    partitions: list[TopicPartition],
    since: datetime | None,
    until: datetime | None,
) -> tuple[dict[TopicPartition, int], dict[TopicPartition, int], dict[TopicPartition, int]]:
    """Per partition: its log start offset, the first offset to read, the end to read to."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, **client_options(credentials)
    )
    await consumer.start()
    try:
        beginning = await consumer.beginning_offsets(partitions)
        end = await consumer.end_offsets(partitions)
        start = {tp: 0 for tp in partitions}
        if since is not None:
            found = await consumer.offsets_for_times(
                {tp: int(since.timestamp() * 1000) for tp in partitions}
            )
            start = {tp: end[tp] if at is None else at.offset for tp, at in found.items()}
        if until is not None:
            found = await consumer.offsets_for_times(
                {tp: int(until.timestamp() * 1000) for tp in partitions}
            )
            end = {tp: end[tp] if at is None else at.offset for tp, at in found.items()}
    finally:
        await consumer.stop()
    return beginning, start, end


def _balanced(jobs: list[PartitionJob], workers: int) -> list[list[PartitionJob]]:
    """Partitions shared so each worker has about as many records (largest first)."""
    shares: list[tuple[int, list[PartitionJob]]] = [(0, []) for _ in range(max(1, workers))]
    for job in sorted(jobs, key=lambda j: j.end - j.start, reverse=True):
        load, share = min(shares, key=lambda s: s[0])
        shares.remove((load, share))
        share.append(job)
        shares.append((load + job.end - job.start, share))
    return [share for _, share in shares if share]


async def _run_jobs(
    jobs: list[ReadJob], processes: int, progress: Callable[[int], None]
) -> list[PartitionResult]:
    if processes <= 1 or len(jobs) <= 1:
        return [r for job in jobs for r in await read_partitions(job, progress)]
    return await asyncio.to_thread(_run_in_pool, jobs, progress)


def _run_in_pool(jobs: list[ReadJob], progress: Callable[[int], None]) -> list[PartitionResult]:
    context = multiprocessing.get_context("spawn")
    with (
        context.Manager() as manager,
        concurrent.futures.ProcessPoolExecutor(len(jobs), mp_context=context) as pool,
    ):
        ticks = manager.Queue()
        futures = [pool.submit(run_in_process, job, ticks) for job in jobs]
        while not all(f.done() for f in futures):
            with contextlib.suppress(queue.Empty):
                progress(ticks.get(timeout=0.2))
        while not ticks.empty():
            progress(ticks.get())
        return [r for f in futures for r in f.result()]


async def audit_log(
    bootstrap: str,
    credentials: KafkaCredentials | None,
    keys: KeyRegistry,
    options: AuditOptions,
    *,
    now: Callable[[], datetime],
    on_plan: Callable[[int], None] = lambda total: None,
    progress: Callable[[int], None] = lambda n: None,
) -> AuditResult:
    """Audit the log (see the module's docstring); ``on_plan`` hears how many records will
    be read, ``progress`` how many more were."""
    started = now()
    keys_json = keys.to_json()
    from_zero = options.since is None

    # 1. the checkpoints, read whole and first
    checkpoint_results = await _read_whole(bootstrap, credentials, keys_json, [CHECKPOINT_TOPIC])
    book = read_checkpoints(
        (event for result in checkpoint_results for event in result.events), keys
    )
    for result in checkpoint_results:
        result.events = []

    # 2. the chosen partitions' bounds
    topics = list(options.topics) or await domain_topics(bootstrap, credentials)
    partitions = await topic_partitions(bootstrap, topics, credentials)
    beginning, start, end = await _bounds(
        bootstrap, credentials, partitions, options.since, options.until
    )
    findings: list[Finding] = list(book.findings)
    jobs: list[PartitionJob] = []
    for tp in partitions:
        first = max(start[tp], beginning[tp])
        if from_zero and beginning[tp] > 0:
            findings.append(
                Finding(
                    "truncated-start",
                    f"records before offset {beginning[tp]} were deleted from the partition",
                    tp.topic,
                    tp.partition,
                    0,
                    beginning[tp] - 1,
                )
            )
        sizes = book.sizes(tp.topic, tp.partition) if from_zero else frozenset()
        jobs.append(PartitionJob(tp.topic, tp.partition, first, end[tp], sizes))
    on_plan(sum(job.end - job.start for job in jobs))

    # 3. the partitions, over the workers
    read_jobs = [
        ReadJob(bootstrap, credentials, keys_json, tuple(share), options.invariants)
        for share in _balanced(jobs, options.processes)
    ]
    results = await _run_jobs(read_jobs, options.processes, progress)

    # 4. what needs every partition
    redeliveries: Counter[str] = Counter()
    for result in [*checkpoint_results, *results]:
        findings.extend(result.findings)
    for topic in sorted({r.topic for r in [*checkpoint_results, *results]}):
        seen = [i for r in [*checkpoint_results, *results] if r.topic == topic for i in r.ids]
        judged = judge_duplicates(topic, seen, options.redelivery_window_ms)
        redeliveries[topic] = judged.redeliveries
        findings.extend(judged.findings)
    if from_zero:
        for result in results:
            if result.final is not None:
                claims = book.claims.get((result.topic, result.partition), [])
                findings.extend(
                    compare_with_log(
                        result.topic, result.partition, claims, result.trees, result.final
                    )
                )
    invariants: dict[str, tuple[str, list[Violation]]] = {}
    if options.invariants:
        rules = load_invariants(service_packages(options.project_root or Path.cwd()))
        events = (event for result in results for event in result.events)
        violations = check_invariants(rules, events, now())
        for rule in rules:
            mine = [v for v in violations if v.invariant == rule.name]
            invariants[rule.name] = (rule.description, mine)
            findings.extend(
                Finding(
                    "invariant",
                    v.message,
                    v.at.topic if v.at else None,
                    v.at.partition if v.at else None,
                    v.at.offset if v.at else None,
                    rule=rule.name,
                )
                for v in mine
            )
        for result in results:
            result.events = []
    findings.sort(key=lambda f: (f.topic or "", f.partition or 0, f.offset or 0, f.kind))
    return AuditResult(
        started_at=started,
        finished_at=now(),
        options=options,
        partitions=[*checkpoint_results, *results],
        checkpoints=book,
        findings=findings,
        redeliveries=redeliveries,
        invariants=invariants,
    )


async def _read_whole(
    bootstrap: str, credentials: KafkaCredentials | None, keys_json: str, topics: list[str]
) -> list[PartitionResult]:
    """Every record of ``topics`` (their events kept), in this process; none of a topic
    the cluster does not have (a log with no checkpointer yet)."""
    present = set(await list_topics(bootstrap, credentials))
    topics = [topic for topic in topics if topic in present]
    if not topics:
        return []
    partitions = await topic_partitions(bootstrap, topics, credentials)
    beginning, _, end = await _bounds(bootstrap, credentials, partitions, None, None)
    jobs = tuple(PartitionJob(tp.topic, tp.partition, beginning[tp], end[tp]) for tp in partitions)
    return await read_partitions(ReadJob(bootstrap, credentials, keys_json, jobs, True))
