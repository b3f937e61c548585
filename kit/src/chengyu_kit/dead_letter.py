"""Dead-letter records: an event the consumer could not apply, parked with the reason.

The dead-letter record keeps the original key, value and headers byte for byte (so it
can be re-driven after a fix and its signature still verifies) and adds headers saying
why and where from. The headers are the contract for ``chengyu dlq`` and for ops tools.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from chengyu_contracts.registry import dead_letter_topic
from chengyu_kit.outbox import OutgoingRecord

REASON = "chengyu-dlq-reason"
DETAIL = "chengyu-dlq-detail"
ORIGINAL_TOPIC = "chengyu-dlq-topic"
ORIGINAL_PARTITION = "chengyu-dlq-partition"
ORIGINAL_OFFSET = "chengyu-dlq-offset"
CONSUMER = "chengyu-dlq-consumer"
TIME = "chengyu-dlq-time"
EVENT_ID = "chengyu-dlq-event-id"
EVENT_TYPE = "chengyu-dlq-event-type"
# Put on a record that `chengyu dlq redrive` sends back to its original topic, so that
# the consumer retries an event it had dead-lettered instead of skipping it as seen.
REDRIVEN_FROM = "chengyu-redriven-from"

_DLQ_HEADERS = frozenset(
    {REASON, DETAIL, ORIGINAL_TOPIC, ORIGINAL_PARTITION, ORIGINAL_OFFSET, CONSUMER, TIME}
    | {EVENT_ID, EVENT_TYPE, REDRIVEN_FROM}
)


@dataclass(frozen=True)
class ReceivedRecord:
    """The parts of a consumed Kafka record the inbox needs (decoupled from aiokafka)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]

    def header(self, name: str) -> bytes | None:
        """The first header called ``name``, or None."""
        for header_name, value in self.headers:
            if header_name == name:
                return value
        return None

    @property
    def position(self) -> str:
        """``topic/partition/offset``, the record's address in the log."""
        return f"{self.topic}/{self.partition}/{self.offset}"


@dataclass(frozen=True)
class DeadLetterReason:
    """Why an event was parked: a stable code and a sentence without personal data."""

    code: str
    detail: str


def dead_letter_record(
    record: ReceivedRecord,
    reason: DeadLetterReason,
    *,
    consumer: str,
    time: str,
    event_id: str | None = None,
    event_type: str | None = None,
) -> OutgoingRecord:
    """Build the record that parks ``record`` in its topic's dead-letter topic."""
    kept = [(name, value) for name, value in record.headers if name not in _DLQ_HEADERS]
    added = {
        REASON: reason.code,
        DETAIL: reason.detail,
        ORIGINAL_TOPIC: record.topic,
        ORIGINAL_PARTITION: str(record.partition),
        ORIGINAL_OFFSET: str(record.offset),
        CONSUMER: consumer,
        TIME: time,
    }
    if event_id is not None:
        added[EVENT_ID] = event_id
    if event_type is not None:
        added[EVENT_TYPE] = event_type
    headers = tuple(kept) + tuple((name, value.encode()) for name, value in added.items())
    return OutgoingRecord(
        topic=dead_letter_topic(record.topic),
        key=record.key,
        value=record.value or b"",
        headers=headers,
        event_id=event_id,
    )


def dead_letter_info(headers: Iterable[tuple[str, bytes]]) -> dict[str, str]:
    """The dead-letter headers of a parked record, decoded, by header name."""
    return {
        name: value.decode("utf-8", "replace") for name, value in headers if name in _DLQ_HEADERS
    }


def redrive_headers(
    headers: Iterable[tuple[str, bytes]], dlq_position: str
) -> list[tuple[str, bytes]]:
    """The headers of a parked record as they go back to the original topic."""
    kept = [(name, value) for name, value in headers if name not in _DLQ_HEADERS]
    kept.append((REDRIVEN_FROM, dlq_position.encode()))
    return kept


def original_topic(info: Mapping[str, str]) -> str:
    """The topic a parked record came from."""
    return info[ORIGINAL_TOPIC]
