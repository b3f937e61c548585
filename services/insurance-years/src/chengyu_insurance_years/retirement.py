"""The retirement city (医保退休认定地): where a person's retiree medical benefits are recognised.

The chosen city decides by its own policy in force on the retirement date, on the ledger of
both cities' months up to the retirement month. A person has at most one retirement city.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from chengyu_contracts.cities import CITIES, CITY_NAMES, City
from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.months import Month

from .ledger import Ledger, totals
from .policy import SEXES, PolicyBook, Sex

Rule = Literal["cumulative-months", "actual-months-in-city"]


@dataclass(frozen=True)
class RetirementRequest:
    """A request to make ``chosen_city`` the person's retirement city."""

    person_ref: str
    sex: Sex
    retirement_date: date
    chosen_city: City

    def __post_init__(self) -> None:
        if not self.person_ref:
            raise DomainError("invalid-person-ref", "A retirement request needs a person_ref.")
        if self.sex not in SEXES:
            raise DomainError("unknown-sex", "Sex is male or female.")
        if self.chosen_city not in CITIES:
            raise DomainError("unknown-city", "A city is cq (Chongqing) or cd (Chengdu).")


@dataclass(frozen=True)
class Figures:
    """What a city's decision rests on: the months counted and the months required.

    Months are counted up to ``up_to``, the retirement month. ``cumulative_months`` is
    ``actual_months`` (both cities, a month counted once) plus ``deemed_months`` when
    ``deemed_counted``; ``deemed_months`` are those no actual month covers.
    """

    city: City
    policy_effective_from: date
    up_to: Month
    cumulative_months: int
    actual_months: int
    actual_months_in_city: int
    deemed_months: int
    deemed_counted: bool
    required_cumulative_months: int
    required_actual_months_in_city: int


@dataclass(frozen=True)
class Shortfall:
    """A rule not met: how many months it needs in ``city``, and how many were counted."""

    rule: Rule
    city: City
    required: int
    counted: int

    @property
    def missing(self) -> int:
        """Months still missing."""
        return self.required - self.counted


def figures_for(
    ledger: Ledger, sex: Sex, city: City, retirement_date: date, book: PolicyBook
) -> Figures:
    """The figures ``city`` would decide on for a retirement on ``retirement_date``.

    Uses ``city``'s policy in force on that date (``no-policy-in-force`` otherwise).
    """
    policy = book.policy_for(city, retirement_date)
    up_to = Month.of(retirement_date)
    counted = totals(ledger, up_to)
    return Figures(
        city=city,
        policy_effective_from=policy.effective_from,
        up_to=up_to,
        cumulative_months=counted.cumulative_months(policy.deemed_years_count),
        actual_months=counted.actual_months,
        actual_months_in_city=counted.city(city).actual,
        deemed_months=counted.deemed_months,
        deemed_counted=policy.deemed_years_count,
        required_cumulative_months=policy.min_cumulative_months(sex),
        required_actual_months_in_city=policy.min_actual_months_in_city,
    )


def shortfalls(figures: Figures) -> tuple[Shortfall, ...]:
    """The rules ``figures`` do not meet; empty when the city would determine."""
    checks = (
        Shortfall(
            "cumulative-months",
            figures.city,
            figures.required_cumulative_months,
            figures.cumulative_months,
        ),
        Shortfall(
            "actual-months-in-city",
            figures.city,
            figures.required_actual_months_in_city,
            figures.actual_months_in_city,
        ),
    )
    return tuple(check for check in checks if check.missing > 0)


@dataclass(frozen=True)
class RetirementDetermination:
    """The one retirement city of a person, and the figures it was determined on."""

    person_ref: str
    city: City
    sex: Sex
    retirement_date: date
    figures: Figures


@dataclass(frozen=True)
class Determined:
    """The chosen city became the retirement city."""

    determination: RetirementDetermination


@dataclass(frozen=True)
class Refused:
    """The chosen city refused; with the shortfalls and the city that would qualify, if any.

    Codes: ``retirement-city-already-determined`` (no figures: nothing was counted) and
    ``requirements-not-met`` (figures and at least one shortfall).
    """

    person_ref: str
    chosen_city: City
    code: str
    sentence: str
    shortfalls: tuple[Shortfall, ...] = ()
    figures: Figures | None = None
    alternative_city: City | None = None


RetirementDecision = Determined | Refused


def _alternative(request: RetirementRequest, ledger: Ledger, book: PolicyBook) -> City | None:
    for city in CITIES:
        if city == request.chosen_city:
            continue
        # A city without a policy on that date cannot be suggested; it is not an error here.
        if book.in_force(city, request.retirement_date) is None:
            continue
        candidate = figures_for(ledger, request.sex, city, request.retirement_date, book)
        if not shortfalls(candidate):
            return city
    return None


def shortfall_text(shortfall: Shortfall) -> str:
    """A shortfall in words, e.g. ``cumulative months 299 of 300 required (1 short)``."""
    what = (
        "cumulative months"
        if shortfall.rule == "cumulative-months"
        else f"actual months in {CITY_NAMES[shortfall.city]}"
    )
    return (
        f"{what} {shortfall.counted} of {shortfall.required} required ({shortfall.missing} short)"
    )


def decide_retirement_city(
    request: RetirementRequest,
    ledger: Ledger,
    book: PolicyBook,
    existing: RetirementDetermination | None,
) -> RetirementDecision:
    """Decide ``request`` in its chosen city, on ``ledger`` (the person's months in both
    cities) and the chosen city's policy in force on the retirement date.

    ``existing`` is the person's determination already known here, made by either city;
    any one refuses the request (``retirement-city-already-determined``), since a person has
    at most one retirement city. Otherwise the request is determined when both rules are met:
    cumulative months (deemed ones only if the policy counts them) at least the minimum for
    the person's sex, and actual months in the chosen city at least its minimum; else it is
    refused (``requirements-not-met``) with every shortfall and the other city if that one
    would qualify. Raises ``no-policy-in-force`` when the chosen city has no policy that day.
    """
    if ledger.person_ref != request.person_ref:
        raise ValueError("the ledger is of another person than the request")
    if existing is not None:
        if existing.person_ref != request.person_ref:
            raise ValueError("the existing determination is of another person")
        return Refused(
            person_ref=request.person_ref,
            chosen_city=request.chosen_city,
            code="retirement-city-already-determined",
            sentence=(
                f"This person's retirement city is already determined: "
                f"{CITY_NAMES[existing.city]}. A person has one retirement city."
            ),
        )
    figures = figures_for(ledger, request.sex, request.chosen_city, request.retirement_date, book)
    missing = shortfalls(figures)
    if not missing:
        return Determined(
            RetirementDetermination(
                person_ref=request.person_ref,
                city=request.chosen_city,
                sex=request.sex,
                retirement_date=request.retirement_date,
                figures=figures,
            )
        )
    alternative = _alternative(request, ledger, book)
    instead = (
        f"{CITY_NAMES[alternative]} would qualify."
        if alternative is not None
        else "No other city would qualify either."
    )
    return Refused(
        person_ref=request.person_ref,
        chosen_city=request.chosen_city,
        code="requirements-not-met",
        sentence=(
            f"{CITY_NAMES[request.chosen_city]} cannot be the retirement city: "
            f"{'; '.join(shortfall_text(s) for s in missing)}. {instead}"
        ),
        shortfalls=missing,
        figures=figures,
        alternative_city=alternative,
    )
