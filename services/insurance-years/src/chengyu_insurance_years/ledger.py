"""One person's cross-city ledger: contribution periods of both cities, added up without
double-counting (互认、累计计算).

Both cities' instances consume both cities' periods, in whatever order and as often as the
bus delivers them; :func:`apply` makes the result the same set of current versions in every
case, so the two cities' ledgers agree. The totals are facts, not decisions: whether deemed
months count is left to the deciding city's policy (:meth:`LedgerTotals.cumulative_months`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from chengyu_contracts.cities import CITIES, City
from chengyu_contracts.domain_error import Conflict, DomainError
from chengyu_contracts.months import Month

from .periods import ContributionPeriod
from .spans import MonthSpan, count_months


@dataclass(frozen=True)
class Ledger:
    """The latest known version of each of one person's periods, from both cities.

    ``periods`` is sorted by ``period_id`` and holds cancelled versions too (as tombstones),
    so that equal knowledge gives equal ledgers whatever the arrival order.
    """

    person_ref: str
    periods: tuple[ContributionPeriod, ...] = ()

    def __post_init__(self) -> None:
        if not self.person_ref:
            raise DomainError("invalid-person-ref", "A ledger needs a person_ref.")

    def period(self, period_id: str) -> ContributionPeriod | None:
        """The latest known version of ``period_id``, cancelled or not."""
        return next((p for p in self.periods if p.period_id == period_id), None)

    def current_periods(self) -> tuple[ContributionPeriod, ...]:
        """The periods that count (cancelled ones left out), by start month, then city."""
        live = (p for p in self.periods if not p.cancelled)
        return tuple(sorted(live, key=lambda p: (p.start, p.end, p.city, p.period_id)))


def _conflict(period: ContributionPeriod, sentence: str) -> Conflict:
    return Conflict("conflicting-version", f"Period {period.period_id}: {sentence}")


def apply(ledger: Ledger, period: ContributionPeriod) -> Ledger:
    """``ledger`` knowing ``period``: the higher version of a ``period_id`` wins.

    Applying a version already known, or older than the one known, changes nothing; so
    duplicates and late arrivals are harmless. Refusals (``conflicting-version``): the same
    version with different content, or versions of one period naming different cities
    (corrections never change the city). A period of another person is a wiring bug
    (``ValueError``): ledgers are per person.
    """
    if period.person_ref != ledger.person_ref:
        raise ValueError("a period of another person cannot enter this ledger")
    known = ledger.period(period.period_id)
    if known is None:
        periods = tuple(sorted((*ledger.periods, period), key=lambda p: p.period_id))
        return Ledger(ledger.person_ref, periods)
    if known.city != period.city:
        raise _conflict(period, "two versions name different cities.")
    if known.version == period.version:
        if known != period:
            raise _conflict(period, f"two different versions numbered {period.version}.")
        return ledger
    if known.version > period.version:
        return ledger
    periods = tuple(period if p.period_id == period.period_id else p for p in ledger.periods)
    return Ledger(ledger.person_ref, periods)


def build_ledger(person_ref: str, periods: Iterable[ContributionPeriod]) -> Ledger:
    """The ledger of ``person_ref`` knowing all of ``periods`` (any order, repeats allowed)."""
    ledger = Ledger(person_ref)
    for period in periods:
        ledger = apply(ledger, period)
    return ledger


@dataclass(frozen=True)
class CityMonths:
    """One city's months: distinct actual and distinct deemed months recorded there."""

    city: City
    actual: int
    deemed: int


@dataclass(frozen=True)
class LedgerTotals:
    """A ledger's months, per city and across both, counted up to ``up_to`` (if given).

    ``actual_months`` counts each month paid in at least one city once; ``months_in_both``
    says how many of them were paid in both. ``deemed_months`` counts deemed months that no
    actual month covers, i.e. what counting deemed years would add.
    """

    up_to: Month | None
    by_city: tuple[CityMonths, ...]
    actual_months: int
    months_in_both: int
    deemed_months: int

    def city(self, city: City) -> CityMonths:
        """The months of ``city``."""
        return next(c for c in self.by_city if c.city == city)

    def cumulative_months(self, deemed_years_count: bool) -> int:
        """The cumulative total under a policy that does or does not count deemed years."""
        return self.actual_months + (self.deemed_months if deemed_years_count else 0)


def _spans(
    periods: Iterable[ContributionPeriod], up_to: Month | None
) -> list[tuple[ContributionPeriod, MonthSpan]]:
    spans: list[tuple[ContributionPeriod, MonthSpan]] = []
    for period in periods:
        span = period.span if up_to is None else period.span.up_to(up_to)
        if span is not None:
            spans.append((period, span))
    return spans


def totals(ledger: Ledger, up_to: Month | None = None) -> LedgerTotals:
    """The months of ``ledger``'s current periods, counting only months on or before
    ``up_to`` when given (a retirement looks at the months up to its own month).

    Every count is of distinct months (an interval union, not a sum of lengths): a month
    paid in both cities, or in two overlapping periods of one city, counts once; a deemed
    month that is also an actual month is an actual month.
    """
    spans = _spans(ledger.current_periods(), up_to)
    actual = [s for p, s in spans if p.kind == "actual"]
    by_city = tuple(
        CityMonths(
            city=city,
            actual=count_months(s for p, s in spans if p.city == city and p.kind == "actual"),
            deemed=count_months(s for p, s in spans if p.city == city and p.kind == "deemed"),
        )
        for city in CITIES
    )
    actual_months = count_months(actual)
    return LedgerTotals(
        up_to=up_to,
        by_city=by_city,
        actual_months=actual_months,
        months_in_both=sum(c.actual for c in by_city) - actual_months,
        deemed_months=count_months(s for _, s in spans) - actual_months,
    )
