"""Domain values <-> event payloads (``chengyu_contracts.events.medins``) and JSON columns.

The domain modules use the contracts' shared vocabulary (cities, months, the policy book,
``DomainError``) but never the event payloads; this module is the one place that knows
both the domain values and the payloads, so a change of either side shows up here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chengyu_contracts.cities import City
from chengyu_contracts.events.medins import (
    CareAssessmentConcluded,
    CareAssessmentRecognised,
    CareAssessmentRefused,
    ContributionYearsAccrued,
    RetirementCityDetermined,
    RetirementCityRefused,
    RetirementFigures,
    RetirementReviewFlagged,
    RetirementShortfall,
)
from chengyu_contracts.months import Month

from .care import CareAssessment, Recognition, RecognitionRefusal
from .periods import ContributionPeriod
from .retirement import Figures, Refused, RetirementDetermination, Shortfall
from .review import ReviewFlag


def accrual_event(period: ContributionPeriod) -> ContributionYearsAccrued:
    """The event publishing one version of a period."""
    return ContributionYearsAccrued(
        period_id=period.period_id,
        person_ref=period.person_ref,
        city=period.city,
        start_month=str(period.start),
        end_month=str(period.end),
        kind=period.kind,
        version=period.version,
        cancelled=period.cancelled,
    )


def period_from_event(event: ContributionYearsAccrued) -> ContributionPeriod:
    """The period version an accrual event carries (``DomainError`` if it breaks a rule)."""
    return ContributionPeriod(
        period_id=event.period_id,
        person_ref=event.person_ref,
        city=event.city,
        start=Month.parse(event.start_month),
        end=Month.parse(event.end_month),
        kind=event.kind,
        version=event.version,
        cancelled=event.cancelled,
    )


def figures_payload(figures: Figures) -> RetirementFigures:
    """Decision figures as carried by events."""
    return RetirementFigures(
        city=figures.city,
        policy_effective_from=figures.policy_effective_from,
        up_to=str(figures.up_to),
        cumulative_months=figures.cumulative_months,
        actual_months=figures.actual_months,
        actual_months_in_city=figures.actual_months_in_city,
        deemed_months=figures.deemed_months,
        deemed_counted=figures.deemed_counted,
        required_cumulative_months=figures.required_cumulative_months,
        required_actual_months_in_city=figures.required_actual_months_in_city,
    )


def figures_from_payload(payload: RetirementFigures) -> Figures:
    """Decision figures from an event."""
    return Figures(
        city=payload.city,
        policy_effective_from=payload.policy_effective_from,
        up_to=Month.parse(payload.up_to),
        cumulative_months=payload.cumulative_months,
        actual_months=payload.actual_months,
        actual_months_in_city=payload.actual_months_in_city,
        deemed_months=payload.deemed_months,
        deemed_counted=payload.deemed_counted,
        required_cumulative_months=payload.required_cumulative_months,
        required_actual_months_in_city=payload.required_actual_months_in_city,
    )


def figures_json(figures: Figures) -> dict[str, Any]:
    """Decision figures as a JSON object (the store's ``jsonb`` columns, the API)."""
    return figures_payload(figures).model_dump(mode="json")


def figures_from_json(value: dict[str, Any]) -> Figures:
    """Decision figures from :func:`figures_json`'s form."""
    return figures_from_payload(RetirementFigures.model_validate(value))


def shortfall_payload(shortfall: Shortfall) -> RetirementShortfall:
    """A shortfall as carried by events."""
    return RetirementShortfall(
        rule=shortfall.rule,
        city=shortfall.city,
        required=shortfall.required,
        counted=shortfall.counted,
    )


def determined_event(
    request_id: str, determination: RetirementDetermination, decided_at: datetime
) -> RetirementCityDetermined:
    """The event announcing a determination made on claim ``request_id``."""
    return RetirementCityDetermined(
        request_id=request_id,
        person_ref=determination.person_ref,
        city=determination.city,
        sex=determination.sex,
        retirement_date=determination.retirement_date,
        figures=figures_payload(determination.figures),
        decided_at=decided_at,
    )


def determination_from_event(event: RetirementCityDetermined) -> RetirementDetermination:
    """The determination another city announced."""
    return RetirementDetermination(
        person_ref=event.person_ref,
        city=event.city,
        sex=event.sex,
        retirement_date=event.retirement_date,
        figures=figures_from_payload(event.figures),
    )


def refused_event(
    request_id: str, refused: Refused, determined_city: City | None, decided_at: datetime
) -> RetirementCityRefused:
    """The event announcing a refusal of claim ``request_id``."""
    return RetirementCityRefused(
        request_id=request_id,
        person_ref=refused.person_ref,
        chosen_city=refused.chosen_city,
        code=refused.code,
        reason=refused.sentence,
        shortfalls=[shortfall_payload(s) for s in refused.shortfalls],
        figures=None if refused.figures is None else figures_payload(refused.figures),
        alternative_city=refused.alternative_city,
        determined_city=determined_city,
        decided_at=decided_at,
    )


def review_event(
    request_id: str, flag: ReviewFlag, period_version: int, flagged_at: datetime
) -> RetirementReviewFlagged:
    """The event announcing a review flag on the determination of claim ``request_id``."""
    return RetirementReviewFlagged(
        request_id=request_id,
        person_ref=flag.person_ref,
        city=flag.city,
        period_id=flag.period_id,
        period_version=period_version,
        code=flag.code,
        reason=flag.sentence,
        figures_before=figures_payload(flag.figures_before),
        figures_after=figures_payload(flag.figures_after),
        flagged_at=flagged_at,
    )


def concluded_event(assessment: CareAssessment) -> CareAssessmentConcluded:
    """The event publishing an assessment concluded here."""
    return CareAssessmentConcluded(
        assessment_id=assessment.assessment_id,
        person_ref=assessment.person_ref,
        city=assessment.city,
        level=assessment.level,
        scale_version=assessment.scale_version,
        concluded_on=assessment.concluded_on,
        valid_until=assessment.valid_until,
    )


def assessment_from_event(event: CareAssessmentConcluded) -> CareAssessment:
    """The assessment another city published (``DomainError`` if it breaks a rule)."""
    return CareAssessment(
        assessment_id=event.assessment_id,
        person_ref=event.person_ref,
        city=event.city,
        level=event.level,
        scale_version=event.scale_version,
        concluded_on=event.concluded_on,
        valid_until=event.valid_until,
    )


def recognised_event(recognition: Recognition) -> CareAssessmentRecognised:
    """The event announcing a recognition decided here."""
    return CareAssessmentRecognised(
        assessment_id=recognition.assessment_id,
        person_ref=recognition.person_ref,
        assessing_city=recognition.assessing_city,
        recognising_city=recognition.recognising_city,
        level=recognition.level,
        recognised_on=recognition.recognised_on,
        valid_until=recognition.valid_until,
        policy_effective_from=recognition.policy_effective_from,
    )


def refused_care_event(refusal: RecognitionRefusal) -> CareAssessmentRefused:
    """The event announcing a refusal of recognition decided here."""
    return CareAssessmentRefused(
        assessment_id=refusal.assessment_id,
        person_ref=refusal.person_ref,
        assessing_city=refusal.assessing_city,
        recognising_city=refusal.recognising_city,
        level=refusal.level,
        decided_on=refusal.on,
        code=refusal.code,
        reason=refusal.sentence,
    )
