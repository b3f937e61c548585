"""Accounts and deposits in this city's PostgreSQL database: explicit asyncpg SQL.

Rows are turned into the domain's :class:`Account` and back here and nowhere else. Every
function takes a connection, so the use case decides the transaction around it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

import asyncpg

from chengyu_kit.db import Connection

from .account import Account, AccountKind, AccountStatus, Deposit
from .money import Fen
from .months import Month
from .policy import CITIES

_KINDS: tuple[AccountKind, ...] = ("employee", "flexible")
_STATUSES: tuple[AccountStatus, ...] = ("active", "sealed", "transferring", "closed")

_ACCOUNT_COLUMNS = (
    "account_id, person_ref, full_name, city, kind, status, balance_fen,"
    " transfer_id, status_before_transfer, opened_at"
)

T = TypeVar("T", bound=str)


@dataclass(frozen=True)
class StoredAccount:
    """An account as this city keeps it: the domain aggregate plus what only the city knows."""

    account_id: str
    full_name: str
    opened_at: datetime
    account: Account


def _one_of(value: str, allowed: Sequence[T], what: str) -> T:
    # The table's CHECK constraints make this a corruption guard, not input validation.
    if value not in allowed:
        raise ValueError(f"unexpected {what} {value!r} in the database")
    return cast(T, value)


def _deposit_from_row(row: asyncpg.Record) -> Deposit:
    return Deposit(
        month=Month.parse(row["month"]),
        amount_fen=Fen(row["amount_fen"]),
        city=_one_of(row["city_of_origin"], CITIES, "city"),
    )


def _account_from_rows(row: asyncpg.Record, deposits: Sequence[asyncpg.Record]) -> StoredAccount:
    before = row["status_before_transfer"]
    account = Account(
        person_ref=row["person_ref"],
        city=_one_of(row["city"], CITIES, "city"),
        kind=_one_of(row["kind"], _KINDS, "kind"),
        status=_one_of(row["status"], _STATUSES, "status"),
        balance_fen=Fen(row["balance_fen"]),
        deposits=tuple(sorted((_deposit_from_row(d) for d in deposits), key=lambda d: d.month)),
        transfer_id=row["transfer_id"],
        status_before_transfer=None if before is None else _one_of(before, _STATUSES, "status"),
    )
    return StoredAccount(
        account_id=row["account_id"],
        full_name=row["full_name"],
        opened_at=row["opened_at"],
        account=account,
    )


async def insert_account(
    conn: Connection, account_id: str, account: Account, full_name: str, opened_at: datetime
) -> None:
    """Insert a new account (without deposits).

    Raises ``asyncpg.UniqueViolationError`` when the person already has an account here
    that is not closed.
    """
    if account.credited_transfer_ids:
        raise ValueError("credited transfers are not stored yet; open accounts empty")
    await conn.execute(
        f"INSERT INTO account ({_ACCOUNT_COLUMNS})"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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
    return _account_from_rows(row, deposits)


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
) -> None:
    """Record ``deposit`` and set the account's balance to ``balance_fen``, which already
    includes it. Call inside a transaction holding the account's row lock."""
    await insert_deposit(conn, account_id, deposit)
    updated = await conn.execute(
        "UPDATE account SET balance_fen = $2 WHERE account_id = $1", account_id, balance_fen
    )
    if updated != "UPDATE 1":
        raise RuntimeError(f"account {account_id} vanished while saving a deposit")
