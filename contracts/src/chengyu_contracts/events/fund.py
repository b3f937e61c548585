"""Provident-fund (住房公积金) events: the cross-city transfer saga and deposits reported
across cities for mutual loan recognition (互认互贷).

Topic ``fund.transfer`` is keyed by ``transfer_id``, so every step of one transfer stays
in order. The saga starts in the receiving city (``to_city``)::

    to_city:   transfer-requested
    from_city: transfer-rejected | transfer-funds-sent
    to_city:   transfer-credited | transfer-credit-refused
    from_city: transfer-completed (after credited) | transfer-reverted (after credit-refused)
    to_city:   transfer-overdue (escalation when the deadline passed; not a step of money;
               .v2 names the step awaited, .v1 records are read as .v2)

Topic ``fund.account`` is keyed by ``person_ref``: each city reports its deposits,
withdrawals (提取) and granted loans, so that the other city sees the balance, the history
and any outstanding loan when it assesses a loan or a withdrawal.

Topic ``fund.loan-query`` is keyed by ``query_id``: one city asks whether a person has a
provident-fund loan in the other and its outstanding schedule (互查), and the other answers
once, signed; the asking city shows a query past its ``answer_by`` without an answer as
unanswered.

Amounts are integer fen (分); months are ``YYYY-MM``. No names or ID numbers: a person is
only their ``person_ref``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field

from chengyu_contracts.cities import City
from chengyu_contracts.registry import REGISTRY, EventData, event

__all__ = [
    "AccountDepositRecorded",
    "AccountWithdrawalRecorded",
    "AwaitedStep",
    "CarriedDeposit",
    "LoanQueryAnswered",
    "LoanQueryRequested",
    "LoanRecorded",
    "LoanStatement",
    "ScheduledInstalment",
    "TransferCompleted",
    "TransferCreditRefused",
    "TransferCredited",
    "TransferEvent",
    "TransferFundsSent",
    "TransferOverdue",
    "TransferOverdueV1",
    "TransferRejected",
    "TransferRequested",
    "TransferReverted",
]

TRANSFER_TOPIC = "fund.transfer"
ACCOUNT_TOPIC = "fund.account"
LOAN_QUERY_TOPIC = "fund.loan-query"

Fen = Annotated[int, Field(ge=0, description="integer fen (分)")]
MonthText = Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]
PersonRef = Annotated[str, Field(min_length=1, max_length=128)]
TransferId = Annotated[str, Field(min_length=1, max_length=128)]
ReasonCode = Annotated[str, Field(pattern=r"^[a-z0-9-]+$", max_length=64)]
ReasonText = Annotated[str, Field(max_length=500)]
AccountId = Annotated[str, Field(min_length=1, max_length=128)]
LoanId = Annotated[str, Field(min_length=1, max_length=128)]
QueryId = Annotated[str, Field(min_length=1, max_length=128)]
BankName = Annotated[str, Field(min_length=1, max_length=100)]
WithdrawalKindText = Literal["rent", "purchase", "loan-repayment", "retirement", "serious-illness"]


class TransferEvent(EventData):
    """What every step of a transfer carries: which transfer, whose, from where to where."""

    transfer_id: TransferId
    person_ref: PersonRef
    from_city: City
    to_city: City


@event(
    REGISTRY, type="cn.chengyu.fund.transfer-requested.v1", topic=TRANSFER_TOPIC, key="transfer_id"
)
class TransferRequested(TransferEvent):
    """The receiving city (``to_city``) asks ``from_city`` to send the person's account.

    ``deadline`` comes from the receiving city's policy; both cities judge overdue by it.
    """

    requested_at: AwareDatetime
    deadline: AwareDatetime


class CarriedDeposit(EventData):
    """One month of the deposit history a transfer carries, with its city of origin."""

    month: MonthText
    amount_fen: Annotated[int, Field(gt=0)]
    city: City


@event(
    REGISTRY, type="cn.chengyu.fund.transfer-funds-sent.v1", topic=TRANSFER_TOPIC, key="transfer_id"
)
class TransferFundsSent(TransferEvent):
    """The sending city froze the account and sends its balance and full deposit history."""

    sending_account_id: Annotated[str, Field(min_length=1, max_length=128)]
    account_kind: Literal["employee", "flexible"]
    amount_fen: Fen
    deposits: list[CarriedDeposit]


@event(
    REGISTRY, type="cn.chengyu.fund.transfer-rejected.v1", topic=TRANSFER_TOPIC, key="transfer_id"
)
class TransferRejected(TransferEvent):
    """The sending city refused the request; nothing was frozen or sent."""

    reason_code: ReasonCode
    reason: ReasonText


@event(
    REGISTRY, type="cn.chengyu.fund.transfer-credited.v1", topic=TRANSFER_TOPIC, key="transfer_id"
)
class TransferCredited(TransferEvent):
    """The receiving city credited the balance and merged the history."""

    receiving_account_id: Annotated[str, Field(min_length=1, max_length=128)]
    amount_fen: Fen


@event(
    REGISTRY,
    type="cn.chengyu.fund.transfer-credit-refused.v1",
    topic=TRANSFER_TOPIC,
    key="transfer_id",
)
class TransferCreditRefused(TransferEvent):
    """The receiving city could not credit; the sending city must restore the account."""

    reason_code: ReasonCode
    reason: ReasonText


@event(
    REGISTRY, type="cn.chengyu.fund.transfer-reverted.v1", topic=TRANSFER_TOPIC, key="transfer_id"
)
class TransferReverted(TransferEvent):
    """The sending city restored the account exactly as it was (compensation)."""

    reason_code: ReasonCode
    reason: ReasonText


@event(
    REGISTRY, type="cn.chengyu.fund.transfer-completed.v1", topic=TRANSFER_TOPIC, key="transfer_id"
)
class TransferCompleted(TransferEvent):
    """The sending city closed its account after the credit: the transfer is done."""

    amount_fen: Fen


@event(
    REGISTRY, type="cn.chengyu.fund.transfer-overdue.v1", topic=TRANSFER_TOPIC, key="transfer_id"
)
class TransferOverdueV1(TransferEvent):
    """The transfer waited past its deadline in ``waiting_in``; escalate to a clerk.

    The saga goes on: the awaited step is still accepted when it arrives.
    """

    waiting_in: Literal["requested", "funds_sent", "credited"]
    deadline: AwareDatetime
    detected_at: AwareDatetime


AwaitedStep = Literal["answer", "revert", "completion"]

#: v1's ``waiting_in`` (the receiving copy's state) -> the step ``from_city`` owes in it.
_AWAITED_IN: dict[str, AwaitedStep] = {
    "requested": "answer",
    "funds_sent": "revert",  # funds arrived but the credit was refused
    "credited": "completion",
}


def _overdue_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    data["awaiting"] = _AWAITED_IN[data.pop("waiting_in")]
    return data


@event(
    REGISTRY,
    type="cn.chengyu.fund.transfer-overdue.v2",
    topic=TRANSFER_TOPIC,
    key="transfer_id",
    upcaster=_overdue_v1_to_v2,
)
class TransferOverdue(TransferEvent):
    """The transfer waited past its deadline for ``from_city``'s step ``awaiting``; escalate.

    ``awaiting`` says what the sending city owes, in the saga's words, rather than the
    receiving copy's internal state (v1's ``waiting_in``, which v1 records are upcast
    from): ``answer`` (send the funds or reject, after transfer-requested), ``revert``
    (restore the account, after transfer-credit-refused), ``completion`` (close the account,
    after transfer-credited). The saga goes on: the awaited step is still accepted when it
    arrives.
    """

    awaiting: AwaitedStep
    deadline: AwareDatetime
    detected_at: AwareDatetime


@event(
    REGISTRY,
    type="cn.chengyu.fund.account-deposit-recorded.v1",
    topic=ACCOUNT_TOPIC,
    key="person_ref",
)
class AccountDepositRecorded(EventData):
    """A month's deposit was recorded in ``city``; the other city counts it for loans.

    ``account_version`` grows with every change of the account, so a reader keeps the
    newest ``balance_after_fen`` whatever order the reports arrive in.
    """

    person_ref: PersonRef
    city: City
    account_id: Annotated[str, Field(min_length=1, max_length=128)]
    month: MonthText
    amount_fen: Annotated[int, Field(gt=0)]
    balance_after_fen: Fen
    account_version: Annotated[int, Field(ge=1)]


@event(
    REGISTRY,
    type="cn.chengyu.fund.account-withdrawal-recorded.v1",
    topic=ACCOUNT_TOPIC,
    key="person_ref",
)
class AccountWithdrawalRecorded(EventData):
    """A withdrawal (提取) was paid from the account in ``city``: the other city keeps the
    balance after it (``account_version`` orders the reports as for deposits) and, for a
    retirement withdrawal (销户提取), that the account is closed."""

    person_ref: PersonRef
    city: City
    account_id: AccountId
    withdrawal_id: Annotated[str, Field(min_length=1, max_length=128)]
    kind: WithdrawalKindText
    #: The month the withdrawal was paid in.
    month: MonthText
    amount_fen: Annotated[int, Field(gt=0)]
    balance_after_fen: Fen
    account_closed: bool
    account_version: Annotated[int, Field(ge=1)]


@event(REGISTRY, type="cn.chengyu.fund.loan-recorded.v1", topic=ACCOUNT_TOPIC, key="person_ref")
class LoanRecorded(EventData):
    """A provident-fund loan was granted in ``city`` after its eligibility check: the other
    city counts it as outstanding when it assesses a loan (no second loan while one is
    outstanding, as policy says). The schedule follows from the figures (equal instalments
    等额本息, the last absorbing rounding)."""

    person_ref: PersonRef
    city: City
    loan_id: LoanId
    amount_fen: Annotated[int, Field(gt=0)]
    term_months: Annotated[int, Field(ge=1, le=600)]
    annual_rate_bp: Annotated[int, Field(ge=0, le=10_000, description="basis points a year")]
    monthly_instalment_fen: Fen
    bank: BankName
    start_month: MonthText


class ScheduledInstalment(EventData):
    """One instalment still to pay."""

    month: MonthText
    payment_fen: Fen
    principal_fen: Fen
    interest_fen: Fen
    outstanding_after_fen: Fen


class LoanStatement(EventData):
    """A loan of the answering city and what is still owed on it, as of ``as_of_month``."""

    loan_id: LoanId
    amount_fen: Annotated[int, Field(gt=0)]
    term_months: Annotated[int, Field(ge=1, le=600)]
    annual_rate_bp: Annotated[int, Field(ge=0, le=10_000)]
    monthly_instalment_fen: Fen
    bank: BankName
    start_month: MonthText
    as_of_month: MonthText
    outstanding_fen: Fen
    remaining: list[ScheduledInstalment]


@event(
    REGISTRY,
    type="cn.chengyu.fund.loan-query-requested.v1",
    topic=LOAN_QUERY_TOPIC,
    key="query_id",
)
class LoanQueryRequested(EventData):
    """``asking_city`` asks ``asked_city`` whether the person has a provident-fund loan there,
    and its outstanding schedule (互查), to be answered by ``answer_by``."""

    query_id: QueryId
    person_ref: PersonRef
    asking_city: City
    asked_city: City
    purpose: Literal["loan-repayment-withdrawal", "loan-application", "check"]
    asked_at: AwareDatetime
    answer_by: AwareDatetime


@event(
    REGISTRY,
    type="cn.chengyu.fund.loan-query-answered.v1",
    topic=LOAN_QUERY_TOPIC,
    key="query_id",
)
class LoanQueryAnswered(EventData):
    """``asked_city``'s answer: every provident-fund loan of the person there (none is an
    answer too), each with what is still owed."""

    query_id: QueryId
    person_ref: PersonRef
    asking_city: City
    asked_city: City
    answered_at: AwareDatetime
    loans: list[LoanStatement]
