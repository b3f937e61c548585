"""Bounded exponential backoff for transient faults (database or broker unreachable)."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass
class Backoff:
    """Delays that double from ``initial`` up to ``maximum``, with jitter; reset on success.

    Jitter keeps two cities' consumers from hammering a recovering database in step.
    """

    initial: float = 0.2
    maximum: float = 10.0
    jitter: float = 0.2
    attempts: int = 0

    def next_delay(self) -> float:
        """Return the delay before the next attempt and count the attempt."""
        base = min(self.maximum, self.initial * (2**self.attempts))
        self.attempts += 1
        jittered: float = base * (1 + random.uniform(-self.jitter, self.jitter))
        return jittered

    def reset(self) -> None:
        """Forget past failures after a success."""
        self.attempts = 0
