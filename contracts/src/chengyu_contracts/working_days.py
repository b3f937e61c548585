"""Working days (工作日): the calendar every "N working days" deadline of the platform counts on.

A day is a working day when it is a weekday that is not a public holiday, or a weekend day
the State Council's yearly notice turns into a working day (调休). The notices are data:
each year's holidays and swapped working days, dated, in :data:`NATIONAL_CALENDAR`; a city
may add its own closures (a local holiday) or working days on top, in its policy. Pure: no
I/O, no clock.

Deadlines count whole working days after the day something happened: the day itself never
counts, so a request received on Friday with one working day to go is due on Monday, and
one received on a Sunday that is a swapped working day is due on Monday too.

A year missing from the data is counted with weekends only, which would put deadlines on
holidays: :meth:`WorkingCalendar.knows` lets a service warn and the notice be loaded (the
State Council publishes the next year's notice in November or December).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

__all__ = ["NATIONAL_CALENDAR", "WorkingCalendar", "YearNotice"]

# Saturday and Sunday in ``date.weekday()``.
_WEEKEND = frozenset({5, 6})


def _days(first: date, last: date) -> frozenset[date]:
    return frozenset(first + timedelta(days=n) for n in range((last - first).days + 1))


@dataclass(frozen=True)
class YearNotice:
    """One year's State Council notice on public holidays (国务院办公厅关于部分节假日安排的通知):
    the days off (weekends inside a holiday included) and the weekend days worked (调休)."""

    year: int
    holidays: frozenset[date]
    swapped_working_days: frozenset[date]

    def __post_init__(self) -> None:
        for day in self.holidays | self.swapped_working_days:
            if day.year != self.year:
                raise ValueError(f"{day} is not in the notice's year {self.year}")
        if both := self.holidays & self.swapped_working_days:
            raise ValueError(f"days both holiday and working day: {sorted(both)}")
        for day in self.swapped_working_days:
            if day.weekday() not in _WEEKEND:
                raise ValueError(f"{day} is a weekday: only weekend days are swapped")


#: The State Council's notices for 2025 and 2026 (关于部分节假日安排的通知), as published.
NATIONAL_CALENDAR: tuple[YearNotice, ...] = (
    YearNotice(
        year=2025,
        holidays=_days(date(2025, 1, 1), date(2025, 1, 1))  # 元旦
        | _days(date(2025, 1, 28), date(2025, 2, 4))  # 春节
        | _days(date(2025, 4, 4), date(2025, 4, 6))  # 清明节
        | _days(date(2025, 5, 1), date(2025, 5, 5))  # 劳动节
        | _days(date(2025, 5, 31), date(2025, 6, 2))  # 端午节
        | _days(date(2025, 10, 1), date(2025, 10, 8)),  # 国庆节、中秋节
        swapped_working_days=frozenset(
            {
                date(2025, 1, 26),
                date(2025, 2, 8),
                date(2025, 4, 27),
                date(2025, 9, 28),
                date(2025, 10, 11),
            }
        ),
    ),
    YearNotice(
        year=2026,
        holidays=_days(date(2026, 1, 1), date(2026, 1, 3))  # 元旦
        | _days(date(2026, 2, 15), date(2026, 2, 23))  # 春节
        | _days(date(2026, 4, 4), date(2026, 4, 6))  # 清明节
        | _days(date(2026, 5, 1), date(2026, 5, 5))  # 劳动节
        | _days(date(2026, 6, 19), date(2026, 6, 21))  # 端午节
        | _days(date(2026, 9, 25), date(2026, 9, 27))  # 中秋节
        | _days(date(2026, 10, 1), date(2026, 10, 7)),  # 国庆节
        swapped_working_days=frozenset(
            {
                date(2026, 1, 4),
                date(2026, 2, 14),
                date(2026, 2, 28),
                date(2026, 5, 9),
                date(2026, 9, 20),
                date(2026, 10, 10),
            }
        ),
    ),
)


@dataclass(frozen=True)
class WorkingCalendar:
    """A city's working days: the national notices plus its own closures and working days."""

    notices: tuple[YearNotice, ...] = NATIONAL_CALENDAR
    local_holidays: frozenset[date] = frozenset()
    local_working_days: frozenset[date] = frozenset()
    _holidays: frozenset[date] = field(init=False, repr=False, compare=False)
    _working: frozenset[date] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        years = [notice.year for notice in self.notices]
        if len(years) != len(set(years)):
            raise ValueError("one notice per year")
        holidays = frozenset().union(*(n.holidays for n in self.notices)) | self.local_holidays
        working = (
            frozenset().union(*(n.swapped_working_days for n in self.notices))
            | self.local_working_days
        )
        object.__setattr__(self, "_holidays", holidays - self.local_working_days)
        object.__setattr__(self, "_working", working - self.local_holidays)

    @classmethod
    def national(
        cls, *, local_holidays: Iterable[date] = (), local_working_days: Iterable[date] = ()
    ) -> WorkingCalendar:
        """The national calendar, with a city's own closures and working days on top."""
        return cls(
            local_holidays=frozenset(local_holidays),
            local_working_days=frozenset(local_working_days),
        )

    def knows(self, year: int) -> bool:
        """Whether the calendar has the State Council's notice for ``year``."""
        return any(notice.year == year for notice in self.notices)

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day: a swapped working day always is; otherwise a
        weekday that is not a holiday."""
        if day in self._working:
            return True
        return day.weekday() not in _WEEKEND and day not in self._holidays

    def add_working_days(self, start: date, working_days: int) -> date:
        """The ``working_days``-th working day after ``start`` (``start`` does not count);
        ``start`` itself when ``working_days`` is 0 (a same-day limit)."""
        if working_days < 0:
            raise ValueError("a number of working days is not negative")
        day = start
        left = working_days
        while left:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def next_working_day(self, day: date) -> date:
        """The first working day after ``day``."""
        return self.add_working_days(day, 1)

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days lie after ``start`` up to and including ``end`` (0 when
        ``end`` is not after ``start``)."""
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count
