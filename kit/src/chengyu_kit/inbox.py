"""The inbox: apply a batch of consumed events exactly once, in one transaction.

For a batch of records (in partition order) the inbox:
1. decodes and verifies every record (signature, schema) off the event loop, in the
   worker threads or processes of its :class:`~chengyu_kit.crypto_pool.CryptoPool`;
2. in one database transaction, skips events already in the inbox table (redelivery,
   replay), runs the handler of each new event in order, records each event id, and
   runs the writes the handlers deferred (one ``executemany`` per statement), and writes
   the handlers' outgoing events (signed in the pool) and the dead-letter records to the
   outbox;
3. commits; only then may the caller commit the Kafka offsets.

Per-key order survives dead-lettering: once an event of a key is parked, later events
of that key are parked behind it until the parked ones are re-driven and applied.

A handler's permanent rejection (:class:`Rejected`, or an unexpected error) must not
sink its batch: the transaction is rolled back and the batch applied again with that
event dead-lettered. Rejections are rare, so this beats a savepoint per event.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import structlog
from opentelemetry import trace

from chengyu_contracts.cities import City
from chengyu_contracts.decode import EventRejected, VerifiedEvent
from chengyu_contracts.envelope import format_event_time
from chengyu_contracts.person_ref import PersonRefKey
from chengyu_kit.clock import Clock, SystemClock
from chengyu_kit.crypto_pool import CryptoPool, Decoded
from chengyu_kit.db import Connection, is_transient
from chengyu_kit.dead_letter import (
    REDRIVEN_FROM,
    DeadLetterReason,
    ReceivedRecord,
    dead_letter_record,
)
from chengyu_kit.held_keys import KEY_HELD, load_held_keys, save_held_keys
from chengyu_kit.issuer import EventIssuer, PendingEvent
from chengyu_kit.logs import get_logger
from chengyu_kit.metrics import KitMetrics
from chengyu_kit.outbox import OutgoingRecord, add_to_outbox
from chengyu_kit.tracing import context_from_headers, tracer
from chengyu_kit.unit import Unit

log = get_logger(__name__)


class Rejected(Exception):
    """A handler's permanent refusal of an event; it is dead-lettered with this reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass
class EventContext(Unit):
    """The unit of work a handler gets: the batch's transaction, the event's time and
    city, :meth:`~chengyu_kit.unit.Unit.emit`, and the event and record it came from.

    ``conn`` runs statements at once (for reads, or writes a later read depends on).
    :meth:`defer` queues a write that the inbox runs for the whole batch in one
    pipelined ``executemany``, which is what makes batched consumption fast; deferred
    writes run in the order they were queued, after every handler of the batch.
    """

    event: VerifiedEvent = field(kw_only=True)
    record: ReceivedRecord = field(kw_only=True)
    statements: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list, kw_only=True)

    def defer(self, sql: str, *args: Any) -> None:
        """Queue a write to run with the batch's other deferred writes of the same SQL."""
        self.statements.append((sql, args))

    def acted_by(self) -> str | None:
        """The office that acted, as the event names it (``<city>/<agency>/c<opaque>``),
        or None for a step the other service took on its own."""
        return self.event.envelope.chengyuactor


Handler = Callable[[EventContext, Any], Awaitable[None]]


@dataclass
class BatchOutcome:
    """How many events of a batch ended which way."""

    applied: int = 0
    duplicates: int = 0
    ignored: int = 0
    dead_lettered: int = 0
    dead_letter_reasons: list[tuple[str, str]] = field(default_factory=list)
    by_topic: Counter[tuple[str, str]] = field(default_factory=Counter)

    def count(self, topic: str, outcome: str) -> None:
        """One more event of ``topic`` ended as ``outcome`` (the metric's label)."""
        self.by_topic[(topic, outcome)] += 1
        if outcome == "applied":
            self.applied += 1
        elif outcome == "duplicate":
            self.duplicates += 1
        elif outcome == "ignored":
            self.ignored += 1
        else:
            self.dead_lettered += 1


@dataclass
class _Plan:
    """Outcome of one record within the transaction being built."""

    event_id: str
    event_type: str | None
    outcome: str  # applied | dead-lettered
    reason: str | None = None


@dataclass
class _Attempt:
    """State of one attempt at applying a batch inside its transaction."""

    seen: dict[str, str]
    held: dict[tuple[str, bytes] | None, int]
    now: str
    outcome: BatchOutcome = field(default_factory=BatchOutcome)
    plans: list[tuple[ReceivedRecord, _Plan]] = field(default_factory=list)
    outgoing: list[OutgoingRecord | PendingEvent] = field(default_factory=list)
    deferred: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    touched: set[tuple[str, bytes]] = field(default_factory=set)

    def applied(
        self, record: ReceivedRecord, event_id: str, event_type: str, context: EventContext
    ) -> None:
        """Record that a handler applied the event, with what it emitted and deferred."""
        self.outgoing.extend(context.pending)
        self.deferred.extend(context.statements)
        self.plans.append((record, _Plan(event_id, event_type, "applied")))
        self.seen[event_id] = "applied"
        self.outcome.count(record.topic, "applied")

    def hold(self, slot: tuple[str, bytes]) -> None:
        """One more parked event of this key."""
        self.held[slot] = self.held.get(slot, 0) + 1
        self.touched.add(slot)

    def release(self, slot: tuple[str, bytes]) -> None:
        """One parked event of this key was applied after a re-drive."""
        self.held[slot] -= 1
        self.touched.add(slot)


class _RedoOneByOne(Exception):
    """A deferred write failed for good: find the culprit by running writes per event."""


class _RedoWithout(Exception):
    def __init__(self, index: int, reason: DeadLetterReason) -> None:
        super().__init__(reason.code)
        self.index = index
        self.reason = reason


def synthetic_event_id(record: ReceivedRecord) -> str:
    """Inbox id of a record whose own event id cannot be trusted or read."""
    return f"kafka:{record.position}"


class Inbox:
    """Applies batches of records for one consumer (service, city) against its database."""

    def __init__(
        self,
        *,
        consumer: str,
        pool: asyncpg.Pool,
        handlers: Mapping[str, Handler],
        metrics: KitMetrics,
        crypto: CryptoPool,
        city: City,
        person_ref_key: PersonRefKey,
        issuer: EventIssuer | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.consumer = consumer
        self._city: City = city
        self._person_ref_key = person_ref_key
        self._pool = pool
        self._handlers = dict(handlers)
        self._metrics = metrics
        self._crypto = crypto
        self._issuer = issuer
        self._clock = clock or SystemClock()
        self._tracer = tracer()
        self._span_base = {"chengyu.consumer": consumer}
        self._handler_timers: dict[str, Any] = {}

    async def process(self, records: Sequence[ReceivedRecord]) -> BatchOutcome:
        """Apply ``records`` (in log order) exactly once; returns after the commit.

        Transient faults (database unreachable) propagate, with nothing committed.
        """
        decoded = await self._decode_all(records)
        parked: dict[int, DeadLetterReason] = {}
        one_by_one = False
        while True:
            try:
                outcome = await self._apply(records, decoded, parked, one_by_one=one_by_one)
            except _RedoWithout as redo:
                parked[redo.index] = redo.reason
                continue
            except _RedoOneByOne:
                one_by_one = True
                continue
            self._count(outcome)
            return outcome

    async def _decode_all(self, records: Sequence[ReceivedRecord]) -> list[Decoded]:
        return await self._crypto.decode([(record.value, record.key) for record in records])

    async def _apply(
        self,
        records: Sequence[ReceivedRecord],
        decoded: Sequence[VerifiedEvent | EventRejected],
        parked: Mapping[int, DeadLetterReason],
        *,
        one_by_one: bool,
    ) -> BatchOutcome:
        ids = [
            item.envelope.id if isinstance(item, VerifiedEvent) else synthetic_event_id(record)
            for record, item in zip(records, decoded, strict=True)
        ]
        async with self._pool.acquire() as conn, conn.transaction():
            attempt = _Attempt(
                seen=await self._seen(conn, ids),
                # While an event of a key is parked, later events of that key are parked
                # behind it ("key-held") instead of being applied out of order;
                # re-driving the key's parked events in order releases it.
                held=await load_held_keys(conn, self.consumer, records),
                now=format_event_time(self._clock.now()),
            )
            for index, (record, item, event_id) in enumerate(
                zip(records, decoded, ids, strict=True)
            ):
                redriven = record.header(REDRIVEN_FROM) is not None
                retrying_parked = redriven and attempt.seen.get(event_id) == "dead-lettered"
                if event_id in attempt.seen and not retrying_parked:
                    attempt.outcome.count(record.topic, "duplicate")
                    continue
                slot = (record.topic, record.key) if record.key is not None else None
                reason = self._rejection(index, item, parked)
                if reason is None and attempt.held.get(slot, 0) > 0 and not redriven:
                    reason = KEY_HELD
                if reason is not None:
                    self._park(attempt, record, item, event_id, reason, count_key=not redriven)
                    continue
                assert isinstance(item, VerifiedEvent)
                handler = self._handlers.get(item.envelope.type)
                if handler is None:
                    attempt.outcome.count(record.topic, "ignored")
                    attempt.seen[event_id] = "ignored"
                    continue
                context = await self._run_handler(
                    index, conn, record, item, handler, one_by_one=one_by_one
                )
                # The inbox row names the record as written (an older version read through
                # upcasters is recorded as that version; the handler saw the latest).
                attempt.applied(record, event_id, item.written_type, context)
                # Counted by the re-drive header, not by inbox id: a record that could
                # not be verified was parked under a synthetic id, never its own.
                if redriven and slot is not None and attempt.held.get(slot, 0) > 0:
                    attempt.release(slot)
            try:
                await self._run_deferred(conn, attempt.deferred)
            except Exception as error:
                if is_transient(error):
                    raise
                raise _RedoOneByOne from error
            await self._record(conn, attempt.plans)
            await save_held_keys(
                conn, self.consumer, {slot: attempt.held[slot] for slot in attempt.touched}
            )
            await add_to_outbox(conn, await self._sign_all(attempt.outgoing))
        return attempt.outcome

    def _park(
        self,
        attempt: _Attempt,
        record: ReceivedRecord,
        item: VerifiedEvent | EventRejected,
        event_id: str,
        reason: DeadLetterReason,
        *,
        count_key: bool,
    ) -> None:
        # The parked record is the one written, so it is named by its written type.
        event_type = item.written_type if isinstance(item, VerifiedEvent) else None
        attempt.outgoing.append(
            dead_letter_record(
                record,
                reason,
                consumer=self.consumer,
                time=attempt.now,
                event_id=event_id,
                event_type=event_type,
            )
        )
        attempt.plans.append((record, _Plan(event_id, event_type, "dead-lettered", reason.code)))
        attempt.seen[event_id] = "dead-lettered"
        attempt.outcome.count(record.topic, "dead-lettered")
        attempt.outcome.dead_letter_reasons.append((record.topic, reason.code))
        if count_key and record.key is not None:
            attempt.hold((record.topic, record.key))
        log.warning(
            "event dead-lettered",
            reason=reason.code,
            detail=reason.detail,
            event_id=event_id,
            position=record.position,
        )

    @staticmethod
    def _rejection(
        index: int,
        item: VerifiedEvent | EventRejected,
        parked: Mapping[int, DeadLetterReason],
    ) -> DeadLetterReason | None:
        if isinstance(item, EventRejected):
            return DeadLetterReason(item.reason, item.detail)
        return parked.get(index)

    async def _seen(self, conn: Connection, ids: Sequence[str]) -> dict[str, str]:
        rows = await conn.fetch(
            "SELECT event_id, outcome FROM inbox"
            " WHERE consumer = $1 AND event_id = ANY($2::text[])",
            self.consumer,
            ids,
        )
        return {row["event_id"]: row["outcome"] for row in rows}

    async def _run_handler(
        self,
        index: int,
        conn: Connection,
        record: ReceivedRecord,
        event: VerifiedEvent,
        handler: Handler,
        *,
        one_by_one: bool,
    ) -> EventContext:
        context = EventContext(
            conn=conn,
            now=self._clock.now(),
            city=self._city,
            person_ref_key=self._person_ref_key,
            issuer=self._issuer,
            event=event,
            record=record,
        )
        event_type = event.envelope.type
        with (
            self._tracer.start_as_current_span(
                f"handle {event_type}",
                context=context_from_headers(record.headers),
                kind=trace.SpanKind.CONSUMER,
                # Few attributes: span creation is per event and attributes cost the most.
                attributes={"messaging.message.id": event.envelope.id, **self._span_base},
            ),
            structlog.contextvars.bound_contextvars(
                event_id=event.envelope.id, event_type=event_type
            ),
            self._handler_timer(event_type).time(),
        ):
            try:
                await handler(context, event.data)
                if one_by_one:
                    await self._run_deferred(conn, context.statements)
                    context.statements.clear()
            except Rejected as rejection:
                raise _RedoWithout(
                    index, DeadLetterReason(rejection.reason, rejection.detail)
                ) from rejection
            except Exception as error:
                if is_transient(error):
                    raise
                log.exception("handler failed", error=type(error).__name__)
                raise _RedoWithout(
                    index,
                    DeadLetterReason("handler-error", f"the handler raised {type(error).__name__}"),
                ) from error
        return context

    def _handler_timer(self, event_type: str) -> Any:
        timer = self._handler_timers.get(event_type)
        if timer is None:
            timer = self._handler_timers[event_type] = self._metrics.handler_seconds.labels(
                event_type
            )
        return timer

    async def _run_deferred(
        self, conn: Connection, statements: Sequence[tuple[str, tuple[Any, ...]]]
    ) -> None:
        """Run deferred writes in order, each run of one SQL text as one executemany."""
        position = 0
        while position < len(statements):
            sql = statements[position][0]
            end = position
            while end < len(statements) and statements[end][0] == sql:
                end += 1
            await conn.executemany(sql, [args for _, args in statements[position:end]])
            position = end

    async def _sign_all(
        self, outgoing: Sequence[OutgoingRecord | PendingEvent]
    ) -> list[OutgoingRecord]:
        """Sign the handlers' new events in the worker threads; keep the order."""
        pending = [item for item in outgoing if isinstance(item, PendingEvent)]
        if not pending:
            return [item for item in outgoing if isinstance(item, OutgoingRecord)]
        signed = iter(await self._crypto.sign(pending))
        return [next(signed) if isinstance(item, PendingEvent) else item for item in outgoing]

    async def _record(
        self, conn: Connection, plans: Sequence[tuple[ReceivedRecord, _Plan]]
    ) -> None:
        if not plans:
            return
        await conn.execute(
            """
            INSERT INTO inbox
                (consumer, event_id, event_type, topic, kafka_partition, kafka_offset,
                 outcome, reason)
            SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::int[],
                                     $6::bigint[], $7::text[], $8::text[])
            ON CONFLICT (consumer, event_id) DO UPDATE
                SET outcome = excluded.outcome, reason = excluded.reason,
                    topic = excluded.topic, kafka_partition = excluded.kafka_partition,
                    kafka_offset = excluded.kafka_offset, processed_at = clock_timestamp()
            """,
            self.consumer,
            [plan.event_id for _, plan in plans],
            [plan.event_type for _, plan in plans],
            [record.topic for record, _ in plans],
            [record.partition for record, _ in plans],
            [record.offset for record, _ in plans],
            [plan.outcome for _, plan in plans],
            [plan.reason for _, plan in plans],
        )

    def _count(self, outcome: BatchOutcome) -> None:
        # Per record's own topic: one batch of a consumer may span several topics.
        for (topic, name), count in outcome.by_topic.items():
            self._metrics.events_consumed.labels(topic, name).inc(count)
        for dead_topic, reason in outcome.dead_letter_reasons:
            self._metrics.events_dead_lettered.labels(dead_topic, reason).inc()
