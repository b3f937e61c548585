"""Contribution periods recorded by one city's bureau, and their corrections as new versions.

A period is never edited in place: a correction or a cancellation is a new version of the
same ``period_id`` with ``version`` one higher, so every city that saw the old version can
tell which one is current, whatever order the versions reach it in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

from chengyu_contracts.cities import CITIES, CITY_NAMES, City
from chengyu_contracts.domain_error import Conflict, DomainError
from chengyu_contracts.months import Month

from .spans import MonthSpan

PeriodKind = Literal["actual", "deemed"]
# actual: contributions paid; deemed: years before the insurance existed that count as paid
# (视同缴费年限), where a city's policy lets them count.
KINDS: tuple[PeriodKind, ...] = ("actual", "deemed")


def parse_kind(text: str) -> PeriodKind:
    """``text`` as a period kind; anything but ``actual`` or ``deemed`` is ``unknown-kind``."""
    for kind in KINDS:
        if text == kind:
            return kind
    raise DomainError("unknown-kind", "A contribution period is actual or deemed.")


@dataclass(frozen=True)
class ContributionPeriod:
    """One version of a person's contribution period in one city, months ``start..end``.

    The invariants hold for every instance, also one rebuilt from the other city's event:
    ids present, a known city and kind, ``start <= end``, ``version >= 1``. A cancelled
    version stays as a tombstone, so an older version arriving late cannot revive it.
    """

    period_id: str
    person_ref: str
    city: City
    start: Month
    end: Month
    kind: PeriodKind
    version: int = 1
    cancelled: bool = False

    def __post_init__(self) -> None:
        if not self.period_id:
            raise DomainError("invalid-period-id", "A contribution period needs a period_id.")
        if not self.person_ref:
            raise DomainError("invalid-person-ref", "A contribution period needs a person_ref.")
        if self.city not in CITIES:
            raise DomainError("unknown-city", "A city is cq (Chongqing) or cd (Chengdu).")
        if self.kind not in KINDS:
            raise DomainError("unknown-kind", "A contribution period is actual or deemed.")
        # bool is an int in Python; a version of True would compare equal to 1.
        if isinstance(self.version, bool) or self.version < 1:
            raise DomainError("invalid-version", "A period version is a whole number from 1.")
        MonthSpan(self.start, self.end)  # end-before-start

    @property
    def span(self) -> MonthSpan:
        """The months of the period, both ends included."""
        return MonthSpan(self.start, self.end)

    @property
    def months(self) -> int:
        """How many months the period holds."""
        return self.span.length


def _not_in_future(end: Month, today: date) -> None:
    # The current month is allowed: its contribution is collected during the month.
    if end > Month.of(today):
        raise DomainError("month-in-future", f"{end} is after the current month {Month.of(today)}.")


def record_period(period: ContributionPeriod, today: date) -> ContributionPeriod:
    """``period`` (its first version, as built: version 1, not cancelled) recorded by its
    city's bureau on day ``today``.

    Refusals: those of :class:`ContributionPeriod` when it is built (``invalid-period-id``,
    ``invalid-person-ref``, ``unknown-city``, ``unknown-kind``, ``end-before-start``), then
    ``month-in-future`` (an end after the month of ``today``; the current month is
    allowed).
    """
    _not_in_future(period.end, today)
    return period


def _correctable_by(current: ContributionPeriod, by: City) -> None:
    if current.cancelled:
        raise Conflict(
            "period-cancelled", f"Period {current.period_id} is cancelled; record a new one."
        )
    # Each bureau answers for its own records; the other city's copy is read-only.
    if by != current.city:
        raise Conflict(
            "not-recording-city",
            f"Period {current.period_id} was recorded in {CITY_NAMES[current.city]}; "
            f"only that city corrects it.",
        )


@dataclass(frozen=True)
class Correction:
    """The months and kind a correction gives a period (checked when it is applied)."""

    start: Month
    end: Month
    kind: PeriodKind


def correct_period(
    current: ContributionPeriod, correction: Correction, by: City, today: date
) -> ContributionPeriod:
    """The next version of ``current`` with new months and kind, corrected by ``by``.

    Person and city stay: a period recorded for the wrong person or city is cancelled and
    recorded again. Refusals: ``period-cancelled``, ``not-recording-city``,
    ``correction-changes-nothing`` (a version that says the same would only add noise to
    every ledger), and those of :func:`record_period`.
    """
    _correctable_by(current, by)
    corrected = replace(
        current,
        start=correction.start,
        end=correction.end,
        kind=correction.kind,
        version=current.version + 1,
    )
    _not_in_future(correction.end, today)
    if (corrected.start, corrected.end, corrected.kind) == (
        current.start,
        current.end,
        current.kind,
    ):
        raise Conflict(
            "correction-changes-nothing",
            f"The correction of period {current.period_id} changes neither months nor kind.",
        )
    return corrected


def cancel_period(current: ContributionPeriod, by: City) -> ContributionPeriod:
    """The next version of ``current``, cancelled by ``by``; it then counts for nothing.

    Refusals: ``period-cancelled`` (already cancelled), ``not-recording-city``.
    """
    _correctable_by(current, by)
    return replace(current, version=current.version + 1, cancelled=True)
