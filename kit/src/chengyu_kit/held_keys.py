"""Keys held behind a parked event, so that per-key order survives dead-lettering.

While a consumer has events of a key parked in a dead-letter topic, later events of that
key are parked behind them (reason ``key-held``) instead of being applied out of order.
The ``parked_key`` table counts a key's parked events per consumer; re-driven events that
are applied count down, and the key is free again at zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chengyu_kit.db import Connection
from chengyu_kit.dead_letter import DeadLetterReason, ReceivedRecord

KEY_HELD = DeadLetterReason(
    "key-held",
    "an earlier event with the same key is parked in the dead-letter topic;"
    " re-drive the key's parked events together, in order",
)
Slot = tuple[str, bytes]  # (topic, Kafka key)


async def load_held_keys(
    conn: Connection, consumer: str, records: Sequence[ReceivedRecord]
) -> dict[Slot | None, int]:
    """How many events are parked for each key of ``records`` that has any."""
    keys = list({record.key for record in records if record.key is not None})
    if not keys:
        return {}
    rows = await conn.fetch(
        "SELECT topic, key, parked FROM parked_key WHERE consumer = $1 AND key = ANY($2::bytea[])",
        consumer,
        keys,
    )
    return {(row["topic"], bytes(row["key"])): row["parked"] for row in rows}


async def save_held_keys(conn: Connection, consumer: str, counts: Mapping[Slot, int]) -> None:
    """Store the new parked counts of the keys a batch changed (zero frees the key)."""
    for (topic, key), parked in counts.items():
        if parked > 0:
            await conn.execute(
                "INSERT INTO parked_key (consumer, topic, key, parked) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (consumer, topic, key) DO UPDATE SET parked = excluded.parked",
                consumer,
                topic,
                key,
                parked,
            )
        else:
            await conn.execute(
                "DELETE FROM parked_key WHERE consumer = $1 AND topic = $2 AND key = $3",
                consumer,
                topic,
                key,
            )
