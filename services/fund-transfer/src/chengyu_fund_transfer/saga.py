"""The transfer saga's steps in one city: each takes the unit of work it runs in (a
consumer's :class:`~chengyu_kit.inbox.EventContext`, or the sweep's unit) and the event
that moves it on, changes this city's state under row locks in the unit's transaction at
``unit.now``, and emits the events that move the other city on (written to the outbox in
the same transaction).

Rule refusals that are part of the saga (the sending city refuses the request, the
receiving city cannot credit) become events. A step the saga forbids (a credit for an
unknown transfer, a second credit) raises :class:`DomainError`; the consumer dead-letters
the event, since something upstream is wrong.
"""

from __future__ import annotations

from dataclasses import replace

from chengyu_contracts.cities import CITY_NAMES
from chengyu_contracts.domain_error import Conflict, DomainError, NotFound
from chengyu_contracts.events.fund import (
    AccountDepositRecorded,
    AwaitedStep,
    CarriedDeposit,
    TransferCompleted,
    TransferCredited,
    TransferCreditRefused,
    TransferFundsSent,
    TransferOverdue,
    TransferRejected,
    TransferRequested,
    TransferReverted,
)
from chengyu_contracts.months import Month
from chengyu_kit.db import Connection
from chengyu_kit.unit import Unit

from . import account as accounts
from .account import Deposit
from .money import Fen
from .policy import PolicyBook
from .store import (
    StoredAccount,
    insert_account,
    load_account,
    load_account_by_person_ref,
    new_account_id,
    record_credit,
    save_account,
)
from .transfer import (
    Complete,
    Credit,
    MarkOverdue,
    Reason,
    Reject,
    Revert,
    SendFunds,
    Step,
    Transfer,
    TransferStep,
    apply,
    check_sending_side,
    is_overdue,
)
from .transfer_store import (
    ReportedDeposit,
    StoredTransfer,
    close_reported_account,
    insert_transfer,
    load_transfer,
    save_reported_deposit,
    save_transfer,
)


def _ids(transfer: Transfer) -> dict[str, str]:
    return {
        "transfer_id": transfer.transfer_id,
        "person_ref": transfer.person_ref,
        "from_city": transfer.from_city,
        "to_city": transfer.to_city,
    }


def _unknown_transfer(transfer_id: str, role: str) -> NotFound:
    return NotFound(
        "unknown-transfer", f"This city has no transfer {transfer_id} in which it is {role}."
    )


async def _locked(conn: Connection, transfer_id: str, role: str) -> StoredTransfer:
    stored = await load_transfer(conn, transfer_id, for_update=True)
    if stored is None or stored.role != role:
        raise _unknown_transfer(transfer_id, role)
    return stored


async def _advance(unit: Unit, transfer_id: str, role: str, step: TransferStep) -> None:
    stored = await _locked(unit.conn, transfer_id, role)
    await save_transfer(unit, stored, apply(stored.transfer, step, unit.now))


# --------------------------------------------------------------------------------------------
# sending city


def transfer_from_request(event: TransferRequested) -> Transfer:
    """The sending city's copy of a requested transfer, as the receiving city created it."""
    detail = f"requested by {CITY_NAMES[event.to_city]} from {CITY_NAMES[event.from_city]}"
    return Transfer(
        transfer_id=event.transfer_id,
        person_ref=event.person_ref,
        from_city=event.from_city,
        to_city=event.to_city,
        state="requested",
        requested_at=event.requested_at,
        deadline=event.deadline,
        history=(Step("requested", event.requested_at, detail),),
    )


async def handle_request(unit: Unit, event: TransferRequested, policy_book: PolicyBook) -> None:
    """Sending city: check the person's account; reject, or freeze it and send the balance
    and the full deposit history."""
    conn, now = unit.conn, unit.now
    requested = StoredTransfer("sending", transfer_from_request(event))
    if not await insert_transfer(unit, requested):
        raise Conflict("duplicate-transfer", f"Transfer {event.transfer_id} was already requested.")
    stored = await load_account_by_person_ref(conn, event.person_ref, for_update=True)
    transfer = requested.transfer
    try:
        policy = policy_book.policy_for(event.from_city, unit.today)
        reason = check_sending_side(None if stored is None else stored.account, transfer, policy)
    except DomainError as refusal:
        reason = Reason.of(refusal)
    if reason is not None or stored is None:
        assert reason is not None  # check_sending_side refuses a missing account
        await save_transfer(unit, requested, apply(transfer, Reject(reason), now))
        unit.emit(
            TransferRejected(**_ids(transfer), reason_code=reason.code, reason=reason.sentence)
        )
        return

    frozen = accounts.freeze_for_transfer(stored.account, transfer.transfer_id, policy)
    await save_account(conn, stored, frozen)
    sent = apply(transfer, SendFunds(frozen.balance_fen, len(frozen.deposits)), now)
    await save_transfer(unit, requested, sent, account_id=stored.account_id)
    unit.emit(
        TransferFundsSent(
            **_ids(transfer),
            sending_account_id=stored.account_id,
            account_kind=frozen.kind,
            amount_fen=frozen.balance_fen,
            deposits=[
                CarriedDeposit(month=str(d.month), amount_fen=d.amount_fen, city=d.city)
                for d in frozen.deposits
            ],
        )
    )


async def _frozen_account(conn: Connection, stored: StoredTransfer) -> StoredAccount:
    # The sending copy names the account it froze from funds_sent on.
    if stored.account_id is None:
        raise RuntimeError(f"transfer {stored.transfer.transfer_id} froze no account")
    account = await load_account(conn, stored.account_id, for_update=True)
    if account is None:
        raise RuntimeError(f"account {stored.account_id} of a transfer has vanished")
    return account


async def handle_credited(unit: Unit, event: TransferCredited) -> None:
    """Sending city: the other city credited the balance; close the account, complete."""
    conn, now = unit.conn, unit.now
    stored = await _locked(conn, event.transfer_id, "sending")
    credited = apply(stored.transfer, Credit(), now)
    account = await _frozen_account(conn, stored)
    closed = accounts.close_after_transfer(account.account, event.transfer_id)
    await save_account(conn, account, closed)
    completed = apply(credited, Complete(), now)
    await save_transfer(unit, stored, completed)
    unit.emit(TransferCompleted(**_ids(completed), amount_fen=account.account.balance_fen))


async def handle_credit_refused(unit: Unit, event: TransferCreditRefused) -> None:
    """Sending city: the other city could not credit; restore the account exactly as it
    was before the freeze (compensation) and revert."""
    conn, now = unit.conn, unit.now
    stored = await _locked(conn, event.transfer_id, "sending")
    reason = Reason(event.reason_code, event.reason)
    reverted = apply(stored.transfer, Revert(reason), now)
    account = await _frozen_account(conn, stored)
    restored = accounts.restore_after_failed_transfer(account.account, event.transfer_id)
    await save_account(conn, account, restored)
    await save_transfer(unit, stored, reverted)
    unit.emit(TransferReverted(**_ids(reverted), reason_code=reason.code, reason=reason.sentence))


async def handle_overdue_notice(unit: Unit, event: TransferOverdue) -> None:
    """Sending city: mirror the receiving city's escalation on its own copy, unless that
    copy has already moved past it (the notice is informative, never a step of money)."""
    conn = unit.conn
    stored = await load_transfer(conn, event.transfer_id, for_update=True)
    if stored is None or stored.role != "sending":
        return
    try:
        overdue = apply(stored.transfer, MarkOverdue(), event.detected_at)
    except DomainError:
        return  # finished here, or not late by this copy's state: nothing to mirror
    await save_transfer(unit, stored, overdue)


# --------------------------------------------------------------------------------------------
# receiving city


def _carried(event: TransferFundsSent) -> tuple[Deposit, ...]:
    return tuple(Deposit(Month.parse(d.month), Fen(d.amount_fen), d.city) for d in event.deposits)


async def handle_funds_sent(unit: Unit, event: TransferFundsSent) -> None:
    """Receiving city: credit the balance and merge the history into the person's active
    account (opening one if they have none), or refuse the credit with the reason."""
    conn, now, city = unit.conn, unit.now, unit.city
    stored = await _locked(conn, event.transfer_id, "receiving")
    arrived = apply(stored.transfer, SendFunds(Fen(event.amount_fen), len(event.deposits)), now)
    existing = await load_account_by_person_ref(conn, event.person_ref, for_update=True)
    base = (
        existing.account
        if existing is not None
        else accounts.open_account(event.person_ref, city, event.account_kind)
    )
    try:
        credited = accounts.credit_transfer(
            base, event.transfer_id, event.amount_fen, _carried(event)
        )
    except DomainError as refusal:
        await save_transfer(unit, stored, arrived)
        unit.emit(
            TransferCreditRefused(
                **_ids(arrived), reason_code=refusal.code, reason=refusal.sentence
            )
        )
        return

    if existing is None:
        account_id = new_account_id(city)
        await insert_account(
            conn,
            account_id,
            replace(credited, credited_transfer_ids=frozenset()),
            stored.full_name or "",
            now,
        )
    else:
        account_id = existing.account_id
        await save_account(conn, existing, credited)
    await record_credit(conn, event.transfer_id, account_id, Fen(event.amount_fen), now)
    await close_reported_account(
        conn, account_id=event.sending_account_id, person_ref=event.person_ref, city=event.from_city
    )
    done = apply(arrived, Credit(), now)
    await save_transfer(unit, stored, done, account_id=account_id)
    unit.emit(
        TransferCredited(**_ids(done), receiving_account_id=account_id, amount_fen=event.amount_fen)
    )


async def handle_rejected(unit: Unit, event: TransferRejected) -> None:
    """Receiving city: the sending city refused; the transfer ends rejected."""
    reason = Reason(event.reason_code, event.reason)
    await _advance(unit, event.transfer_id, "receiving", Reject(reason))


async def handle_reverted(unit: Unit, event: TransferReverted) -> None:
    """Receiving city: the sending city restored its account; the transfer ends reverted."""
    reason = Reason(event.reason_code, event.reason)
    await _advance(unit, event.transfer_id, "receiving", Revert(reason))


async def handle_completed(unit: Unit, event: TransferCompleted) -> None:
    """Receiving city: the sending city closed its account; the transfer is complete."""
    await _advance(unit, event.transfer_id, "receiving", Complete())


# The receiving copy's states a transfer can go overdue in -> the step the sending city owes.
_AWAITED_IN: dict[str, AwaitedStep] = {
    "requested": "answer",  # funds sent or a rejection
    "funds_sent": "revert",  # the credit was refused: restore the account
    "credited": "completion",  # close the account
}


async def mark_overdue(unit: Unit, transfer_id: str) -> bool:
    """Receiving city (which owns the saga): mark the transfer overdue if it still waits
    past its deadline at ``unit.now`` and emit the escalation event; whether it did."""
    now = unit.now
    stored = await load_transfer(unit.conn, transfer_id, for_update=True)
    if stored is None or stored.role != "receiving":
        raise _unknown_transfer(transfer_id, "receiving")
    awaiting = _AWAITED_IN.get(stored.transfer.state)
    if awaiting is None:
        return False  # finished or already escalated since it was picked
    if not is_overdue(stored.transfer, now):
        return False
    overdue = apply(stored.transfer, MarkOverdue(), now)
    await save_transfer(unit, stored, overdue)
    unit.emit(
        TransferOverdue(
            **_ids(overdue), awaiting=awaiting, deadline=overdue.deadline, detected_at=now
        )
    )
    return True


# --------------------------------------------------------------------------------------------
# deposits reported by the other city


async def handle_deposit_reported(unit: Unit, event: AccountDepositRecorded) -> None:
    """Remember a deposit the other city recorded, for loan eligibility here."""
    report = ReportedDeposit(
        account_id=event.account_id,
        person_ref=event.person_ref,
        deposit=Deposit(Month.parse(event.month), Fen(event.amount_fen), event.city),
        balance_after_fen=Fen(event.balance_after_fen),
        account_version=event.account_version,
    )
    await save_reported_deposit(unit.conn, report)
