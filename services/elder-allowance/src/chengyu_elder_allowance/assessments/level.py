"""Older persons' capability assessment (老年人能力评估, GB/T 42195-2022): the level from
the four dimension scores and the standard's adjustments, and how long it stays valid.
Pure rules: no I/O, no clock.

The score ranges, the level boundaries and the adjustments are the standard's; whether
the two one-level-up adjustments stack, and how many months an assessment stays valid, are
each city's policy (``CityPolicy.assessment_adjustments_stack``,
``CityPolicy.assessment_validity_months``).

========  ==========  =====
total     level       name
========  ==========  =====
90        0           完好 (intact)
66-89     1           轻度失能 (mild)
46-65     2           中度失能 (moderate)
30-45     3           重度失能 (severe)
0-29      4           完全失能 (complete)
========  ==========  =====

Adjustments: coma sets level 4; a diagnosed dementia or other mental disorder raises the
level by one; two or more care-risk events (falls, wandering, choking, ...) in the last
30 days raise it by one; the level never goes beyond 4. Without stacking, the two
one-level-up adjustments together still raise it by one only.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Literal

from chengyu_contracts.cities import City
from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.months import Month

AssessmentReason = Literal["first", "routine", "immediate", "re-assessment"]
ASSESSMENT_REASONS: tuple[AssessmentReason, ...] = (
    "first",
    "routine",
    "immediate",
    "re-assessment",
)
Adjustment = Literal["coma", "dementia-or-mental-disorder", "care-risk-events"]

#: Each dimension's highest score (the lowest is 0).
MAX_SCORES: Mapping[str, int] = MappingProxyType(
    {"self_care": 32, "basic_mobility": 15, "mental_state": 28, "perception_and_social": 15}
)
#: The lowest total of each level, from level 0 down; below the last is level 4.
LEVEL_FLOORS: tuple[tuple[int, int], ...] = ((90, 0), (66, 1), (46, 2), (30, 3))
MOST_DISABLED = 4
LEVEL_NAMES: Mapping[int, str] = MappingProxyType(
    {0: "完好", 1: "轻度失能", 2: "中度失能", 3: "重度失能", 4: "完全失能"}
)
#: Care-risk events in the last 30 days from which the level goes one up.
CARE_RISK_EVENTS_THRESHOLD = 2


@dataclass(frozen=True)
class Scores:
    """The four dimension scores of one assessment."""

    self_care: int
    basic_mobility: int
    mental_state: int
    perception_and_social: int

    def __post_init__(self) -> None:
        for dimension, highest in MAX_SCORES.items():
            score = getattr(self, dimension)
            if not 0 <= score <= highest:
                raise DomainError(
                    "score-out-of-range",
                    f"{dimension} is scored 0 to {highest}, not {score}.",
                )

    @property
    def total(self) -> int:
        """The sum of the four scores (0 to 90)."""
        return self.self_care + self.basic_mobility + self.mental_state + self.perception_and_social


@dataclass(frozen=True)
class Findings:
    """What the assessor found besides the scores."""

    coma: bool = False
    dementia_or_mental_disorder: bool = False
    care_risk_events_30d: int = 0

    def __post_init__(self) -> None:
        if self.care_risk_events_30d < 0:
            raise DomainError(
                "invalid-care-risk-events",
                "care_risk_events_30d counts events: 0 or more.",
            )

    @property
    def adjustments(self) -> tuple[Adjustment, ...]:
        """The standard's adjustments these findings call for, in the standard's order."""
        found: list[Adjustment] = []
        if self.coma:
            found.append("coma")
        if self.dementia_or_mental_disorder:
            found.append("dementia-or-mental-disorder")
        if self.care_risk_events_30d >= CARE_RISK_EVENTS_THRESHOLD:
            found.append("care-risk-events")
        return tuple(found)


@dataclass(frozen=True)
class Level:
    """The level by the total alone, the level after the adjustments, and which
    adjustments the findings called for."""

    total: int
    base_level: int
    level: int
    adjustments: tuple[Adjustment, ...]

    @property
    def name(self) -> str:
        """The level's name in the standard (完好 ... 完全失能)."""
        return LEVEL_NAMES[self.level]


def base_level(total: int) -> int:
    """The level by the total score alone."""
    for floor, level in LEVEL_FLOORS:
        if total >= floor:
            return level
    return MOST_DISABLED


def level_of(scores: Scores, findings: Findings, *, adjustments_stack: bool) -> Level:
    """The capability level of ``scores`` with ``findings`` (see the module docstring);
    ``adjustments_stack``: whether the two one-level-up adjustments add up."""
    total = scores.total
    base = base_level(total)
    adjustments = findings.adjustments
    if "coma" in adjustments:
        level = MOST_DISABLED
    else:
        ups = len(adjustments)  # only one-level-up adjustments are left
        level = min(MOST_DISABLED, base + (ups if adjustments_stack else min(ups, 1)))
    return Level(total=total, base_level=base, level=level, adjustments=adjustments)


def valid_until(assessed_on: date, months: int) -> date:
    """The last day an assessment made on ``assessed_on`` holds: the same day ``months``
    later, or that month's last day when it is shorter (31 January + 1 -> 28/29 February)."""
    month = Month.of(assessed_on).plus(months)
    last = calendar.monthrange(month.year, month.month)[1]
    return date(month.year, month.month, min(assessed_on.day, last))


def parse_reason(text: str) -> AssessmentReason:
    """``text`` as an assessment reason; ``unknown-reason`` otherwise."""
    for reason in ASSESSMENT_REASONS:
        if text == reason:
            return reason
    raise DomainError(
        "unknown-reason",
        f"An assessment's reason is one of {', '.join(ASSESSMENT_REASONS)}.",
    )


@dataclass(frozen=True)
class CapabilityAssessment:
    """One assessment of one person, made in ``city``; valid from ``assessed_on`` through
    ``valid_until``. (The findings behind the adjustments stay with the assessing city;
    the level says which adjustments they called for.)"""

    assessment_id: str
    person_ref: str
    city: City
    assessed_on: date
    reason: AssessmentReason
    scores: Scores
    level: Level
    valid_until: date

    def valid_on(self, day: date) -> bool:
        """Whether the assessment holds on ``day``."""
        return self.assessed_on <= day <= self.valid_until


@dataclass(frozen=True)
class AssessmentDraft:
    """What the assessor recorded, before the level is derived."""

    assessment_id: str
    person_ref: str
    city: City
    assessed_on: date
    reason: AssessmentReason
    scores: Scores
    findings: Findings


def assess(
    draft: AssessmentDraft, today: date, *, adjustments_stack: bool, validity_months: int
) -> CapabilityAssessment:
    """The assessment ``draft`` recorded on ``today``, its level and validity derived;
    ``assessed-in-future`` if it is dated later than ``today``."""
    if draft.assessed_on > today:
        raise DomainError(
            "assessed-in-future",
            f"An assessment cannot be dated after today ({today.isoformat()}).",
        )
    return CapabilityAssessment(
        assessment_id=draft.assessment_id,
        person_ref=draft.person_ref,
        city=draft.city,
        assessed_on=draft.assessed_on,
        reason=draft.reason,
        scores=draft.scores,
        level=level_of(draft.scores, draft.findings, adjustments_stack=adjustments_stack),
        valid_until=valid_until(draft.assessed_on, validity_months),
    )


def current_of(
    assessments: Iterable[CapabilityAssessment], today: date
) -> CapabilityAssessment | None:
    """The assessment that counts on ``today``: the latest one valid that day (either
    city's), or ``None``. Of two made the same day, the one with the greater id, so both
    cities pick the same."""
    valid = [a for a in assessments if a.valid_on(today)]
    return max(valid, key=lambda a: (a.assessed_on, a.assessment_id), default=None)
