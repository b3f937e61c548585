"""Use cases of one city's service: load -> domain rule -> save, in the caller's unit of work.

Each takes what the clerk asked (a small command, or the id it names) and the
:class:`~chengyu_kit.unit.Unit` it runs in (plus the policy book where a rule needs it):
``unit.conn`` is already inside the unit's transaction, ``unit.now``/``unit.today`` is
the instant the decision is taken at, and events leave through ``unit.emit`` in the same
transaction. Refusals are the domain's :class:`DomainError` and its kinds (a code and a
sentence, never personal data); the kit maps each kind to its HTTP status.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

import asyncpg

from chengyu_contracts.cities import CITIES, CITY_NAMES, City
from chengyu_contracts.domain_error import Conflict, DomainError, NotFound
from chengyu_contracts.events.fund import AccountDepositRecorded, TransferRequested
from chengyu_contracts.masking import mask_name, mask_resident_id
from chengyu_contracts.months import Month
from chengyu_contracts.resident_id import checked_resident_id
from chengyu_kit.unit import Unit

from . import account as domain
from . import transfer as saga
from .account import AccountKind
from .eligibility import Eligibility, assess_loan
from .loan_store import loans_of_person
from .policy import PolicyBook
from .store import (
    StoredAccount,
    insert_account,
    load_account,
    load_account_by_person_ref,
    new_account_id,
    save_deposit,
)
from .transfer_store import (
    StepRecord,
    StoredTransfer,
    insert_transfer,
    load_reported,
    load_transfer,
)

MAX_NAME_LENGTH = 100


@dataclass(frozen=True)
class OpenAccount:
    """A clerk's request to open an account for a person in this city."""

    resident_id_raw: str
    name: str
    kind: AccountKind


@dataclass(frozen=True)
class RecordDeposit:
    """A clerk's request to record one month's deposit on an account."""

    account_id: str
    month: str
    # Checked by the domain's deposit rule (whole fen, within the policy's bounds).
    amount_fen: object


@dataclass(frozen=True)
class RequestTransfer:
    """A receiving-city clerk's request to bring a person's account here from ``from_city``."""

    resident_id_raw: str
    name: str
    from_city: str


@dataclass(frozen=True)
class AssessLoan:
    """A loan application to assess: the person and the month (None: this month)."""

    resident_id_raw: str
    application_month: str | None = None


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


def _unknown_account(account_id: str) -> NotFound:
    return NotFound("unknown-account", f"There is no account {account_id} in this city.")


def _clean_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise DomainError("invalid-name", "The name must not be empty.")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise DomainError("invalid-name", f"The name must be at most {MAX_NAME_LENGTH} characters.")
    return cleaned


async def open_account(command: OpenAccount, unit: Unit) -> OpenedAccount:
    """Open an empty, active account for a person in the unit's city.

    The resident ID number is checked here and turned into ``person_ref``; it is not stored.
    Refusals: the resident ID codes (``wrong-length``, ``bad-characters``, ``bad-region``,
    ``bad-birth-date``, ``bad-check-digit``), ``invalid-name``, ``already-has-account``.
    """
    resident = checked_resident_id(command.resident_id_raw, unit.today)
    full_name = _clean_name(command.name)
    account = domain.open_account(unit.person_ref(resident), unit.city, command.kind)
    account_id = new_account_id(unit.city)
    try:
        # No savepoint: a refusal rolls the whole unit back, so it is never used again.
        await insert_account(unit.conn, account_id, account, full_name, unit.now)
    except asyncpg.UniqueViolationError:
        raise Conflict(
            "already-has-account", "This person already has an account in this city."
        ) from None
    return OpenedAccount(
        stored=StoredAccount(account_id, full_name, unit.now, account),
        resident_id_masked=mask_resident_id(resident.number),
        name_masked=mask_name(full_name),
    )


async def record_deposit(
    command: RecordDeposit, unit: Unit, policy_book: PolicyBook
) -> StoredAccount:
    """Record one month's deposit on the command's account with the row locked; the
    account after.

    The deposit is reported to the other city (``account-deposit-recorded``) in the same
    transaction, so that it counts for a loan there.

    Refusals: ``unknown-account``, ``invalid-month``, and the domain's deposit rules
    (``duplicate-month``, ``month-in-future``, amount and status codes,
    ``amount-out-of-range``, ``no-policy-in-force``).
    """
    account_id = command.account_id
    deposit_month = Month.parse(command.month)
    stored = await load_account(unit.conn, account_id, for_update=True)
    if stored is None:
        raise _unknown_account(account_id)
    policy = policy_book.policy_for(stored.account.city, unit.today)
    changed = domain.record_deposit(
        stored.account, deposit_month, command.amount_fen, policy, unit.today
    )
    deposit = changed.deposit_for(deposit_month)
    assert deposit is not None  # record_deposit just added it
    try:
        version = await save_deposit(unit.conn, account_id, deposit, changed.balance_fen)
    except asyncpg.UniqueViolationError:
        # Defence in depth behind the row lock: the primary key refuses a second month.
        raise Conflict("duplicate-month", f"{deposit_month} already has a deposit.") from None
    unit.emit(
        AccountDepositRecorded(
            person_ref=changed.person_ref,
            city=changed.city,
            account_id=account_id,
            month=str(deposit_month),
            amount_fen=deposit.amount_fen,
            balance_after_fen=changed.balance_fen,
            account_version=version,
        )
    )
    return StoredAccount(
        stored.account_id, stored.full_name, stored.opened_at, changed, version=version
    )


async def get_account(account_id: str, unit: Unit) -> StoredAccount:
    """The account with its deposits; ``unknown-account`` if this city has none by that id."""
    stored = await load_account(unit.conn, account_id)
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
    command: RequestTransfer, unit: Unit, policy_book: PolicyBook
) -> StoredTransfer:
    """Receiving city (the unit's): ask ``from_city`` to send the person's account here.

    The transfer is saved as ``requested`` and its event emitted in the unit's
    transaction. Refusals: the resident ID codes, ``invalid-name``, ``unknown-city``,
    ``same-city``, ``no-policy-in-force``, ``transfer-in-progress`` (the person already has
    an unfinished transfer out of ``from_city``).
    """
    resident = checked_resident_id(command.resident_id_raw, unit.today)
    full_name = _clean_name(command.name)
    source = _known_city(command.from_city, "from_city")
    policy = policy_book.policy_for(unit.city, unit.today)
    transfer = saga.request_transfer(
        new_transfer_id(unit.city), unit.person_ref(resident), source, unit.now, policy
    )
    stored = StoredTransfer("receiving", transfer, full_name=full_name)
    try:
        inserted = await insert_transfer(unit, stored)
    except asyncpg.UniqueViolationError:
        raise Conflict(
            "transfer-in-progress",
            f"This person already has an unfinished transfer from {CITY_NAMES[source]}.",
        ) from None
    if not inserted:
        raise Conflict("duplicate-transfer", f"Transfer {transfer.transfer_id} already exists.")
    unit.emit(
        TransferRequested(
            transfer_id=transfer.transfer_id,
            person_ref=transfer.person_ref,
            from_city=transfer.from_city,
            to_city=transfer.to_city,
            requested_at=transfer.requested_at,
            deadline=transfer.deadline,
        )
    )
    record = StepRecord(unit.acted_by(), unit.request_id)
    return replace(stored, step_records=(record,) * len(transfer.history))


async def get_transfer(transfer_id: str, unit: Unit) -> StoredTransfer:
    """The transfer with its steps; ``unknown-transfer`` if this city takes no part in it."""
    stored = await load_transfer(unit.conn, transfer_id)
    if stored is None:
        raise NotFound("unknown-transfer", f"This city has no transfer {transfer_id}.")
    return stored


async def loan_eligibility(command: AssessLoan, unit: Unit, policy_book: PolicyBook) -> Eligibility:
    """Whether the person may borrow in the unit's city and up to how much (互认互贷).

    Counts the months of their account here (months carried over by transfers included)
    and the deposits the other city reported; the ceiling is on the balance here plus the
    balances of their open accounts in the other city. The policy in force on
    ``unit.today`` applies. Refusals: resident ID codes, ``invalid-month``,
    ``month-in-future``.
    """
    today = unit.today
    resident = checked_resident_id(command.resident_id_raw, today)
    month = (
        Month.of(today)
        if command.application_month is None
        else Month.parse(command.application_month)
    )
    if month > Month.of(today):
        raise DomainError(
            "month-in-future", f"{month} is after the current month {Month.of(today)}."
        )
    return await assess_person(unit, unit.person_ref(resident), month, policy_book)


async def assess_person(
    unit: Unit, person_ref: str, month: Month, policy_book: PolicyBook
) -> Eligibility:
    """The loan eligibility of ``person_ref`` in the unit's city for ``month``: deposits of
    both cities, balances here and reported, and every loan of either city known here."""
    policy = policy_book.policy_for(unit.city, unit.today)
    own = await load_account_by_person_ref(unit.conn, person_ref)
    reported = await load_reported(unit.conn, person_ref)
    own_deposits = () if own is None else own.account.deposits
    own_balance = 0 if own is None else own.account.balance_fen
    return assess_loan(
        (*own_deposits, *reported.deposits),
        own_balance + reported.balance_fen,
        month,
        policy,
        existing_loans=await loans_of_person(unit.conn, person_ref),
    )
