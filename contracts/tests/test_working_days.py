"""Working days: weekends and the notices' holidays are off, swapped weekend days (调休) are
worked, a city's own closures and working days apply on top, and "N working days after"
never counts the start day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chengyu_contracts.working_days import NATIONAL_CALENDAR, WorkingCalendar, YearNotice

NATIONAL = WorkingCalendar.national()
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))
weekend_days = days.filter(lambda d: d.weekday() >= 5)


def calendars() -> st.SearchStrategy[WorkingCalendar]:
    return st.builds(
        lambda off, on: WorkingCalendar(notices=(), local_holidays=off, local_working_days=on),
        st.frozensets(days, max_size=40),
        st.frozensets(weekend_days, max_size=10),
    )


def test_the_2026_spring_festival_is_off_and_its_swapped_saturdays_are_worked() -> None:
    assert all(not NATIONAL.is_working_day(date(2026, 2, d)) for d in range(15, 24))
    assert NATIONAL.is_working_day(date(2026, 2, 14))  # Saturday
    assert NATIONAL.is_working_day(date(2026, 2, 28))  # Saturday
    # Friday 13 February + 2 working days: Saturday 14, then Tuesday 24 after the holiday.
    assert NATIONAL.add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)


def test_a_sunday_that_is_a_swapped_working_day_counts() -> None:
    sunday = date(2026, 1, 4)
    assert sunday.weekday() == 6
    assert NATIONAL.is_working_day(sunday)
    assert NATIONAL.add_working_days(date(2026, 1, 3), 1) == sunday


def test_the_start_day_never_counts_and_zero_days_is_the_same_day() -> None:
    friday = date(2026, 3, 13)
    assert NATIONAL.add_working_days(friday, 0) == friday
    assert NATIONAL.add_working_days(friday, 1) == date(2026, 3, 16)
    assert NATIONAL.next_working_day(friday) == date(2026, 3, 16)


def test_a_local_closure_and_a_local_working_day_override_the_notice() -> None:
    city = WorkingCalendar.national(
        local_holidays={date(2026, 3, 16)}, local_working_days={date(2026, 2, 16)}
    )
    assert not city.is_working_day(date(2026, 3, 16))
    assert city.is_working_day(date(2026, 2, 16))
    assert NATIONAL.is_working_day(date(2026, 3, 16))


def test_the_calendar_knows_which_years_it_has_notices_for() -> None:
    assert NATIONAL.knows(2025) and NATIONAL.knows(2026)
    assert not NATIONAL.knows(2027)


def test_every_swapped_working_day_of_the_notices_is_a_weekend_day() -> None:
    for notice in NATIONAL_CALENDAR:
        assert all(day.weekday() >= 5 for day in notice.swapped_working_days)


def test_a_notice_refuses_a_weekday_as_a_swapped_working_day() -> None:
    with pytest.raises(ValueError, match="weekday"):
        YearNotice(
            year=2026, holidays=frozenset(), swapped_working_days=frozenset({date(2026, 3, 16)})
        )


def test_a_negative_number_of_working_days_is_refused() -> None:
    with pytest.raises(ValueError, match="not negative"):
        NATIONAL.add_working_days(date(2026, 3, 13), -1)


@given(days, st.integers(0, 40), calendars())
def test_the_deadline_lies_exactly_n_working_days_later(
    start: date, n: int, calendar: WorkingCalendar
) -> None:
    due = calendar.add_working_days(start, n)
    assert calendar.working_days_between(start, due) == n
    if n:
        assert calendar.is_working_day(due)


@given(days, st.integers(0, 30), st.integers(0, 10), calendars())
def test_the_deadline_never_moves_earlier_with_more_days_or_a_later_start(
    start: date, n: int, more: int, calendar: WorkingCalendar
) -> None:
    due = calendar.add_working_days(start, n)
    assert calendar.add_working_days(start, n + more) >= due
    assert calendar.add_working_days(start + timedelta(days=more), n) >= due
