"""Loans granted here and the loan queries between the cities (互查), each in the caller's
unit of work.

* A clerk grants a loan after its eligibility check (deposits of both cities, balances, and
  every loan of either city known here: no second loan while one is outstanding, as policy
  says); the loan is recorded here and reported to the other city (``loan-recorded``).
* A clerk asks the other city whether a person has a loan there (``loan-query-requested``,
  to be answered by the policy's ``loan_query_answer_hours``); the other city answers once,
  signed, with every loan of the person there and what is still owed
  (``loan-query-answered``); a query past its deadline without an answer shows as
  unanswered. A repayment withdrawal for a loan of the other city needs such an answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, cast

from chengyu_contracts.cities import other_city
from chengyu_contracts.domain_error import DomainError, NotFound
from chengyu_contracts.events.fund import (
    LoanQueryAnswered,
    LoanQueryRequested,
    LoanRecorded,
    LoanStatement,
    ScheduledInstalment,
)
from chengyu_contracts.months import Month
from chengyu_contracts.resident_id import checked_resident_id
from chengyu_kit.unit import Unit

from . import loan as domain
from .loan_store import (
    LoanQuery,
    answer_query,
    insert_query,
    load_loan,
    load_query,
    loan_fields,
    loan_of,
    loans_of_person,
    lock_person,
    new_loan_id,
    new_query_id,
    save_loan,
)
from .policy import PolicyBook
from .usecases import assess_person

__all__ = [
    "AskLoanQuery",
    "GrantLoan",
    "QueryPurpose",
    "answer_loan_query",
    "ask_loan_query",
    "get_loan",
    "get_loan_query",
    "grant_loan",
    "query_state",
    "receive_loan_answer",
    "receive_loan_report",
]

QueryPurpose = Literal["loan-repayment-withdrawal", "loan-application", "check"]


@dataclass(frozen=True)
class GrantLoan:
    """A clerk's grant of a loan to a person (identified by the resident ID number)."""

    resident_id_raw: str
    amount_fen: int
    term_months: int
    bank: str
    start_month: str


async def grant_loan(command: GrantLoan, unit: Unit, book: PolicyBook) -> domain.Loan:
    """Grant and record a loan after its eligibility check this month; reported to the
    other city. Refusals: resident ID codes, ``invalid-month``, ``not-eligible`` (with
    ``no-outstanding-loan`` among its rules when a loan is outstanding in either city),
    ``amount-above-ceiling``, ``invalid-term``, ``start-before-application``,
    ``invalid-bank``, the amount codes."""
    resident = checked_resident_id(command.resident_id_raw, unit.today)
    person_ref = unit.person_ref(resident)
    await lock_person(unit.conn, person_ref)
    month = Month.of(unit.today)
    eligibility = await assess_person(unit, person_ref, month, book)
    terms = domain.LoanTerms(
        amount_fen=command.amount_fen,
        term_months=command.term_months,
        bank=command.bank,
        start_month=Month.parse(command.start_month),
    )
    policy = book.policy_for(unit.city, unit.today)
    loan = domain.grant_loan(new_loan_id(unit.city), person_ref, terms, eligibility, policy)
    await save_loan(
        unit.conn, loan, at=unit.now, granted_by=unit.acted_by(), request_id=unit.request_id
    )
    unit.emit(LoanRecorded(**loan_fields(loan)))
    return loan


async def get_loan(loan_id: str, unit: Unit) -> domain.Loan:
    """A loan granted here or reported by the other city; ``unknown-loan``."""
    found = await load_loan(unit.conn, loan_id)
    if found is None:
        raise NotFound("unknown-loan", f"No loan {loan_id} is known here.")
    return found


async def receive_loan_report(unit: Unit, event: LoanRecorded) -> None:
    """Keep a loan the other city granted, so that eligibility here counts it."""
    await save_loan(unit.conn, loan_of(event.model_dump()), at=unit.now)


# ---- queries ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AskLoanQuery:
    """A clerk's question to the other city about a person's loans there."""

    resident_id_raw: str
    purpose: str


_PURPOSES: tuple[QueryPurpose, ...] = ("loan-repayment-withdrawal", "loan-application", "check")


async def ask_loan_query(command: AskLoanQuery, unit: Unit, book: PolicyBook) -> LoanQuery:
    """Ask the other city whether the person has a loan there (answered on the bus; follow
    it with :func:`get_loan_query`). Refusals: resident ID codes, ``unknown-purpose``."""
    resident = checked_resident_id(command.resident_id_raw, unit.today)
    if command.purpose not in _PURPOSES:
        raise DomainError("unknown-purpose", f"A purpose is one of {', '.join(_PURPOSES)}.")
    policy = book.policy_for(unit.city, unit.today)
    query = LoanQuery(
        query_id=new_query_id(unit.city),
        person_ref=unit.person_ref(resident),
        asking_city=unit.city,
        asked_city=other_city(unit.city),
        purpose=command.purpose,
        asked_at=unit.now,
        answer_by=unit.now + timedelta(hours=policy.loan_query_answer_hours),
        asked_by=unit.acted_by(),
    )
    await insert_query(unit.conn, query)
    unit.emit(
        LoanQueryRequested(
            query_id=query.query_id,
            person_ref=query.person_ref,
            asking_city=query.asking_city,
            asked_city=query.asked_city,
            purpose=cast(QueryPurpose, query.purpose),
            asked_at=query.asked_at,
            answer_by=query.answer_by,
        )
    )
    return query


def statement(loan: domain.Loan, month: Month) -> LoanStatement:
    """What the answering city says of one loan as of ``month``: its terms, what is still
    owed after the instalments due up to ``month``, and the instalments after it."""
    return LoanStatement(
        loan_id=loan.loan_id,
        amount_fen=loan.amount_fen,
        term_months=loan.term_months,
        annual_rate_bp=loan.annual_rate_bp,
        monthly_instalment_fen=loan.monthly_instalment_fen,
        bank=loan.bank,
        start_month=str(loan.start_month),
        as_of_month=str(month),
        outstanding_fen=domain.outstanding_at(loan, month),
        remaining=[
            ScheduledInstalment(
                month=str(i.month),
                payment_fen=i.payment_fen,
                principal_fen=i.principal_fen,
                interest_fen=i.interest_fen,
                outstanding_after_fen=i.outstanding_after_fen,
            )
            for i in domain.schedule(loan)
            if i.month > month
        ],
    )


async def answer_loan_query(unit: Unit, event: LoanQueryRequested) -> None:
    """The asked city answers a query once, with every loan of the person granted here (a
    query delivered again, or asked again under the same id, is not answered twice)."""
    query = LoanQuery(
        query_id=event.query_id,
        person_ref=event.person_ref,
        asking_city=event.asking_city,
        asked_city=event.asked_city,
        purpose=event.purpose,
        asked_at=event.asked_at,
        answer_by=event.answer_by,
    )
    if not await insert_query(unit.conn, query):
        return
    month = Month.of(unit.today)
    loans = await loans_of_person(unit.conn, event.person_ref, city=unit.city)
    statements = [statement(loan, month) for loan in loans]
    await answer_query(
        unit.conn, query.query_id, unit.now, [s.model_dump(mode="json") for s in statements]
    )
    unit.emit(
        LoanQueryAnswered(
            query_id=query.query_id,
            person_ref=query.person_ref,
            asking_city=query.asking_city,
            asked_city=query.asked_city,
            answered_at=unit.now,
            loans=statements,
        )
    )


async def receive_loan_answer(unit: Unit, event: LoanQueryAnswered) -> None:
    """Keep the other city's answer to a query asked here (the first one only).
    ``unknown-loan-query`` (dead-lettered) for a query this city never asked."""
    query = await load_query(unit.conn, event.query_id, for_update=True)
    if query is None or query.asking_city != unit.city:
        raise NotFound("unknown-loan-query", f"This city asked no loan query {event.query_id}.")
    await answer_query(
        unit.conn,
        event.query_id,
        event.answered_at,
        [s.model_dump(mode="json") for s in event.loans],
    )


def query_state(query: LoanQuery, unit: Unit) -> Literal["answered", "waiting", "unanswered"]:
    """``answered``; ``waiting`` up to its ``answer_by``; ``unanswered`` after it."""
    if query.loans is not None:
        return "answered"
    return "waiting" if unit.now <= query.answer_by else "unanswered"


async def get_loan_query(query_id: str, unit: Unit) -> LoanQuery:
    """A loan query this city asked or was asked; ``unknown-loan-query``."""
    found = await load_query(unit.conn, query_id)
    if found is None:
        raise NotFound("unknown-loan-query", f"No loan query {query_id} is known here.")
    return found
