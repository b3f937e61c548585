"""Capability assessments' use cases: record one made here and publish it; keep the other
city's as recognised; list a person's assessments of both cities and the current one.
Each runs in the caller's unit of work; time is only the unit's."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date

from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.events.elder import ElderCapabilityAssessed
from chengyu_contracts.resident_id import checked_resident_id
from chengyu_kit.unit import Unit

from ..policy import PolicyBook
from .level import (
    AssessmentDraft,
    CapabilityAssessment,
    Findings,
    Level,
    Scores,
    assess,
    base_level,
    current_of,
    parse_reason,
)
from .store import AssessorRecord, StoredAssessment, assessments_of, insert_assessment

PERSON_REF = re.compile(r"^pr1_[0-9a-f]{64}$")


@dataclass(frozen=True)
class RecordAssessment:
    """An assessor's capability assessment of a person, made in this city."""

    id_number: str
    assessed_on: str
    reason: str
    self_care: int
    basic_mobility: int
    mental_state: int
    perception_and_social: int
    coma: bool = False
    dementia_or_mental_disorder: bool = False
    care_risk_events_30d: int = 0


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DomainError(
            "invalid-date", f"{field} is a day written YYYY-MM-DD, e.g. 2026-03-31."
        ) from None


def assessed_event(assessment: CapabilityAssessment) -> ElderCapabilityAssessed:
    """The event that publishes ``assessment`` to the other city."""
    scores, level = assessment.scores, assessment.level
    return ElderCapabilityAssessed(
        assessment_id=assessment.assessment_id,
        person_ref=assessment.person_ref,
        city=assessment.city,
        assessed_on=assessment.assessed_on,
        reason=assessment.reason,
        self_care=scores.self_care,
        basic_mobility=scores.basic_mobility,
        mental_state=scores.mental_state,
        perception_and_social=scores.perception_and_social,
        total=level.total,
        base_level=level.base_level,
        level=level.level,
        adjustments=list(level.adjustments),
        valid_until=assessment.valid_until,
    )


async def record_assessment(
    command: RecordAssessment, unit: Unit, book: PolicyBook
) -> CapabilityAssessment:
    """Record an assessment made here, derive its level and validity by this city's
    policy in force on the assessment day, and publish it for the other city to recognise.

    Refusals: resident ID codes, ``invalid-date``, ``unknown-reason``,
    ``score-out-of-range`` (naming the dimension), ``invalid-care-risk-events``,
    ``assessed-in-future``, ``no-policy-in-force``.
    """
    resident = checked_resident_id(command.id_number, unit.today)
    assessed_on = _day(command.assessed_on, "assessed_on")
    draft = AssessmentDraft(
        assessment_id=f"cap-{unit.city}-{uuid.uuid4().hex}",
        person_ref=unit.person_ref(resident),
        city=unit.city,
        assessed_on=assessed_on,
        reason=parse_reason(command.reason),
        scores=Scores(
            self_care=command.self_care,
            basic_mobility=command.basic_mobility,
            mental_state=command.mental_state,
            perception_and_social=command.perception_and_social,
        ),
        findings=Findings(
            coma=command.coma,
            dementia_or_mental_disorder=command.dementia_or_mental_disorder,
            care_risk_events_30d=command.care_risk_events_30d,
        ),
    )
    # The policy in force on the assessment day (a future day is refused by ``assess``).
    policy = book.policy_for(unit.city, min(assessed_on, unit.today))
    assessment = assess(
        draft,
        unit.today,
        adjustments_stack=policy.assessment_adjustments_stack,
        validity_months=policy.assessment_validity_months,
    )
    own = AssessorRecord(draft.findings, unit.acted_by(), unit.request_id)
    await insert_assessment(unit.conn, assessment, unit.now, own)
    unit.emit(assessed_event(assessment))
    return assessment


def assessment_from_event(event: ElderCapabilityAssessed) -> CapabilityAssessment:
    """The other city's assessment as published; ``inconsistent-assessment`` when its total
    or base level contradicts its scores (the level after adjustments is the assessing
    city's, by its own stacking policy, and is taken as it is)."""
    scores = Scores(
        self_care=event.self_care,
        basic_mobility=event.basic_mobility,
        mental_state=event.mental_state,
        perception_and_social=event.perception_and_social,
    )
    if event.total != scores.total or event.base_level != base_level(scores.total):
        raise DomainError(
            "inconsistent-assessment",
            f"Assessment {event.assessment_id}: its total or base level does not follow "
            "from its scores.",
        )
    if event.level < event.base_level:
        raise DomainError(
            "inconsistent-assessment",
            f"Assessment {event.assessment_id}: adjustments never lower the level.",
        )
    return CapabilityAssessment(
        assessment_id=event.assessment_id,
        person_ref=event.person_ref,
        city=event.city,
        assessed_on=event.assessed_on,
        reason=event.reason,
        scores=scores,
        level=Level(
            total=event.total,
            base_level=event.base_level,
            level=event.level,
            adjustments=tuple(event.adjustments),
        ),
        valid_until=event.valid_until,
    )


async def handle_assessed(unit: Unit, event: ElderCapabilityAssessed) -> None:
    """Keep the other city's assessment as recognised here, without a new assessment
    (a second copy changes nothing)."""
    await insert_assessment(unit.conn, assessment_from_event(event), unit.now, None)


@dataclass(frozen=True)
class PersonAssessments:
    """A person's assessments of both cities known here and the one that counts today."""

    person_ref: str
    assessments: list[StoredAssessment]
    current: CapabilityAssessment | None


async def assessments_of_person(person_ref: str, unit: Unit) -> PersonAssessments:
    """Every assessment of ``person_ref`` known here; ``invalid-person-ref``."""
    if not PERSON_REF.match(person_ref):
        raise DomainError("invalid-person-ref", "person_ref is pr1_ and 64 hex digits.")
    found = await assessments_of(unit.conn, person_ref)
    current = current_of([s.assessment for s in found], unit.today)
    return PersonAssessments(person_ref, found, current)
