"""This city's own read of the event log: every partition of every domain topic from offset
0, each record's leaf appended to its partition's RFC 9162 tree, checkpoints signed and
published as they fall due, the other city's waiting claims judged as the read reaches them.

One round (:meth:`LogReader.read`, a periodic job of the service) reads what the broker has
and commits, per batch, in one transaction: the leaves, how far each log got, the
checkpoints it published (through the outbox) and the claims it judged. The read position
is the database's, never Kafka's committed offsets: after a crash the reader seeks every
partition to where its last commit left it, so no record is added twice or skipped. If a
transaction fails, the trees in memory (which may be ahead of the database) are dropped
and rebuilt from the stored leaves at the next round.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from aiokafka import AIOKafkaConsumer, TopicPartition

from chengyu_contracts.checkpoint import Checkpoint, sign_note
from chengyu_contracts.checkpointers import checkpoint_origin
from chengyu_contracts.events.audit import CheckpointPublished, log_name
from chengyu_contracts.log_record import LogRecord
from chengyu_contracts.merkle import Frontier, root
from chengyu_kit.kafka_auth import client_options
from chengyu_kit.logs import get_logger
from chengyu_kit.partitions import described_partitions
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.unit import Unit

from . import store
from .cadence import Cadence, checkpoint_due
from .witnessing import b64, witness_claim

__all__ = ["LogReader", "ReaderOptions"]

log = get_logger(__name__)

LogKey = tuple[str, int]
_DISCOVER_EVERY_SECONDS = 30.0


@dataclass(frozen=True)
class ReaderOptions:
    """How the reader reads and when it checkpoints."""

    topics: Sequence[str]
    cadence: Cadence
    batch_records: int = 5_000
    #: A round reads until the broker has nothing more or this many seconds passed.
    round_seconds: float = 5.0


class LogReader:
    """The reader of one checkpointer instance (owns its consumer and trees)."""

    def __init__(self, runtime: ServiceRuntime, options: ReaderOptions) -> None:
        self._runtime = runtime
        self._options = options
        self._consumer: AIOKafkaConsumer | None = None
        self._states: dict[LogKey, store.LogState] | None = None
        self._trees: dict[LogKey, Frontier] = {}
        self._started_at: datetime = runtime.clock.now()
        self._discovered_at = 0.0
        self._missing: list[str] = []

    async def read(self) -> int:
        """One round: read, append, checkpoint, judge; the number of records added."""
        try:
            if self._states is None:
                await self._load()
            elif time.monotonic() - self._discovered_at > _DISCOVER_EVERY_SECONDS:
                await self._discover()
            added = 0
            deadline = time.monotonic() + self._options.round_seconds
            while True:
                count = await self._one_batch()
                added += count
                if count == 0 or time.monotonic() > deadline:
                    break
            await self._report_disputes()
            self._report_reading()
            return added
        except Exception as error:
            # The trees in memory may be ahead of what was committed: rebuild them.
            self._states = None
            self._runtime.readiness.set("log-reader", False, type(error).__name__)
            raise

    async def close(self) -> None:
        """Stop the consumer (when the service stops)."""
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    # ---- loading ----------------------------------------------------------------------

    async def _load(self) -> None:
        if self._consumer is None:
            settings = self._runtime.settings
            consumer = AIOKafkaConsumer(
                bootstrap_servers=settings.kafka_bootstrap,
                group_id=None,
                enable_auto_commit=False,
                isolation_level="read_committed",
                auto_offset_reset="earliest",
                client_id=f"{settings.service_name}-{settings.city}-reader",
                **client_options(settings.kafka_credentials),
            )
            await consumer.start()
            self._consumer = consumer
        self._states = {}
        self._trees = {}
        await self._discover()

    async def _discover(self) -> None:
        """Take up every partition of the topics (new ones start at offset 0)."""
        consumer, states = self._consumer, self._states
        assert consumer is not None and states is not None
        settings = self._runtime.settings
        partitions, missing = await described_partitions(
            settings.kafka_bootstrap, self._options.topics, settings.kafka_credentials
        )
        # Not created yet, or not readable: the readiness says which, the read goes on.
        self._missing = missing
        found = [(tp.topic, tp.partition) for tp in partitions]
        self._discovered_at = time.monotonic()
        new = [key for key in found if key not in states]
        if not new:
            return
        async with self._runtime.pool.acquire() as conn:
            await store.ensure_logs(conn, new)
            stored = await store.load_logs(conn)
            for key in new:
                state = stored[key]
                hashes = await store.leaf_hashes(conn, key[0], key[1], state.size)
                tree = Frontier()
                for leaf in hashes:
                    tree.append(leaf)
                states[key], self._trees[key] = state, tree
        consumer.assign([TopicPartition(*key) for key in states])
        for key, state in states.items():
            consumer.seek(TopicPartition(*key), state.next_offset)
        log.info("log reader took up partitions", added=len(new), logs=len(states))

    # ---- one batch ----------------------------------------------------------------------

    async def _one_batch(self) -> int:
        consumer, states = self._consumer, self._states
        assert consumer is not None and states is not None
        # aiokafka waits for an assignment forever: with no partition there is nothing to read.
        batch = (
            await consumer.getmany(timeout_ms=200, max_records=self._options.batch_records)
            if states
            else {}
        )
        rows: list[tuple[str, int, int, int, bytes]] = []
        changed: set[LogKey] = set()
        for tp, records in batch.items():
            key = (tp.topic, tp.partition)
            state, tree = states[key], self._trees[key]
            for record in records:
                if record.offset < state.next_offset:
                    continue  # already in the tree (a fetch repeated after a seek)
                leaf = LogRecord(
                    tp.topic,
                    tp.partition,
                    record.offset,
                    record.timestamp,
                    record.key,
                    record.value,
                    tuple(record.headers or ()),
                ).leaf()
                rows.append((tp.topic, tp.partition, state.size, record.offset, leaf))
                tree.append(leaf)
                state.size += 1
                state.next_offset = record.offset + 1
                changed.add(key)
        async with self._runtime.unit() as unit:
            await store.add_leaves(unit.conn, rows)
            for key in sorted(states):
                note = self._checkpoint_if_due(unit, states[key])
                if note is not None:
                    changed.add(key)
                    await self._store_checkpoint(unit, states[key], note)
            for key in sorted(changed):
                await store.save_log(unit.conn, states[key])
            await self._judge_claims(unit)
        return len(rows)

    def _checkpoint_if_due(self, unit: Unit, state: store.LogState) -> str | None:
        """Sign and emit the log's checkpoint if one is due; the signed note, or None."""
        due = checkpoint_due(
            self._options.cadence,
            size=state.size,
            checkpointed_size=state.checkpointed_size,
            since=state.checkpointed_at or self._started_at,
            now=unit.now,
        )
        if not due:
            return None
        tree = self._trees[(state.topic, state.partition)]
        origin = checkpoint_origin(state.topic, state.partition)
        body = Checkpoint(origin, tree.size, tree.root()).body()
        key = self._runtime.signing_key
        note = sign_note(body, key.key_id, key).text()
        unit.emit(
            CheckpointPublished(
                log=log_name(state.topic, state.partition),
                topic=state.topic,
                partition=state.partition,
                origin=origin,
                tree_size=tree.size,
                root_hash=b64(tree.root()),
                last_offset=state.next_offset - 1,
                checkpointer_city=unit.city,
                note=note,
            )
        )
        state.checkpointed_size, state.checkpointed_at = tree.size, unit.now
        return note

    async def _store_checkpoint(self, unit: Unit, state: store.LogState, note: str) -> None:
        tree = self._trees[(state.topic, state.partition)]
        checkpoint = store.OwnCheckpoint(
            topic=state.topic,
            partition=state.partition,
            size=tree.size,
            root_hash=tree.root(),
            last_offset=state.next_offset - 1,
            note=note,
            published_at=unit.now,
            witnessed_note=None,
            witnessed_at=None,
        )
        await store.insert_checkpoint(unit.conn, checkpoint)

    async def _judge_claims(self, unit: Unit) -> None:
        states = self._states
        assert states is not None
        sizes = {key: state.size for key, state in states.items()}
        for claim in await store.claims_within(unit.conn, sizes):
            key = (claim.topic, claim.partition)
            tree = self._trees[key]
            if claim.size == tree.size:
                own_root = tree.root()
            else:
                own_root = root(
                    await store.leaf_hashes(unit.conn, claim.topic, claim.partition, claim.size)
                )
            await witness_claim(
                unit,
                claim,
                own_root,
                keys=self._runtime.keys,
                signing_key=self._runtime.signing_key,
            )
            await store.delete_claim(unit.conn, claim)

    async def _report_disputes(self) -> None:
        async with self._runtime.pool.acquire() as conn:
            disputes = await store.open_disputes(conn)
        if not disputes:
            self._runtime.readiness.set("checkpoints", True, "no open dispute")
            return
        first = disputes[0]
        self._runtime.readiness.set(
            "checkpoints",
            False,
            f"{len(disputes)} open dispute(s); first: {first.witness_city} disputes"
            f" {first.checkpointer_city}'s checkpoint of"
            f" {log_name(first.topic, first.partition)} at size {first.size} ({first.reason})",
        )

    def _report_reading(self) -> None:
        total = sum(state.size for state in (self._states or {}).values())
        if self._missing:
            self._runtime.readiness.set(
                "log-reader",
                False,
                f"cannot read {', '.join(self._missing)} (missing, or no ACL); {total} read",
            )
        else:
            self._runtime.readiness.set("log-reader", True, f"{total} records read")
