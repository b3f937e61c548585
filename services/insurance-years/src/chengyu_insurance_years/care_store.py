"""Long-term-care assessments and recognition decisions in this city's database.
Explicit asyncpg SQL; rows <-> domain here only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import asyncpg

from chengyu_contracts.cities import CITIES, City
from chengyu_kit.db import Connection, one_of

from .care import CareAssessment
from .policy import LEVELS

_COLUMNS = (
    "a.assessment_id, a.person_ref, a.city, a.level, a.scale_version, a.concluded_on,"
    " a.valid_until, r.recognising_city, r.recognised, r.decided_on, r.code, r.reason,"
    " r.valid_until AS recognised_until, r.policy_effective_from"
)


@dataclass(frozen=True)
class RecognitionRecord:
    """The other city's decision about an assessment (or this city's about the other's)."""

    recognising_city: City
    recognised: bool
    decided_on: date
    code: str | None
    reason: str | None
    valid_until: date | None
    policy_effective_from: date | None


@dataclass(frozen=True)
class StoredAssessment:
    """An assessment known here and the recognition decision about it, once made."""

    assessment: CareAssessment
    recognition: RecognitionRecord | None


def _from_row(row: asyncpg.Record) -> StoredAssessment:
    assessment = CareAssessment(
        assessment_id=row["assessment_id"],
        person_ref=row["person_ref"],
        city=one_of(row["city"], CITIES, "city"),
        level=one_of(row["level"], LEVELS, "level"),
        scale_version=row["scale_version"],
        concluded_on=row["concluded_on"],
        valid_until=row["valid_until"],
    )
    recognition = None
    if row["recognising_city"] is not None:
        recognition = RecognitionRecord(
            recognising_city=one_of(row["recognising_city"], CITIES, "city"),
            recognised=row["recognised"],
            decided_on=row["decided_on"],
            code=row["code"],
            reason=row["reason"],
            valid_until=row["recognised_until"],
            policy_effective_from=row["policy_effective_from"],
        )
    return StoredAssessment(assessment, recognition)


async def insert_assessment(conn: Connection, assessment: CareAssessment) -> bool:
    """Save an assessment; ``False`` if one with its id is already known."""
    inserted = await conn.fetchval(
        "INSERT INTO care_assessment (assessment_id, person_ref, city, level, scale_version,"
        " concluded_on, valid_until) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (assessment_id) DO NOTHING RETURNING true",
        assessment.assessment_id,
        assessment.person_ref,
        assessment.city,
        assessment.level,
        assessment.scale_version,
        assessment.concluded_on,
        assessment.valid_until,
    )
    return bool(inserted)


async def save_recognition(conn: Connection, assessment_id: str, record: RecognitionRecord) -> bool:
    """Save the decision about an assessment; ``False`` if one was saved already (the
    first decision stands)."""
    inserted = await conn.fetchval(
        "INSERT INTO care_recognition (assessment_id, recognising_city, recognised, decided_on,"
        " code, reason, valid_until, policy_effective_from)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT (assessment_id) DO NOTHING RETURNING true",
        assessment_id,
        record.recognising_city,
        record.recognised,
        record.decided_on,
        record.code,
        record.reason,
        record.valid_until,
        record.policy_effective_from,
    )
    return bool(inserted)


async def load_assessment(conn: Connection, assessment_id: str) -> StoredAssessment | None:
    """The assessment ``assessment_id`` and its recognition decision, if known here."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM care_assessment a"
        " LEFT JOIN care_recognition r USING (assessment_id) WHERE a.assessment_id = $1",
        assessment_id,
    )
    return None if row is None else _from_row(row)


async def assessments_of(conn: Connection, person_ref: str) -> list[StoredAssessment]:
    """Every assessment of the person known here (both cities'), newest conclusion first."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM care_assessment a"
        " LEFT JOIN care_recognition r USING (assessment_id) WHERE a.person_ref = $1"
        " ORDER BY a.concluded_on DESC, a.assessment_id",
        person_ref,
    )
    return [_from_row(row) for row in rows]
