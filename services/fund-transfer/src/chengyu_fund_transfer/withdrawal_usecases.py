"""The clerks' withdrawal commands (提取) and the other city's withdrawal reports, each in
the caller's unit of work (one transaction, its time, its city, its events).

A withdrawal is assessed against every rule of its kind (``withdrawal.assess_withdrawal``)
and, when allowed, applied for: it holds the account until a clerk pays it (the balance
reduced, reported to the other city like a deposit) or refuses it (the hold freed). A
refused assessment writes nothing and answers its first refusal.

A repayment withdrawal names the loan: a loan granted here is confirmed by this city's own
record; a loan of the other city only by that city's signed answer to a loan query asked
from here (``loan_usecases.ask_loan_query``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import cast

import asyncpg

from chengyu_contracts.domain_error import Conflict, DomainError, NotFound
from chengyu_contracts.events.fund import AccountWithdrawalRecorded
from chengyu_contracts.months import Month
from chengyu_kit.unit import Unit

from . import withdrawal as domain
from .loan import Loan
from .loan_store import load_loan, load_query, loan_of
from .money import Fen
from .policy import PolicyBook, WithdrawalKind
from .store import StoredAccount, load_account, save_account
from .transfer import Reason
from .withdrawal_store import (
    ReportedWithdrawal,
    StoredWithdrawal,
    insert_withdrawal,
    load_withdrawal,
    new_withdrawal_id,
    save_decision,
    save_reported_withdrawal,
    withdrawals_of_person,
)

__all__ = [
    "WithdrawalRequest",
    "apply_for_withdrawal",
    "assess",
    "get_withdrawal",
    "pay_withdrawal",
    "receive_withdrawal_report",
    "refuse_withdrawal",
]


@dataclass(frozen=True)
class WithdrawalRequest:
    """A clerk's withdrawal application on an account, as the API takes it."""

    account_id: str
    kind: str
    amount_fen: int | None
    proofs: tuple[tuple[str, str], ...]
    purchase_price_fen: int | None = None
    purchase_day: str | None = None
    loan_id: str | None = None
    loan_query_id: str | None = None


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DomainError("invalid-date", f"{field} must be a date YYYY-MM-DD.") from None


def _purchase(request: WithdrawalRequest) -> domain.Purchase | None:
    if request.purchase_price_fen is None and request.purchase_day is None:
        return None
    if request.purchase_price_fen is None or request.purchase_day is None:
        raise DomainError("invalid-application", "A purchase names both its price_fen and its day.")
    return domain.Purchase(request.purchase_price_fen, _day(request.purchase_day, "purchase.day"))


async def _confirmed_loan(unit: Unit, person_ref: str, request: WithdrawalRequest) -> Loan | None:
    """The loan a repayment withdrawal names, as confirmed: this city's record, or the other
    city's signed answer to this city's query. None when nothing confirms it (the
    assessment then refuses ``loan-not-confirmed``)."""
    if request.kind != "loan-repayment" or request.loan_id is None:
        return None
    if request.loan_query_id is None:
        own = await load_loan(unit.conn, request.loan_id)
        return own if own is not None and own.city == unit.city else None
    query = await load_query(unit.conn, request.loan_query_id)
    if query is None or query.asking_city != unit.city or query.person_ref != person_ref:
        raise NotFound(
            "unknown-loan-query",
            f"This city asked no loan query {request.loan_query_id} about this person.",
        )
    if query.loans is None:
        raise Conflict(
            "loan-query-unanswered",
            f"The other city has not answered loan query {query.query_id} yet"
            f" (due by {query.answer_by.isoformat()}).",
        )
    for statement in query.loans:
        if statement["loan_id"] == request.loan_id:
            return loan_of({**statement, "person_ref": person_ref, "city": query.asked_city})
    return None


async def _application(
    unit: Unit, request: WithdrawalRequest
) -> tuple[StoredAccount, domain.Application]:
    stored = await load_account(unit.conn, request.account_id, for_update=True)
    if stored is None:
        raise NotFound("unknown-account", f"There is no account {request.account_id} here.")
    application = domain.Application(
        # Application refuses a kind it does not know (unknown-withdrawal-kind).
        kind=cast(WithdrawalKind, request.kind),
        amount_fen=request.amount_fen,
        proofs=tuple(domain.Proof(kind, reference) for kind, reference in request.proofs),
        day=unit.today,
        purchase=_purchase(request),
        loan=await _confirmed_loan(unit, stored.account.person_ref, request),
    )
    return stored, application


async def _decision(
    unit: Unit, stored: StoredAccount, application: domain.Application, book: PolicyBook
) -> domain.Decision:
    earlier = await withdrawals_of_person(unit.conn, stored.account.person_ref)
    policy = book.policy_for(stored.account.city, unit.today)
    return domain.assess_withdrawal(
        stored.account, [e.withdrawal for e in earlier], application, policy
    )


async def assess(request: WithdrawalRequest, unit: Unit, book: PolicyBook) -> domain.Decision:
    """Every rule of the application with its figures, writing nothing (what a clerk checks
    before applying). Refusals only for input that is not an application at all:
    ``unknown-account``, ``unknown-withdrawal-kind``, ``invalid-application``, ...)."""
    stored, application = await _application(unit, request)
    return await _decision(unit, stored, application, book)


async def apply_for_withdrawal(
    request: WithdrawalRequest, unit: Unit, book: PolicyBook
) -> StoredWithdrawal:
    """Apply for a withdrawal: assessed, then applied for, holding the account until it is
    paid or refused. A refused assessment raises its first refusal and writes nothing."""
    stored, application = await _application(unit, request)
    decision = await _decision(unit, stored, application, book)
    held, withdrawal = domain.request_withdrawal(
        new_withdrawal_id(unit.city), stored.account, decision, unit.now
    )
    await save_account(unit.conn, stored, held)
    applied = StoredWithdrawal(
        stored.account_id, withdrawal, decision.rules, applied_by=unit.acted_by()
    )
    try:
        await insert_withdrawal(unit.conn, applied, request_id=unit.request_id)
    except asyncpg.UniqueViolationError:
        # Defence in depth behind the row lock: the index backs the one-hold rule.
        raise Conflict(
            "withdrawal-pending", "A withdrawal from the account is being decided."
        ) from None
    return applied


async def get_withdrawal(withdrawal_id: str, unit: Unit) -> StoredWithdrawal:
    """The withdrawal ``withdrawal_id`` of this city; ``unknown-withdrawal``."""
    found = await load_withdrawal(unit.conn, withdrawal_id)
    if found is None:
        raise NotFound("unknown-withdrawal", f"There is no withdrawal {withdrawal_id} here.")
    return found


async def _decided(
    unit: Unit, withdrawal_id: str, step: domain.WithdrawalStep
) -> tuple[StoredWithdrawal, StoredAccount, domain.Withdrawal]:
    seen = await load_withdrawal(unit.conn, withdrawal_id)
    if seen is None:
        raise NotFound("unknown-withdrawal", f"There is no withdrawal {withdrawal_id} here.")
    # The account first, then the withdrawal: the order applying and the saga lock in.
    account = await load_account(unit.conn, seen.account_id, for_update=True)
    found = await load_withdrawal(unit.conn, withdrawal_id, for_update=True)
    assert account is not None and found is not None  # a foreign key keeps the account
    return found, account, domain.decide(found.withdrawal, step, unit.now)


async def pay_withdrawal(withdrawal_id: str, unit: Unit) -> StoredWithdrawal:
    """Pay an applied withdrawal: the balance reduced (retirement: emptied, the account
    closed), the hold freed, and the withdrawal reported to the other city. Refusals:
    ``unknown-withdrawal``, ``illegal-transition`` (already paid or refused),
    ``amount-above-balance``, ``balance-changed`` (retirement)."""
    found, account, paid = await _decided(unit, withdrawal_id, domain.Pay())
    after = domain.apply_withdrawal(account.account, paid)
    saved = await save_account(unit.conn, account, after)
    await save_decision(
        unit.conn, paid, at=unit.now, decided_by=unit.acted_by(), request_id=unit.request_id
    )
    unit.emit(
        AccountWithdrawalRecorded(
            person_ref=after.person_ref,
            city=after.city,
            account_id=account.account_id,
            withdrawal_id=paid.withdrawal_id,
            kind=paid.kind,
            month=str(Month.of(unit.today)),
            amount_fen=paid.amount_fen,
            balance_after_fen=after.balance_fen,
            account_closed=after.status == "closed",
            account_version=saved.version,
        )
    )
    return StoredWithdrawal(
        found.account_id, paid, found.rules, found.applied_by, decided_by=unit.acted_by()
    )


async def refuse_withdrawal(withdrawal_id: str, reason: Reason, unit: Unit) -> StoredWithdrawal:
    """Refuse an applied withdrawal (a proof did not hold): the hold freed, the balance
    untouched, nothing reported. Refusals: ``unknown-withdrawal``, ``illegal-transition``."""
    found, account, refused = await _decided(unit, withdrawal_id, domain.Refuse(reason))
    await save_account(unit.conn, account, domain.release_withdrawal(account.account, refused))
    await save_decision(
        unit.conn, refused, at=unit.now, decided_by=unit.acted_by(), request_id=unit.request_id
    )
    return StoredWithdrawal(
        found.account_id, refused, found.rules, found.applied_by, decided_by=unit.acted_by()
    )


async def receive_withdrawal_report(unit: Unit, event: AccountWithdrawalRecorded) -> None:
    """Remember a withdrawal the other city paid and its account's balance after it, for
    loan eligibility here."""
    await save_reported_withdrawal(
        unit.conn,
        ReportedWithdrawal(
            withdrawal_id=event.withdrawal_id,
            account_id=event.account_id,
            person_ref=event.person_ref,
            city=event.city,
            kind=event.kind,
            month=Month.parse(event.month),
            amount_fen=Fen(event.amount_fen),
            balance_after_fen=Fen(event.balance_after_fen),
            account_closed=event.account_closed,
            account_version=event.account_version,
        ),
    )
