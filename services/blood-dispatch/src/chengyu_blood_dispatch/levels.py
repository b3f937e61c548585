"""Stock levels: days of supply per line, the level they mean, and a shown level that
escalates at once but improves only after the better level has held (no flapping).

Days of supply of a line (product, ABO, RhD) = usable units (available, unexpired) ÷ the
average daily issues over the policy's trailing window. A line issued nothing in the
window has infinite days of supply (``None``) and is green.

The shown level moves by :func:`next_level`:

* worse than shown -> shown at once; entering orange or red (or red from orange) asks to
  publish ``stock-low``;
* better than shown -> remembered as a candidate from that instant; once every computed
  level since then has been better than shown for the policy's hold, the shown level
  improves to the worst of them (the level that truly held); leaving orange/red for
  yellow/green asks to publish ``stock-recovered``;
* not better -> the candidate is forgotten: the better level did not hold.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Final, Literal

from .blood_groups import Product, StockKey
from .policy import CityPolicy

Level = Literal["green", "yellow", "orange", "red"]
#: From best to worst.
LEVELS: Final[tuple[Level, ...]] = ("green", "yellow", "orange", "red")
LOW_LEVELS: Final[frozenset[Level]] = frozenset({"orange", "red"})

Publish = Literal["stock-low", "stock-recovered"]


def severity(level: Level) -> int:
    """0 for green up to 3 for red: a larger number is a worse level."""
    return LEVELS.index(level)


def issues_in_window(issued_at: Iterable[datetime], now: datetime, window_days: int) -> int:
    """How many of the issue instants fall in the trailing window ``(now - window, now]``."""
    start = now - timedelta(days=window_days)
    return sum(1 for at in issued_at if start < at <= now)


def average_daily_issues(issues: int, window_days: int) -> Fraction:
    """``issues`` over ``window_days``, exactly."""
    if issues < 0 or window_days < 1:
        raise ValueError("issues cannot be negative and the window needs a day")
    return Fraction(issues, window_days)


def days_of_supply(usable: int, daily_issues: Fraction) -> Fraction | None:
    """``usable`` units at ``daily_issues`` a day; ``None`` (infinite) when nothing is
    issued."""
    if usable < 0 or daily_issues < 0:
        raise ValueError("units and issues cannot be negative")
    return None if daily_issues == 0 else usable / daily_issues


def level_of(days: Fraction | None, product: Product, policy: CityPolicy) -> Level:
    """The level of ``days`` of supply of ``product`` by the policy's thresholds (each
    threshold belongs to the better level: exactly 7 days of red cells is green)."""
    if days is None:
        return "green"
    bands = policy.thresholds[product]
    if days >= Fraction(bands.green_from):
        return "green"
    if days >= Fraction(bands.yellow_from):
        return "yellow"
    if days >= Fraction(bands.orange_from):
        return "orange"
    return "red"


def units_needed(usable: int, daily_issues: Fraction, target_days: Fraction) -> int:
    """The whole units that bring ``usable`` up to ``target_days`` of supply (0 if there)."""
    return max(0, math.ceil(target_days * daily_issues - usable))


def units_spare(usable: int, daily_issues: Fraction, target_days: Fraction) -> int:
    """The whole units above ``target_days`` of supply (0 if not above); all of them when
    nothing is issued."""
    return max(0, math.floor(usable - target_days * daily_issues))


@dataclass(frozen=True)
class Supply:
    """One line's supply at an instant."""

    key: StockKey
    usable: int
    daily_issues: Fraction
    days: Fraction | None
    level: Level
    #: Units that would bring the line to the policy's target.
    needed: int


def supply_of(key: StockKey, usable: int, issues: int, policy: CityPolicy) -> Supply:
    """The supply of line ``key`` with ``usable`` units and ``issues`` in the policy's
    window."""
    daily = average_daily_issues(issues, policy.issue_window_days)
    days = days_of_supply(usable, daily)
    return Supply(
        key=key,
        usable=usable,
        daily_issues=daily,
        days=days,
        level=level_of(days, key.product, policy),
        needed=units_needed(usable, daily, policy.target(key.product)),
    )


@dataclass(frozen=True)
class LevelState:
    """The shown level of a line, since when, and a better level waiting to be shown."""

    level: Level
    since: datetime
    #: The worst level computed since ``better_since``, all of them better than ``level``.
    candidate: Level | None = None
    better_since: datetime | None = None


@dataclass(frozen=True)
class LevelChange:
    """The state after a computation and what, if anything, to publish."""

    state: LevelState
    previous: Level | None
    publish: Publish | None

    @property
    def changed(self) -> bool:
        """Whether the shown level moved."""
        return self.previous != self.state.level


def next_level(
    previous: LevelState | None, computed: Level, now: datetime, hold: timedelta
) -> LevelChange:
    """The shown level after computing ``computed`` at ``now`` (module docstring)."""
    if previous is None:
        first = LevelState(computed, now)
        return LevelChange(first, None, "stock-low" if computed in LOW_LEVELS else None)
    if now < previous.since or (previous.better_since is not None and now < previous.better_since):
        raise ValueError("levels are computed forward in time")
    shown = previous.level
    if severity(computed) > severity(shown):
        state = LevelState(computed, now)
        return LevelChange(state, shown, "stock-low" if computed in LOW_LEVELS else None)
    if computed == shown:
        return LevelChange(LevelState(shown, previous.since), shown, None)
    # Better than shown: it must hold for the whole hold before it is shown.
    if previous.candidate is None or previous.better_since is None:
        candidate, better_since = computed, now
    else:
        candidate = max(previous.candidate, computed, key=severity)
        better_since = previous.better_since
    if now - better_since < hold:
        return LevelChange(LevelState(shown, previous.since, candidate, better_since), shown, None)
    recovered = shown in LOW_LEVELS and candidate not in LOW_LEVELS
    # A level better still than the candidate has held only from now on.
    rest = (computed, now) if severity(computed) < severity(candidate) else (None, None)
    state = LevelState(candidate, now, *rest)
    return LevelChange(state, shown, "stock-recovered" if recovered else None)
