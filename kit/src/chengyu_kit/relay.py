"""The outbox relay: publishes committed outbox rows to Kafka, in order, then marks them.

Guarantees:
- at least once: a row is marked published only after Kafka acknowledged it
  (``acks=all``, idempotent producer); a crash in between republishes it and the
  consumers' inbox absorbs the duplicate;
- per-key order: rows are published in id order by a single relay per database
  (a PostgreSQL advisory lock elects it), and use cases lock the aggregate they change,
  so two rows of one key are committed in id order;
- low latency at low load: a NOTIFY sent on commit wakes the relay at once; a slow
  poll is only the fallback; at high load it publishes up to ``batch_size`` rows a round.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import asyncpg
from aiokafka import AIOKafkaProducer
from opentelemetry import trace

from chengyu_kit.backoff import Backoff
from chengyu_kit.health import Readiness
from chengyu_kit.kafka_auth import KafkaCredentials, client_options
from chengyu_kit.logs import get_logger
from chengyu_kit.metrics import KitMetrics
from chengyu_kit.outbox import OUTBOX_CHANNEL
from chengyu_kit.tracing import (
    context_from_headers,
    current_trace_headers,
    replace_trace_headers,
    tracer,
)

_RELAY_LOCK = 0x636E_6779_7265_6C  # "cngyrel": one relay per database publishes
log = get_logger(__name__)


def _retrieve(future: asyncio.Future[object]) -> None:
    if not future.cancelled():
        future.exception()


class OutboxRelay:
    """Publishes the outbox of one service database; run one per service process."""

    def __init__(
        self,
        database_url: str,
        bootstrap_servers: str,
        *,
        metrics: KitMetrics,
        readiness: Readiness,
        client_id: str = "chengyu-relay",
        batch_size: int = 1000,
        poll_interval: float = 1.0,
        keep_published: timedelta = timedelta(days=7),
        credentials: KafkaCredentials | None = None,
    ) -> None:
        self._database_url = database_url
        self._bootstrap_servers = bootstrap_servers
        self._metrics = metrics
        self._readiness = readiness
        self._client_id = client_id
        self._credentials = credentials
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._keep_published = keep_published
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._producer: AIOKafkaProducer | None = None
        self._stopping = False
        self._round_topics: set[str] = set()  # topics of the round being published
        self._tracer = tracer()

    def wake(self) -> None:
        """Tell the relay that rows were committed (in-process shortcut for NOTIFY)."""
        self._wakeup.set()

    async def start(self) -> None:
        """Start the producer and the publishing loop."""
        self._readiness.set("relay", False, "starting")
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap_servers,
            client_id=self._client_id,
            enable_idempotence=True,
            acks="all",
            linger_ms=2,
            max_batch_size=1024 * 1024,
            request_timeout_ms=30_000,
            **client_options(self._credentials),
        )
        await self._producer.start()
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self, timeout: float = 10.0) -> None:
        """Publish what is committed (within ``timeout``), then stop."""
        self._stopping = True
        self._wakeup.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        if self._producer is not None:
            # With the broker down, flushing would wait forever; what is not acknowledged
            # stays unpublished in the outbox and goes out after the restart.
            try:
                await asyncio.wait_for(self._producer.stop(), timeout)
            except TimeoutError:
                log.warning("relay producer did not stop in time; unsent rows stay in the outbox")

    async def _run(self) -> None:
        backoff = Backoff()
        while not self._stopping:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self._database_url)
                await self._lead(conn)
                backoff.reset()
            except Exception as error:
                if self._stopping:
                    break
                delay = backoff.next_delay()
                self._metrics.transient_faults.labels("relay").inc()
                if "TopicAuthorization" in type(error).__name__:
                    # Kafka says only "not authorised": name the ACL this principal lacks.
                    who = self._credentials.username if self._credentials else "ANONYMOUS"
                    missing = (
                        f"User:{who} lacks ACL WRITE on topic(s) "
                        f"{', '.join(sorted(self._round_topics))} at {self._bootstrap_servers}"
                    )
                    self._readiness.set("relay", False, missing)
                    log.error("relay denied by Kafka, retrying", missing_acl=missing, delay=delay)
                else:
                    self._readiness.set("relay", False, f"retrying: {type(error).__name__}")
                    log.warning("relay fault, retrying", error=type(error).__name__, delay=delay)
                await asyncio.sleep(delay)
            finally:
                if conn is not None and not conn.is_closed():
                    with contextlib.suppress(Exception):
                        await conn.close(timeout=2)

    async def _lead(self, conn: asyncpg.Connection) -> None:
        """Wait to be the database's relay, then publish until stopped."""
        while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", _RELAY_LOCK):
            self._readiness.set("relay", True, "standby: another process relays")
            if self._stopping:
                return
            await self._sleep_or_wake()
        await conn.add_listener(OUTBOX_CHANNEL, lambda *_: self._wakeup.set())
        self._readiness.set("relay", True, "publishing")
        rounds = 0
        while True:
            published = await self._publish_round(conn)
            rounds += 1
            if rounds % 20 == 1:
                await self._housekeeping(conn)
            if published == 0:
                if self._stopping:
                    return
                await self._sleep_or_wake()

    async def _sleep_or_wake(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), self._poll_interval)
        self._wakeup.clear()

    async def _publish_round(self, conn: asyncpg.Connection) -> int:
        rows = await conn.fetch(
            "SELECT id, topic, key, value, header_names, header_values FROM outbox"
            " WHERE published_at IS NULL ORDER BY id LIMIT $1",
            self._batch_size,
        )
        if not rows:
            return 0
        assert self._producer is not None
        self._round_topics = {row["topic"] for row in rows}
        spans: list[trace.Span] = []
        futures = []
        try:
            for row in rows:
                headers = list(zip(row["header_names"], row["header_values"], strict=True))
                span = self._tracer.start_span(
                    f"publish {row['topic']}",
                    context=context_from_headers(headers),
                    kind=trace.SpanKind.PRODUCER,
                    attributes={"messaging.system": "kafka", "messaging.destination": row["topic"]},
                )
                spans.append(span)
                with trace.use_span(span, end_on_exit=False):
                    trace_headers = current_trace_headers()
                headers = replace_trace_headers(headers, trace_headers)
                futures.append(
                    await self._producer.send(
                        row["topic"], row["value"], key=row["key"], headers=headers
                    )
                )
            await asyncio.gather(*futures)
        except BaseException:
            # The round is retried whole; acknowledge the fate of what was already sent so
            # no "exception never retrieved" noise outlives the failed round.
            for future in futures:
                future.add_done_callback(_retrieve)
            raise
        finally:
            for span in spans:
                span.end()
        await conn.execute(
            "UPDATE outbox SET published_at = clock_timestamp() WHERE id = ANY($1::bigint[])",
            [row["id"] for row in rows],
        )
        for row in rows:
            self._metrics.events_published.labels(row["topic"]).inc()
        return len(rows)

    async def _housekeeping(self, conn: asyncpg.Connection) -> None:
        """Refresh the backlog gauge and drop rows published long ago."""
        backlog = await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        self._metrics.outbox_backlog.set(backlog)
        await conn.execute(
            "DELETE FROM outbox WHERE published_at < clock_timestamp() - $1::interval",
            self._keep_published,
        )
