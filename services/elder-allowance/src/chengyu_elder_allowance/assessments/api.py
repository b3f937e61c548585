"""The clerks' routes of the assessments area: record a capability assessment made here
(published to the other city, which recognises it), and list a person's assessments of
both cities with the one that counts today.

ID numbers come only in request bodies, are checked, turned into ``person_ref`` and never
returned, stored or logged. Scores are checked by the rules (``score-out-of-range`` names
the dimension), not by the body's schema.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from chengyu_kit.web import UnitOfWork, service_router

from ..policy import PolicyBook
from . import usecases
from .level import LEVEL_NAMES, CapabilityAssessment


class AssessmentBody(BaseModel):
    """A capability assessment made in this city (GB/T 42195-2022)."""

    model_config = ConfigDict(extra="forbid")

    id_number: Annotated[StrictStr, Field(max_length=64, description="18-character number")]
    assessed_on: Annotated[StrictStr, Field(max_length=16, description="YYYY-MM-DD")]
    reason: Annotated[
        StrictStr, Field(max_length=32, description="first, routine, immediate or re-assessment")
    ]
    self_care: Annotated[StrictInt, Field(description="0-32")]
    basic_mobility: Annotated[StrictInt, Field(description="0-15")]
    mental_state: Annotated[StrictInt, Field(description="0-28")]
    perception_and_social: Annotated[StrictInt, Field(description="0-15")]
    coma: StrictBool = False
    dementia_or_mental_disorder: StrictBool = False
    care_risk_events_30d: Annotated[
        StrictInt, Field(description="falls, wandering, choking... in the last 30 days")
    ] = 0


class AssessmentView(BaseModel):
    """An assessment known here; ``recognised`` when made in the other city."""

    assessment_id: str
    person_ref: str
    city: str
    assessed_on: date
    reason: str
    self_care: int
    basic_mobility: int
    mental_state: int
    perception_and_social: int
    total: int
    base_level: int
    level: int
    level_name: str
    adjustments: list[str]
    valid_until: date
    recognised: bool


class ListedAssessmentView(AssessmentView):
    """An assessment of a person's list; ``current``: the one that counts today."""

    current: bool


class PersonAssessmentsView(BaseModel):
    """A person's assessments of both cities, oldest first, and the current one's id."""

    person_ref: str
    current: str | None
    items: list[ListedAssessmentView]


def _view(assessment: CapabilityAssessment, *, recognised: bool) -> AssessmentView:
    scores, level = assessment.scores, assessment.level
    return AssessmentView(
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
        level_name=LEVEL_NAMES[level.level],
        adjustments=list(level.adjustments),
        valid_until=assessment.valid_until,
        recognised=recognised,
    )


def router(book: PolicyBook) -> APIRouter:
    """The assessments routes, deciding by ``book``."""
    routes = service_router(tags=["assessments"])

    @routes.post("/assessments", status_code=201)
    async def record(body: AssessmentBody, unit: UnitOfWork) -> AssessmentView:
        """Record an assessment made here; the other city recognises it when it reads it."""
        command = usecases.RecordAssessment(**body.model_dump())
        assessment = await usecases.record_assessment(command, unit, book)
        return _view(assessment, recognised=False)

    @routes.get("/assessments")
    async def of_person(
        person_ref: Annotated[str, Query(max_length=128)], unit: UnitOfWork
    ) -> PersonAssessmentsView:
        """A person's assessments of both cities and which one counts today (the latest
        valid one)."""
        found = await usecases.assessments_of_person(person_ref, unit)
        current = None if found.current is None else found.current.assessment_id
        return PersonAssessmentsView(
            person_ref=found.person_ref,
            current=current,
            items=[
                ListedAssessmentView(
                    **_view(s.assessment, recognised=s.recognised).model_dump(),
                    current=s.assessment.assessment_id == current,
                )
                for s in found.assessments
            ],
        )

    return routes
