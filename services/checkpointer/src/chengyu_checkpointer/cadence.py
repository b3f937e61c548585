"""When a log's checkpoint is due. Pure.

A checkpoint is taken when a log grew by ``every_records`` records since the last one, or
when it grew at all and ``every_seconds`` passed: a busy log is checkpointed by count, a
quiet one still within the time limit, an idle one not again (nothing new to vouch for).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["Cadence", "checkpoint_due"]


@dataclass(frozen=True)
class Cadence:
    """How often checkpoints are taken (``CHECKPOINT_EVERY_RECORDS`` / ``_SECONDS``)."""

    every_records: int
    every_seconds: float

    def __post_init__(self) -> None:
        if self.every_records < 1 or self.every_seconds <= 0:
            raise ValueError("a cadence needs at least one record and a positive time")


def checkpoint_due(
    cadence: Cadence, *, size: int, checkpointed_size: int, since: datetime, now: datetime
) -> bool:
    """Whether the log of ``size`` records needs a checkpoint now; the last one covered
    ``checkpointed_size`` and was taken at ``since`` (for a log never checkpointed: when
    this reader started on it)."""
    grown = size - checkpointed_size
    if grown <= 0:
        return False
    if grown >= cadence.every_records:
        return True
    return now - since >= timedelta(seconds=cadence.every_seconds)
