"""Transfers and their steps in this city's database, and what the other city reported
about the person's accounts there. Explicit asyncpg SQL; rows <-> domain here only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import asyncpg

from chengyu_contracts.cities import CITIES, City
from chengyu_contracts.months import Month
from chengyu_kit.db import Connection, one_of
from chengyu_kit.unit import Unit

from .account import Deposit
from .money import Fen
from .transfer import Reason, Step, Transfer, TransferState

Role = Literal["receiving", "sending"]

_STATES: tuple[TransferState, ...] = (
    "requested",
    "rejected",
    "funds_sent",
    "credited",
    "completed",
    "reverted",
    "overdue",
)
_ROLES: tuple[Role, ...] = ("receiving", "sending")
_COLUMNS = (
    "transfer_id, role, person_ref, from_city, to_city, state, overdue_from, requested_at,"
    " deadline, amount_fen, months_sent, reason_code, reason, account_id, full_name"
)


@dataclass(frozen=True)
class StepRecord:
    """Who took a step of the history and in which request (see ``Unit.acted_by``)."""

    acted_by: str | None
    request_id: str | None


@dataclass(frozen=True)
class StoredTransfer:
    """A transfer as this city keeps it: the saga plus this city's part in it."""

    role: Role
    transfer: Transfer
    # Sending city: the frozen account. Receiving city: the account credited, once it is.
    account_id: str | None = None
    # Receiving city: the name the clerk gave, to open an account on credit if needed.
    full_name: str | None = None
    # One per step of the history, when read back from the database.
    step_records: tuple[StepRecord, ...] = ()


def _transfer_from_rows(row: asyncpg.Record, steps: Sequence[asyncpg.Record]) -> StoredTransfer:
    reason = None
    if row["reason_code"] is not None:
        reason = Reason(row["reason_code"], row["reason"] or "")
    overdue_from = row["overdue_from"]
    transfer = Transfer(
        transfer_id=row["transfer_id"],
        person_ref=row["person_ref"],
        from_city=one_of(row["from_city"], CITIES, "city"),
        to_city=one_of(row["to_city"], CITIES, "city"),
        state=one_of(row["state"], _STATES, "state"),
        requested_at=row["requested_at"],
        deadline=row["deadline"],
        history=tuple(
            Step(one_of(s["state"], _STATES, "state"), s["at"], s["detail"]) for s in steps
        ),
        amount_fen=None if row["amount_fen"] is None else Fen(row["amount_fen"]),
        months_sent=row["months_sent"],
        reason=reason,
        overdue_from=None if overdue_from is None else one_of(overdue_from, _STATES, "state"),
    )
    return StoredTransfer(
        role=one_of(row["role"], _ROLES, "role"),
        transfer=transfer,
        account_id=row["account_id"],
        step_records=tuple(StepRecord(s["acted_by"], s["request_id"]) for s in steps),
        full_name=row["full_name"],
    )


async def insert_transfer(unit: Unit, stored: StoredTransfer) -> bool:
    """Insert a transfer and its steps (taken by whoever acts in ``unit``); ``False``
    (nothing written) if the id exists.

    Raises ``asyncpg.UniqueViolationError`` when the person already has an unfinished
    transfer out of the same city requested here.
    """
    t = stored.transfer
    inserted = await unit.conn.fetchval(
        f"INSERT INTO transfer ({_COLUMNS})"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        " ON CONFLICT (transfer_id) DO NOTHING RETURNING true",
        t.transfer_id,
        stored.role,
        t.person_ref,
        t.from_city,
        t.to_city,
        t.state,
        t.overdue_from,
        t.requested_at,
        t.deadline,
        t.amount_fen,
        t.months_sent,
        None if t.reason is None else t.reason.code,
        None if t.reason is None else t.reason.sentence,
        stored.account_id,
        stored.full_name,
    )
    if not inserted:
        return False
    await _insert_steps(unit, t.transfer_id, t.history, first_seq=1)
    return True


async def _insert_steps(
    unit: Unit, transfer_id: str, steps: Sequence[Step], first_seq: int
) -> None:
    acted_by, request_id = unit.acted_by(), unit.request_id
    await unit.conn.executemany(
        "INSERT INTO transfer_step (transfer_id, seq, state, at, detail, acted_by, request_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [
            (transfer_id, seq, step.state, step.at, step.detail, acted_by, request_id)
            for seq, step in enumerate(steps, start=first_seq)
        ],
    )


async def load_transfer(
    conn: Connection, transfer_id: str, *, for_update: bool = False
) -> StoredTransfer | None:
    """The transfer with its steps in order; ``for_update`` locks it until the transaction
    ends (every saga step of one transfer runs under that lock)."""
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM transfer WHERE transfer_id = $1{lock}", transfer_id
    )
    if row is None:
        return None
    steps = await conn.fetch(
        "SELECT state, at, detail, acted_by, request_id FROM transfer_step"
        " WHERE transfer_id = $1 ORDER BY seq",
        transfer_id,
    )
    return _transfer_from_rows(row, steps)


async def save_transfer(
    unit: Unit, before: StoredTransfer, after: Transfer, *, account_id: str | None = None
) -> StoredTransfer:
    """Save the saga's new state and the steps added since ``before`` (taken by whoever
    acts in ``unit``); ``account_id`` sets the account this city's part touched. Call
    holding the transfer's row lock."""
    if after.transfer_id != before.transfer.transfer_id:
        raise ValueError("cannot save one transfer over another")
    new_steps = after.history[len(before.transfer.history) :]
    if after.history[: len(before.transfer.history)] != before.transfer.history:
        raise ValueError("a transfer's history only grows")
    account = account_id if account_id is not None else before.account_id
    await unit.conn.execute(
        "UPDATE transfer SET state = $2, overdue_from = $3, amount_fen = $4, months_sent = $5,"
        " reason_code = $6, reason = $7, account_id = $8, updated_at = clock_timestamp()"
        " WHERE transfer_id = $1",
        after.transfer_id,
        after.state,
        after.overdue_from,
        after.amount_fen,
        after.months_sent,
        None if after.reason is None else after.reason.code,
        None if after.reason is None else after.reason.sentence,
        account,
    )
    await _insert_steps(
        unit, after.transfer_id, new_steps, first_seq=len(before.transfer.history) + 1
    )
    return StoredTransfer(before.role, after, account, before.full_name)


async def overdue_candidates(conn: Connection, role: Role, now: datetime, limit: int) -> list[str]:
    """Ids of unfinished transfers of this ``role`` past their deadline at ``now`` (not
    locked: each is then marked in its own short transaction)."""
    rows = await conn.fetch(
        "SELECT transfer_id FROM transfer"
        " WHERE state IN ('requested', 'funds_sent', 'credited') AND deadline < $1"
        " AND role = $2 ORDER BY deadline LIMIT $3",
        now,
        role,
        limit,
    )
    return [r["transfer_id"] for r in rows]


# --------------------------------------------------------------------------------------------
# the other city's reports


@dataclass(frozen=True)
class ReportedAccounts:
    """What the other city reported about a person: deposits, and open accounts' balances."""

    deposits: tuple[Deposit, ...]
    balance_fen: Fen


@dataclass(frozen=True)
class ReportedDeposit:
    """A deposit the other city reported: on which of its accounts and whose, and the
    account's balance and version after it (the deposit's city is the reporting city)."""

    account_id: str
    person_ref: str
    deposit: Deposit
    balance_after_fen: Fen
    account_version: int


async def save_reported_deposit(conn: Connection, report: ReportedDeposit) -> None:
    """Record a deposit the other city reported, and its account's balance if newer than
    what is known (reports may arrive out of order; a closed account stays closed)."""
    account_id, person_ref, deposit = report.account_id, report.person_ref, report.deposit
    city = deposit.city
    await conn.execute(
        "INSERT INTO reported_deposit (account_id, month, person_ref, city, amount_fen)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, month) DO NOTHING",
        account_id,
        str(deposit.month),
        person_ref,
        city,
        deposit.amount_fen,
    )
    await conn.execute(
        "INSERT INTO reported_account (account_id, person_ref, city, balance_fen, version)"
        " VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (account_id) DO UPDATE SET balance_fen = excluded.balance_fen,"
        " version = excluded.version"
        " WHERE reported_account.version < excluded.version AND NOT reported_account.closed",
        account_id,
        person_ref,
        city,
        report.balance_after_fen,
        report.account_version,
    )


async def close_reported_account(
    conn: Connection, *, account_id: str, person_ref: str, city: City
) -> None:
    """The other city's account was emptied by a transfer credited here: its balance no
    longer counts, whatever reports of it still arrive."""
    await conn.execute(
        "INSERT INTO reported_account (account_id, person_ref, city, balance_fen, version,"
        " closed) VALUES ($1, $2, $3, 0, 0, true)"
        " ON CONFLICT (account_id) DO UPDATE SET balance_fen = 0, closed = true",
        account_id,
        person_ref,
        city,
    )


async def load_reported(conn: Connection, person_ref: str) -> ReportedAccounts:
    """Every deposit the other city reported for the person, and the balances of their
    accounts there that are still open."""
    deposits = await conn.fetch(
        "SELECT month, amount_fen, city FROM reported_deposit WHERE person_ref = $1 ORDER BY month",
        person_ref,
    )
    balance = await conn.fetchval(
        "SELECT coalesce(sum(balance_fen), 0) FROM reported_account"
        " WHERE person_ref = $1 AND NOT closed",
        person_ref,
    )
    return ReportedAccounts(
        deposits=tuple(
            Deposit(
                Month.parse(r["month"]), Fen(r["amount_fen"]), one_of(r["city"], CITIES, "city")
            )
            for r in deposits
        ),
        balance_fen=Fen(int(balance)),
    )
