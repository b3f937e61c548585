"""A FastStream Kafka subscriber that feeds batches to the inbox and commits after it.

Offsets are committed by FastStream's ``NACK_ON_ERROR`` policy only after the handler
returned, that is after the inbox's database commit; on an error the batch's
partitions are rewound (nack) so nothing is skipped. FastStream's default policy on
Kafka commits before processing (at most once), which this module exists to avoid.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage

from chengyu_kit.backoff import Backoff
from chengyu_kit.dead_letter import ReceivedRecord
from chengyu_kit.health import Readiness
from chengyu_kit.inbox import Inbox
from chengyu_kit.logs import get_logger
from chengyu_kit.metrics import KitMetrics

log = get_logger(__name__)


class BatchNotApplied(Exception):
    """The batch hit transient faults for the whole retry window; it will be redelivered."""


async def _raw_body(message: StreamMessage[Any]) -> Any:
    # The inbox decodes and verifies records itself; FastStream must not parse them.
    return message.body


class EventConsumer:
    """Consumes ``topics`` as consumer group ``group_id`` into an :class:`Inbox`."""

    def __init__(
        self,
        inbox: Inbox,
        *,
        topics: Sequence[str],
        group_id: str,
        metrics: KitMetrics,
        readiness: Readiness,
        max_batch: int = 500,
        batch_timeout_ms: int = 200,
        retry_window: float = 30.0,
        backoff: Backoff | None = None,
    ) -> None:
        self.inbox = inbox
        self.topics = list(topics)
        self.group_id = group_id
        self._metrics = metrics
        self._readiness = readiness
        self._max_batch = max_batch
        self._batch_timeout_ms = batch_timeout_ms
        # Below max.poll.interval.ms (5 min), so a long outage never evicts the
        # consumer from its group: the batch is rewound and fetched again instead.
        self._retry_window = retry_window
        self._backoff = backoff or Backoff()

    def attach(self, broker: KafkaBroker) -> None:
        """Register the batch subscriber on ``broker`` (before the broker starts)."""
        self._readiness.set(f"consumer:{self.group_id}", True, "waiting for events")
        subscriber = broker.subscriber(
            *self.topics,
            group_id=self.group_id,
            batch=True,
            max_records=self._max_batch,
            batch_timeout_ms=self._batch_timeout_ms,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            auto_offset_reset="earliest",
            decoder=_raw_body,
        )
        subscriber(self.on_batch)

    async def on_batch(self, body: Any, message: KafkaMessage) -> None:
        """Apply one fetched batch; raising makes FastStream rewind instead of commit."""
        raw = message.raw_message
        batch = raw if isinstance(raw, tuple) else (raw,)
        records = [
            ReceivedRecord(
                topic=r.topic,
                partition=r.partition,
                offset=r.offset,
                key=r.key,
                value=r.value,
                headers=tuple(r.headers),
            )
            for r in batch
        ]
        if not records:
            return
        await self._apply_with_retry(records)
        consumer = getattr(message, "consumer", None)
        if isinstance(consumer, AIOKafkaConsumer):
            self._record_lag(consumer, records)

    async def _apply_with_retry(self, records: Sequence[ReceivedRecord]) -> None:
        component = f"consumer:{self.group_id}"
        deadline = time.monotonic() + self._retry_window
        while True:
            try:
                with self._metrics.batch_seconds.time():
                    await self.inbox.process(records)
            except Exception as error:
                delay = self._backoff.next_delay()
                self._metrics.transient_faults.labels("consumer").inc()
                self._readiness.set(component, False, f"retrying: {type(error).__name__}")
                log.warning(
                    "batch not applied, retrying",
                    error=type(error).__name__,
                    delay=round(delay, 2),
                    first=records[0].position,
                    size=len(records),
                )
                await asyncio.sleep(delay)
                if time.monotonic() >= deadline:
                    raise BatchNotApplied(records[0].position) from error
                continue
            self._backoff.reset()
            self._readiness.set(component, True, "consuming")
            return

    def _record_lag(self, consumer: AIOKafkaConsumer, records: Sequence[ReceivedRecord]) -> None:
        last: dict[tuple[str, int], int] = {}
        for record in records:
            last[(record.topic, record.partition)] = record.offset
        for (topic, partition), offset in last.items():
            highwater = consumer.highwater(TopicPartition(topic, partition))
            if highwater is not None:
                self._metrics.consumer_lag.labels(topic, str(partition)).set(
                    max(0, highwater - offset - 1)
                )
