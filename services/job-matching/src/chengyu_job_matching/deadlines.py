"""Deadlines in working days and their overdue reminders, shared by the 12333 requests and the
personnel files. Pure: the calendar is the policy's of the city that owes the step.

A step due by ``due_on`` is on time when done on or before that day. Left undone, it is
overdue from the next day on, and its reminder (one event per step and deadline) goes out on
the first working day after ``due_on``: a deadline on the Friday before a holiday week is
reminded of on the first working day after the holiday.
"""

from __future__ import annotations

from datetime import date

from chengyu_contracts.working_days import WorkingCalendar

__all__ = ["due_after", "is_overdue", "on_time", "reminder_day"]


def due_after(calendar: WorkingCalendar, start: date, working_days: int) -> date:
    """The deadline ``working_days`` working days after ``start`` (``start`` itself for 0)."""
    return calendar.add_working_days(start, working_days)


def is_overdue(due_on: date, today: date) -> bool:
    """Whether a step due by ``due_on`` and not done is overdue on ``today``."""
    return today > due_on


def on_time(due_on: date, done_on: date) -> bool:
    """Whether a step done on ``done_on`` met its deadline ``due_on``."""
    return done_on <= due_on


def reminder_day(calendar: WorkingCalendar, due_on: date) -> date:
    """The day the overdue reminder of a step due by ``due_on`` goes out."""
    return calendar.next_working_day(due_on)
