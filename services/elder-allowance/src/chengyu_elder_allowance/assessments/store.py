"""Capability assessments in this city's database. Explicit asyncpg SQL; rows <-> domain
here only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from chengyu_contracts.cities import CITIES
from chengyu_kit.db import Connection, one_of

from .level import (
    ASSESSMENT_REASONS,
    Adjustment,
    CapabilityAssessment,
    Findings,
    Level,
    Scores,
)

ADJUSTMENTS: tuple[Adjustment, ...] = ("coma", "dementia-or-mental-disorder", "care-risk-events")
_COLUMNS = (
    "assessment_id, person_ref, city, assessed_on, reason, self_care, basic_mobility,"
    " mental_state, perception_and_social, total, base_level, level, adjustments,"
    " valid_until, recognised"
)


@dataclass(frozen=True)
class StoredAssessment:
    """An assessment known here; ``recognised`` when made in the other city."""

    assessment: CapabilityAssessment
    recognised: bool


def _from_row(row: asyncpg.Record) -> StoredAssessment:
    assessment = CapabilityAssessment(
        assessment_id=row["assessment_id"],
        person_ref=row["person_ref"],
        city=one_of(row["city"], CITIES, "city"),
        assessed_on=row["assessed_on"],
        reason=one_of(row["reason"], ASSESSMENT_REASONS, "assessment reason"),
        scores=Scores(
            self_care=row["self_care"],
            basic_mobility=row["basic_mobility"],
            mental_state=row["mental_state"],
            perception_and_social=row["perception_and_social"],
        ),
        level=Level(
            total=row["total"],
            base_level=row["base_level"],
            level=row["level"],
            adjustments=tuple(one_of(a, ADJUSTMENTS, "adjustment") for a in row["adjustments"]),
        ),
        valid_until=row["valid_until"],
    )
    return StoredAssessment(assessment, row["recognised"])


@dataclass(frozen=True)
class AssessorRecord:
    """What only the assessing city keeps of its own assessment: the findings behind the
    adjustments, and who recorded it in which request."""

    findings: Findings
    by: str | None
    request_id: str | None


async def insert_assessment(
    conn: Connection,
    assessment: CapabilityAssessment,
    at: datetime,
    own: AssessorRecord | None,
) -> bool:
    """Save an assessment: this city's own (``own`` given), or the other city's
    (``own`` None: recognised); ``False`` if one with its id is already known."""
    scores, level = assessment.scores, assessment.level
    findings = None if own is None else own.findings
    inserted = await conn.fetchval(
        "INSERT INTO capability_assessment (assessment_id, person_ref, city, assessed_on,"
        " reason, self_care, basic_mobility, mental_state, perception_and_social, total,"
        " base_level, level, adjustments, valid_until, recognised, coma,"
        " dementia_or_mental_disorder, care_risk_events_30d, recorded_at, recorded_by,"
        " request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
        " $15, $16, $17, $18, $19, $20, $21)"
        " ON CONFLICT (assessment_id) DO NOTHING RETURNING true",
        assessment.assessment_id,
        assessment.person_ref,
        assessment.city,
        assessment.assessed_on,
        assessment.reason,
        scores.self_care,
        scores.basic_mobility,
        scores.mental_state,
        scores.perception_and_social,
        level.total,
        level.base_level,
        level.level,
        list(level.adjustments),
        assessment.valid_until,
        findings is None,
        None if findings is None else findings.coma,
        None if findings is None else findings.dementia_or_mental_disorder,
        None if findings is None else findings.care_risk_events_30d,
        at,
        None if own is None else own.by,
        None if own is None else own.request_id,
    )
    return bool(inserted)


async def assessments_of(conn: Connection, person_ref: str) -> list[StoredAssessment]:
    """Every assessment of the person known here (both cities'), oldest first."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM capability_assessment WHERE person_ref = $1"
        " ORDER BY assessed_on, assessment_id",
        person_ref,
    )
    return [_from_row(r) for r in rows]
