"""Use cases of one city's service: check the input -> domain rule -> save and write the
events to the outbox, in one transaction.

Every input is checked before a transaction opens, so a refused request writes nothing.
Refusals are the domain's :class:`DomainError` (a code and a sentence, never personal
data); the HTTP layer maps codes to statuses. Time is passed in (``now``, ``today``).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.events.medins import RetirementCityClaimed
from chengyu_contracts.months import Month
from chengyu_contracts.person_ref import PersonRefKey, person_ref
from chengyu_contracts.policy_book import policy_day
from chengyu_contracts.resident_id import ResidentId, checked_resident_id
from chengyu_kit.db import Connection, Database, connection, transaction
from chengyu_kit.issuer import EventIssuer
from chengyu_kit.outbox import add_to_outbox

from . import care, periods
from .accrual import apply_period
from .care_store import StoredAssessment, assessments_of, insert_assessment, load_assessment
from .cities import CITIES, CITY_NAMES, City, parse_city
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
class ContributionPeriodResult:
    """A period version saved here, and whether it raised a review flag."""

    period: periods.ContributionPeriod
    flagged: bool


async def record_period(
    db: Database,
    *,
    resident_id_raw: str,
    start_month: str,
    end_month: str,
    kind: str,
    city: City,
    now: datetime,
    book: PolicyBook,
    person_ref_key: PersonRefKey,
    issuer: EventIssuer,
    period_id: str | None = None,
) -> ContributionPeriodResult:
    """Record a contribution period of this city's bureau and publish it
    (``contribution-years-accrued``, version 1) with the ledger change, in one transaction.

    Refusals: the resident ID codes (``wrong-length``, ``bad-characters``, ``bad-region``,
    ``bad-birth-date``, ``bad-check-digit``), ``invalid-month``, ``unknown-kind``,
    ``end-before-start``, ``month-in-future``.
    """
    today = policy_day(now)
    resident = checked_resident_id(resident_id_raw, today)
    period = periods.record_period(
        period_id or new_id("per", city),
        person_ref(resident, person_ref_key),
        city,
        Month.parse(start_month),
        Month.parse(end_month),
        periods.parse_kind(kind),
        today,
    )
    return await _save_version(db, period, city, now, book, issuer)


async def _save_version(
    db: Database,
    period: periods.ContributionPeriod,
    city: City,
    now: datetime,
    book: PolicyBook,
    issuer: EventIssuer,
) -> ContributionPeriodResult:
    async with transaction(db) as conn:
        applied = await apply_period(conn, period, me=city, book=book, now=now)
        if not applied.changed:
            raise DomainError(
                "duplicate-period", f"Period {period.period_id} version {period.version} exists."
            )
        await add_to_outbox(
            conn, [issuer.issue(accrual_event(period)), *(issuer.issue(e) for e in applied.events)]
        )
    return ContributionPeriodResult(period, flagged=bool(applied.events))


def _unknown_period(period_id: str) -> DomainError:
    return DomainError("unknown-period", f"This city knows no contribution period {period_id}.")


async def _current(conn: Connection, period_id: str) -> periods.ContributionPeriod:
    found = await load_period(conn, period_id)
    if found is None:
        raise _unknown_period(period_id)
    # Lock the person, then read again: the version seen before the lock may be stale.
    await lock_person(conn, found.person_ref)
    current = await load_period(conn, period_id)
    assert current is not None  # periods are never deleted
    return current


async def correct_period(
    db: Database,
    *,
    period_id: str,
    start_month: str,
    end_month: str,
    kind: str,
    city: City,
    now: datetime,
    book: PolicyBook,
    issuer: EventIssuer,
) -> ContributionPeriodResult:
    """Correct a period recorded here: its next version, published like the first.

    Refusals: ``unknown-period``, ``not-recording-city``, ``period-cancelled``,
    ``correction-changes-nothing`` and the month and kind codes of :func:`record_period`.
    """
    today = policy_day(now)
    start, end = Month.parse(start_month), Month.parse(end_month)
    parsed_kind = periods.parse_kind(kind)
    async with transaction(db) as conn:
        current = await _current(conn, period_id)
        corrected = periods.correct_period(current, start, end, parsed_kind, city, today)
        return await _save_version(conn, corrected, city, now, book, issuer)


async def cancel_period(
    db: Database,
    *,
    period_id: str,
    city: City,
    now: datetime,
    book: PolicyBook,
    issuer: EventIssuer,
) -> ContributionPeriodResult:
    """Cancel a period recorded here: its next version, cancelled, published like the first.

    Refusals: ``unknown-period``, ``not-recording-city``, ``period-cancelled``.
    """
    async with transaction(db) as conn:
        current = await _current(conn, period_id)
        cancelled = periods.cancel_period(current, city)
        return await _save_version(conn, cancelled, city, now, book, issuer)


async def get_period_history(db: Database, period_id: str) -> list[ReceivedVersion]:
    """Every version of a period this city received; ``unknown-period`` if none."""
    async with connection(db) as conn:
        history = await period_history(conn, period_id)
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


async def ledger_of(
    db: Database, person_ref_value: str, today: date, book: PolicyBook
) -> LedgerReport:
    """The ledger of ``person_ref_value`` (empty for a person this city knows nothing of).

    Refusal: ``invalid-person-ref``.
    """
    ref = check_person_ref(person_ref_value)
    async with connection(db) as conn:
        ledger = await load_ledger(conn, ref)
        determination = await load_determination(conn, ref)
        flags = await flags_of(conn, ref)
    counted = totals(ledger)
    by_policy: dict[City, int | None] = {}
    for city in CITIES:
        policy = book.in_force(city, today)
        by_policy[city] = (
            None if policy is None else counted.cumulative_months(policy.deemed_years_count)
        )
    return LedgerReport(ledger, counted, by_policy, determination, flags)


async def ledger_of_resident(
    db: Database,
    *,
    resident_id_raw: str,
    today: date,
    book: PolicyBook,
    person_ref_key: PersonRefKey,
) -> LedgerReport:
    """The ledger of the person with this resident ID number. Refusals: resident ID codes."""
    resident = checked_resident_id(resident_id_raw, today)
    return await ledger_of(db, person_ref(resident, person_ref_key), today, book)


# --------------------------------------------------------------------------------------------
# retirement city


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
    db: Database,
    *,
    resident_id_raw: str,
    sex: str | None,
    retirement_date: str,
    chosen_city: str,
    city: City,
    now: datetime,
    book: PolicyBook,
    person_ref_key: PersonRefKey,
    issuer: EventIssuer,
    request_id: str | None = None,
) -> Claim:
    """Ask that ``chosen_city`` become the person's retirement city. Nothing is decided
    here: the claim is saved as ``submitted`` and published; the chosen city decides when
    it consumes it, in the order of the person's claims (see :mod:`retirement_flow`).

    Refusals: resident ID codes, ``unknown-sex``, ``sex-does-not-match-id`` (``sex`` is
    optional and read from the ID number when left out), ``invalid-date``, ``unknown-city``,
    ``no-policy-in-force`` (the chosen city has no policy on the retirement date).
    """
    today = policy_day(now)
    resident = checked_resident_id(resident_id_raw, today)
    person_sex = _sex_of(resident, sex)
    day = _day(retirement_date, "retirement_date")
    chosen = parse_city(chosen_city)
    book.policy_for(chosen, day)
    claim = Claim(
        request_id=request_id or new_id("ret", city),
        person_ref=person_ref(resident, person_ref_key),
        requested_in=city,
        chosen_city=chosen,
        sex=person_sex,
        retirement_date=day,
        requested_at=now,
        seq=None,
        state="submitted",
    )
    event = RetirementCityClaimed(
        request_id=claim.request_id,
        person_ref=claim.person_ref,
        requested_in=city,
        chosen_city=chosen,
        sex=person_sex,
        retirement_date=day,
        requested_at=now,
    )
    async with transaction(db) as conn:
        if not await insert_submitted(conn, claim):
            raise DomainError("duplicate-request", f"Request {claim.request_id} exists.")
        await add_to_outbox(conn, [issuer.issue(event)])
    return claim


async def get_retirement_request(db: Database, request_id: str) -> Claim:
    """A retirement-city claim as this city knows it; ``unknown-request`` otherwise."""
    async with connection(db) as conn:
        claim = await load_claim(conn, request_id)
    if claim is None:
        raise DomainError(
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


async def record_assessment(
    db: Database,
    *,
    resident_id_raw: str,
    level: str,
    scale_version: str,
    concluded_on: str,
    valid_until: str,
    city: City,
    now: datetime,
    person_ref_key: PersonRefKey,
    issuer: EventIssuer,
    assessment_id: str | None = None,
) -> care.CareAssessment:
    """Record a long-term-care assessment concluded here and publish it; the other city
    decides whether it recognises it.

    Refusals: resident ID codes, ``unknown-level``, ``invalid-scale-version``,
    ``invalid-date``, ``valid-until-before-concluded``, ``concluded-in-future``.
    """
    today = policy_day(now)
    resident = checked_resident_id(resident_id_raw, today)
    parsed_level = parse_level(level)
    scale = scale_version.strip()
    if len(scale) > MAX_SCALE_LENGTH:
        raise DomainError(
            "invalid-scale-version", f"A scale name has at most {MAX_SCALE_LENGTH} characters."
        )
    assessment = care.record_assessment(
        assessment_id or new_id("ltc", city),
        person_ref(resident, person_ref_key),
        city,
        parsed_level,
        scale,
        _day(concluded_on, "concluded_on"),
        _day(valid_until, "valid_until"),
        today,
    )
    async with transaction(db) as conn:
        if not await insert_assessment(conn, assessment):
            raise DomainError(
                "duplicate-assessment", f"Assessment {assessment.assessment_id} exists."
            )
        await add_to_outbox(conn, [issuer.issue(concluded_event(assessment))])
    return assessment


async def get_assessment(db: Database, assessment_id: str) -> StoredAssessment:
    """An assessment known here with the recognition decision; ``unknown-assessment``."""
    async with connection(db) as conn:
        stored = await load_assessment(conn, assessment_id)
    if stored is None:
        raise DomainError(
            "unknown-assessment", f"This city knows no care assessment {assessment_id}."
        )
    return stored


async def recognitions_of_resident(
    db: Database, *, resident_id_raw: str, today: date, person_ref_key: PersonRefKey
) -> tuple[str, list[StoredAssessment]]:
    """The person's ref and every assessment of theirs known here (both cities'), with the
    recognition decisions. Refusals: resident ID codes."""
    resident = checked_resident_id(resident_id_raw, today)
    ref = person_ref(resident, person_ref_key)
    async with connection(db) as conn:
        return ref, await assessments_of(conn, ref)


# --------------------------------------------------------------------------------------------
