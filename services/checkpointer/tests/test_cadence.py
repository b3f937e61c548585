"""When a log's checkpoint is due: by count when busy, by time when quiet, never when idle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chengyu_checkpointer.cadence import Cadence, checkpoint_due

CADENCE = Cadence(every_records=1000, every_seconds=60)
LAST = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def due(size: int, checkpointed: int, seconds_later: float) -> bool:
    return checkpoint_due(
        CADENCE,
        size=size,
        checkpointed_size=checkpointed,
        since=LAST,
        now=LAST + timedelta(seconds=seconds_later),
    )


def test_a_log_that_grew_by_the_count_is_due_at_once() -> None:
    assert due(2000, 1000, 1)


def test_a_log_that_grew_less_is_due_once_the_time_passed() -> None:
    assert not due(1001, 1000, 59.9)
    assert due(1001, 1000, 60)


def test_a_log_that_did_not_grow_is_never_due() -> None:
    assert not due(1000, 1000, 3600)


def test_a_cadence_needs_a_count_and_a_time() -> None:
    for records, seconds in ((0, 60.0), (10, 0.0)):
        try:
            Cadence(records, seconds)
        except ValueError:
            continue
        raise AssertionError(f"Cadence({records}, {seconds}) was accepted")
