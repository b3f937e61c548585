"""Calendar months (``YYYY-MM``): the unit of provident-fund deposits and of insurance
contributions, and how both services' events write a month."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from chengyu_contracts.domain_error import DomainError

_MONTH_TEXT = re.compile(r"^(\d{4})-(\d{2})$")
# Far enough either side for any real deposit or career; bounds keep arithmetic and parsing honest.
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
        if cls is Month:
            return _month_at(index)
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


# Months are immutable values; month arithmetic in bulk (a payment run over a register)
# makes the same few hundred of them again and again.
@functools.lru_cache(maxsize=4096)
def _month_at(index: int) -> Month:
    year, zero_based = divmod(index, 12)
    return Month(year, zero_based + 1)


def months_between(start: Month, end: Month) -> int:
    """How many months ``end`` is after ``start`` (negative when before)."""
    return end.index - start.index


def month_range(first: Month, last: Month) -> Iterator[Month]:
    """Every month from ``first`` to ``last``, both included; empty when ``last < first``."""
    for index in range(first.index, last.index + 1):
        yield Month.from_index(index)
