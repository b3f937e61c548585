"""Use cases of one city's service: load -> domain rule -> save, each in one transaction.

Refusals are the domain's :class:`DomainError` (a code and a sentence, never personal
data); the HTTP layer maps codes to statuses. Time is passed in (``today``, ``now``).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import asyncpg

from chengyu_contracts.masking import mask_name, mask_resident_id
from chengyu_contracts.person_ref import PersonRefKey, person_ref
from chengyu_contracts.resident_id import InvalidResidentId, parse_resident_id
from chengyu_kit.db import Connection

from . import account as domain
from .account import AccountKind
from .errors import DomainError
from .months import Month
from .policy import City, PolicyBook
from .store import StoredAccount, insert_account, load_account, save_deposit

Database = asyncpg.Pool | Connection

MAX_NAME_LENGTH = 100


@dataclass(frozen=True)
class OpenedAccount:
    """A newly opened account and the masked identity to show the clerk."""

    stored: StoredAccount
    resident_id_masked: str
    name_masked: str

    @property
    def account_id(self) -> str:
        """The new account's id."""
        return self.stored.account_id


def new_account_id(city: City) -> str:
    """A fresh account id, prefixed with the city that keeps the account."""
    return f"{city}-{uuid.uuid4().hex}"


def _unknown_account(account_id: str) -> DomainError:
    return DomainError("unknown-account", f"There is no account {account_id} in this city.")


def _clean_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise DomainError("invalid-name", "The name must not be empty.")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise DomainError("invalid-name", f"The name must be at most {MAX_NAME_LENGTH} characters.")
    return cleaned


async def open_account(
    db: Database,
    *,
    resident_id_raw: str,
    name: str,
    kind: AccountKind,
    city: City,
    today: date,
    person_ref_key: PersonRefKey,
    now: datetime | None = None,
) -> OpenedAccount:
    """Open an empty, active account for a person in ``city``.

    The resident ID number is checked here and turned into ``person_ref``; it is not stored.
    Refusals: the resident ID codes (``wrong-length``, ``bad-characters``, ``bad-region``,
    ``bad-birth-date``, ``bad-check-digit``), ``invalid-name``, ``already-has-account``.
    """
    try:
        resident = parse_resident_id(resident_id_raw, today=today)
    except InvalidResidentId as error:
        raise DomainError(error.code, f"Invalid resident ID number: {error.message}.") from None
    full_name = _clean_name(name)
    ref = person_ref(resident, person_ref_key)
    account = domain.open_account(ref, city, kind)
    account_id = new_account_id(city)
    opened_at = now if now is not None else datetime.now(UTC)
    try:
        async with _transaction(db) as conn:
            await insert_account(conn, account_id, account, full_name, opened_at)
    except asyncpg.UniqueViolationError:
        raise DomainError(
            "already-has-account", "This person already has an account in this city."
        ) from None
    return OpenedAccount(
        stored=StoredAccount(account_id, full_name, opened_at, account),
        resident_id_masked=mask_resident_id(resident.number),
        name_masked=mask_name(full_name),
    )


async def record_deposit(
    db: Database,
    account_id: str,
    month: str,
    amount_fen: object,
    today: date,
    policy_book: PolicyBook,
) -> StoredAccount:
    """Record one month's deposit on ``account_id`` with the row locked; the account after.

    Refusals: ``unknown-account``, ``invalid-month``, and the domain's deposit rules
    (``duplicate-month``, ``month-in-future``, amount and status codes,
    ``amount-out-of-range``, ``no-policy-in-force``).
    """
    deposit_month = Month.parse(month)
    async with _transaction(db) as conn:
        stored = await load_account(conn, account_id, for_update=True)
        if stored is None:
            raise _unknown_account(account_id)
        policy = policy_book.policy_for(stored.account.city, today)
        changed = domain.record_deposit(stored.account, deposit_month, amount_fen, policy, today)
        deposit = changed.deposit_for(deposit_month)
        assert deposit is not None  # record_deposit just added it
        try:
            await save_deposit(conn, account_id, deposit, changed.balance_fen)
        except asyncpg.UniqueViolationError:
            # Defence in depth behind the row lock: the primary key refuses a second month.
            raise DomainError(
                "duplicate-month", f"{deposit_month} already has a deposit."
            ) from None
    return StoredAccount(stored.account_id, stored.full_name, stored.opened_at, changed)


async def get_account(db: Database, account_id: str) -> StoredAccount:
    """The account with its deposits; ``unknown-account`` if this city has none by that id."""
    async with _connection(db) as conn:
        stored = await load_account(conn, account_id)
    if stored is None:
        raise _unknown_account(account_id)
    return stored


@contextlib.asynccontextmanager
async def _connection(db: Database) -> AsyncIterator[Connection]:
    """A connection borrowed from the pool, or the given one."""
    if isinstance(db, asyncpg.Pool):
        async with db.acquire() as conn:
            yield conn
    else:
        yield db


@contextlib.asynccontextmanager
async def _transaction(db: Database) -> AsyncIterator[Connection]:
    """A transaction (a savepoint inside the caller's) on a borrowed or given connection."""
    async with _connection(db) as conn, conn.transaction():
        yield conn
