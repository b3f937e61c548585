"""Repeated event ids: a relay's redelivery is counted, anything else is a finding."""

from __future__ import annotations

from chengyu_ops.audit.duplicates import judge_duplicates
from chengyu_ops.audit.partition_check import SeenId

MINUTE = 60_000


def seen(event_id: str, partition: int, offset: int, digest: bytes, at_ms: int) -> SeenId:
    return SeenId(event_id, partition, offset, digest, at_ms)


def test_distinct_ids_are_neither_counted_nor_found() -> None:
    judged = judge_duplicates("t", [seen("a", 0, 0, b"x", 0), seen("b", 0, 1, b"y", 0)])

    assert (judged.redeliveries, judged.findings) == (0, [])


def test_the_same_bytes_again_on_the_same_partition_soon_after_is_a_redelivery() -> None:
    judged = judge_duplicates("t", [seen("a", 0, 0, b"x", 0), seen("a", 0, 7, b"x", 2 * MINUTE)])

    assert (judged.redeliveries, judged.findings) == (1, [])


def test_the_same_bytes_long_after_is_a_replay_named_at_the_copy() -> None:
    judged = judge_duplicates(
        "t", [seen("a", 0, 0, b"x", 0), seen("a", 0, 9, b"x", 60 * MINUTE)], 15 * MINUTE
    )

    assert judged.redeliveries == 0
    assert [(f.kind, f.offset) for f in judged.findings] == [("duplicate-event-id", 9)]
    assert "replay" in judged.findings[0].message


def test_other_bytes_under_a_used_id_are_found() -> None:
    judged = judge_duplicates("t", [seen("a", 0, 0, b"x", 0), seen("a", 0, 1, b"z", 0)])

    assert [(f.kind, f.offset) for f in judged.findings] == [("duplicate-event-id", 1)]
    assert "other bytes" in judged.findings[0].message


def test_the_same_id_on_another_partition_is_found() -> None:
    judged = judge_duplicates("t", [seen("a", 0, 0, b"x", 0), seen("a", 3, 0, b"x", 0)])

    assert [(f.partition, f.offset) for f in judged.findings] == [(3, 0)]
