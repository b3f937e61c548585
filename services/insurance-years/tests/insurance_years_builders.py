"""Builders of test data: small, explicit policies so each test shows the figures it relies on."""

from __future__ import annotations

from datetime import date
from itertools import count

from chengyu_contracts.cities import City
from chengyu_contracts.months import Month
from chengyu_insurance_years.care import CareAssessment
from chengyu_insurance_years.ledger import Ledger, build_ledger
from chengyu_insurance_years.periods import ContributionPeriod, PeriodKind
from chengyu_insurance_years.policy import CityPolicy, DisabilityLevel, PolicyBook, Sex
from chengyu_insurance_years.retirement import RetirementRequest

PERSON = "pr1_" + "ab" * 32
OTHER_PERSON = "pr1_" + "cd" * 32
TODAY = date(2026, 10, 15)
SCALE = "nhsa-ltc-2021"
RETIREMENT_DAY = date(2026, 10, 1)

_ids = count(1)


def policy(city: City = "cq", **changes: object) -> CityPolicy:
    """A test policy from 2025-01-01: cumulative 25 years (male) / 20 years (female), 120
    actual months in the city, deemed years counted, LTC recognising severe only on the
    national 2021 scale."""
    figures: dict[str, object] = {
        "city": city,
        "effective_from": date(2025, 1, 1),
        "min_cumulative_years_male": 25,
        "min_cumulative_years_female": 20,
        "min_actual_months_in_city": 120,
        "deemed_years_count": True,
        "ltc_recognised_levels": frozenset({"severe"}),
        "ltc_accepted_scales": frozenset({SCALE}),
    }
    figures.update(changes)
    return CityPolicy(**figures)  # type: ignore[arg-type]


def book(*policies: CityPolicy) -> PolicyBook:
    """A book of ``policies``; by default the test policy of each city."""
    return PolicyBook(policies or (policy("cq"), policy("cd")))


def period(
    city: City, first: str, last: str, kind: PeriodKind = "actual", *, period_id: str | None = None
) -> ContributionPeriod:
    """Version 1 of a period of the test person in ``city`` from ``first`` to ``last``
    (``YYYY-MM``), both included; a fresh ``period_id`` unless one is given. (Other
    versions, people: ``dataclasses.replace`` the result.)"""
    return ContributionPeriod(
        period_id=period_id or f"{city}-p{next(_ids)}",
        person_ref=PERSON,
        city=city,
        start=Month.parse(first),
        end=Month.parse(last),
        kind=kind,
    )


def months_up_to(last: str, months: int) -> tuple[str, str]:
    """The first and last month of a run of ``months`` months ending in ``last``."""
    end = Month.parse(last)
    return str(end.plus(1 - months)), str(end)


def ledger(*periods: ContributionPeriod, person_ref: str = PERSON) -> Ledger:
    """The ledger of the test person knowing ``periods``."""
    return build_ledger(person_ref, periods)


def request(
    city: City = "cq", sex: Sex = "male", retirement_date: date = RETIREMENT_DAY
) -> RetirementRequest:
    """The test person's request to make ``city`` the retirement city."""
    return RetirementRequest(PERSON, sex, retirement_date, city)


def assessment(
    city: City = "cq",
    level: DisabilityLevel = "severe",
    *,
    concluded_on: date = date(2025, 3, 1),
    valid_until: date = date(2027, 2, 28),
    scale_version: str = SCALE,
) -> CareAssessment:
    """An assessment of the test person concluded in ``city``."""
    return CareAssessment(
        assessment_id=f"{city}-a{next(_ids)}",
        person_ref=PERSON,
        city=city,
        level=level,
        scale_version=scale_version,
        concluded_on=concluded_on,
        valid_until=valid_until,
    )
