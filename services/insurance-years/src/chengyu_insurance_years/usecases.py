"""Use cases of one city's service: check the input -> domain rule -> save and emit the
events, all in the caller's unit of work (one transaction: a refusal writes nothing).

Each use case takes its command (what the clerk asked) and the
:class:`~chengyu_kit.unit.Unit` (connection, time, city, person_ref key, ``emit``), plus
the policy book where a rule needs it. Refusals are the domain's :class:`DomainError` and
its kinds (a code and a sentence, never personal data); the HTTP layer maps each kind to
its status. Time is only the unit's (``unit.now``, ``unit.today``).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date

from chengyu_contracts.cities import CITIES, CITY_NAMES, City, parse_city
from chengyu_contracts.domain_error import Conflict, DomainError, NotFound
from chengyu_contracts.events.medins import RetirementCityClaimed
from chengyu_contracts.months import Month
from chengyu_contracts.resident_id import ResidentId, checked_resident_id
from chengyu_kit.unit import Unit

from . import care, periods
from .accrual import apply_period
from .care_store import StoredAssessment, assessments_of, insert_assessment, load_assessment
from .ledger import Ledger, LedgerTotals, totals
from .policy import PolicyBook, Sex, parse_level, parse_sex
from .retirement_store import (
    Claim,
    StoredDetermination,
    StoredFlag,
    flags_of,
    insert_submitted,
    load_claim,
    load_determination,
)
from .store import ReceivedVersion, load_ledger, load_period, lock_person, period_history
from .wire import accrual_event, concluded_event

PERSON_REF_PATTERN = re.compile(r"^pr1_[0-9a-f]{64}$")
MAX_SCALE_LENGTH = 64


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DomainError(
            "invalid-date", f"{field} is a day written YYYY-MM-DD, e.g. 2026-03-31."
        ) from None


def new_id(prefix: str, city: City) -> str:
    """A fresh id of this city (``per-cq-<hex>``, ``ret-cd-<hex>``, ``ltc-cq-<hex>``)."""
    return f"{prefix}-{city}-{uuid.uuid4().hex}"


# --------------------------------------------------------------------------------------------
# contribution periods


@dataclass(frozen=True)
class RecordPeriod:
    """A clerk records a contribution period paid (or deemed) in this city."""

    resident_id: str
    start_month: str
    end_month: str
    kind: str
    period_id: str | None = None  # a fresh one of this city unless given


@dataclass(frozen=True)
class CorrectPeriod:
    """A clerk corrects the months or kind of a period recorded in this city."""

    period_id: str
    start_month: str
    end_month: str
    kind: str


@dataclass(frozen=True)
class CancelPeriod:
    """A clerk cancels a period recorded in this city."""

    period_id: str


@dataclass(frozen=True)
class ContributionPeriodResult:
    """A period version saved here, and whether it raised a review flag."""

    period: periods.ContributionPeriod
    flagged: bool


async def record_period(
    command: RecordPeriod, unit: Unit, book: PolicyBook
) -> ContributionPeriodResult:
    """Record a contribution period of this city's bureau and publish it
    (``contribution-years-accrued``, version 1) with the ledger change.

    Refusals: the resident ID codes (``wrong-length``, ``bad-characters``, ``bad-region``,
    ``bad-birth-date``, ``bad-check-digit``), ``invalid-month``, ``unknown-kind``,
    ``end-before-start``, ``month-in-future``.
    """
    resident = checked_resident_id(command.resident_id, unit.today)
    period = periods.record_period(
        periods.ContributionPeriod(
            period_id=command.period_id or new_id("per", unit.city),
            person_ref=unit.person_ref(resident),
            city=unit.city,
            start=Month.parse(command.start_month),
            end=Month.parse(command.end_month),
            kind=periods.parse_kind(command.kind),
        ),
        unit.today,
    )
    return await _save_version(unit, period, book)


async def _save_version(
    unit: Unit, period: periods.ContributionPeriod, book: PolicyBook
) -> ContributionPeriodResult:
    # The version's own event first, then any review flag it raises: the order the other
    # city must read them in. A refusal below discards both with the transaction.
    unit.emit(accrual_event(period))
    applied = await apply_period(unit, period, book)
    if not applied.changed:
        raise Conflict(
            "duplicate-period", f"Period {period.period_id} version {period.version} exists."
        )
    return ContributionPeriodResult(period, flagged=applied.flagged)


def _unknown_period(period_id: str) -> NotFound:
    return NotFound("unknown-period", f"This city knows no contribution period {period_id}.")


async def _current(unit: Unit, period_id: str) -> periods.ContributionPeriod:
    found = await load_period(unit.conn, period_id)
    if found is None:
        raise _unknown_period(period_id)
    # Lock the person, then read again: the version seen before the lock may be stale.
    await lock_person(unit.conn, found.person_ref)
    current = await load_period(unit.conn, period_id)
    assert current is not None  # periods are never deleted
    return current


async def correct_period(
    command: CorrectPeriod, unit: Unit, book: PolicyBook
) -> ContributionPeriodResult:
    """Correct a period recorded here: its next version, published like the first.

    Refusals: ``unknown-period``, ``not-recording-city``, ``period-cancelled``,
    ``correction-changes-nothing`` and the month and kind codes of :func:`record_period`.
    """
    correction = periods.Correction(
        start=Month.parse(command.start_month),
        end=Month.parse(command.end_month),
        kind=periods.parse_kind(command.kind),
    )
    current = await _current(unit, command.period_id)
    corrected = periods.correct_period(current, correction, unit.city, unit.today)
    return await _save_version(unit, corrected, book)


async def cancel_period(
    command: CancelPeriod, unit: Unit, book: PolicyBook
) -> ContributionPeriodResult:
    """Cancel a period recorded here: its next version, cancelled, published like the first.

    Refusals: ``unknown-period``, ``not-recording-city``, ``period-cancelled``.
    """
    current = await _current(unit, command.period_id)
    cancelled = periods.cancel_period(current, unit.city)
    return await _save_version(unit, cancelled, book)


async def get_period_history(period_id: str, unit: Unit) -> list[ReceivedVersion]:
    """Every version of a period this city received; ``unknown-period`` if none."""
    history = await period_history(unit.conn, period_id)
    if not history:
        raise _unknown_period(period_id)
    return history


# --------------------------------------------------------------------------------------------
# the ledger


@dataclass(frozen=True)
class LedgerReport:
    """A person's ledger as a clerk reads it: periods of both cities, totals, the
    cumulative months each city's policy in force today would count, the retirement
    city if determined, and review flags."""

    ledger: Ledger
    totals: LedgerTotals
    cumulative_by_policy: dict[City, int | None]
    determination: StoredDetermination | None
    flags: list[StoredFlag]


def check_person_ref(value: str) -> str:
    """``value`` if it is a ``person_ref`` (``pr1_`` + 64 hex digits)."""
    if not PERSON_REF_PATTERN.match(value):
        raise DomainError("invalid-person-ref", "A person_ref is pr1_ followed by 64 hex digits.")
    return value


async def ledger_of(person_ref: str, unit: Unit, book: PolicyBook) -> LedgerReport:
    """The ledger of ``person_ref`` (empty for a person this city knows nothing of), with
    what each city's policy in force on ``unit.today`` counts.

    Refusal: ``invalid-person-ref``.
    """
    ref = check_person_ref(person_ref)
    ledger = await load_ledger(unit.conn, ref)
    determination = await load_determination(unit.conn, ref)
    flags = await flags_of(unit.conn, ref)
    counted = totals(ledger)
    by_policy: dict[City, int | None] = {}
    for city in CITIES:
        policy = book.in_force(city, unit.today)
        by_policy[city] = (
            None if policy is None else counted.cumulative_months(policy.deemed_years_count)
        )
    return LedgerReport(ledger, counted, by_policy, determination, flags)


async def ledger_of_resident(resident_id: str, unit: Unit, book: PolicyBook) -> LedgerReport:
    """The ledger of the person with this resident ID number. Refusals: resident ID codes."""
    resident = checked_resident_id(resident_id, unit.today)
    return await ledger_of(unit.person_ref(resident), unit, book)


# --------------------------------------------------------------------------------------------
# retirement city


@dataclass(frozen=True)
class RequestRetirementCity:
    """A clerk asks that ``chosen_city`` become the person's retirement city."""

    resident_id: str
    retirement_date: str
    chosen_city: str
    sex: str | None = None  # read from the resident ID number when left out
    request_id: str | None = None  # a fresh one of this city unless given


def _sex_of(resident: ResidentId, sex: str | None) -> Sex:
    from_number: Sex = resident.sex
    if sex is None:
        return from_number
    given = parse_sex(sex)
    if given != from_number:
        raise DomainError(
            "sex-does-not-match-id",
            f"The resident ID number is of a {from_number} person, not {given}.",
        )
    return given


async def request_retirement_city(
    command: RequestRetirementCity, unit: Unit, book: PolicyBook
) -> Claim:
    """Ask that the chosen city become the person's retirement city. Nothing is decided
    here: the claim is saved as ``submitted`` and published; the chosen city decides when
    it consumes it, in the order of the person's claims (see :mod:`retirement_flow`).

    Refusals: resident ID codes, ``unknown-sex``, ``sex-does-not-match-id`` (``sex`` is
    optional and read from the ID number when left out), ``invalid-date``, ``unknown-city``,
    ``no-policy-in-force`` (the chosen city has no policy on the retirement date),
    ``duplicate-request``.
    """
    resident = checked_resident_id(command.resident_id, unit.today)
    person_sex = _sex_of(resident, command.sex)
    day = _day(command.retirement_date, "retirement_date")
    chosen = parse_city(command.chosen_city)
    book.policy_for(chosen, day)
    claim = Claim(
        request_id=command.request_id or new_id("ret", unit.city),
        person_ref=unit.person_ref(resident),
        requested_in=unit.city,
        chosen_city=chosen,
        sex=person_sex,
        retirement_date=day,
        requested_at=unit.now,
        seq=None,
        state="submitted",
    )
    if not await insert_submitted(unit.conn, claim):
        raise Conflict("duplicate-request", f"Request {claim.request_id} exists.")
    unit.emit(
        RetirementCityClaimed(
            request_id=claim.request_id,
            person_ref=claim.person_ref,
            requested_in=unit.city,
            chosen_city=chosen,
            sex=person_sex,
            retirement_date=day,
            requested_at=unit.now,
        )
    )
    return claim


async def get_retirement_request(request_id: str, unit: Unit) -> Claim:
    """A retirement-city claim as this city knows it; ``unknown-request`` otherwise."""
    claim = await load_claim(unit.conn, request_id)
    if claim is None:
        raise NotFound(
            "unknown-request", f"This city knows no retirement-city request {request_id}."
        )
    return claim


def waiting_for(claim: Claim, me: City) -> str | None:
    """Why an undecided claim has no outcome yet, in a sentence; ``None`` once decided."""
    if claim.state == "submitted":
        return "The request is on its way to the bus; no city has read it yet."
    if claim.state != "pending":
        return None
    if claim.chosen_city != me:
        return f"{CITY_NAMES[claim.chosen_city]} decides; its answer has not arrived here yet."
    return (
        f"{CITY_NAMES[me]} decides once the earlier retirement-city requests of this person "
        f"are decided."
    )


# --------------------------------------------------------------------------------------------
# long-term care


@dataclass(frozen=True)
class RecordAssessment:
    """A clerk records a long-term-care assessment concluded in this city."""

    resident_id: str
    level: str
    scale_version: str
    concluded_on: str
    valid_until: str
    assessment_id: str | None = None  # a fresh one of this city unless given


async def record_assessment(command: RecordAssessment, unit: Unit) -> care.CareAssessment:
    """Record a long-term-care assessment concluded here and publish it; the other city
    decides whether it recognises it.

    Refusals: resident ID codes, ``unknown-level``, ``invalid-scale-version``,
    ``invalid-date``, ``valid-until-before-concluded``, ``concluded-in-future``,
    ``duplicate-assessment``.
    """
    resident = checked_resident_id(command.resident_id, unit.today)
    level = parse_level(command.level)
    scale = command.scale_version.strip()
    if len(scale) > MAX_SCALE_LENGTH:
        raise DomainError(
            "invalid-scale-version", f"A scale name has at most {MAX_SCALE_LENGTH} characters."
        )
    assessment = care.record_assessment(
        care.CareAssessment(
            assessment_id=command.assessment_id or new_id("ltc", unit.city),
            person_ref=unit.person_ref(resident),
            city=unit.city,
            level=level,
            scale_version=scale,
            concluded_on=_day(command.concluded_on, "concluded_on"),
            valid_until=_day(command.valid_until, "valid_until"),
        ),
        unit.today,
    )
    if not await insert_assessment(unit.conn, assessment):
        raise Conflict("duplicate-assessment", f"Assessment {assessment.assessment_id} exists.")
    unit.emit(concluded_event(assessment))
    return assessment


async def get_assessment(assessment_id: str, unit: Unit) -> StoredAssessment:
    """An assessment known here with the recognition decision; ``unknown-assessment``."""
    stored = await load_assessment(unit.conn, assessment_id)
    if stored is None:
        raise NotFound("unknown-assessment", f"This city knows no care assessment {assessment_id}.")
    return stored


async def recognitions_of_resident(
    resident_id: str, unit: Unit
) -> tuple[str, list[StoredAssessment]]:
    """The person's ref and every assessment of theirs known here (both cities'), with the
    recognition decisions. Refusals: resident ID codes."""
    resident = checked_resident_id(resident_id, unit.today)
    ref = unit.person_ref(resident)
    return ref, await assessments_of(unit.conn, ref)
