"""The outbox: events written with the state change that caused them, in one transaction.

A use case calls :func:`add_to_outbox` on the connection of its transaction. The
:class:`~chengyu_kit.relay.OutboxRelay` publishes what was committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chengyu_kit.db import Connection

OUTBOX_CHANNEL = "chengyu_outbox"


@dataclass(frozen=True)
class OutgoingRecord:
    """A Kafka record waiting in the outbox: exactly the bytes that will be published."""

    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()
    event_id: str | None = None


async def add_to_outbox(conn: Connection, records: Sequence[OutgoingRecord]) -> None:
    """Insert ``records`` into the outbox within the caller's transaction.

    The NOTIFY is delivered only when the transaction commits, so the relay wakes up
    for committed rows only and publishes them at once instead of waiting for a poll.
    """
    if not records:
        return
    if not conn.is_in_transaction():
        raise RuntimeError("add_to_outbox must run inside the transaction of the state change")
    await conn.executemany(
        "INSERT INTO outbox (topic, key, value, header_names, header_values, event_id)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        [
            (
                r.topic,
                r.key,
                r.value,
                [name for name, _ in r.headers],
                [value for _, value in r.headers],
                r.event_id,
            )
            for r in records
        ],
    )
    await conn.execute("SELECT pg_notify($1, '')", OUTBOX_CHANNEL)
