"""The allowance's use cases outside the monthly run: what follows a registration change
(death, move out, withdrawal: termination and recovery claims), a grant on an application,
verifications recorded in either city, the clerks' view of an allowance, and what the other
city's events say of its allowances."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date

from chengyu_contracts.cities import City
from chengyu_contracts.domain_error import Conflict, DomainError, NotFound
from chengyu_contracts.events.elder import (
    ElderAllowanceGranted,
    ElderAllowanceRecoveryClaimed,
    ElderVerificationRecorded,
)
from chengyu_contracts.months import Month
from chengyu_contracts.resident_id import checked_resident_id
from chengyu_kit.unit import Unit

from ..policy import CityPolicy, PolicyBook
from ..register.elder import AssistancePeriod, assistance_in
from ..register.households import Duplicate, Registration, payer_of
from . import store
from .allowance import Allowance, TerminationReason, grant, terminate, verify
from .eligibility import monthly_amount
from .events import change_event, terminated_event
from .payable import first_grant_month, last_paid_month_after_death, overpaid


def policy_of(book: PolicyBook, city: City, month: Month) -> CityPolicy:
    """The policy paying ``city``'s ``month``, or the earliest one before any policy."""
    policy = book.for_month(city, month)
    if policy is not None:
        return policy
    first = book.earliest_month(city)
    found = None if first is None else book.for_month(city, first)
    if found is None:
        raise DomainError("no-policy", "This city has no elder-allowance policy.")
    return found


# --------------------------------------------------------------------------------------------
# registration changes


async def _claim_overpaid(
    unit: Unit, person_ref: str, last_month: Month, reason: str
) -> store.RecoveryClaim | None:
    """A recovery claim (追缴) of the months paid after ``last_month`` not yet claimed."""
    paid = await store.settled_payments(unit.conn, person_ref)
    claimed = {m for c in await store.claims_of(unit.conn, person_ref) for m in c.months}
    unclaimed = {m: fen for m, fen in paid.items() if m not in claimed}
    months, amount = overpaid(unclaimed, last_month)
    if not months or amount <= 0:
        return None
    digest = hashlib.sha256(
        f"{person_ref}|{reason}|{','.join(map(str, months))}".encode()
    ).hexdigest()[:20]
    claim = store.RecoveryClaim(
        claim_id=f"claim-{unit.city}-{digest}",
        person_ref=person_ref,
        months=tuple(months),
        amount_fen=amount,
        reason=reason,
        claimed_on=unit.today,
    )
    await store.insert_claim(unit.conn, claim)
    unit.emit(
        ElderAllowanceRecoveryClaimed(
            claim_id=claim.claim_id,
            person_ref=person_ref,
            paying_city=unit.city,
            months=[str(m) for m in claim.months],
            amount_fen=amount,
            reason_code=reason,
            claimed_on=unit.today,
        )
    )
    return claim


async def registration_changed(unit: Unit, person_ref: str, book: PolicyBook) -> None:
    """The allowance follows a change of the person's registrations: on death it is
    terminated with the policy's last month after death; on a move out with the move month;
    on a withdrawal (registered in error) with the last month already paid. Months already
    paid after the last month become a recovery claim. Calling it again changes nothing."""
    stored = await store.load_allowance(unit.conn, person_ref, for_update=True)
    if stored is None or stored.allowance.paying_city != unit.city:
        return
    allowance = stored.allowance
    elder = await store.load_elder(unit.conn, person_ref)
    registrations = await store.load_registrations(unit.conn, person_ref)
    own = registrations.get(unit.city)
    ending: tuple[Month, TerminationReason] | None = None
    if elder is not None and elder.died_on is not None:
        death_month = Month.of(elder.died_on)
        policy = policy_of(book, unit.city, death_month)
        ending = (last_paid_month_after_death(elder.died_on, policy), "death")
    elif own is not None and own.status == "moved-out" and own.registered_until is not None:
        ending = (own.registered_until, "household-moved")
    elif own is not None and own.status == "withdrawn":
        paid = await store.settled_payments(unit.conn, person_ref)
        last = max(paid) if paid else allowance.first_month.previous()
        ending = (last, "registration-withdrawn")
    if ending is None:
        return
    last_month, reason = ending
    # Idempotent: the same termination again changes nothing; a different one keeps the
    # earliest last month (a death found after a move can only shorten what was paid).
    ended, terminated = terminate(allowance, last_month, reason)
    if ended != allowance:
        await store.save_allowances(
            unit.conn,
            [store.AllowanceWrite(ended, stored.granted_on, stored.via, stored.application_id)],
            unit.now,
        )
        unit.emit(terminated_event(ended, terminated, unit.today))
    if reason != "registration-withdrawn":
        await _claim_overpaid(unit, person_ref, terminated.last_month, reason)


# --------------------------------------------------------------------------------------------
# grants on applications


@dataclass(frozen=True)
class GrantOutcome:
    """What a grant on application did."""

    already_granted: bool
    first_month: Month


def _pays_now(registrations: dict[City, Registration], month: Month, me: City) -> None:
    payer = payer_of(month, registrations)
    if isinstance(payer, Duplicate):
        raise DomainError(
            "duplicate-registration",
            "Both cities' registers hold the person; a clerk must resolve it first.",
        )
    if payer != me:
        raise DomainError(
            "not-paying-city", "This city's household register does not hold the person now."
        )


async def grant_on_application(
    unit: Unit, person_ref: str, application_id: str, book: PolicyBook
) -> GrantOutcome:
    """Grant the allowance on an application decided here (the paying city): from the
    first month the rules allow (back pay bounded by the policy). Already granted: said so,
    nothing changes. Refusals name why (``not-registered``, ``not-of-allowance-age``,
    ``deceased``, ``not-paying-city``, ``duplicate-registration``)."""
    month = Month.of(unit.today)
    elder = await store.load_elder(unit.conn, person_ref)
    registrations = await store.load_registrations(unit.conn, person_ref)
    own = registrations.get(unit.city)
    if elder is None or own is None or own.status == "withdrawn":
        raise DomainError("not-registered", "This city's register does not hold the person.")
    if elder.died_on is not None:
        raise DomainError("deceased", "The person has died.")
    if await store.duplicate_from(unit.conn, person_ref) is not None:
        raise DomainError(
            "duplicate-registration",
            "Both cities' registers hold the person; a clerk must resolve it first.",
        )
    _pays_now(registrations, month, unit.city)
    stored = await store.load_allowance(unit.conn, person_ref, for_update=True)
    if stored is not None and stored.allowance.state != "terminated":
        return GrantOutcome(True, stored.allowance.first_month)
    first = first_grant_month(elder.birth_date, month, own.registered_from, book, unit.city)
    if first is None:
        raise DomainError("not-of-allowance-age", "The person has not reached a band's age.")
    if stored is not None and stored.allowance.last_month is not None:
        first = max(first, stored.allowance.last_month.next())
    policy = policy_of(book, unit.city, month)
    allowance = grant(person_ref, unit.city, elder.birth_date, first, month, policy)
    await store.save_allowances(
        unit.conn,
        [store.AllowanceWrite(allowance, unit.today, "application", application_id)],
        unit.now,
    )
    if stored is not None:
        # A new grant after a terminated one: the row is reused, its grant fields renewed.
        await unit.conn.execute(
            "UPDATE allowance SET granted_on = $2, via = 'application', application_id = $3"
            " WHERE person_ref = $1",
            person_ref,
            unit.today,
            application_id,
        )
    periods = await _assistance(unit, person_ref)
    amount = monthly_amount(elder.birth_date, month, assistance_in(periods, month), policy)
    unit.emit(
        ElderAllowanceGranted(
            person_ref=person_ref,
            paying_city=unit.city,
            band=allowance.band,
            first_month=str(allowance.first_month),
            monthly_amount_fen=amount or 0,
            granted_on=unit.today,
            via="application",
            application_id=application_id,
            verification_due=str(allowance.verification_due),
        )
    )
    return GrantOutcome(False, allowance.first_month)


async def _assistance(unit: Unit, person_ref: str) -> list[AssistancePeriod]:
    rows = await unit.conn.fetch(
        "SELECT status, start_on, end_on FROM assistance_period WHERE person_ref = $1", person_ref
    )
    return [AssistancePeriod(r["status"], r["start_on"], r["end_on"]) for r in rows]


# --------------------------------------------------------------------------------------------
# verifications (审验), in either city


@dataclass(frozen=True)
class RecordedVerification:
    """A verification recorded here."""

    verification_id: str
    person_ref: str
    paying_city: City
    recorded_in: City


async def record_verification(
    unit: Unit, id_number: str, verified_on_text: str, book: PolicyBook
) -> RecordedVerification:
    """Record a verification of a recipient whose allowance either city pays; the paying
    city applies it (here at once if this city pays; the other city's on the event). A
    person with no allowance known in either city: ``unknown-person``, nothing written."""
    resident = checked_resident_id(id_number, unit.today)
    person_ref = unit.person_ref(resident)
    try:
        verified_on = date.fromisoformat(verified_on_text)
    except ValueError:
        raise DomainError("invalid-date", "A date is written YYYY-MM-DD.") from None
    if verified_on > unit.today:
        raise DomainError("verification-in-future", "A verification cannot be in the future.")
    own = await store.load_allowance(unit.conn, person_ref)
    paying_city: City
    if own is not None and own.allowance.state != "terminated":
        paying_city = unit.city
    else:
        seen = await store.load_seen(unit.conn, person_ref)
        if seen is not None:
            paying_city = seen.paying_city
        elif own is not None:
            raise Conflict(
                "allowance-terminated",
                "The allowance has ended; a verification no longer applies to it.",
            )
        else:
            raise NotFound("unknown-person", "Neither city pays this person an allowance.")
    verification_id = f"ver-{unit.city}-{uuid.uuid4().hex}"
    await store.insert_verification(
        unit.conn,
        store.Verification(verification_id, person_ref, unit.city, paying_city, verified_on),
    )
    if paying_city == unit.city:
        await apply_verification(unit, verification_id, person_ref, verified_on, book)
    unit.emit(
        ElderVerificationRecorded(
            verification_id=verification_id,
            person_ref=person_ref,
            recorded_in=unit.city,
            paying_city=paying_city,
            verified_on=verified_on,
        )
    )
    return RecordedVerification(verification_id, person_ref, paying_city, unit.city)


async def apply_verification(
    unit: Unit, verification_id: str, person_ref: str, verified_on: date, book: PolicyBook
) -> Allowance | None:
    """Apply a verification to the allowance this city pays, once per verification id
    (a resumption is published with its back pay, paid by the next run)."""
    if not await store.claim_verification(unit.conn, verification_id):
        return None
    stored = await store.load_allowance(unit.conn, person_ref, for_update=True)
    if stored is None or stored.allowance.paying_city != unit.city:
        return None
    if stored.allowance.state == "terminated":
        return None  # recorded, but an ended allowance takes no verification
    policy = policy_of(book, unit.city, Month.of(verified_on))
    allowance, change = verify(stored.allowance, verified_on, policy)
    if allowance != stored.allowance:
        await store.save_allowances(
            unit.conn,
            [store.AllowanceWrite(allowance, stored.granted_on, stored.via, stored.application_id)],
            unit.now,
        )
    event = None if change is None else change_event(change, allowance, unit.today)
    if event is not None:
        unit.emit(event)
    return allowance


async def verification_recorded(
    unit: Unit, event: ElderVerificationRecorded, book: PolicyBook
) -> None:
    """A verification recorded in either city: the paying city keeps and applies it once
    (its own come back from the bus and change nothing)."""
    if event.paying_city != unit.city:
        return
    await store.insert_verification(
        unit.conn,
        store.Verification(
            event.verification_id,
            event.person_ref,
            event.recorded_in,
            event.paying_city,
            event.verified_on,
        ),
    )
    await apply_verification(unit, event.verification_id, event.person_ref, event.verified_on, book)


# --------------------------------------------------------------------------------------------
# the clerks' view


@dataclass(frozen=True)
class AllowanceView:
    """A person's allowance as this city knows it: its own (with payments) or the other
    city's (from its events, no payments)."""

    person_ref: str
    paying_city: City
    state: str
    band: str
    first_month: Month
    verification_due: Month | None
    last_month: Month | None
    payments: list[store.PaymentView]
    claims: list[store.RecoveryClaim]


async def allowance_of(unit: Unit, person_ref: str) -> AllowanceView:
    """The allowance of ``person_ref``: this city's, else what the other city told."""
    own = await store.load_allowance(unit.conn, person_ref)
    if own is not None:
        a = own.allowance
        return AllowanceView(
            person_ref,
            a.paying_city,
            a.state,
            a.band,
            a.first_month,
            a.verification_due,
            a.last_month,
            await store.payments_of(unit.conn, person_ref),
            await store.claims_of(unit.conn, person_ref),
        )
    seen = await store.load_seen(unit.conn, person_ref)
    if seen is None:
        raise NotFound("unknown-person", "Neither city pays this person an allowance.")
    return AllowanceView(
        person_ref,
        seen.paying_city,
        seen.state,
        seen.band,
        seen.first_month,
        seen.verification_due,
        seen.last_month,
        [],
        await store.claims_of(unit.conn, person_ref, seen=True),
    )
