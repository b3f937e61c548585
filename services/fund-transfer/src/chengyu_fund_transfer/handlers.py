"""The fund-transfer consumers: each event of ``fund.transfer`` and ``fund.account`` is
routed to this city's part of the saga, or ignored when it is not this city's turn.

Both cities read the whole topic (one ordered log per transfer). Each event type has
one issuing side; an event whose signed source is another city is refused, so one
city cannot play the other's part. Saga refusals that are legal outcomes become events
(see :mod:`saga`); a step the saga forbids is dead-lettered with its code.
"""

from __future__ import annotations

from chengyu_contracts.events.fund import (
    AccountDepositRecorded,
    TransferCompleted,
    TransferCredited,
    TransferCreditRefused,
    TransferEvent,
    TransferFundsSent,
    TransferOverdue,
    TransferRejected,
    TransferRequested,
    TransferReverted,
)
from chengyu_contracts.registry import EventData
from chengyu_kit.handling import require_issuer, run_step
from chengyu_kit.inbox import EventContext, Handler

from . import saga
from .policy import City, PolicyBook


def _my_turn(context: EventContext, event: TransferEvent, issuer: City, me: City) -> bool:
    """Check who issued ``event`` and tell whether this city acts on it: the sending city
    acts on what the receiving city issues and the other way round."""
    require_issuer(context, issuer, event)
    other = event.from_city if issuer == event.to_city else event.to_city
    return other == me


def fund_handlers(city: City, policy_book: PolicyBook) -> dict[type[EventData], Handler]:
    """The handler of every fund event type for the service instance of ``city``."""

    async def requested(context: EventContext, event: TransferRequested) -> None:
        if _my_turn(context, event, event.to_city, city):
            now = context.clock.now()
            await run_step(context, saga.handle_request(context.conn, event, policy_book, now))

    async def funds_sent(context: EventContext, event: TransferFundsSent) -> None:
        if _my_turn(context, event, event.from_city, city):
            now = context.clock.now()
            await run_step(context, saga.handle_funds_sent(context.conn, event, city, now))

    async def rejected(context: EventContext, event: TransferRejected) -> None:
        if _my_turn(context, event, event.from_city, city):
            await run_step(context, saga.handle_rejected(context.conn, event, context.clock.now()))

    async def credited(context: EventContext, event: TransferCredited) -> None:
        if _my_turn(context, event, event.to_city, city):
            await run_step(context, saga.handle_credited(context.conn, event, context.clock.now()))

    async def credit_refused(context: EventContext, event: TransferCreditRefused) -> None:
        if _my_turn(context, event, event.to_city, city):
            now = context.clock.now()
            await run_step(context, saga.handle_credit_refused(context.conn, event, now))

    async def reverted(context: EventContext, event: TransferReverted) -> None:
        if _my_turn(context, event, event.from_city, city):
            await run_step(context, saga.handle_reverted(context.conn, event, context.clock.now()))

    async def completed(context: EventContext, event: TransferCompleted) -> None:
        if _my_turn(context, event, event.from_city, city):
            await run_step(context, saga.handle_completed(context.conn, event, context.clock.now()))

    async def overdue(context: EventContext, event: TransferOverdue) -> None:
        if _my_turn(context, event, event.to_city, city):
            await run_step(context, saga.handle_overdue_notice(context.conn, event))

    async def deposit_reported(context: EventContext, event: AccountDepositRecorded) -> None:
        require_issuer(context, event.city, event)
        if event.city != city:
            await run_step(context, saga.handle_deposit_reported(context.conn, event))

    return {
        TransferRequested: requested,
        TransferFundsSent: funds_sent,
        TransferRejected: rejected,
        TransferCredited: credited,
        TransferCreditRefused: credit_refused,
        TransferReverted: reverted,
        TransferCompleted: completed,
        TransferOverdue: overdue,
        AccountDepositRecorded: deposit_reported,
    }
