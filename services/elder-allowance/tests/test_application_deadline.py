"""The deadline of an application: N working days after the submission day, weekends and
holidays skipped, adjusted working weekends (调休) counted."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chengyu_elder_allowance.applications.deadline import decide_by, is_working_day

# 2026: National Day week, with Sunday 27 September and Saturday 10 October worked (调休).
NATIONAL_DAY = frozenset(date(2026, 10, d) for d in range(1, 9))
ADJUSTED = frozenset({date(2026, 9, 27), date(2026, 10, 10)})

days = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))
holiday_sets = st.frozensets(days, max_size=40)
extra_sets = st.frozensets(days.filter(lambda d: d.weekday() >= 5), max_size=10)


def working_days_between(
    start: date, end: date, holidays: frozenset[date], extra: frozenset[date]
) -> int:
    """Working days after ``start`` up to and including ``end``."""
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day, holidays, extra):
            count += 1
    return count


def test_the_submission_day_does_not_count_and_a_weekend_is_skipped() -> None:
    friday = date(2026, 3, 13)
    assert decide_by(friday, 1, frozenset(), frozenset()) == date(2026, 3, 16)  # Monday
    assert decide_by(friday, 5, frozenset(), frozenset()) == date(2026, 3, 20)


def test_a_holiday_week_is_skipped_and_an_adjusted_weekend_is_worked() -> None:
    # Friday 25 September 2026: Monday 28, Tuesday 29, Wednesday 30 and Sunday 27 are
    # working days; 1-8 October are not; Friday 9 and Saturday 10 are.
    submitted = date(2026, 9, 25)
    assert decide_by(submitted, 1, NATIONAL_DAY, ADJUSTED) == date(2026, 9, 27)
    assert decide_by(submitted, 4, NATIONAL_DAY, ADJUSTED) == date(2026, 9, 30)
    assert decide_by(submitted, 5, NATIONAL_DAY, ADJUSTED) == date(2026, 10, 9)
    assert decide_by(submitted, 6, NATIONAL_DAY, ADJUSTED) == date(2026, 10, 10)


@given(days, st.integers(1, 40), holiday_sets, extra_sets)
def test_the_deadline_is_a_working_day_exactly_n_working_days_later(
    submitted: date, n: int, holidays: frozenset[date], extra: frozenset[date]
) -> None:
    due = decide_by(submitted, n, holidays, extra)
    assert due > submitted
    assert is_working_day(due, holidays, extra)
    assert working_days_between(submitted, due, holidays, extra) == n


@given(days, st.integers(1, 30), st.integers(0, 10), holiday_sets, extra_sets)
def test_the_deadline_never_moves_earlier_with_more_days_or_a_later_submission(
    submitted: date, n: int, more: int, holidays: frozenset[date], extra: frozenset[date]
) -> None:
    due = decide_by(submitted, n, holidays, extra)
    assert decide_by(submitted, n + more, holidays, extra) >= due
    assert decide_by(submitted + timedelta(days=more), n, holidays, extra) >= due
