"""The register: the household-registered residents of this city who are, or will within a
year be, of allowance age, as the paying city knows them. Pure rules: no I/O.

Names, ID numbers, bank account tokens and phone numbers are in the register (the paying
city's database) and nowhere else: on the bus a person is a ``person_ref``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from chengyu_contracts.months import Month

from ..policy import Assistance
from .households import Registration

AssistedStatus = Assistance  # "none" never has a period of its own


@dataclass(frozen=True)
class AssistancePeriod:
    """A 低保 (``dibao``) or 特困 (``tekun``) status from ``start_on`` through ``end_on``
    (open while it lasts)."""

    status: Assistance
    start_on: date
    end_on: date | None = None

    def holds_on(self, day: date) -> bool:
        """Whether the status holds on ``day``."""
        return self.start_on <= day and (self.end_on is None or day <= self.end_on)


def assistance_in(periods: Iterable[AssistancePeriod], month: Month) -> Assistance:
    """The assistance status that sets ``month``'s amount: the one holding on the month's
    first day (a status granted mid-month counts from the next month). 特困 outranks 低保
    when records overlap."""
    first_day = date(month.year, month.month, 1)
    holding = {p.status for p in periods if p.holds_on(first_day)}
    if "tekun" in holding:
        return "tekun"
    if "dibao" in holding:
        return "dibao"
    return "none"


@dataclass(frozen=True)
class Elder:
    """What the allowance rules need of one registered person (no personal data)."""

    person_ref: str
    birth_date: date
    district: str
    died_on: date | None
    registration: Registration
    assistance: tuple[AssistancePeriod, ...] = ()
