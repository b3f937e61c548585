"""Per-city medical-insurance policy with effective dates: data, never constants in the rules."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

from chengyu_contracts.cities import CITIES, CITY_NAMES, City
from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.policy_book import PolicyBook as DatedPolicyBook

Sex = Literal["male", "female"]
SEXES: tuple[Sex, ...] = ("male", "female")

DisabilityLevel = Literal["severe", "moderate", "mild"]
LEVELS: tuple[DisabilityLevel, ...] = ("severe", "moderate", "mild")


def parse_sex(text: str) -> Sex:
    """``text`` as a sex; anything but ``male`` or ``female`` is ``unknown-sex``."""
    for sex in SEXES:
        if text == sex:
            return sex
    raise DomainError("unknown-sex", "Sex is male or female.")


def parse_level(text: str) -> DisabilityLevel:
    """``text`` as a disability level; anything else is ``unknown-level``."""
    for level in LEVELS:
        if text == level:
            return level
    raise DomainError("unknown-level", "A disability level is severe, moderate or mild.")


@dataclass(frozen=True)
class CityPolicy:
    """The medical-insurance parameters one city applies from ``effective_from`` on.

    A policy stays in force until the same city's next policy takes effect. The first group
    of fields decides a retirement city (医保退休认定地); the second, which other-city
    long-term-care assessments (长护险评估结论) this city recognises.
    """

    city: City
    effective_from: date
    # Cumulative contribution years (both cities, counted once) required at retirement.
    min_cumulative_years_male: int
    min_cumulative_years_female: int
    # Months actually paid in this city: a city is not chosen on the other city's months alone.
    min_actual_months_in_city: int
    # Whether deemed years (视同缴费年限) count towards the cumulative years.
    deemed_years_count: bool
    ltc_recognised_levels: frozenset[DisabilityLevel]
    # Assessment scales whose conclusions this city accepts; a level means little on a
    # scale the city does not use.
    ltc_accepted_scales: frozenset[str]

    def __post_init__(self) -> None:
        if self.city not in CITIES:
            raise ValueError(f"unknown city {self.city!r}; expected one of {CITIES}")
        if self.min_cumulative_years_male < 1 or self.min_cumulative_years_female < 1:
            raise ValueError("minimum cumulative years must be at least 1")
        if self.min_actual_months_in_city < 0:
            raise ValueError("minimum actual months in the city cannot be negative")
        unknown = set(self.ltc_recognised_levels) - set(LEVELS)
        if unknown:
            raise ValueError(f"unknown disability levels {sorted(unknown)}; expected {LEVELS}")
        if not self.ltc_accepted_scales:
            raise ValueError("a policy must accept at least one assessment scale")

    def min_cumulative_months(self, sex: Sex) -> int:
        """Cumulative months required at retirement for ``sex``."""
        years = (
            self.min_cumulative_years_male if sex == "male" else self.min_cumulative_years_female
        )
        return years * 12

    @property
    def city_name(self) -> str:
        """The city's name, for sentences."""
        return CITY_NAMES[self.city]


class PolicyBook(DatedPolicyBook[CityPolicy]):
    """Chongqing's and Chengdu's medical-insurance policies over time."""

    subject = "medical-insurance"


# The national long-term-care disability assessment standard (trial) of 2021, issued by
# the National Healthcare Security Administration and the Ministry of Civil Affairs.
NATIONAL_LTC_SCALE_2021 = "nhsa-ltc-2021"


def default_policies() -> tuple[CityPolicy, ...]:
    """Illustrative default policies for Chongqing and Chengdu.

    ILLUSTRATIVE DEFAULTS, NOT THE CITIES' PUBLISHED FIGURES: plausible orders of magnitude
    for demos and tests until each bureau loads its own policy data. The two cities differ
    on purpose, so that "which city would qualify instead" has an answer to show. The
    second entry of each city is the action plan's extension of long-term-care recognition
    from severe to moderate disability (task (三) of the plan), on an illustrative date.
    """
    cq = CityPolicy(
        city="cq",
        effective_from=date(2025, 1, 1),
        min_cumulative_years_male=25,
        min_cumulative_years_female=20,
        min_actual_months_in_city=120,
        deemed_years_count=True,
        ltc_recognised_levels=frozenset({"severe"}),
        ltc_accepted_scales=frozenset({NATIONAL_LTC_SCALE_2021}),
    )
    cd = CityPolicy(
        city="cd",
        effective_from=date(2025, 1, 1),
        min_cumulative_years_male=30,
        min_cumulative_years_female=25,
        min_actual_months_in_city=180,
        deemed_years_count=False,
        ltc_recognised_levels=frozenset({"severe"}),
        ltc_accepted_scales=frozenset({NATIONAL_LTC_SCALE_2021}),
    )
    return (
        cq,
        _with_moderate(cq, date(2025, 7, 1)),
        cd,
        _with_moderate(cd, date(2025, 10, 1)),
    )


def _with_moderate(policy: CityPolicy, effective_from: date) -> CityPolicy:
    return replace(
        policy,
        effective_from=effective_from,
        ltc_recognised_levels=policy.ltc_recognised_levels | {"moderate"},
    )


def default_policy_book() -> PolicyBook:
    """A :class:`PolicyBook` of :func:`default_policies`."""
    return PolicyBook(default_policies())
