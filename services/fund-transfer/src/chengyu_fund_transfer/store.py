"""Accounts and deposits in this city's PostgreSQL database: explicit asyncpg SQL.

Rows are turned into the domain's :class:`Account` and back here and nowhere else. Every
function takes a connection, so the use case decides the transaction around it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from chengyu_contracts.cities import CITIES
from chengyu_contracts.months import Month
from chengyu_kit.db import Connection, one_of

from .account import Account, AccountKind, AccountStatus, Deposit
from .money import Fen

_KINDS: tuple[AccountKind, ...] = ("employee", "flexible")
_STATUSES: tuple[AccountStatus, ...] = ("active", "sealed", "transferring", "closed")

_ACCOUNT_COLUMNS = (
    "account_id, person_ref, full_name, city, kind, status, balance_fen,"
    " transfer_id, status_before_transfer, opened_at, version, withdrawal_id"
)


@dataclass(frozen=True)
class StoredAccount:
    """An account as this city keeps it: the domain aggregate plus what only the city knows."""

    account_id: str
    full_name: str
    opened_at: datetime
    account: Account
    # Grows with every saved change; the other city keeps the newest report by it.
    version: int = 0


def new_account_id(city: str) -> str:
    """A fresh account id, prefixed with the city that keeps the account."""
    return f"{city}-{uuid.uuid4().hex}"


def _deposit_from_row(row: asyncpg.Record) -> Deposit:
    return Deposit(
        month=Month.parse(row["month"]),
        amount_fen=Fen(row["amount_fen"]),
        city=one_of(row["city_of_origin"], CITIES, "city"),
    )


def _account_from_rows(
    row: asyncpg.Record, deposits: Sequence[asyncpg.Record], credited: Sequence[asyncpg.Record]
) -> StoredAccount:
    before = row["status_before_transfer"]
    account = Account(
        person_ref=row["person_ref"],
        city=one_of(row["city"], CITIES, "city"),
        kind=one_of(row["kind"], _KINDS, "kind"),
        status=one_of(row["status"], _STATUSES, "status"),
        balance_fen=Fen(row["balance_fen"]),
        deposits=tuple(sorted((_deposit_from_row(d) for d in deposits), key=lambda d: d.month)),
        transfer_id=row["transfer_id"],
        status_before_transfer=None if before is None else one_of(before, _STATUSES, "status"),
        credited_transfer_ids=frozenset(c["transfer_id"] for c in credited),
        withdrawal_id=row["withdrawal_id"],
    )
    return StoredAccount(
        account_id=row["account_id"],
        full_name=row["full_name"],
        opened_at=row["opened_at"],
        account=account,
        version=row["version"],
    )


async def insert_account(
    conn: Connection, account_id: str, account: Account, full_name: str, opened_at: datetime
) -> None:
    """Insert a new account with its deposits, at version 0.

    Raises ``asyncpg.UniqueViolationError`` when the person already has an account here
    that is not closed. Credits are saved with :func:`record_credit`, not here.
    """
    if account.credited_transfer_ids:
        raise ValueError("a new account has no credited transfers; use record_credit")
    await conn.execute(
        f"INSERT INTO account ({_ACCOUNT_COLUMNS})"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11)",
        account_id,
        account.person_ref,
        full_name,
        account.city,
        account.kind,
        account.status,
        account.balance_fen,
        account.transfer_id,
        account.status_before_transfer,
        opened_at,
        account.withdrawal_id,
    )
    for deposit in account.deposits:
        await insert_deposit(conn, account_id, deposit)


async def _load(
    conn: Connection, where: str, value: Any, *, for_update: bool
) -> StoredAccount | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT {_ACCOUNT_COLUMNS} FROM account WHERE {where}{lock}",
        value,
    )
    if row is None:
        return None
    deposits = await conn.fetch(
        "SELECT month, amount_fen, city_of_origin FROM deposit"
        " WHERE account_id = $1 ORDER BY month",
        row["account_id"],
    )
    credited = await conn.fetch(
        "SELECT transfer_id FROM credited_transfer WHERE account_id = $1", row["account_id"]
    )
    return _account_from_rows(row, deposits, credited)


async def load_account(
    conn: Connection, account_id: str, *, for_update: bool = False
) -> StoredAccount | None:
    """The account ``account_id`` with its deposits; ``for_update`` locks its row until the
    transaction ends (deposits change only under that lock)."""
    return await _load(conn, "account_id = $1", account_id, for_update=for_update)


async def load_account_by_person_ref(
    conn: Connection, person_ref: str, *, for_update: bool = False
) -> StoredAccount | None:
    """The person's account in this city that is not closed, if any."""
    return await _load(
        conn, "person_ref = $1 AND status <> 'closed'", person_ref, for_update=for_update
    )


async def insert_deposit(conn: Connection, account_id: str, deposit: Deposit) -> None:
    """Insert one month's deposit. Raises ``asyncpg.UniqueViolationError`` for a month the
    account already has."""
    await conn.execute(
        "INSERT INTO deposit (account_id, month, amount_fen, city_of_origin)"
        " VALUES ($1, $2, $3, $4)",
        account_id,
        str(deposit.month),
        deposit.amount_fen,
        deposit.city,
    )


async def save_deposit(
    conn: Connection, account_id: str, deposit: Deposit, balance_fen: Fen
) -> int:
    """Record ``deposit`` and set the account's balance to ``balance_fen``, which already
    includes it; the account's new version. Call inside a transaction holding the account's
    row lock."""
    await insert_deposit(conn, account_id, deposit)
    version = await conn.fetchval(
        "UPDATE account SET balance_fen = $2, version = version + 1"
        " WHERE account_id = $1 RETURNING version",
        account_id,
        balance_fen,
    )
    if version is None:
        raise RuntimeError(f"account {account_id} vanished while saving a deposit")
    return int(version)


async def save_account(conn: Connection, before: StoredAccount, after: Account) -> StoredAccount:
    """Save what changed from ``before`` to ``after``: status, balance, transfer fields, the
    withdrawal holding it and new deposits (deposits are never removed or changed). Call
    inside a transaction holding the account's row lock; the account as saved, with its new
    version."""
    if after.person_ref != before.account.person_ref or after.city != before.account.city:
        raise ValueError("an account's person and city never change")
    known = before.account.months
    for deposit in after.deposits:
        if deposit.month not in known:
            await insert_deposit(conn, before.account_id, deposit)
    version = await conn.fetchval(
        "UPDATE account SET status = $2, balance_fen = $3, transfer_id = $4,"
        " status_before_transfer = $5, withdrawal_id = $6, version = version + 1"
        " WHERE account_id = $1 RETURNING version",
        before.account_id,
        after.status,
        after.balance_fen,
        after.transfer_id,
        after.status_before_transfer,
        after.withdrawal_id,
    )
    if version is None:
        raise RuntimeError(f"account {before.account_id} vanished while saving it")
    return StoredAccount(
        before.account_id, before.full_name, before.opened_at, after, version=int(version)
    )


async def record_credit(
    conn: Connection, transfer_id: str, account_id: str, amount_fen: Fen, at: datetime
) -> None:
    """Remember that ``transfer_id`` was credited to ``account_id``. Raises
    ``asyncpg.UniqueViolationError`` if the transfer was already credited in this city."""
    await conn.execute(
        "INSERT INTO credited_transfer (transfer_id, account_id, amount_fen, credited_at)"
        " VALUES ($1, $2, $3, $4)",
        transfer_id,
        account_id,
        amount_fen,
        at,
    )
