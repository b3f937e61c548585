"""The clerks' HTTP API of one city's service: accounts, deposits, transfers, loan
eligibility (withdrawals and loans: ``withdrawal_api.py``, ``loan_api.py``).

Resident ID numbers are accepted only here, checked, turned into ``person_ref`` and never
returned, stored or logged; answers show them masked. Every route runs in one unit of
work (``service_router``): a write commits its changes and events together, answers a
retry with the same ``Idempotency-Key`` again without writing, and a rule's refusal
becomes an answer with its code and sentence, its status given by the refusal's kind.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from chengyu_contracts.masking import mask_name
from chengyu_kit.web import UnitOfWork, reads, service_router

from . import usecases
from .eligibility import Eligibility
from .policy import PolicyBook
from .store import StoredAccount
from .transfer_store import StoredTransfer

# A bound far above any monthly deposit, so no sum can overflow the bigint columns.
MAX_AMOUNT_FEN = 10_000_000_000


class OpenAccountBody(BaseModel):
    """A clerk's request to open an account."""

    model_config = ConfigDict(extra="forbid")

    resident_id: Annotated[StrictStr, Field(max_length=64, description="18-character number")]
    name: Annotated[StrictStr, Field(min_length=1, max_length=usecases.MAX_NAME_LENGTH)]
    kind: Literal["employee", "flexible"]


class DepositBody(BaseModel):
    """A clerk's request to record one month's deposit."""

    model_config = ConfigDict(extra="forbid")

    month: Annotated[StrictStr, Field(max_length=16, description="YYYY-MM")]
    amount_fen: Annotated[
        StrictInt, Field(le=MAX_AMOUNT_FEN, description="whole fen (分); no floats, no text")
    ]


class TransferBody(BaseModel):
    """A receiving-city clerk's request to bring a person's account here from the other
    city."""

    model_config = ConfigDict(extra="forbid")

    resident_id: Annotated[StrictStr, Field(max_length=64, description="18-character number")]
    name: Annotated[
        StrictStr,
        Field(
            min_length=1,
            max_length=usecases.MAX_NAME_LENGTH,
            description="to open an account here if the person has none",
        ),
    ]
    from_city: Annotated[StrictStr, Field(max_length=16, description="cq or cd")]


class EligibilityBody(BaseModel):
    """A loan application to assess: the person and the month (default: this month)."""

    model_config = ConfigDict(extra="forbid")

    resident_id: Annotated[StrictStr, Field(max_length=64, description="18-character number")]
    application_month: Annotated[StrictStr | None, Field(max_length=16, description="YYYY-MM")] = (
        None
    )


class DepositView(BaseModel):
    """One month's deposit and the city it was made in."""

    month: str
    amount_fen: int
    city: str


class AccountView(BaseModel):
    """An account as a clerk sees it; the name is masked."""

    account_id: str
    person_ref: str
    name_masked: str
    city: str
    kind: str
    status: str
    balance_fen: int
    opened_at: datetime
    deposits: list[DepositView]
    #: The withdrawal being decided, which holds the account (no transfer meanwhile).
    withdrawal_id: str | None = None


class OpenedAccountView(AccountView):
    """A newly opened account, with the masked resident ID number it was opened with."""

    resident_id_masked: str


class StepView(BaseModel):
    """One step of a transfer: the state reached, when, what happened, and who took it:
    this city's clerk (``cq/hpf/<subject>``), the other city's office as its event names it
    (``cd/hpf/c<opaque>``), or nobody (``null``: the service stepped on its own)."""

    state: str
    at: datetime
    detail: str
    by: str | None = None
    request_id: str | None = None


class TransferView(BaseModel):
    """A transfer as this city sees it, with every step and its time."""

    transfer_id: str
    role: str
    person_ref: str
    from_city: str
    to_city: str
    state: str
    overdue_from: str | None
    requested_at: datetime
    deadline: datetime
    amount_fen: int | None
    months_sent: int | None
    reason_code: str | None
    reason: str | None
    account_id: str | None
    steps: list[StepView]


class RuleView(BaseModel):
    """One rule of the loan assessment and the figures behind it."""

    rule: str
    passed: bool
    detail: str


class EligibilityView(BaseModel):
    """The answer to a loan application, with the rules that led to it."""

    city: str
    application_month: str
    eligible: bool
    ceiling_fen: int
    rules: list[RuleView]


def _transfer_view(stored: StoredTransfer) -> TransferView:
    t = stored.transfer
    return TransferView(
        transfer_id=t.transfer_id,
        role=stored.role,
        person_ref=t.person_ref,
        from_city=t.from_city,
        to_city=t.to_city,
        state=t.state,
        overdue_from=t.overdue_from,
        requested_at=t.requested_at,
        deadline=t.deadline,
        amount_fen=t.amount_fen,
        months_sent=t.months_sent,
        reason_code=None if t.reason is None else t.reason.code,
        reason=None if t.reason is None else t.reason.sentence,
        account_id=stored.account_id,
        steps=[
            StepView(
                state=step.state,
                at=step.at,
                detail=step.detail,
                by=None if record is None else record.acted_by,
                request_id=None if record is None else record.request_id,
            )
            for step, record in zip(
                t.history, stored.step_records or [None] * len(t.history), strict=True
            )
        ],
    )


def _eligibility_view(answer: Eligibility) -> EligibilityView:
    return EligibilityView(
        city=answer.city,
        application_month=str(answer.application_month),
        eligible=answer.eligible,
        ceiling_fen=answer.ceiling_fen,
        rules=[RuleView(rule=r.rule, passed=r.passed, detail=r.detail) for r in answer.rules],
    )


def _view(stored: StoredAccount) -> AccountView:
    account = stored.account
    return AccountView(
        account_id=stored.account_id,
        person_ref=account.person_ref,
        name_masked=mask_name(stored.full_name),
        city=account.city,
        kind=account.kind,
        status=account.status,
        balance_fen=account.balance_fen,
        opened_at=stored.opened_at,
        deposits=[
            DepositView(month=str(d.month), amount_fen=d.amount_fen, city=d.city)
            for d in account.deposits
        ],
        withdrawal_id=account.withdrawal_id,
    )


def fund_router(policy_book: PolicyBook) -> APIRouter:
    """The clerks' routes, judging by ``policy_book``. Time is the unit's (the runtime's
    clock; the day is China's), so tests move it with a fixed clock."""
    router = service_router()

    @router.post("/accounts", status_code=201, tags=["accounts"])
    async def open_account(body: OpenAccountBody, unit: UnitOfWork) -> OpenedAccountView:
        """Open a provident-fund account in this city for a person."""
        command = usecases.OpenAccount(body.resident_id, body.name, body.kind)
        opened = await usecases.open_account(command, unit)
        return OpenedAccountView(
            **_view(opened.stored).model_dump(), resident_id_masked=opened.resident_id_masked
        )

    @router.post("/accounts/{account_id}/deposits", status_code=201, tags=["accounts"])
    async def record_deposit(account_id: str, body: DepositBody, unit: UnitOfWork) -> AccountView:
        """Record one month's deposit (reported to the other city for loans); answers the
        account after it."""
        command = usecases.RecordDeposit(account_id, body.month, body.amount_fen)
        return _view(await usecases.record_deposit(command, unit, policy_book))

    @router.get("/accounts/{account_id}", tags=["accounts"])
    async def get_account(account_id: str, unit: UnitOfWork) -> AccountView:
        """An account with its balance and deposit history."""
        return _view(await usecases.get_account(account_id, unit))

    @router.post("/transfers", status_code=202, tags=["transfers"])
    async def request_transfer(body: TransferBody, unit: UnitOfWork) -> TransferView:
        """Receiving city: ask the other city to send the person's account here. The saga
        runs on the bus; follow it with ``GET /transfers/{transfer_id}``."""
        command = usecases.RequestTransfer(body.resident_id, body.name, body.from_city)
        return _transfer_view(await usecases.request_transfer(command, unit, policy_book))

    @router.get("/transfers/{transfer_id}", tags=["transfers"])
    async def get_transfer(transfer_id: str, unit: UnitOfWork) -> TransferView:
        """A transfer this city takes part in: its state and every step with its time."""
        return _transfer_view(await usecases.get_transfer(transfer_id, unit))

    @router.post("/loan-eligibility", tags=["loans"])
    @reads  # an assessment: it looks, it changes nothing
    async def loan_eligibility(body: EligibilityBody, unit: UnitOfWork) -> EligibilityView:
        """Whether the person may take a provident-fund loan in this city, and the ceiling,
        counting deposits in both cities (互认互贷), with the rules and figures."""
        command = usecases.AssessLoan(body.resident_id, body.application_month)
        return _eligibility_view(await usecases.loan_eligibility(command, unit, policy_book))

    return router
