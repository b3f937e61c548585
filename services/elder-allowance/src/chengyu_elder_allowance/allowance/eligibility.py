"""Who is of allowance age in which month, in which band, and for how much. Pure rules: no
I/O, no clock.

Age is counted in 周岁 (completed years). A person reaches an age **on the birthday
itself**: someone born on 1946-05-17 is 80 from 2026-05-17 on. A person born on 29
February has, in a common year, the birthday on **28 February** (not 1 March): the age is
then reached on 28 February, and the birthday month stays February every year, so the
first paid month of a band does not depend on whether the band's year is a leap year.

Which month a band starts paying is per-city policy (:data:`~..policy.FirstMonthRule`):
the month of the birthday that reaches the band's age, or the month after it. The band of
a month is the highest band whose first paid month is not after it, so a band change pays
the higher amount from the new band's first paid month on and never back pays the
difference for earlier months.
"""

from __future__ import annotations

import calendar
from datetime import date

from chengyu_contracts.months import Month

from ..policy import BAND_AGES, BANDS, Assistance, Band, CityPolicy, FirstMonthRule


def birthday_in(birth: date, year: int) -> date:
    """The birthday of a person born on ``birth`` in ``year``: the day the age (周岁) is
    reached. 29 February falls on 28 February in a common year (it stays in February)."""
    if birth.month == 2 and birth.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, birth.month, birth.day)


def age_on(birth: date, day: date) -> int:
    """The age in completed years (周岁) on ``day``: one more on each birthday itself."""
    years = day.year - birth.year
    return years if day >= birthday_in(birth, day.year) else years - 1


def first_paid_month(birth: date, band: Band, rule: FirstMonthRule) -> Month:
    """The first month ``band`` pays: the month of the birthday reaching the band's age
    (:data:`~..policy.BAND_AGES`) or the month after it, as ``rule`` says."""
    birthday = Month.of(birthday_in(birth, birth.year + BAND_AGES[band]))
    return birthday if rule == "birthday-month" else birthday.next()


def band_in(birth: date, month: Month, rule: FirstMonthRule) -> Band | None:
    """The band that pays ``month``: the highest band whose first paid month is not after
    ``month``; ``None`` before the first band's first paid month."""
    reached = [band for band in BANDS if first_paid_month(birth, band, rule) <= month]
    return reached[-1] if reached else None


def monthly_amount(
    birth: date, month: Month, assistance: Assistance, policy: CityPolicy
) -> int | None:
    """What ``month`` pays in fen under ``policy`` (the caller passes the policy in force on
    the month's first day: ``book.for_month(city, month)``), for the band of the month by
    the policy's first-month rule and the month's ``assistance`` status; ``None`` when the
    person has no band that month.

    Because the band is the month's own, a band change pays the higher amount only from the
    new band's first paid month: earlier months keep the lower band's amount, even when they
    are back paid later.
    """
    band = band_in(birth, month, policy.first_month_rule)
    return None if band is None else policy.amount_fen(band, assistance)
