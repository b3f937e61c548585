"""The deadline of an application: N working days after the submission day on the paying
city's calendar (the calendar's own arithmetic is specified in contracts'
test_working_days.py)."""

from __future__ import annotations

from datetime import date

import pytest

from chengyu_contracts.working_days import WorkingCalendar
from chengyu_elder_allowance.applications.deadline import decide_by
from chengyu_elder_allowance.policy import default_policies

NATIONAL = WorkingCalendar.national()


def test_the_submission_day_does_not_count_and_a_weekend_is_skipped() -> None:
    friday = date(2026, 3, 13)
    assert decide_by(friday, 1, NATIONAL) == date(2026, 3, 16)  # Monday
    assert decide_by(friday, 5, NATIONAL) == date(2026, 3, 20)


def test_the_national_day_week_is_skipped_and_its_swapped_saturday_is_worked() -> None:
    # 2026: 1-7 October off, Saturday 10 October worked; Friday 9 October is a working day.
    submitted = date(2026, 9, 30)
    assert decide_by(submitted, 1, NATIONAL) == date(2026, 10, 8)
    assert decide_by(submitted, 2, NATIONAL) == date(2026, 10, 9)
    assert decide_by(submitted, 3, NATIONAL) == date(2026, 10, 10)


def test_a_decision_needs_at_least_one_working_day() -> None:
    with pytest.raises(ValueError, match="at least one working day"):
        decide_by(date(2026, 3, 13), 0, NATIONAL)


def test_both_cities_count_on_the_national_calendar_by_default() -> None:
    for policy in default_policies():
        assert policy.calendar.knows(2026)
        assert not policy.calendar.is_working_day(date(2026, 2, 16))  # 春节
