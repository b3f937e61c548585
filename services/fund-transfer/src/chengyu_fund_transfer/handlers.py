"""The fund-transfer consumers: one declared handler per event of ``fund.transfer``,
``fund.account`` and ``fund.loan-query``, each this city's part of the saga, a report of
the other city's account or loan, or a loan query to answer or an answer to keep.

Both cities read the whole topic (one ordered log per transfer). Each event type has one
issuing side (``issued_by``): an event whose signed source is another city is
dead-lettered, so one city cannot play the other's part. The saga alternates, so every
step is the turn of the city that did not issue the event (``acts="other"``); the issuing
city records its own event in the inbox and changes nothing. Saga refusals that are legal
outcomes become events (see :mod:`saga`); a step the saga forbids raises and the event is
dead-lettered with its code.
"""

from __future__ import annotations

from chengyu_contracts.events.fund import (
    AccountDepositRecorded,
    AccountWithdrawalRecorded,
    LoanQueryAnswered,
    LoanQueryRequested,
    LoanRecorded,
    TransferCompleted,
    TransferCredited,
    TransferCreditRefused,
    TransferFundsSent,
    TransferOverdue,
    TransferRejected,
    TransferRequested,
    TransferReverted,
)
from chengyu_kit.handling import EventHandlers
from chengyu_kit.inbox import EventContext

from . import loan_usecases, saga, withdrawal_usecases
from .policy import PolicyBook


def fund_handlers(policy_book: PolicyBook) -> EventHandlers:
    """The handler of every fund event type, judging requests by ``policy_book``."""
    handlers = EventHandlers()

    # ---- the sending city's turns: the receiving city issued these -------------------------

    @handlers.on(TransferRequested, issued_by=lambda e: e.to_city, acts="other")
    async def on_transfer_requested(event: TransferRequested, unit: EventContext) -> None:
        await saga.handle_request(unit, event, policy_book)

    @handlers.on(TransferCredited, issued_by=lambda e: e.to_city, acts="other")
    async def on_transfer_credited(event: TransferCredited, unit: EventContext) -> None:
        await saga.handle_credited(unit, event)

    @handlers.on(TransferCreditRefused, issued_by=lambda e: e.to_city, acts="other")
    async def on_transfer_credit_refused(event: TransferCreditRefused, unit: EventContext) -> None:
        await saga.handle_credit_refused(unit, event)

    @handlers.on(TransferOverdue, issued_by=lambda e: e.to_city, acts="other")
    async def on_transfer_overdue(event: TransferOverdue, unit: EventContext) -> None:
        await saga.handle_overdue_notice(unit, event)

    # ---- the receiving city's turns: the sending city issued these -------------------------

    @handlers.on(TransferFundsSent, issued_by=lambda e: e.from_city, acts="other")
    async def on_transfer_funds_sent(event: TransferFundsSent, unit: EventContext) -> None:
        await saga.handle_funds_sent(unit, event)

    @handlers.on(TransferRejected, issued_by=lambda e: e.from_city, acts="other")
    async def on_transfer_rejected(event: TransferRejected, unit: EventContext) -> None:
        await saga.handle_rejected(unit, event)

    @handlers.on(TransferReverted, issued_by=lambda e: e.from_city, acts="other")
    async def on_transfer_reverted(event: TransferReverted, unit: EventContext) -> None:
        await saga.handle_reverted(unit, event)

    @handlers.on(TransferCompleted, issued_by=lambda e: e.from_city, acts="other")
    async def on_transfer_completed(event: TransferCompleted, unit: EventContext) -> None:
        await saga.handle_completed(unit, event)

    # ---- deposits: the city keeping the account reports them to the other --------------------

    @handlers.on(AccountDepositRecorded, issued_by=lambda e: e.city, acts="other")
    async def on_account_deposit_recorded(
        event: AccountDepositRecorded, unit: EventContext
    ) -> None:
        await saga.handle_deposit_reported(unit, event)

    @handlers.on(AccountWithdrawalRecorded, issued_by=lambda e: e.city, acts="other")
    async def on_account_withdrawal_recorded(
        event: AccountWithdrawalRecorded, unit: EventContext
    ) -> None:
        await withdrawal_usecases.receive_withdrawal_report(unit, event)

    @handlers.on(LoanRecorded, issued_by=lambda e: e.city, acts="other")
    async def on_loan_recorded(event: LoanRecorded, unit: EventContext) -> None:
        await loan_usecases.receive_loan_report(unit, event)

    # ---- loan queries (互查): the asking city asks, the asked city answers once ---------------

    @handlers.on(LoanQueryRequested, issued_by=lambda e: e.asking_city, acts="other")
    async def on_loan_query_requested(event: LoanQueryRequested, unit: EventContext) -> None:
        await loan_usecases.answer_loan_query(unit, event)

    @handlers.on(LoanQueryAnswered, issued_by=lambda e: e.asked_city, acts="other")
    async def on_loan_query_answered(event: LoanQueryAnswered, unit: EventContext) -> None:
        await loan_usecases.receive_loan_answer(unit, event)

    return handlers
