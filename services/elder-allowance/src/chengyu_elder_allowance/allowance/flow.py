"""The allowance area's event handlers, background work, and what the other areas call
(:func:`registration_changed`, :func:`grant_on_application`)."""

from __future__ import annotations

from dataclasses import dataclass

from chengyu_contracts.events.elder import (
    ElderAllowanceBandChanged,
    ElderAllowanceGranted,
    ElderAllowancePaymentRunCompleted,
    ElderAllowanceRecoveryClaimed,
    ElderAllowanceResumed,
    ElderAllowanceSuspended,
    ElderAllowanceTerminated,
    ElderVerificationRecorded,
)
from chengyu_contracts.months import Month
from chengyu_contracts.policy_book import policy_day
from chengyu_kit.clock import Clock
from chengyu_kit.handling import EventHandlers
from chengyu_kit.inbox import EventContext
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.unit import Unit

from ..policy import PolicyBook
from . import store, usecases
from .run import RunSummary, UnitOpener, run_month

#: How often the background job looks whether this month's run is due (seconds).
RUN_CHECK_SECONDS = 300.0


def declare(handlers: EventHandlers, book: PolicyBook) -> None:
    """Declare the allowance handlers on ``handlers``."""

    @handlers.on(ElderVerificationRecorded, issued_by=lambda e: e.recorded_in, acts="both")
    async def on_verification_recorded(
        event: ElderVerificationRecorded, unit: EventContext
    ) -> None:
        await usecases.verification_recorded(unit, event, book)

    @handlers.on(ElderAllowanceGranted, issued_by=lambda e: e.paying_city, acts="other")
    async def on_allowance_granted(event: ElderAllowanceGranted, unit: EventContext) -> None:
        seen = store.SeenAllowance(
            person_ref=event.person_ref,
            paying_city=event.paying_city,
            state="active",
            band=event.band,
            first_month=Month.parse(event.first_month),
            verification_due=Month.parse(event.verification_due),
            last_month=None,
        )
        await store.seen_granted(unit.conn, seen, event.granted_on)

    @handlers.on(ElderAllowanceBandChanged, issued_by=lambda e: e.paying_city, acts="other")
    async def on_band_changed(event: ElderAllowanceBandChanged, unit: EventContext) -> None:
        change = store.SeenChange(event.person_ref, event.paying_city, unit.today, band=event.band)
        await store.seen_changed(unit.conn, change)

    @handlers.on(ElderAllowanceSuspended, issued_by=lambda e: e.paying_city, acts="other")
    async def on_suspended(event: ElderAllowanceSuspended, unit: EventContext) -> None:
        change = store.SeenChange(
            event.person_ref, event.paying_city, unit.today, state="suspended"
        )
        await store.seen_changed(unit.conn, change)

    @handlers.on(ElderAllowanceResumed, issued_by=lambda e: e.paying_city, acts="other")
    async def on_resumed(event: ElderAllowanceResumed, unit: EventContext) -> None:
        change = store.SeenChange(
            event.person_ref,
            event.paying_city,
            unit.today,
            state="active",
            verification_due=Month.parse(event.verification_due),
        )
        await store.seen_changed(unit.conn, change)

    @handlers.on(ElderAllowanceTerminated, issued_by=lambda e: e.paying_city, acts="other")
    async def on_terminated(event: ElderAllowanceTerminated, unit: EventContext) -> None:
        change = store.SeenChange(
            event.person_ref,
            event.paying_city,
            event.terminated_on,
            state="terminated",
            last_month=Month.parse(event.last_month),
        )
        await store.seen_changed(unit.conn, change)

    @handlers.on(ElderAllowanceRecoveryClaimed, issued_by=lambda e: e.paying_city, acts="other")
    async def on_recovery_claimed(event: ElderAllowanceRecoveryClaimed, unit: EventContext) -> None:
        claim = store.RecoveryClaim(
            claim_id=event.claim_id,
            person_ref=event.person_ref,
            months=tuple(Month.parse(m) for m in event.months),
            amount_fen=event.amount_fen,
            reason=event.reason_code,
            claimed_on=event.claimed_on,
        )
        await store.seen_claim(unit.conn, claim, event.paying_city)

    @handlers.on(ElderAllowancePaymentRunCompleted, issued_by=lambda e: e.city, acts="other")
    async def on_run_completed(
        event: ElderAllowancePaymentRunCompleted, unit: EventContext
    ) -> None:
        await store.seen_run(unit.conn, event)


async def run_if_due(
    open_unit: UnitOpener, clock: Clock, book: PolicyBook, city: str
) -> RunSummary | None:
    """Run this month's payment run once the day of the month (China's, on ``clock``)
    reaches the policy's ``payment_run_day`` and the run has not completed; its summary
    when it ran now, else None."""
    today = policy_day(clock.now())
    month = Month.of(today)
    policy = book.for_month(city, month)
    if policy is None or today.day < policy.payment_run_day:
        return None
    async with open_unit() as unit:
        run = await store.load_run(unit.conn, month)
    if run is not None and run.status == "completed":
        return None
    return await run_month(open_unit, month, book)


def schedule(runtime: ServiceRuntime, book: PolicyBook) -> None:
    """Register the allowance background jobs with ``runtime.every``: the monthly run."""

    async def monthly_run() -> None:
        await run_if_due(runtime.unit, runtime.clock, book, runtime.settings.city)

    runtime.every(RUN_CHECK_SECONDS, "elder-payment-run", monthly_run)


async def registration_changed(unit: Unit, person_ref: str, book: PolicyBook) -> None:
    """Called by the register area in the same unit after any change of a person's
    registrations (this city's register: new, death, move out, withdrawal, assistance
    change; or the other city's registration version received): the allowance follows
    (terminated on death with recovery claims, on a move out or a withdrawal)."""
    await usecases.registration_changed(unit, person_ref, book)


@dataclass(frozen=True)
class ApplicationGrant:
    """What :func:`grant_on_application` did: granted now, or already granted before."""

    already_granted: bool
    first_month: str


async def grant_on_application(
    unit: Unit, person_ref: str, application_id: str, book: PolicyBook
) -> ApplicationGrant:
    """Grant the allowance to a person of this city's register on an application (the
    paying city deciding); raises a ``DomainError`` naming why not (``not-registered``,
    ``not-of-allowance-age``, ``deceased``, ``not-paying-city``, ``duplicate-registration``)."""
    outcome = await usecases.grant_on_application(unit, person_ref, application_id, book)
    return ApplicationGrant(outcome.already_granted, str(outcome.first_month))
