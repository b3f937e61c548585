"""The deadline by which the paying city decides an application: a number of working days
after the day it was submitted, on the paying city's working-day calendar
(``chengyu_contracts.working_days``: weekends and public holidays are not working days, the
weekends the State Council's notice turns into working days (调休) are). The submission day
itself never counts, so an application submitted on Friday with one working day to go is due
on Monday. Pure rules: no I/O, no clock.
"""

from __future__ import annotations

from datetime import date

from chengyu_contracts.working_days import WorkingCalendar


def decide_by(submitted_on: date, working_days: int, calendar: WorkingCalendar) -> date:
    """The last day to decide an application submitted on ``submitted_on``: the
    ``working_days``-th working day after it (the submission day does not count)."""
    if working_days < 1:
        raise ValueError("a decision needs at least one working day")
    return calendar.add_working_days(submitted_on, working_days)
