"""Applications' use cases: accept an application in either city, decide it in the paying
city (at once on receipt, or by a clerk), copy the paying city's answers in the other
city, and flag overdue ones. Each runs in the caller's unit of work (one transaction: a
refusal writes nothing); time is only the unit's.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal, Protocol

from chengyu_contracts.cities import CITY_NAMES, City
from chengyu_contracts.domain_error import Conflict, DomainError, Forbidden, NotFound
from chengyu_contracts.events.elder import (
    ElderAllowanceApplicationDecided,
    ElderAllowanceApplicationOverdue,
    ElderAllowanceApplied,
)
from chengyu_contracts.resident_id import checked_resident_id
from chengyu_kit.inbox import EventContext
from chengyu_kit.logs import get_logger
from chengyu_kit.unit import Unit

from ..allowance import flow as allowance_flow
from ..policy import BAND_AGES, PolicyBook
from .application import (
    APPLICATION_STATUSES,
    Application,
    ApplicationStatus,
    Approve,
    MarkOverdue,
    Reason,
    Refuse,
    apply,
    check_of_allowance_age,
    is_overdue,
)
from .deadline import decide_by
from .store import (
    has_pending_application,
    insert_application,
    list_applications,
    load_application,
    overdue_candidates,
    save_application,
    take_first_look,
)

log = get_logger(__name__)

#: The age of the first band: the youngest who can be granted the allowance.
ALLOWANCE_AGE = min(BAND_AGES.values())
#: A refusal of the allowance area that leaves the application for a clerk: a new
#: household registration may not be in this city's register yet.
WAIT_FOR_REGISTER = "not-registered"
#: The reason code of a refusal decided by a clerk (the clerk's sentence says why).
CLERK_REFUSAL = "refused-by-clerk"
MAX_REASON = 500
MAX_LISTED = 1000
SWEEP_BATCH = 500


def _household_city(text: str) -> City:
    if text == "cq":
        return "cq"
    if text == "cd":
        return "cd"
    raise DomainError("unknown-household-city", "household_city is cq (Chongqing) or cd (Chengdu).")


# --------------------------------------------------------------------------------------------
# accepting an application


@dataclass(frozen=True)
class SubmitApplication:
    """A person applies for the allowance here; their household is in ``household_city``."""

    id_number: str
    household_city: str


async def submit_application(
    command: SubmitApplication, unit: Unit, book: PolicyBook
) -> Application:
    """Accept an application in this city and publish it to the paying city (the household
    city, which may be this one), with the deadline from the paying city's policy.

    Refusals: resident ID codes, ``unknown-household-city``, ``no-policy-in-force``,
    ``not-of-allowance-age``, ``application-pending`` (the person has an undecided one).
    """
    resident = checked_resident_id(command.id_number, unit.today)
    paying_city = _household_city(command.household_city)
    policy = book.policy_for(paying_city, unit.today)
    check_of_allowance_age(resident.birth_date, unit.today, ALLOWANCE_AGE)
    ref = unit.person_ref(resident)
    if await has_pending_application(unit.conn, ref):
        raise Conflict(
            "application-pending",
            "The person has an application not yet decided; wait for its answer.",
        )
    application = Application(
        application_id=f"app-{unit.city}-{uuid.uuid4().hex}",
        person_ref=ref,
        accepted_in=unit.city,
        paying_city=paying_city,
        submitted_on=unit.today,
        decide_by=decide_by(unit.today, policy.application_decision_working_days, policy.calendar),
    )
    await insert_application(
        unit.conn, application, unit.now, by=unit.acted_by(), request_id=unit.request_id
    )
    unit.emit(
        ElderAllowanceApplied(
            application_id=application.application_id,
            person_ref=application.person_ref,
            accepted_in=application.accepted_in,
            paying_city=application.paying_city,
            submitted_on=application.submitted_on,
            decide_by=application.decide_by,
        )
    )
    return application


# --------------------------------------------------------------------------------------------
# deciding in the paying city


@contextlib.asynccontextmanager
async def _undone_on_refusal(unit: Unit) -> AsyncIterator[None]:
    """Run the block in a savepoint: a refusal raised in it undoes its writes and the events
    it emitted, and the unit goes on."""
    emitted = len(unit.pending)
    deferred = len(unit.statements) if isinstance(unit, EventContext) else 0
    try:
        async with unit.conn.transaction():
            yield
    except DomainError:
        del unit.pending[emitted:]
        if isinstance(unit, EventContext):
            del unit.statements[deferred:]
        raise


async def _grant(unit: Unit, application: Application, book: PolicyBook) -> DomainError | None:
    """Ask the allowance area to grant on ``application``; its refusal, or ``None``."""
    try:
        async with _undone_on_refusal(unit):
            await allowance_flow.grant_on_application(
                unit, application.person_ref, application.application_id, book
            )
    except DomainError as refusal:
        return refusal
    return None


def _decided_event(application: Application) -> ElderAllowanceApplicationDecided:
    assert application.decided_on is not None and application.decided
    outcome: Literal["approved", "refused"] = (
        "approved" if application.state == "approved" else "refused"
    )
    reason = application.reason
    return ElderAllowanceApplicationDecided(
        application_id=application.application_id,
        person_ref=application.person_ref,
        accepted_in=application.accepted_in,
        paying_city=application.paying_city,
        outcome=outcome,
        reason_code=None if reason is None else reason.code,
        reason=None if reason is None else reason.sentence[:MAX_REASON],
        decided_on=application.decided_on,
    )


async def _save_decided(unit: Unit, decided: Application) -> Application:
    await save_application(
        unit.conn, decided, unit.now, by=unit.acted_by(), request_id=unit.request_id
    )
    unit.emit(_decided_event(decided))
    return decided


async def handle_applied(unit: Unit, event: ElderAllowanceApplied, book: PolicyBook) -> None:
    """Keep an application of either city; in the paying city, try once to decide it at
    once: granted -> approved; ``not-registered`` -> left for a clerk; any other refusal
    of the allowance area -> refused with its code and sentence."""
    application = Application(
        application_id=event.application_id,
        person_ref=event.person_ref,
        accepted_in=event.accepted_in,
        paying_city=event.paying_city,
        submitted_on=event.submitted_on,
        decide_by=event.decide_by,
    )
    await insert_application(unit.conn, application, unit.now)
    if unit.city != event.paying_city:
        return
    stored = await load_application(unit.conn, event.application_id, for_update=True)
    assert stored is not None  # inserted above or before
    if stored.decided or not await take_first_look(unit.conn, stored.application_id, unit.today):
        return  # decided by a clerk already, or this is a second copy
    refusal = await _grant(unit, stored, book)
    if refusal is None:
        await _save_decided(unit, apply(stored, Approve(), unit.today))
    elif refusal.code == WAIT_FOR_REGISTER:
        log.info("application-left-for-clerk", application_id=stored.application_id)
    else:
        await _save_decided(unit, apply(stored, Refuse(Reason.of(refusal)), unit.today))


@dataclass(frozen=True)
class DecideApplication:
    """The paying city's clerk decides an application."""

    application_id: str
    outcome: str
    reason: str | None = None


def _unknown(application_id: str) -> NotFound:
    return NotFound("unknown-application", f"This city knows no application {application_id}.")


async def decide_application(
    command: DecideApplication, unit: Unit, book: PolicyBook
) -> Application:
    """A clerk of the paying city approves (the allowance is granted) or refuses (with a
    reason) an application, late or not.

    Refusals: ``unknown-application`` (404), ``not-paying-city`` (403), ``already-decided``
    (409), ``invalid-outcome``, ``reason-required``, ``reason-too-long``, and a refusal of
    the allowance area to grant (409 with its code: ``not-registered``, ``deceased``, ...).
    """
    application = await load_application(unit.conn, command.application_id, for_update=True)
    if application is None:
        raise _unknown(command.application_id)
    if application.paying_city != unit.city:
        raise Forbidden(
            "not-paying-city",
            f"Only {CITY_NAMES[application.paying_city]}, the household city, decides "
            f"application {application.application_id}.",
        )
    if application.decided:
        raise Conflict(
            "already-decided",
            f"Application {application.application_id} was already {application.state}.",
        )
    if command.outcome == "approved":
        refusal = await _grant(unit, application, book)
        if refusal is not None:
            raise Conflict(refusal.code, refusal.sentence)
        return await _save_decided(unit, apply(application, Approve(), unit.today))
    if command.outcome != "refused":
        raise DomainError("invalid-outcome", "outcome is approved or refused.")
    sentence = (command.reason or "").strip()
    if not sentence:
        raise DomainError("reason-required", "A refusal says why, in reason.")
    if len(sentence) > MAX_REASON:
        raise DomainError("reason-too-long", f"A reason has at most {MAX_REASON} characters.")
    step = Refuse(Reason(CLERK_REFUSAL, sentence))
    return await _save_decided(unit, apply(application, step, unit.today))


# --------------------------------------------------------------------------------------------
# the other city copies the paying city's answers


async def _copy(unit: Unit, application_id: str) -> Application:
    application = await load_application(unit.conn, application_id, for_update=True)
    if application is None:
        raise _unknown(application_id)
    return application


async def handle_decided(unit: Unit, event: ElderAllowanceApplicationDecided) -> None:
    """Keep the paying city's answer (the same answer again changes nothing; a different
    one breaks the rule that a decision is final: ``conflicting-decision``)."""
    application = await _copy(unit, event.application_id)
    if application.decided:
        if application.state != event.outcome:
            raise DomainError(
                "conflicting-decision",
                f"Application {application.application_id} was already {application.state}.",
            )
        return
    if event.outcome == "approved":
        decided = apply(application, Approve(), event.decided_on)
    else:
        reason = Reason(event.reason_code or CLERK_REFUSAL, event.reason or "")
        decided = apply(application, Refuse(reason), event.decided_on)
    await save_application(unit.conn, decided, unit.now, by=unit.acted_by())


async def handle_overdue(unit: Unit, event: ElderAllowanceApplicationOverdue) -> None:
    """Flag the application overdue as the paying city did (once; never a decided one)."""
    application = await _copy(unit, event.application_id)
    if application.decided or application.overdue_on is not None:
        return
    flagged = apply(application, MarkOverdue(), event.flagged_on)
    await save_application(unit.conn, flagged, unit.now, by=unit.acted_by())


# --------------------------------------------------------------------------------------------
# the overdue sweep


class UnitSource(Protocol):
    """Where the sweep opens its units: the service's runtime, or a test's city."""

    def unit(self) -> contextlib.AbstractAsyncContextManager[Unit]: ...


async def sweep_overdue(units: UnitSource, *, limit: int = SWEEP_BATCH) -> int:
    """Flag every application this city pays and has not decided by its deadline, each in
    its own unit with its event; how many were flagged."""
    async with units.unit() as picking:
        candidates = await overdue_candidates(picking.conn, picking.city, picking.today, limit)
    flagged = 0
    for application_id in candidates:
        async with units.unit() as unit:
            application = await load_application(unit.conn, application_id, for_update=True)
            # Checked again under the lock: a clerk may have decided it meanwhile.
            if application is None or application.overdue_on is not None:
                continue
            if not is_overdue(application, unit.today):
                continue
            marked = apply(application, MarkOverdue(), unit.today)
            await save_application(unit.conn, marked, unit.now)
            unit.emit(
                ElderAllowanceApplicationOverdue(
                    application_id=marked.application_id,
                    person_ref=marked.person_ref,
                    accepted_in=marked.accepted_in,
                    paying_city=marked.paying_city,
                    decide_by=marked.decide_by,
                    flagged_on=unit.today,
                )
            )
            flagged += 1
    return flagged


# --------------------------------------------------------------------------------------------
# reading


async def get_application(application_id: str, unit: Unit) -> Application:
    """An application known here; ``unknown-application``."""
    application = await load_application(unit.conn, application_id)
    if application is None:
        raise _unknown(application_id)
    return application


def parse_status(text: str | None) -> ApplicationStatus | None:
    """A status filter, or ``None`` for all; ``unknown-status`` otherwise."""
    if text is None:
        return None
    for status in APPLICATION_STATUSES:
        if text == status:
            return status
    raise DomainError("unknown-status", f"status is one of {', '.join(APPLICATION_STATUSES)}.")


async def find_applications(status: str | None, limit: int, unit: Unit) -> list[Application]:
    """Applications known here with ``status`` (all when ``None``), oldest first."""
    wanted = parse_status(status)
    if not 1 <= limit <= MAX_LISTED:
        raise DomainError("invalid-limit", f"limit is 1 to {MAX_LISTED}.")
    return await list_applications(unit.conn, wanted, limit)
