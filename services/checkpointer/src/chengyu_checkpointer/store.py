"""The checkpointer's tables (``migrations/001_trees.sql``): its read of each log, the leaf
hashes, its own checkpoints, the other city's claims waiting to be judged, disputes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chengyu_kit.db import Connection

__all__ = [
    "LogState",
    "OwnCheckpoint",
    "PendingClaim",
    "RaisedDispute",
    "StoredDispute",
    "acknowledge_dispute",
    "add_leaves",
    "checkpoints_of",
    "claims_within",
    "delete_claim",
    "ensure_logs",
    "insert_checkpoint",
    "insert_claim",
    "insert_dispute",
    "last_witnessed",
    "leaf_hashes",
    "load_logs",
    "mark_witnessed",
    "open_disputes",
    "save_log",
    "set_witnessed",
]

LogKey = tuple[str, int]


@dataclass
class LogState:
    """How far this city's read of one log got."""

    topic: str
    partition: int
    size: int
    next_offset: int
    checkpointed_size: int
    checkpointed_at: datetime | None


@dataclass(frozen=True)
class PendingClaim:
    """The other city's checkpoint, waiting for this city's read to reach its size."""

    topic: str
    partition: int
    size: int
    root_hash: bytes
    origin: str
    note: str
    checkpointer_city: str
    published_at: datetime


@dataclass(frozen=True)
class OwnCheckpoint:
    """A checkpoint this city published, and its witness."""

    topic: str
    partition: int
    size: int
    root_hash: bytes
    last_offset: int
    note: str
    published_at: datetime
    witnessed_note: str | None
    witnessed_at: datetime | None


@dataclass(frozen=True)
class RaisedDispute:
    """A disagreement as it is raised: one city could not confirm the other's checkpoint."""

    topic: str
    partition: int
    size: int
    checkpointer_city: str
    witness_city: str
    reason: str
    detail: str
    raised_at: datetime


@dataclass(frozen=True)
class StoredDispute:
    """A disagreement between the cities about one checkpoint."""

    dispute_id: int
    topic: str
    partition: int
    size: int
    checkpointer_city: str
    witness_city: str
    reason: str
    detail: str
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None


async def ensure_logs(conn: Connection, logs: Sequence[LogKey]) -> None:
    """A row for every log (new partitions start empty)."""
    await conn.executemany(
        "INSERT INTO log (topic, partition) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        list(logs),
    )


async def load_logs(conn: Connection) -> dict[LogKey, LogState]:
    """Every log's state."""
    rows = await conn.fetch(
        "SELECT topic, partition, size, next_offset, checkpointed_size, checkpointed_at"
        " FROM log ORDER BY topic, partition"
    )
    return {(r["topic"], r["partition"]): LogState(**dict(r)) for r in rows}


async def save_log(conn: Connection, state: LogState) -> None:
    """Store how far the read of one log got."""
    await conn.execute(
        "UPDATE log SET size = $3, next_offset = $4, checkpointed_size = $5,"
        " checkpointed_at = $6 WHERE topic = $1 AND partition = $2",
        state.topic,
        state.partition,
        state.size,
        state.next_offset,
        state.checkpointed_size,
        state.checkpointed_at,
    )


async def add_leaves(conn: Connection, rows: Sequence[tuple[str, int, int, int, bytes]]) -> None:
    """Append leaves: (topic, partition, index, record offset, leaf hash)."""
    if rows:
        await conn.copy_records_to_table(
            "leaf",
            records=rows,
            columns=["topic", "partition", "index", "record_offset", "hash"],
        )


async def leaf_hashes(conn: Connection, topic: str, partition: int, size: int) -> list[bytes]:
    """The first ``size`` leaf hashes of a log, in order."""
    rows = await conn.fetch(
        "SELECT hash FROM leaf WHERE topic = $1 AND partition = $2 AND index < $3 ORDER BY index",
        topic,
        partition,
        size,
    )
    return [bytes(r["hash"]) for r in rows]


async def insert_checkpoint(conn: Connection, checkpoint: OwnCheckpoint) -> None:
    """Keep a checkpoint this city published."""
    await conn.execute(
        "INSERT INTO checkpoint (topic, partition, size, root_hash, last_offset, note,"
        " published_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        checkpoint.topic,
        checkpoint.partition,
        checkpoint.size,
        checkpoint.root_hash,
        checkpoint.last_offset,
        checkpoint.note,
        checkpoint.published_at,
    )


async def mark_witnessed(conn: Connection, log: LogKey, size: int, note: str, at: datetime) -> None:
    """The other city co-signed this city's checkpoint of ``log`` at ``size``."""
    await conn.execute(
        "UPDATE checkpoint SET witnessed_note = $4, witnessed_at = $5"
        " WHERE topic = $1 AND partition = $2 AND size = $3 AND witnessed_note IS NULL",
        log[0],
        log[1],
        size,
        note,
        at,
    )


async def checkpoints_of(
    conn: Connection, topic: str, partition: int, limit: int
) -> list[OwnCheckpoint]:
    """This city's latest checkpoints of one log, newest first."""
    rows = await conn.fetch(
        "SELECT topic, partition, size, root_hash, last_offset, note, published_at,"
        " witnessed_note, witnessed_at FROM checkpoint WHERE topic = $1 AND partition = $2"
        " ORDER BY size DESC LIMIT $3",
        topic,
        partition,
        limit,
    )
    return [OwnCheckpoint(**_bytes(dict(r), "root_hash")) for r in rows]


async def insert_claim(conn: Connection, claim: PendingClaim) -> None:
    """Keep the other city's checkpoint until this city's read reaches its size."""
    await conn.execute(
        "INSERT INTO claim (topic, partition, size, root_hash, origin, note,"
        " checkpointer_city, published_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT DO NOTHING",
        claim.topic,
        claim.partition,
        claim.size,
        claim.root_hash,
        claim.origin,
        claim.note,
        claim.checkpointer_city,
        claim.published_at,
    )


async def claims_within(conn: Connection, sizes: dict[LogKey, int]) -> list[PendingClaim]:
    """Waiting claims whose size this city's read has reached, oldest first."""
    rows = await conn.fetch(
        "SELECT topic, partition, size, root_hash, origin, note, checkpointer_city,"
        " published_at FROM claim ORDER BY topic, partition, size FOR UPDATE"
    )
    return [
        PendingClaim(**_bytes(dict(r), "root_hash"))
        for r in rows
        if r["size"] <= sizes.get((r["topic"], r["partition"]), -1)
    ]


async def delete_claim(conn: Connection, claim: PendingClaim) -> None:
    """The claim was judged."""
    await conn.execute(
        "DELETE FROM claim WHERE topic = $1 AND partition = $2 AND size = $3"
        " AND checkpointer_city = $4",
        claim.topic,
        claim.partition,
        claim.size,
        claim.checkpointer_city,
    )


async def last_witnessed(
    conn: Connection, topic: str, partition: int, city: str
) -> tuple[int, bytes] | None:
    """The size and root of the last checkpoint of ``city`` this city confirmed on the log."""
    row = await conn.fetchrow(
        "SELECT size, root_hash FROM witnessed"
        " WHERE topic = $1 AND partition = $2 AND checkpointer_city = $3",
        topic,
        partition,
        city,
    )
    return None if row is None else (int(row["size"]), bytes(row["root_hash"]))


async def set_witnessed(conn: Connection, claim: PendingClaim) -> None:
    """Remember ``claim`` as the latest checkpoint of its city judged on its log."""
    await conn.execute(
        "INSERT INTO witnessed (topic, partition, checkpointer_city, size, root_hash)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (topic, partition, checkpointer_city)"
        " DO UPDATE SET size = GREATEST(witnessed.size, EXCLUDED.size),"
        " root_hash = CASE WHEN EXCLUDED.size >= witnessed.size THEN EXCLUDED.root_hash"
        " ELSE witnessed.root_hash END",
        claim.topic,
        claim.partition,
        claim.checkpointer_city,
        claim.size,
        claim.root_hash,
    )


async def insert_dispute(conn: Connection, dispute: RaisedDispute) -> None:
    """Record a disagreement (once per checkpoint and witness)."""
    await conn.execute(
        "INSERT INTO dispute (topic, partition, size, checkpointer_city, witness_city, reason,"
        " detail, raised_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        dispute.topic,
        dispute.partition,
        dispute.size,
        dispute.checkpointer_city,
        dispute.witness_city,
        dispute.reason,
        dispute.detail,
        dispute.raised_at,
    )


async def open_disputes(conn: Connection) -> list[StoredDispute]:
    """Disputes no clerk acknowledged yet, oldest first."""
    rows = await conn.fetch(
        "SELECT * FROM dispute WHERE acknowledged_at IS NULL ORDER BY dispute_id"
    )
    return [StoredDispute(**dict(r)) for r in rows]


async def acknowledge_dispute(
    conn: Connection, dispute_id: int, by: str, at: datetime
) -> StoredDispute | None:
    """A clerk of the audit office saw the dispute; None if there is no such dispute."""
    row = await conn.fetchrow(
        "UPDATE dispute SET acknowledged_at = COALESCE(acknowledged_at, $3),"
        " acknowledged_by = COALESCE(acknowledged_by, $2) WHERE dispute_id = $1 RETURNING *",
        dispute_id,
        by,
        at,
    )
    return None if row is None else StoredDispute(**dict(row))


def _bytes(row: dict[str, Any], name: str) -> dict[str, Any]:
    row[name] = bytes(row[name])
    return row
