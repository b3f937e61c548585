"""Calendar months, the unit of contributions, and inclusive spans of months with their union."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from .errors import DomainError

_MONTH_TEXT = re.compile(r"^(\d{4})-(\d{2})$")
# Far enough either side for any real career; bounds keep arithmetic and parsing honest.
MIN_YEAR = 1900
MAX_YEAR = 9998


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month; ordered by time, written ``YYYY-MM``."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not (MIN_YEAR <= self.year <= MAX_YEAR and 1 <= self.month <= 12):
            raise DomainError(
                "invalid-month",
                f"A month needs a year {MIN_YEAR}-{MAX_YEAR} and a month 1-12.",
            )

    @classmethod
    def parse(cls, text: str) -> Month:
        """Parse exactly ``YYYY-MM`` (``2026-03``); anything else is ``invalid-month``."""
        match = _MONTH_TEXT.match(text)
        if match is None:
            raise DomainError("invalid-month", "A month is written YYYY-MM, e.g. 2026-03.")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> Month:
        """The month a day falls in."""
        return cls(day.year, day.month)

    @classmethod
    def from_index(cls, index: int) -> Month:
        """Inverse of :attr:`index`."""
        year, zero_based = divmod(index, 12)
        return cls(year, zero_based + 1)

    @property
    def index(self) -> int:
        """Months since year 0: turns month arithmetic into integer arithmetic."""
        return self.year * 12 + self.month - 1

    def plus(self, months: int) -> Month:
        """The month ``months`` later (earlier when negative)."""
        return Month.from_index(self.index + months)

    def next(self) -> Month:
        """The following month."""
        return self.plus(1)

    def previous(self) -> Month:
        """The preceding month."""
        return self.plus(-1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def months_between(start: Month, end: Month) -> int:
    """How many months ``end`` is after ``start`` (negative when before)."""
    return end.index - start.index


def month_range(first: Month, last: Month) -> Iterator[Month]:
    """Every month from ``first`` to ``last``, both included; empty when ``last < first``."""
    for index in range(first.index, last.index + 1):
        yield Month.from_index(index)


@dataclass(frozen=True, order=True)
class MonthSpan:
    """The months from ``first`` to ``last``, both included; never empty.

    A span that ends before it starts is ``end-before-start``: an empty span would let a
    mistyped period pass silently as "no months".
    """

    first: Month
    last: Month

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise DomainError(
                "end-before-start",
                f"A period ending {self.last} cannot start later, in {self.first}.",
            )

    @classmethod
    def parse(cls, first: str, last: str) -> MonthSpan:
        """The span between two ``YYYY-MM`` texts, both included."""
        return cls(Month.parse(first), Month.parse(last))

    @property
    def length(self) -> int:
        """How many months the span holds (at least 1)."""
        return months_between(self.first, self.last) + 1

    def months(self) -> Iterator[Month]:
        """Every month of the span, in order."""
        return month_range(self.first, self.last)

    def __contains__(self, month: object) -> bool:
        return isinstance(month, Month) and self.first <= month <= self.last

    def up_to(self, last: Month) -> MonthSpan | None:
        """The part of the span on or before ``last``; ``None`` when nothing is left."""
        if last < self.first:
            return None
        return MonthSpan(self.first, min(self.last, last))

    def __str__(self) -> str:
        return f"{self.first}..{self.last}"


def union(spans: Iterable[MonthSpan]) -> tuple[MonthSpan, ...]:
    """The months covered by any of ``spans``, as disjoint spans in order.

    Overlapping and touching spans merge (``2020-01..2020-06`` and ``2020-07..2020-12`` are
    one year), so the result is the same whatever the order or repetition of the input.
    """
    merged: list[MonthSpan] = []
    for span in sorted(spans):
        if merged and span.first.index <= merged[-1].last.index + 1:
            merged[-1] = MonthSpan(merged[-1].first, max(merged[-1].last, span.last))
        else:
            merged.append(span)
    return tuple(merged)


def count_months(spans: Iterable[MonthSpan]) -> int:
    """How many distinct months ``spans`` cover: a month in several spans counts once."""
    return sum(span.length for span in union(spans))
