"""Use cases of one city's service: load -> domain rule -> save, each in one transaction.

Refusals are the domain's :class:`DomainError` (a code and a sentence, never personal
data); the HTTP layer maps codes to statuses. Time is passed in (``today``, ``now``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

import asyncpg

from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.events.fund import AccountDepositRecorded, TransferRequested
from chengyu_contracts.masking import mask_name, mask_resident_id
from chengyu_contracts.months import Month
from chengyu_contracts.person_ref import PersonRefKey, person_ref
from chengyu_contracts.policy_book import policy_day
from chengyu_contracts.resident_id import checked_resident_id
from chengyu_kit.db import Database, connection, transaction
from chengyu_kit.issuer import EventIssuer
from chengyu_kit.outbox import add_to_outbox

from . import account as domain
from . import transfer as saga
from .account import AccountKind
from .eligibility import Eligibility, assess_loan
from .policy import CITIES, CITY_NAMES, City, PolicyBook
from .store import (
    StoredAccount,
    insert_account,
    load_account,
    load_account_by_person_ref,
    new_account_id,
    save_deposit,
)
from .transfer_store import StoredTransfer, insert_transfer, load_reported, load_transfer

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
    resident = checked_resident_id(resident_id_raw, today)
    full_name = _clean_name(name)
    ref = person_ref(resident, person_ref_key)
    account = domain.open_account(ref, city, kind)
    account_id = new_account_id(city)
    opened_at = now if now is not None else datetime.now(UTC)
    try:
        async with transaction(db) as conn:
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
    issuer: EventIssuer,
) -> StoredAccount:
    """Record one month's deposit on ``account_id`` with the row locked; the account after.

    The deposit is reported to the other city (``account-deposit-recorded``) in the same
    transaction, so that it counts for a loan there.

    Refusals: ``unknown-account``, ``invalid-month``, and the domain's deposit rules
    (``duplicate-month``, ``month-in-future``, amount and status codes,
    ``amount-out-of-range``, ``no-policy-in-force``).
    """
    deposit_month = Month.parse(month)
    async with transaction(db) as conn:
        stored = await load_account(conn, account_id, for_update=True)
        if stored is None:
            raise _unknown_account(account_id)
        policy = policy_book.policy_for(stored.account.city, today)
        changed = domain.record_deposit(stored.account, deposit_month, amount_fen, policy, today)
        deposit = changed.deposit_for(deposit_month)
        assert deposit is not None  # record_deposit just added it
        try:
            version = await save_deposit(conn, account_id, deposit, changed.balance_fen)
        except asyncpg.UniqueViolationError:
            # Defence in depth behind the row lock: the primary key refuses a second month.
            raise DomainError(
                "duplicate-month", f"{deposit_month} already has a deposit."
            ) from None
        report = AccountDepositRecorded(
            person_ref=changed.person_ref,
            city=changed.city,
            account_id=account_id,
            month=str(deposit_month),
            amount_fen=deposit.amount_fen,
            balance_after_fen=changed.balance_fen,
            account_version=version,
        )
        await add_to_outbox(conn, [issuer.issue(report)])
    return StoredAccount(
        stored.account_id, stored.full_name, stored.opened_at, changed, version=version
    )


async def get_account(db: Database, account_id: str) -> StoredAccount:
    """The account with its deposits; ``unknown-account`` if this city has none by that id."""
    async with connection(db) as conn:
        stored = await load_account(conn, account_id)
    if stored is None:
        raise _unknown_account(account_id)
    return stored


def _known_city(value: str, field: str) -> City:
    for city in CITIES:
        if value == city:
            return city
    raise DomainError(
        "unknown-city", f"{field} must be cq (Chongqing) or cd (Chengdu), not {value[:8]!r}."
    )


def new_transfer_id(city: City) -> str:
    """A fresh transfer id, prefixed with the receiving city that starts the saga."""
    return f"tr-{city}-{uuid.uuid4().hex}"


async def request_transfer(
    db: Database,
    *,
    resident_id_raw: str,
    name: str,
    from_city: str,
    city: City,
    now: datetime,
    policy_book: PolicyBook,
    person_ref_key: PersonRefKey,
    issuer: EventIssuer,
    transfer_id: str | None = None,
) -> StoredTransfer:
    """Receiving city ``city``: ask ``from_city`` to send the person's account here.

    The transfer is saved as ``requested`` and its event written to the outbox in one
    transaction. Refusals: the resident ID codes, ``invalid-name``, ``unknown-city``,
    ``same-city``, ``no-policy-in-force``, ``transfer-in-progress`` (the person already has
    an unfinished transfer out of ``from_city``).
    """
    today = policy_day(now)
    resident = checked_resident_id(resident_id_raw, today)
    full_name = _clean_name(name)
    source = _known_city(from_city, "from_city")
    policy = policy_book.policy_for(city, today)
    transfer = saga.request_transfer(
        transfer_id or new_transfer_id(city),
        person_ref(resident, person_ref_key),
        source,
        city,
        now,
        policy,
    )
    stored = StoredTransfer("receiving", transfer, full_name=full_name)
    requested = TransferRequested(
        transfer_id=transfer.transfer_id,
        person_ref=transfer.person_ref,
        from_city=transfer.from_city,
        to_city=transfer.to_city,
        requested_at=transfer.requested_at,
        deadline=transfer.deadline,
    )
    try:
        async with transaction(db) as conn:
            if not await insert_transfer(conn, stored):
                raise DomainError(
                    "duplicate-transfer", f"Transfer {transfer.transfer_id} already exists."
                )
            await add_to_outbox(conn, [issuer.issue(requested)])
    except asyncpg.UniqueViolationError:
        raise DomainError(
            "transfer-in-progress",
            f"This person already has an unfinished transfer from {CITY_NAMES[source]}.",
        ) from None
    return stored


async def get_transfer(db: Database, transfer_id: str) -> StoredTransfer:
    """The transfer with its steps; ``unknown-transfer`` if this city takes no part in it."""
    async with connection(db) as conn:
        stored = await load_transfer(conn, transfer_id)
    if stored is None:
        raise DomainError("unknown-transfer", f"This city has no transfer {transfer_id}.")
    return stored


async def loan_eligibility(
    db: Database,
    *,
    resident_id_raw: str,
    application_month: str | None,
    city: City,
    today: date,
    policy_book: PolicyBook,
    person_ref_key: PersonRefKey,
) -> Eligibility:
    """Whether the person may borrow in ``city`` and up to how much (互认互贷).

    Counts the months of their account here (months carried over by transfers included)
    and the deposits the other city reported; the ceiling is on the balance here plus the
    balances of their open accounts in the other city. The policy in force on ``today``
    applies. Refusals: resident ID codes, ``invalid-month``, ``month-in-future``.
    """
    resident = checked_resident_id(resident_id_raw, today)
    ref = person_ref(resident, person_ref_key)
    month = Month.of(today) if application_month is None else Month.parse(application_month)
    if month > Month.of(today):
        raise DomainError(
            "month-in-future", f"{month} is after the current month {Month.of(today)}."
        )
    policy = policy_book.policy_for(city, today)
    async with connection(db) as conn:
        own = await load_account_by_person_ref(conn, ref)
        reported = await load_reported(conn, ref)
    own_deposits = () if own is None else own.account.deposits
    own_balance = 0 if own is None else own.account.balance_fen
    return assess_loan(
        (*own_deposits, *reported.deposits),
        own_balance + reported.balance_fen,
        month,
        policy,
    )
