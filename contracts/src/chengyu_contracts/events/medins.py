"""Medical-insurance (医保) events: contribution years recognised across cities
(医保缴费年限互认), the retirement city (医保退休认定地) and long-term-care assessments
recognised across cities (长护险互认).

Every topic is keyed by ``person_ref``, so one person's events stay in one partition, in
the order they were published, for every reader.

``medins.contribution``: each version of a contribution period, issued by the city that
recorded it. A correction or cancellation is a new version of the same ``period_id`` (the
same event type, ``version`` one higher, ``cancelled`` set for a cancellation): never an
edit. A reader keeps the highest version of each period whatever order they arrive in.

``medins.retirement``: the one-retirement-city protocol::

    requested_in:  retirement-city-claimed            (a clerk's request; nothing decided)
    chosen_city:   retirement-city-determined | retirement-city-refused
                   (decided when the chosen city consumes the claim, in log order)
    chosen_city:   retirement-review-flagged          (history changed after a determination)

Both cities read every claim of a person in the same log order. The chosen city decides
a claim only once it knows the outcome of every earlier claim of that person, so the first
claim determined wins and every later one is refused (``retirement-city-already-determined``)
in both cities.

``medins.care``: an assessment concluded in one city, and the other city's recognition or
refusal (with the reason).

No names or ID numbers: a person is only their ``person_ref``. Months are ``YYYY-MM``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from chengyu_contracts.cities import City
from chengyu_contracts.registry import REGISTRY, EventData, event

__all__ = [
    "CARE_TOPIC",
    "CONTRIBUTION_TOPIC",
    "RETIREMENT_TOPIC",
    "CareAssessmentConcluded",
    "CareAssessmentRecognised",
    "CareAssessmentRefused",
    "ContributionYearsAccrued",
    "RetirementCityClaimed",
    "RetirementCityDetermined",
    "RetirementCityRefused",
    "RetirementFigures",
    "RetirementReviewFlagged",
    "RetirementShortfall",
]

CONTRIBUTION_TOPIC = "medins.contribution"
RETIREMENT_TOPIC = "medins.retirement"
CARE_TOPIC = "medins.care"

Sex = Literal["male", "female"]
Level = Literal["severe", "moderate", "mild"]
Months = Annotated[int, Field(ge=0)]
MonthText = Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]
PersonRef = Annotated[str, Field(min_length=1, max_length=128)]
Id = Annotated[str, Field(min_length=1, max_length=128)]
ReasonCode = Annotated[str, Field(pattern=r"^[a-z0-9-]+$", max_length=64)]
ReasonText = Annotated[str, Field(max_length=500)]


# --------------------------------------------------------------------------------------------
# contribution periods


@event(
    REGISTRY,
    type="cn.chengyu.medins.contribution-years-accrued.v1",
    topic=CONTRIBUTION_TOPIC,
    key="person_ref",
)
class ContributionYearsAccrued(EventData):
    """One version of a contribution period recorded by ``city``'s bureau.

    Version 1 is the period as recorded; a correction is the next version with other
    months or kind; a cancellation is the next version with ``cancelled`` (it then counts
    for nothing, and an older version arriving late cannot revive it). Person and city
    never change between versions. ``kind``: ``actual`` contributions paid, or ``deemed``
    years (视同缴费年限) that count where the deciding city's policy says so.
    """

    period_id: Id
    person_ref: PersonRef
    city: City
    start_month: MonthText
    end_month: MonthText
    kind: Literal["actual", "deemed"]
    version: Annotated[int, Field(ge=1)]
    cancelled: bool


# --------------------------------------------------------------------------------------------
# retirement city


@event(
    REGISTRY,
    type="cn.chengyu.medins.retirement-city-claimed.v1",
    topic=RETIREMENT_TOPIC,
    key="person_ref",
)
class RetirementCityClaimed(EventData):
    """A clerk in ``requested_in`` asks that ``chosen_city`` become the person's retirement
    city. Nothing is decided yet: ``chosen_city`` decides when it consumes this claim, after
    the outcome of every earlier claim of the person is known."""

    request_id: Id
    person_ref: PersonRef
    requested_in: City
    chosen_city: City
    sex: Sex
    retirement_date: date
    requested_at: AwareDatetime


class RetirementFigures(EventData):
    """What a city's decision rests on: months counted up to ``up_to`` (the retirement
    month) and months required by its policy in force (from ``policy_effective_from``).

    ``cumulative_months`` = ``actual_months`` (both cities, a month counted once) plus
    ``deemed_months`` (deemed months no actual month covers) when ``deemed_counted``.
    """

    city: City
    policy_effective_from: date
    up_to: MonthText
    cumulative_months: Months
    actual_months: Months
    actual_months_in_city: Months
    deemed_months: Months
    deemed_counted: bool
    required_cumulative_months: Months
    required_actual_months_in_city: Months


class RetirementShortfall(EventData):
    """A rule not met in ``city``: months required and months counted."""

    rule: Literal["cumulative-months", "actual-months-in-city"]
    city: City
    required: Months
    counted: Months


@event(
    REGISTRY,
    type="cn.chengyu.medins.retirement-city-determined.v1",
    topic=RETIREMENT_TOPIC,
    key="person_ref",
)
class RetirementCityDetermined(EventData):
    """``city`` (the chosen city of claim ``request_id``) is the person's retirement city.

    A person has one: every later claim is refused in both cities.
    """

    request_id: Id
    person_ref: PersonRef
    city: City
    sex: Sex
    retirement_date: date
    figures: RetirementFigures
    decided_at: AwareDatetime


@event(
    REGISTRY,
    type="cn.chengyu.medins.retirement-city-refused.v1",
    topic=RETIREMENT_TOPIC,
    key="person_ref",
)
class RetirementCityRefused(EventData):
    """``chosen_city`` refused claim ``request_id``, with the reason.

    Codes: ``requirements-not-met`` (``shortfalls``, ``figures`` and, if the other city
    would qualify, ``alternative_city``), ``retirement-city-already-determined``
    (``determined_city`` says which city the person already has), ``no-policy-in-force``.
    """

    request_id: Id
    person_ref: PersonRef
    chosen_city: City
    code: ReasonCode
    reason: ReasonText
    shortfalls: list[RetirementShortfall]
    figures: RetirementFigures | None
    alternative_city: City | None
    determined_city: City | None
    decided_at: AwareDatetime


@event(
    REGISTRY,
    type="cn.chengyu.medins.retirement-review-flagged.v1",
    topic=RETIREMENT_TOPIC,
    key="person_ref",
)
class RetirementReviewFlagged(EventData):
    """A change of history (version ``period_version`` of ``period_id``) arrived after the
    person's retirement city ``city`` was determined and alters the figures it rests on.

    The determination stands; a clerk reviews it. Codes: ``determination-no-longer-met``
    (``city`` would now refuse), ``determination-figures-changed`` (it would still
    determine, on other figures). Issued by the determined city only.
    """

    request_id: Id
    person_ref: PersonRef
    city: City
    period_id: Id
    period_version: Annotated[int, Field(ge=1)]
    code: ReasonCode
    reason: ReasonText
    figures_before: RetirementFigures
    figures_after: RetirementFigures
    flagged_at: AwareDatetime


# --------------------------------------------------------------------------------------------
# long-term care


@event(
    REGISTRY,
    type="cn.chengyu.medins.care-assessment-concluded.v1",
    topic=CARE_TOPIC,
    key="person_ref",
)
class CareAssessmentConcluded(EventData):
    """A long-term-care disability assessment concluded in ``city``, valid from
    ``concluded_on`` through ``valid_until`` (both days included); the other city decides
    whether it recognises it."""

    assessment_id: Id
    person_ref: PersonRef
    city: City
    level: Level
    scale_version: Annotated[str, Field(min_length=1, max_length=64)]
    concluded_on: date
    valid_until: date


@event(
    REGISTRY,
    type="cn.chengyu.medins.care-assessment-recognised.v1",
    topic=CARE_TOPIC,
    key="person_ref",
)
class CareAssessmentRecognised(EventData):
    """``recognising_city`` recognises the assessment of ``assessing_city`` from
    ``recognised_on`` until ``valid_until``, under its policy in force from
    ``policy_effective_from``."""

    assessment_id: Id
    person_ref: PersonRef
    assessing_city: City
    recognising_city: City
    level: Level
    recognised_on: date
    valid_until: date
    policy_effective_from: date


@event(
    REGISTRY,
    type="cn.chengyu.medins.care-assessment-refused.v1",
    topic=CARE_TOPIC,
    key="person_ref",
)
class CareAssessmentRefused(EventData):
    """``recognising_city`` does not recognise the assessment on ``decided_on``.

    Codes: ``not-yet-concluded``, ``assessment-expired``, ``level-not-recognised`` (the
    reason says from when the level is recognised, if a later policy does),
    ``scale-not-accepted``, ``no-policy-in-force``.
    """

    assessment_id: Id
    person_ref: PersonRef
    assessing_city: City
    recognising_city: City
    level: Level
    decided_on: date
    code: ReasonCode
    reason: ReasonText
