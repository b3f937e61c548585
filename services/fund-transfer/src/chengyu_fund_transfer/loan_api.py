"""The clerks' loan routes: grant a loan after its eligibility check, look at a loan and its
schedule, ask the other city about a person's loans there (互查) and read the answer.

Resident ID numbers are accepted only in request bodies, turned into ``person_ref`` at once
and never returned or stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from chengyu_kit.web import UnitOfWork, service_router

from . import loan_usecases as usecases
from .api import MAX_AMOUNT_FEN
from .loan import Loan, schedule
from .loan_store import LoanQuery
from .policy import PolicyBook

__all__ = ["loan_router"]

ResidentId = Annotated[StrictStr, Field(max_length=64, description="18-character number")]


class GrantBody(BaseModel):
    """A loan to grant to a person after its eligibility check."""

    model_config = ConfigDict(extra="forbid")

    resident_id: ResidentId
    amount_fen: Annotated[StrictInt, Field(le=MAX_AMOUNT_FEN, description="whole fen (分)")]
    term_months: StrictInt
    bank: Annotated[StrictStr, Field(max_length=100, description="the bank paying it out")]
    start_month: Annotated[StrictStr, Field(max_length=16, description="first instalment")]


class QueryBody(BaseModel):
    """A question to the other city about a person's loans there."""

    model_config = ConfigDict(extra="forbid")

    resident_id: ResidentId
    purpose: Annotated[
        StrictStr,
        Field(max_length=32, description="loan-repayment-withdrawal | loan-application | check"),
    ]


class InstalmentView(BaseModel):
    """One instalment of a loan's schedule."""

    number: int
    month: str
    payment_fen: int
    principal_fen: int
    interest_fen: int
    outstanding_after_fen: int


class LoanView(BaseModel):
    """A loan known here (granted here, or reported by the other city) and its schedule."""

    loan_id: str
    person_ref: str
    city: str
    amount_fen: int
    term_months: int
    annual_rate_bp: int
    monthly_instalment_fen: int
    bank: str
    start_month: str
    schedule: list[InstalmentView]


class LoanQueryView(BaseModel):
    """A loan query and, once answered, the asked city's signed statements."""

    query_id: str
    person_ref: str
    asking_city: str
    asked_city: str
    purpose: str
    asked_at: datetime
    answer_by: datetime
    state: str
    answered_at: datetime | None
    loans: list[dict[str, Any]] | None


def _loan_view(loan: Loan) -> LoanView:
    return LoanView(
        loan_id=loan.loan_id,
        person_ref=loan.person_ref,
        city=loan.city,
        amount_fen=loan.amount_fen,
        term_months=loan.term_months,
        annual_rate_bp=loan.annual_rate_bp,
        monthly_instalment_fen=loan.monthly_instalment_fen,
        bank=loan.bank,
        start_month=str(loan.start_month),
        schedule=[
            InstalmentView(
                number=i.number,
                month=str(i.month),
                payment_fen=i.payment_fen,
                principal_fen=i.principal_fen,
                interest_fen=i.interest_fen,
                outstanding_after_fen=i.outstanding_after_fen,
            )
            for i in schedule(loan)
        ],
    )


def _query_view(query: LoanQuery, state: str) -> LoanQueryView:
    return LoanQueryView(
        query_id=query.query_id,
        person_ref=query.person_ref,
        asking_city=query.asking_city,
        asked_city=query.asked_city,
        purpose=query.purpose,
        asked_at=query.asked_at,
        answer_by=query.answer_by,
        state=state,
        answered_at=query.answered_at,
        loans=None if query.loans is None else list(query.loans),
    )


def loan_router(book: PolicyBook) -> APIRouter:
    """The loan routes, judging by ``book``."""
    router = service_router()

    @router.post("/loans", status_code=201, tags=["loans"])
    async def grant(body: GrantBody, unit: UnitOfWork) -> LoanView:
        """Grant a loan after its eligibility check this month (deposits and loans of both
        cities); recorded here and reported to the other city."""
        command = usecases.GrantLoan(
            body.resident_id, body.amount_fen, body.term_months, body.bank, body.start_month
        )
        return _loan_view(await usecases.grant_loan(command, unit, book))

    @router.get("/loans/{loan_id}", tags=["loans"])
    async def get_loan(loan_id: str, unit: UnitOfWork) -> LoanView:
        """A loan known here with its whole schedule."""
        return _loan_view(await usecases.get_loan(loan_id, unit))

    @router.post("/loan-queries", status_code=202, tags=["loans"])
    async def ask(body: QueryBody, unit: UnitOfWork) -> LoanQueryView:
        """Ask the other city whether the person has a provident-fund loan there; the
        answer comes on the bus (``GET /loan-queries/{query_id}``)."""
        command = usecases.AskLoanQuery(body.resident_id, body.purpose)
        query = await usecases.ask_loan_query(command, unit, book)
        return _query_view(query, usecases.query_state(query, unit))

    @router.get("/loan-queries/{query_id}", tags=["loans"])
    async def get_query(query_id: str, unit: UnitOfWork) -> LoanQueryView:
        """A loan query: waiting, answered (with the statements), or unanswered past its
        deadline."""
        query = await usecases.get_loan_query(query_id, unit)
        return _query_view(query, usecases.query_state(query, unit))

    return router
