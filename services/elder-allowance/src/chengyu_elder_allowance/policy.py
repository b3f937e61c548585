"""Per-city elder-allowance policy with effective dates: data, never constants in the rules.

A city's policy applies from its ``effective_from`` (always the first day of a month: a
month is paid under one policy) until the same city's next one. Which policy pays a month
is the one in force on that month's first day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from types import MappingProxyType
from typing import Literal

from chengyu_contracts.cities import CITIES, CITY_NAMES, City
from chengyu_contracts.months import Month
from chengyu_contracts.policy_book import PolicyBook as DatedPolicyBook
from chengyu_contracts.working_days import WorkingCalendar

Band = Literal["80-89", "90-99", "100+"]
BANDS: tuple[Band, ...] = ("80-89", "90-99", "100+")
#: The age (周岁) at which each band starts.
BAND_AGES: Mapping[Band, int] = MappingProxyType({"80-89": 80, "90-99": 90, "100+": 100})

#: 低保 (minimum-living-guarantee) and 特困 (extreme-poverty support) recipients; ``none``
#: for everyone else.
Assistance = Literal["none", "dibao", "tekun"]
ASSISTANCE: tuple[Assistance, ...] = ("none", "dibao", "tekun")

#: When a band's allowance starts: the month of the birthday that reaches the band's age,
#: or the month after it.
FirstMonthRule = Literal["birthday-month", "month-after"]


@dataclass(frozen=True)
class CityPolicy:
    """The elder-allowance parameters one city applies from ``effective_from`` on."""

    city: City
    effective_from: date
    #: Monthly amount in fen per band and assistance status; every pair must be present.
    monthly_fen: Mapping[tuple[Band, Assistance], int]
    first_month_rule: FirstMonthRule
    #: Whether the month of death is still paid (else payment ends the month before).
    pay_death_month: bool
    #: How many months before the run's month back pay (补发) reaches at most.
    back_pay_limit_months: int
    #: Months between verifications (审验) of a recipient.
    verification_interval_months: int
    #: Months after a verification falls due before payment is suspended.
    verification_grace_months: int
    #: Months after a verification falls due in which a verification still resumes payment
    #: (with back pay); later, the allowance is terminated.
    verification_window_months: int
    #: Working days the paying city has to decide an application (异地受理).
    application_decision_working_days: int
    #: The city's working days (the State Council's notices and local closures), on which
    #: the application deadline counts.
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar.national)
    #: Months a capability assessment stays valid.
    assessment_validity_months: int = 12
    #: Whether two level adjustments of GB/T 42195 (dementia, care-risk events) stack.
    assessment_adjustments_stack: bool = False
    #: The register holds residents who reach the first band within this many months.
    register_horizon_months: int = 12
    #: The day of the month from which the monthly payment run runs (on the runtime clock).
    payment_run_day: int = 5

    def __post_init__(self) -> None:
        if self.city not in CITIES:
            raise ValueError(f"unknown city {self.city!r}; expected one of {CITIES}")
        if self.effective_from.day != 1:
            raise ValueError("an elder-allowance policy takes effect on the first of a month")
        missing = {(b, a) for b in BANDS for a in ASSISTANCE} - set(self.monthly_fen)
        if missing:
            raise ValueError(f"monthly amounts missing for {sorted(missing)}")
        if any(fen < 0 for fen in self.monthly_fen.values()):
            raise ValueError("a monthly amount cannot be negative")
        if self.back_pay_limit_months < 0:
            raise ValueError("the back-pay limit cannot be negative")
        if self.verification_interval_months < 1:
            raise ValueError("verifications need an interval of at least one month")
        if not 0 <= self.verification_grace_months <= self.verification_window_months:
            raise ValueError("the grace period must lie within the verification window")
        if self.application_decision_working_days < 1:
            raise ValueError("applications need at least one working day to be decided")
        if not 1 <= self.payment_run_day <= 28:
            raise ValueError("the payment run day must be a day every month has (1-28)")
        if self.assessment_validity_months < 1:
            raise ValueError("an assessment must stay valid at least one month")
        object.__setattr__(self, "monthly_fen", MappingProxyType(dict(self.monthly_fen)))

    def amount_fen(self, band: Band, assistance: Assistance) -> int:
        """The monthly amount for ``band`` and ``assistance`` under this policy."""
        return self.monthly_fen[(band, assistance)]

    @property
    def first_month(self) -> Month:
        """The first month this policy pays."""
        return Month.of(self.effective_from)

    @property
    def city_name(self) -> str:
        """The city's name, for sentences."""
        return CITY_NAMES[self.city]


class PolicyBook(DatedPolicyBook[CityPolicy]):
    """Chongqing's and Chengdu's elder-allowance policies over time."""

    subject = "elder-allowance"

    def for_month(self, city: str, month: Month) -> CityPolicy | None:
        """The policy that pays ``city``'s ``month`` (in force on its first day), if any."""
        return self.in_force(city, date(month.year, month.month, 1))

    def earliest_month(self, city: str) -> Month | None:
        """The first month ``city`` pays under any policy (back pay never reaches earlier)."""
        starts = [p.effective_from for p in self.policies() if p.city == city]
        return Month.of(min(starts)) if starts else None


def _amounts(
    eighty: int, eighty_assisted: int, ninety: int, hundred: int
) -> dict[tuple[Band, Assistance], int]:
    amounts: dict[tuple[Band, Assistance], int] = {}
    for assistance in ASSISTANCE:
        amounts[("80-89", assistance)] = eighty if assistance == "none" else eighty_assisted
        amounts[("90-99", assistance)] = ninety
        amounts[("100+", assistance)] = hundred
    return amounts


def default_policies() -> tuple[CityPolicy, ...]:
    """Illustrative default policies for Chongqing and Chengdu.

    ILLUSTRATIVE DEFAULTS, NOT THE CITIES' PUBLISHED FIGURES: plausible orders of magnitude
    for demos and tests until each civil-affairs bureau loads its own policy data. The two
    cities differ on purpose (first paid month, the 低保/特困 supplement at 80-89), and
    Chongqing's second entry raises the 90-99 band from an illustrative date, so that a
    policy change has something to show.
    """
    cq = CityPolicy(
        city="cq",
        effective_from=date(2025, 1, 1),
        monthly_fen=_amounts(eighty=10_000, eighty_assisted=15_000, ninety=20_000, hundred=50_000),
        first_month_rule="month-after",
        pay_death_month=True,
        back_pay_limit_months=12,
        verification_interval_months=12,
        verification_grace_months=3,
        verification_window_months=6,
        application_decision_working_days=15,
    )
    cd = CityPolicy(
        city="cd",
        effective_from=date(2025, 1, 1),
        monthly_fen=_amounts(eighty=5_000, eighty_assisted=5_000, ninety=15_000, hundred=40_000),
        first_month_rule="birthday-month",
        pay_death_month=True,
        back_pay_limit_months=6,
        verification_interval_months=12,
        verification_grace_months=2,
        verification_window_months=6,
        application_decision_working_days=20,
    )
    cq_raise = replace(
        cq,
        effective_from=date(2026, 7, 1),
        monthly_fen={
            **cq.monthly_fen,
            **{("90-99", a): 30_000 for a in ASSISTANCE},
        },
    )
    return (cq, cq_raise, cd)


def default_policy_book() -> PolicyBook:
    """A :class:`PolicyBook` of :func:`default_policies`."""
    return PolicyBook(default_policies())
