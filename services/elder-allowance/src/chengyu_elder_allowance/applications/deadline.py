"""The deadline by which the paying city decides an application: a number of working days
after the day it was submitted. Pure rules: no I/O, no clock.

Weekends and the policy's public holidays are not working days; the weekends the State
Council's calendar turns into working days (调休) are. The submission day itself never
counts, so an application submitted on Friday with one working day to go is due on Monday.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

# Saturday and Sunday in ``date.weekday()``.
_WEEKEND = frozenset({5, 6})


def is_working_day(
    day: date, holidays: Collection[date], extra_working_days: Collection[date]
) -> bool:
    """Whether ``day`` is a working day: an adjusted working weekend always is; otherwise a
    weekday that is not a holiday."""
    if day in extra_working_days:
        return True
    return day.weekday() not in _WEEKEND and day not in holidays


def decide_by(
    submitted_on: date,
    working_days: int,
    holidays: Collection[date],
    extra_working_days: Collection[date],
) -> date:
    """The last day to decide an application submitted on ``submitted_on``: the
    ``working_days``-th working day after it (the submission day does not count)."""
    if working_days < 1:
        raise ValueError("a decision needs at least one working day")
    day = submitted_on
    left = working_days
    while left:
        day += timedelta(days=1)
        if is_working_day(day, holidays, extra_working_days):
            left -= 1
    return day
