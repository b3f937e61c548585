"""Inclusive spans of calendar months and their union: how contribution periods are added
up without counting a month twice."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.months import Month, month_range, months_between


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
