"""The bytes of one Kafka record as a leaf of its partition's Merkle tree (issue 12): the
record exactly as the broker serves it, with its coordinates, framed so that no two
different records share an encoding. Pure.

Encoding (all integers big-endian)::

    "chengyu-log-record/v1"             a version label, so a future layout never collides
    field(topic) u32 partition u64 offset i64 timestamp (ms)
    field(key or absent) field(value or absent)
    u32 header count, then per header: field(name) field(value or absent)

where ``field(b)`` is a u32 length and the bytes, and an absent key, value or header value
(Kafka's null) is the length 0xFFFFFFFF with no bytes, distinct from an empty one.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from chengyu_contracts.merkle import leaf_hash

__all__ = ["LABEL", "LogRecord"]

LABEL = b"chengyu-log-record/v1"
_ABSENT = 0xFFFFFFFF


def _field(value: bytes | None) -> bytes:
    if value is None:
        return struct.pack(">I", _ABSENT)
    if len(value) >= _ABSENT:
        raise ValueError("a record field is shorter than 4 GiB")
    return struct.pack(">I", len(value)) + value


@dataclass(frozen=True)
class LogRecord:
    """One record of a topic's partition as the broker serves it, with its coordinates."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes | None]] = ()

    def encode(self) -> bytes:
        """The framed bytes of the record and its coordinates."""
        parts = [
            _field(LABEL),
            _field(self.topic.encode()),
            struct.pack(">IQq", self.partition, self.offset, self.timestamp_ms),
            _field(self.key),
            _field(self.value),
            struct.pack(">I", len(self.headers)),
        ]
        for name, header_value in self.headers:
            parts += [_field(name.encode()), _field(header_value)]
        return b"".join(parts)

    def leaf(self) -> bytes:
        """The record's leaf hash in its partition's tree (RFC 9162: 0x00 || encoding)."""
        return leaf_hash(self.encode())
