"""The monthly payment run of one city (免申即享 grants, band changes, verification reviews,
then one payment per eligible person and month, back pay and retries).

One run per city and month, set-based: the register is processed in chunks ordered by
``person_ref``; each chunk is read with a few queries, decided in Python by the pure rules
(:func:`plan_person`), written in bulk, and its checkpoint (the chunk's last person) and
counts saved **in the chunk's own transaction**. A process killed mid-run leaves committed
chunks and their checkpoint; a rerun continues after it. Nothing can be paid twice: the
chunk's payments and its checkpoint commit together, and ``payment``'s primary key
``(person_ref, month)`` is the last guard. The last transaction writes the bank file, marks
the run completed and emits ``ElderAllowancePaymentRunCompleted``, once; a rerun of a
completed month answers its stored summary.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date

from chengyu_contracts.cities import City
from chengyu_contracts.events.elder import (
    ElderAllowanceBandChanged,
    ElderAllowanceGranted,
    ElderAllowancePaymentRunCompleted,
)
from chengyu_contracts.months import Month
from chengyu_contracts.registry import EventData
from chengyu_kit.logs import get_logger
from chengyu_kit.unit import Unit

from ..policy import BANDS, Assistance, Band, CityPolicy, PolicyBook
from ..register.elder import assistance_in
from ..register.households import payer_of
from . import store
from .allowance import Allowance, Resumed, Suspended, Terminated, change_band, grant, review
from .bank_file import bank_file_bytes
from .eligibility import band_in
from .events import change_event
from .payable import first_grant_month, months_due

log = get_logger(__name__)

UnitOpener = Callable[[], AbstractAsyncContextManager[Unit]]

#: Persons per chunk (one transaction each).
CHUNK_SIZE = 2_000
#: How far back a run reads a person's payments: past any back pay a policy allows.
PAYMENTS_LOOKBACK_MONTHS = 60


@dataclass(frozen=True)
class RunSummary:
    """What a completed payment run did (the answer of ``POST /payment-runs``)."""

    run_id: str
    month: Month
    counts: store.RunCounts
    bank_file_sha256: str


def run_id_of(city: City, month: Month) -> str:
    """The id of ``city``'s run of ``month`` (one run per city and month)."""
    return f"run-{city}-{month}"


def payment_reference(city: City, person_ref: str, month: Month, attempt: int) -> str:
    """The bank reference of one attempt to pay a person's month: the same on a rerun of the
    same chunk, a new one for a retry (no personal data: a digest of the person_ref)."""
    digest = hashlib.sha256(f"{person_ref}|{month}|{attempt}".encode()).hexdigest()[:24]
    return f"EA{city.upper()}{month.year:04d}{month.month:02d}{digest}"


# --------------------------------------------------------------------------------------------
# one person's month: pure


@dataclass
class PersonPlan:
    """What the run does for one person this month."""

    write: store.AllowanceWrite | None = None
    events: list[EventData] = field(default_factory=list)
    payments: list[store.NewPayment] = field(default_factory=list)
    retries: list[store.NewPayment] = field(default_factory=list)
    granted: int = 0
    suspended: int = 0
    resumed: int = 0
    terminated: int = 0


@dataclass(frozen=True)
class RunContext:
    """What every person's decision of one run shares."""

    city: City
    run_month: Month
    book: PolicyBook
    #: The policy in force for the run's month.
    policy: CityPolicy
    today: date


def plan_person(person: store.ChunkPerson, context: RunContext) -> PersonPlan:
    """Grant, band change, verification review and the months due for one person, by the
    pure rules; nothing is written here."""
    city, run_month, book = context.city, context.run_month, context.book
    policy, today = context.policy, context.today
    plan = PersonPlan()
    registrations = person.registrations
    pays, assistance = _pays_of(person, city), _assistance_of(person)
    stored = person.allowance
    allowance: Allowance | None = None if stored is None else stored.allowance
    changed = False
    if allowance is None:
        own = registrations.get(city)
        if (
            own is not None
            and own.status == "registered"
            and person.died_on is None
            and pays(run_month)
        ):
            first = first_grant_month(person.birth_date, run_month, own.registered_from, book, city)
            if first is not None:
                allowance = grant(
                    person.person_ref, city, person.birth_date, first, run_month, policy
                )
                plan.write = store.AllowanceWrite(allowance, today)
                plan.granted = 1
                # The band is the run month's (grant): its amount needs no second look.
                amount = policy.amount_fen(allowance.band, assistance(run_month))
                plan.events.append(
                    ElderAllowanceGranted(
                        person_ref=person.person_ref,
                        paying_city=city,
                        band=allowance.band,
                        first_month=str(allowance.first_month),
                        monthly_amount_fen=amount,
                        granted_on=today,
                        via="automatic",
                        verification_due=str(allowance.verification_due),
                    )
                )
    elif allowance.state != "terminated":
        band_change = None
        if allowance.band != BANDS[-1]:  # the last band changes no more
            allowance, band_change = change_band(allowance, person.birth_date, run_month, policy)
        if band_change is not None:
            changed = True
            amount = policy.amount_fen(band_change.band, assistance(run_month))
            plan.events.append(
                ElderAllowanceBandChanged(
                    person_ref=person.person_ref,
                    paying_city=city,
                    band=band_change.band,
                    from_month=str(band_change.from_month),
                    monthly_amount_fen=amount,
                )
            )
        allowance, change = review(allowance, run_month, policy)
        if change is not None:
            changed = True
            event = change_event(change, allowance, today)
            if event is not None:
                plan.events.append(event)
            plan.suspended += isinstance(change, Suspended)
            plan.resumed += isinstance(change, Resumed)
            plan.terminated += isinstance(change, Terminated)
    if changed and stored is not None and allowance is not None:
        plan.write = store.AllowanceWrite(
            allowance, stored.granted_on, stored.via, stored.application_id
        )
    if allowance is None:
        return plan

    _add_payments(plan, person, allowance, context)
    return plan


def _pays_of(person: store.ChunkPerson, city: City) -> Callable[[Month], bool]:
    registrations, duplicate_from = person.registrations, person.duplicate_from

    def pays(month: Month) -> bool:
        # The household decides; a flagged duplicate (重复享受) is paid by neither city.
        if duplicate_from is not None and month >= duplicate_from:
            return False
        return payer_of(month, registrations) == city

    return pays


def _assistance_of(person: store.ChunkPerson) -> Callable[[Month], Assistance]:
    periods = person.assistance

    def assistance(month: Month) -> Assistance:
        return assistance_in(periods, month)

    return assistance


def _add_payments(
    plan: PersonPlan, person: store.ChunkPerson, allowance: Allowance, context: RunContext
) -> None:
    """The months due this run, as new payments and retries of failed ones."""
    city, run_month, book = context.city, context.run_month, context.book
    assistance = _assistance_of(person)
    settled = frozenset(m for m, p in person.payments.items() if p.status != "failed")
    failed = frozenset(m for m, p in person.payments.items() if p.status == "failed")
    for due in months_due(
        run_month,
        allowance,
        person.birth_date,
        person.died_on,
        assistance,
        _pays_of(person, city),
        settled,
        book,
        city,
        failed=failed,
    ):
        # The run month's band is the allowance's (change_band ran); earlier months had theirs.
        band_then = (
            allowance.band
            if due.month == run_month
            else _band_of(person, due.month, book, city) or allowance.band
        )
        if due.kind == "retry":
            previous = person.payments.get(due.month)
            attempt = 1 if previous is None else previous.attempts + 1
            plan.retries.append(
                store.NewPayment(
                    person.person_ref,
                    due.month,
                    due.amount_fen,
                    band_then,
                    assistance(due.month),
                    "retry",
                    run_month,
                    payment_reference(city, person.person_ref, due.month, attempt),
                    attempt,
                )
            )
        else:
            plan.payments.append(
                store.NewPayment(
                    person.person_ref,
                    due.month,
                    due.amount_fen,
                    band_then,
                    assistance(due.month),
                    due.kind,
                    run_month,
                    payment_reference(city, person.person_ref, due.month, 1),
                )
            )


def _band_of(person: store.ChunkPerson, month: Month, book: PolicyBook, city: City) -> Band | None:
    policy = book.for_month(city, month)
    if policy is None:
        return None
    return band_in(person.birth_date, month, policy.first_month_rule)


# --------------------------------------------------------------------------------------------
# the run: chunks in their own transactions


async def run_chunk(
    unit: Unit, month: Month, book: PolicyBook, *, chunk_size: int = CHUNK_SIZE
) -> RunSummary | None:
    """One step of the run of ``month`` in ``unit``: the next chunk, or, when the register
    is done, the completion. The run's summary once completed; None while chunks remain."""
    city = unit.city
    run = await store.lock_run(unit.conn, month, run_id_of(city, month), unit.now)
    if run.status == "completed":
        return _summary(run)
    policy = book.for_month(city, month)
    people = (
        []
        if policy is None
        else await store.load_chunk(
            unit.conn,
            after=run.checkpoint,
            limit=chunk_size,
            payments_from=month.plus(-PAYMENTS_LOOKBACK_MONTHS),
        )
    )
    if policy is None or not people:
        return await _complete(unit, run)
    writes: list[store.AllowanceWrite] = []
    payments: list[store.NewPayment] = []
    retries: list[store.NewPayment] = []
    counts = store.RunCounts()
    context = RunContext(city, month, book, policy, unit.today)
    for person in people:
        plan = plan_person(person, context)
        if plan.write is not None:
            writes.append(plan.write)
        payments.extend(plan.payments)
        retries.extend(plan.retries)
        for event in plan.events:
            unit.emit(event)
        counts += store.RunCounts(
            granted=plan.granted,
            suspended=plan.suspended,
            resumed=plan.resumed,
            terminated=plan.terminated,
        )
    await store.save_allowances(unit.conn, writes, unit.now)
    issued = await store.insert_payments(unit.conn, payments)
    retried = await store.retry_payments(unit.conn, retries)
    counts += store.RunCounts(
        payments=len(issued) + len(retried),
        amount_fen=sum(p.amount_fen for p in issued) + sum(p.amount_fen for p in retried),
        back_payments=sum(1 for p in issued if p.kind == "back-pay"),
        retried=len(retried),
    )
    await store.advance_run(unit.conn, month, people[-1].person_ref, counts)
    return None


async def _complete(unit: Unit, run: store.StoredRun) -> RunSummary:
    lines = await store.bank_lines(unit.conn, run.month)
    content = bank_file_bytes(lines)
    sha256 = hashlib.sha256(content).hexdigest()
    await store.complete_run(unit.conn, run.month, content, sha256, unit.now)
    unit.emit(
        ElderAllowancePaymentRunCompleted(
            run_id=run.run_id,
            city=unit.city,
            month=str(run.month),
            payments=run.counts.payments,
            amount_fen=run.counts.amount_fen,
            back_payments=run.counts.back_payments,
            retried=run.counts.retried,
            bank_file_sha256=sha256,
            completed_at=unit.now,
        )
    )
    log.info(
        "payment run completed",
        month=str(run.month),
        payments=run.counts.payments,
        amount_fen=run.counts.amount_fen,
    )
    return RunSummary(run.run_id, run.month, run.counts, sha256)


def _summary(run: store.StoredRun) -> RunSummary:
    assert run.bank_file_sha256 is not None
    return RunSummary(run.run_id, run.month, run.counts, run.bank_file_sha256)


async def run_month(
    open_unit: UnitOpener,
    month: Month,
    book: PolicyBook,
    *,
    chunk_size: int = CHUNK_SIZE,
    max_chunks: int | None = None,
) -> RunSummary | None:
    """Run (or continue) the payment run of ``month`` to its end, one transaction per
    chunk; its summary. With ``max_chunks``, stop after that many steps (None when the run
    is not completed yet: what a crash leaves, for tests)."""
    steps = 0
    while max_chunks is None or steps < max_chunks:
        async with open_unit() as unit:
            summary = await run_chunk(unit, month, book, chunk_size=chunk_size)
        if summary is not None:
            return summary
        steps += 1
    return None


async def stored_summary(unit: Unit, month: Month) -> RunSummary | None:
    """The summary of ``month``'s run if it completed."""
    run = await store.load_run(unit.conn, month)
    if run is None or run.status != "completed":
        return None
    return _summary(run)
