"""Policies, books and allowances for the tests of the allowance's pure rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from hypothesis import strategies as st

from chengyu_contracts.cities import City
from chengyu_contracts.months import Month
from chengyu_elder_allowance.allowance.allowance import Allowance, AllowanceState
from chengyu_elder_allowance.policy import (
    ASSISTANCE,
    Assistance,
    Band,
    CityPolicy,
    FirstMonthRule,
    PolicyBook,
)

PERSON = "p-elder-1"
CITY: City = "cq"
POLICY_START = date(2020, 1, 1)
FIRST_MONTH = Month(2026, 1)
FIRST_DUE = Month(2027, 1)

#: Distinct amounts for every band so that a test sees which band paid a month.
AMOUNTS: dict[Band, int] = {"80-89": 10_000, "90-99": 20_000, "100+": 50_000}
ASSISTED_80 = 15_000


def amounts(scale: int = 1) -> dict[tuple[Band, Assistance], int]:
    """Each band's amount (80-89 higher for 低保/特困), times ``scale``."""
    table: dict[tuple[Band, Assistance], int] = {}
    for band, fen in AMOUNTS.items():
        for assistance in ASSISTANCE:
            assisted = band == "80-89" and assistance != "none"
            table[(band, assistance)] = (ASSISTED_80 if assisted else fen) * scale
    return table


def policy(
    *,
    city: City = CITY,
    effective_from: date = POLICY_START,
    rule: FirstMonthRule = "month-after",
    pay_death_month: bool = True,
    back_pay_limit_months: int = 12,
    interval: int = 12,
    grace: int = 3,
    window: int = 6,
    scale: int = 1,
) -> CityPolicy:
    """A policy of ``city`` with readable defaults (amounts from :data:`AMOUNTS`)."""
    return CityPolicy(
        city=city,
        effective_from=effective_from,
        monthly_fen=amounts(scale),
        first_month_rule=rule,
        pay_death_month=pay_death_month,
        back_pay_limit_months=back_pay_limit_months,
        verification_interval_months=interval,
        verification_grace_months=grace,
        verification_window_months=window,
        application_decision_working_days=15,
    )


def book(*policies: CityPolicy) -> PolicyBook:
    """A book of ``policies`` (one default policy when none)."""
    return PolicyBook(policies or (policy(),))


def allowance(
    *,
    state: AllowanceState = "active",
    band: Band = "80-89",
    first_month: Month = FIRST_MONTH,
    verification_due: Month = FIRST_DUE,
    suspended_from: Month | None = None,
    resume_by: Month | None = None,
    last_month: Month | None = None,
) -> Allowance:
    """An allowance of :data:`PERSON` in :data:`CITY`; a suspended one gets a suspension
    and a terminated one a death termination unless given."""
    made = Allowance(
        person_ref=PERSON,
        paying_city=CITY,
        state=state,
        band=band,
        first_month=first_month,
        verification_due=verification_due,
        suspended_from=suspended_from,
        resume_by=resume_by,
        last_month=last_month,
        end_reason=None,
    )
    if state == "suspended" and suspended_from is None:
        made = replace(made, suspended_from=Month(2027, 4), resume_by=Month(2027, 7))
    if state == "terminated":
        made = replace(made, last_month=last_month or Month(2026, 6), end_reason="death")
    return made


months = st.builds(Month, st.integers(2021, 2040), st.integers(1, 12))
rules = st.sampled_from(("birthday-month", "month-after"))
# Everyone of these reaches 80 between 2020 and 2040 and 100 by 2060.
births = st.dates(date(1940, 1, 1), date(1960, 12, 31))
