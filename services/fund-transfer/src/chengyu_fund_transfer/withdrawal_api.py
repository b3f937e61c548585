"""The clerks' withdrawal routes (提取): assess, apply, pay, refuse, look.

Every route runs in one unit of work (``service_router``): a write commits the withdrawal,
the account and the report to the other city together; a refusal answers its code and
sentence with nothing written.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from chengyu_kit.web import UnitOfWork, reads, service_router

from . import withdrawal_usecases as usecases
from .api import MAX_AMOUNT_FEN, RuleView
from .policy import PolicyBook
from .transfer import Reason
from .withdrawal import Decision
from .withdrawal_store import StoredWithdrawal

__all__ = ["withdrawal_router"]

Code = Annotated[StrictStr, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9-]+$")]
Amount = Annotated[StrictInt, Field(le=MAX_AMOUNT_FEN, description="whole fen (分)")]


class ProofBody(BaseModel):
    """A proof the applicant showed: its kind and a reference to the document (a file
    number; never a name or an ID number)."""

    model_config = ConfigDict(extra="forbid")

    kind: Code
    reference: Annotated[StrictStr, Field(min_length=1, max_length=100)]


class PurchaseBody(BaseModel):
    """The home purchase a purchase withdrawal is against."""

    model_config = ConfigDict(extra="forbid")

    price_fen: Amount
    day: Annotated[StrictStr, Field(max_length=10, description="YYYY-MM-DD")]


class WithdrawalBody(BaseModel):
    """A withdrawal application on an account."""

    model_config = ConfigDict(extra="forbid")

    kind: Annotated[
        StrictStr,
        Field(
            max_length=32,
            description="rent | purchase | loan-repayment | retirement | serious-illness",
        ),
    ]
    amount_fen: Amount | None = Field(
        default=None, description="none for retirement, which takes the whole balance"
    )
    proofs: Annotated[list[ProofBody], Field(max_length=10)] = []
    purchase: PurchaseBody | None = None
    loan_id: Annotated[StrictStr, Field(max_length=128)] | None = Field(
        default=None, description="loan-repayment: the loan repaid"
    )
    loan_query_id: Annotated[StrictStr, Field(max_length=128)] | None = Field(
        default=None,
        description="loan-repayment of a loan of the other city: its answered loan query",
    )


class RefuseBody(BaseModel):
    """Why a clerk refuses an applied withdrawal."""

    model_config = ConfigDict(extra="forbid")

    reason_code: Code
    reason: Annotated[StrictStr, Field(min_length=1, max_length=500)]


class DecisionView(BaseModel):
    """The assessment of an application: allowed or not, what would be paid, every rule."""

    allowed: bool
    amount_fen: int
    refusals: list[str]
    rules: list[RuleView]


class HistoryView(BaseModel):
    """One step of a withdrawal."""

    state: str
    at: datetime
    detail: str


class WithdrawalView(BaseModel):
    """A withdrawal as this city keeps it."""

    withdrawal_id: str
    account_id: str
    person_ref: str
    city: str
    kind: str
    amount_fen: int
    state: str
    applied_on: date
    proofs: list[ProofBody]
    loan_id: str | None
    reason_code: str | None
    reason: str | None
    applied_by: str | None
    decided_by: str | None
    rules: list[RuleView]
    history: list[HistoryView]


def _request(account_id: str, body: WithdrawalBody) -> usecases.WithdrawalRequest:
    return usecases.WithdrawalRequest(
        account_id=account_id,
        kind=body.kind,
        amount_fen=body.amount_fen,
        proofs=tuple((p.kind, p.reference) for p in body.proofs),
        purchase_price_fen=None if body.purchase is None else body.purchase.price_fen,
        purchase_day=None if body.purchase is None else body.purchase.day,
        loan_id=body.loan_id,
        loan_query_id=body.loan_query_id,
    )


def _decision_view(decision: Decision) -> DecisionView:
    return DecisionView(
        allowed=decision.allowed,
        amount_fen=decision.amount_fen,
        refusals=list(decision.codes),
        rules=[RuleView(rule=r.rule, passed=r.passed, detail=r.detail) for r in decision.rules],
    )


def withdrawal_view(stored: StoredWithdrawal) -> WithdrawalView:
    """The JSON form of a withdrawal."""
    w = stored.withdrawal
    return WithdrawalView(
        withdrawal_id=w.withdrawal_id,
        account_id=stored.account_id,
        person_ref=w.person_ref,
        city=w.city,
        kind=w.kind,
        amount_fen=w.amount_fen,
        state=w.state,
        applied_on=w.application.day,
        proofs=[ProofBody(kind=p.kind, reference=p.reference) for p in w.application.proofs],
        loan_id=None if w.application.loan is None else w.application.loan.loan_id,
        reason_code=None if w.reason is None else w.reason.code,
        reason=None if w.reason is None else w.reason.sentence,
        applied_by=stored.applied_by,
        decided_by=stored.decided_by,
        rules=[RuleView(rule=r.rule, passed=r.passed, detail=r.detail) for r in stored.rules],
        history=[HistoryView(state=h.state, at=h.at, detail=h.detail) for h in w.history],
    )


def withdrawal_router(book: PolicyBook) -> APIRouter:
    """The withdrawal routes, judging by ``book``."""
    router = service_router()

    @router.post("/accounts/{account_id}/withdrawal-assessment", tags=["withdrawals"])
    @reads  # an assessment: it looks, it changes nothing
    async def assess(account_id: str, body: WithdrawalBody, unit: UnitOfWork) -> DecisionView:
        """Every rule of a withdrawal application with its figures, writing nothing."""
        return _decision_view(await usecases.assess(_request(account_id, body), unit, book))

    @router.post("/accounts/{account_id}/withdrawals", status_code=201, tags=["withdrawals"])
    async def apply(account_id: str, body: WithdrawalBody, unit: UnitOfWork) -> WithdrawalView:
        """Apply for a withdrawal: assessed, then held on the account until paid or
        refused. A failed rule answers its code and sentence, nothing written."""
        request = _request(account_id, body)
        return withdrawal_view(await usecases.apply_for_withdrawal(request, unit, book))

    @router.get("/withdrawals/{withdrawal_id}", tags=["withdrawals"])
    async def get(withdrawal_id: str, unit: UnitOfWork) -> WithdrawalView:
        """A withdrawal of this city with its rules and steps."""
        return withdrawal_view(await usecases.get_withdrawal(withdrawal_id, unit))

    @router.post("/withdrawals/{withdrawal_id}/pay", tags=["withdrawals"])
    async def pay(withdrawal_id: str, unit: UnitOfWork) -> WithdrawalView:
        """Pay an applied withdrawal (the proofs checked): the balance reduced and the
        withdrawal reported to the other city."""
        return withdrawal_view(await usecases.pay_withdrawal(withdrawal_id, unit))

    @router.post("/withdrawals/{withdrawal_id}/refuse", tags=["withdrawals"])
    async def refuse(withdrawal_id: str, body: RefuseBody, unit: UnitOfWork) -> WithdrawalView:
        """Refuse an applied withdrawal: the account's hold freed, nothing paid."""
        reason = Reason(body.reason_code, body.reason)
        return withdrawal_view(await usecases.refuse_withdrawal(withdrawal_id, reason, unit))

    return router
