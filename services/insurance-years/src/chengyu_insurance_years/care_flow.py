"""Long-term-care assessments crossing cities: the other city decides recognition when it
consumes an assessment, on its own day and by its own policy; the assessing city keeps the
answer."""

from __future__ import annotations

from datetime import date

from chengyu_contracts.cities import City
from chengyu_contracts.domain_error import DomainError, NotFound
from chengyu_contracts.events.medins import (
    CareAssessmentConcluded,
    CareAssessmentRecognised,
    CareAssessmentRefused,
)
from chengyu_kit.db import Connection
from chengyu_kit.unit import Unit

from .care import CareAssessment, Recognition, RecognitionRefusal, recognise
from .care_store import RecognitionRecord, insert_assessment, load_assessment, save_recognition
from .policy import PolicyBook
from .wire import assessment_from_event, recognised_event, refused_care_event


def decide_recognition(
    assessment: CareAssessment, me: City, on: date, book: PolicyBook
) -> Recognition | RecognitionRefusal:
    """Whether this city recognises the other city's ``assessment`` on day ``on``; a
    missing policy is a refusal too, so the assessing city always gets an answer."""
    try:
        return recognise(assessment, me, on, book)
    except DomainError as error:
        return RecognitionRefusal(
            assessment_id=assessment.assessment_id,
            person_ref=assessment.person_ref,
            assessing_city=assessment.city,
            recognising_city=me,
            level=assessment.level,
            on=on,
            code=error.code,
            sentence=error.sentence,
        )


def record_of(decision: Recognition | RecognitionRefusal) -> RecognitionRecord:
    """A decision as the store keeps it."""
    if isinstance(decision, Recognition):
        return RecognitionRecord(
            recognising_city=decision.recognising_city,
            recognised=True,
            decided_on=decision.recognised_on,
            code=None,
            reason=None,
            valid_until=decision.valid_until,
            policy_effective_from=decision.policy_effective_from,
        )
    return RecognitionRecord(
        recognising_city=decision.recognising_city,
        recognised=False,
        decided_on=decision.on,
        code=decision.code,
        reason=decision.sentence,
        valid_until=None,
        policy_effective_from=None,
    )


async def handle_concluded(unit: Unit, event: CareAssessmentConcluded, book: PolicyBook) -> None:
    """Keep an assessment of either city; decide recognition of the other city's on this
    city's day and emit the answer, once (a second copy of the assessment changes
    nothing)."""
    assessment = assessment_from_event(event)
    inserted = await insert_assessment(unit.conn, assessment)
    if assessment.city == unit.city or not inserted:
        return  # our own, back from the bus; or one already decided
    decision = decide_recognition(assessment, unit.city, unit.today, book)
    await save_recognition(unit.conn, assessment.assessment_id, record_of(decision))
    if isinstance(decision, Recognition):
        unit.emit(recognised_event(decision))
    else:
        unit.emit(refused_care_event(decision))


async def _own_assessment(conn: Connection, assessment_id: str, me: City) -> None:
    stored = await load_assessment(conn, assessment_id)
    if stored is None or stored.assessment.city != me:
        raise NotFound("unknown-assessment", f"This city concluded no assessment {assessment_id}.")


async def handle_recognised(unit: Unit, event: CareAssessmentRecognised) -> None:
    """The other city recognised one of our assessments: keep its answer. (Only the city
    that did not decide runs this: its handler is declared ``acts="other"``.)"""
    await _own_assessment(unit.conn, event.assessment_id, unit.city)
    await save_recognition(
        unit.conn,
        event.assessment_id,
        RecognitionRecord(
            recognising_city=event.recognising_city,
            recognised=True,
            decided_on=event.recognised_on,
            code=None,
            reason=None,
            valid_until=event.valid_until,
            policy_effective_from=event.policy_effective_from,
        ),
    )


async def handle_refused(unit: Unit, event: CareAssessmentRefused) -> None:
    """The other city refused to recognise one of our assessments: keep its answer (run
    only in the assessing city, as :func:`handle_recognised`)."""
    await _own_assessment(unit.conn, event.assessment_id, unit.city)
    await save_recognition(
        unit.conn,
        event.assessment_id,
        RecognitionRecord(
            recognising_city=event.recognising_city,
            recognised=False,
            decided_on=event.decided_on,
            code=event.code,
            reason=event.reason,
            valid_until=None,
            policy_effective_from=None,
        ),
    )
