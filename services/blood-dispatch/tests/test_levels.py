"""Levels: days of supply at every threshold, units needed and spare exactly, and the
shown level's hysteresis under random sequences (escalates at once, improves only after
the better level held, publishes stock-low and stock-recovered at the right crossings)."""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction

import pytest
from blood_rule_builders import CQ, T0
from hypothesis import given
from hypothesis import strategies as st

from chengyu_blood_dispatch.blood_groups import PRODUCTS, Product, StockKey
from chengyu_blood_dispatch.levels import (
    LEVELS,
    LOW_LEVELS,
    Level,
    LevelState,
    days_of_supply,
    issues_in_window,
    level_of,
    next_level,
    severity,
    supply_of,
    units_needed,
    units_spare,
)

RED_CELLS_O_POS = StockKey("red-cells", "O", "pos")
HOLD = CQ.deescalation_hold


@pytest.mark.parametrize(
    ("usable", "level"),
    [
        (8, "green"),
        (7, "green"),
        (6, "yellow"),
        (5, "yellow"),
        (4, "orange"),
        (3, "orange"),
        (2, "red"),
        (0, "red"),
    ],
)
def test_red_cells_at_each_threshold(usable: int, level: Level) -> None:
    # 14 issues in the 14-day window: one a day, so days of supply = usable units.
    supply = supply_of(RED_CELLS_O_POS, usable, 14, CQ)
    assert supply.days == usable
    assert supply.level == level


def test_just_below_a_threshold_is_the_worse_level() -> None:
    for days, level in ((Fraction(7), "green"), (Fraction(5), "yellow"), (Fraction(3), "orange")):
        assert level_of(days, "red-cells", CQ) == level
        assert severity(level_of(days - Fraction(1, 1000), "red-cells", CQ)) == severity(level) + 1


def test_no_issues_in_the_window_is_infinite_supply_and_green() -> None:
    supply = supply_of(RED_CELLS_O_POS, 0, 0, CQ)
    assert (supply.days, supply.level, supply.needed) == (None, "green", 0)


def test_the_window_is_trailing_and_excludes_its_start() -> None:
    now = T0 + timedelta(days=20)
    times = [now - timedelta(days=14), now - timedelta(days=14) + timedelta(seconds=1), now]
    assert issues_in_window(times, now, 14) == 2


@given(st.integers(0, 500), st.integers(0, 500), st.sampled_from(PRODUCTS))
def test_more_units_never_mean_a_worse_level(usable: int, issues: int, product: Product) -> None:
    key = StockKey(product, "A", "pos")
    assert severity(supply_of(key, usable + 1, issues, CQ).level) <= severity(
        supply_of(key, usable, issues, CQ).level
    )


@given(st.integers(0, 500), st.integers(1, 500), st.fractions(Fraction(1, 2), Fraction(40)))
def test_units_needed_is_exactly_enough(usable: int, issues: int, target: Fraction) -> None:
    daily = Fraction(issues, 14)
    needed = units_needed(usable, daily, target)
    days = days_of_supply(usable + needed, daily)
    assert days is not None and days >= target
    if needed > 0:
        fewer = days_of_supply(usable + needed - 1, daily)
        assert fewer is not None and fewer < target


@given(st.integers(0, 500), st.integers(0, 500), st.fractions(Fraction(1, 2), Fraction(40)))
def test_units_spare_never_take_a_line_below_its_target(
    usable: int, issues: int, target: Fraction
) -> None:
    daily = Fraction(issues, 14)
    spare = units_spare(usable, daily, target)
    assert 0 <= spare <= usable
    left = days_of_supply(usable - spare, daily)
    assert left is None or left >= target or spare == 0
    if daily > 0 and spare < usable:
        more = days_of_supply(usable - spare - 1, daily)
        assert more is not None and more < target


# --- hysteresis ---------------------------------------------------------------------------

levels = st.sampled_from(LEVELS)
computations = st.lists(
    st.tuples(levels, st.integers(0, 240)),  # a level and the minutes since the one before
    min_size=1,
    max_size=60,
)


@given(computations)
def test_hysteresis_under_random_sequences(sequence: list[tuple[Level, int]]) -> None:
    state: LevelState | None = None
    now = T0
    history: list[tuple[Level, datetime]] = []  # (computed, instant)
    for computed, minutes in sequence:
        now += timedelta(minutes=minutes)
        change = next_level(state, computed, now, HOLD)
        history.append((computed, now))
        shown = change.state.level
        before = None if state is None else state.level
        # Never shown better than the level just computed: escalation is at once.
        assert severity(shown) >= severity(computed)
        if before is not None and severity(shown) < severity(before):
            # An improvement: a run of better levels since at least the hold ago, whose worst
            # is what is now shown.
            # The run starts where the previous state's candidate did: a better level seen
            # before the shown level last changed is not part of it.
            assert state is not None
            start = state.better_since or state.since
            run = []
            for level, at in reversed(history):
                if severity(level) >= severity(before) or at < start:
                    break
                run.append((level, at))
            assert run and now - run[-1][1] >= HOLD
            assert max(severity(level) for level, _ in run) == severity(shown)
        # What is published follows the crossing of the shown level.
        worse = before is None or severity(shown) > severity(before)
        expected = None
        if worse and shown in LOW_LEVELS and shown != before:
            expected = "stock-low"
        elif before in LOW_LEVELS and shown not in LOW_LEVELS:
            expected = "stock-recovered"
        assert change.publish == expected
        state = change.state


@given(levels, levels, st.integers(0, 600))
def test_a_better_level_is_shown_exactly_when_it_has_held(
    shown: Level, better: Level, minutes: int
) -> None:
    if severity(better) >= severity(shown):
        return
    state = next_level(None, shown, T0, HOLD).state
    waiting = next_level(state, better, T0 + timedelta(minutes=1), HOLD)
    assert waiting.state.level == shown and waiting.publish is None
    later = T0 + timedelta(minutes=1 + minutes)
    after = next_level(waiting.state, better, later, HOLD)
    held = timedelta(minutes=minutes) >= HOLD
    assert after.state.level == (better if held else shown)


def test_a_dip_restarts_the_hold() -> None:
    state = next_level(None, "red", T0, HOLD).state
    assert state.level == "red"
    state = next_level(state, "green", T0 + timedelta(hours=1), HOLD).state
    state = next_level(state, "red", T0 + timedelta(hours=5), HOLD).state  # it did not hold
    state = next_level(state, "green", T0 + timedelta(hours=6), HOLD).state
    assert next_level(state, "green", T0 + timedelta(hours=11), HOLD).state.level == "red"
    change = next_level(state, "green", T0 + timedelta(hours=12), HOLD)
    assert (change.state.level, change.publish) == ("green", "stock-recovered")


def test_the_improvement_is_to_the_worst_level_that_held() -> None:
    state = next_level(None, "red", T0, HOLD).state
    state = next_level(state, "green", T0 + timedelta(hours=1), HOLD).state
    state = next_level(state, "orange", T0 + timedelta(hours=2), HOLD).state
    change = next_level(state, "green", T0 + timedelta(hours=7), HOLD)
    # Orange held since hour 1 (green or better); it is shown, still low: nothing to publish.
    assert (change.state.level, change.publish) == ("orange", None)


def test_the_first_computation_is_shown_and_published_when_low() -> None:
    assert next_level(None, "orange", T0, HOLD).publish == "stock-low"
    assert next_level(None, "yellow", T0, HOLD).publish is None


def test_time_only_goes_forward() -> None:
    state = next_level(None, "red", T0, HOLD).state
    with pytest.raises(ValueError):
        next_level(state, "red", T0 - timedelta(seconds=1), HOLD)
