"""The provident-fund account aggregate: balance, deposit history, and its transfer states.

Every operation is a pure function from an account to a new account, or a
:class:`DomainError` with a stable code. Accounts are frozen; nothing is changed in place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

from chengyu_contracts.cities import CITY_NAMES, City
from chengyu_contracts.domain_error import Conflict, DomainError
from chengyu_contracts.months import Month

from .money import Fen, non_negative_fen, positive_fen, yuan_text
from .policy import CityPolicy

AccountKind = Literal["employee", "flexible"]
AccountStatus = Literal["active", "sealed", "transferring", "closed"]

# An operation the account's status forbids is a conflict with its state; only "active"
# (an unseal of an active account) stays a plain refusal, as it always answered 422.
_STATUS_REFUSALS: dict[AccountStatus, tuple[type[DomainError], str, str]] = {
    "active": (DomainError, "account-active", "The account is active."),
    "sealed": (Conflict, "account-sealed", "The account is sealed (封存); unseal it first."),
    "transferring": (
        Conflict,
        "account-transferring",
        "The account is frozen while a transfer to the other city is under way.",
    ),
    "closed": (Conflict, "account-closed", "The account is closed."),
}


@dataclass(frozen=True)
class Deposit:
    """One month's deposit and the city where it was made (kept across transfers)."""

    month: Month
    amount_fen: Fen
    city: City


@dataclass(frozen=True)
class Account:
    """One person's provident-fund account in one city.

    ``deposits`` is sorted by month and holds at most one deposit per month, whatever its
    city of origin. While ``status`` is ``transferring``, ``transfer_id`` names the transfer
    that froze the account and ``status_before_transfer`` what to restore if it fails.
    While a withdrawal is being decided, ``withdrawal_id`` names it: it holds the account,
    so no transfer may freeze it (see ``withdrawal.py``).
    """

    person_ref: str
    city: City
    kind: AccountKind
    status: AccountStatus = "active"
    balance_fen: Fen = Fen(0)  # noqa: RUF009 - NewType is identity at run time
    deposits: tuple[Deposit, ...] = ()
    transfer_id: str | None = None
    status_before_transfer: AccountStatus | None = None
    # Transfers already credited here: a second credit of one transfer would create money.
    credited_transfer_ids: frozenset[str] = field(default_factory=frozenset)
    # The withdrawal applied for and not yet paid or refused, which holds the account.
    withdrawal_id: str | None = None

    @property
    def months(self) -> frozenset[Month]:
        """Every month with a deposit, from either city."""
        return frozenset(d.month for d in self.deposits)

    def deposit_for(self, month: Month) -> Deposit | None:
        """The deposit of ``month``, if any."""
        return next((d for d in self.deposits if d.month == month), None)


def open_account(person_ref: str, city: City, kind: AccountKind) -> Account:
    """A new, empty, active account."""
    if not person_ref:
        raise DomainError("invalid-person-ref", "An account needs a person_ref.")
    return Account(person_ref=person_ref, city=city, kind=kind)


def status_refusal(account: Account, *allowed: AccountStatus) -> DomainError | None:
    """The refusal of the account's status when it is not one of ``allowed``, else ``None``:
    ``account-sealed`` / ``account-transferring`` / ``account-closed`` (conflicts), or
    ``account-active``."""
    if account.status in allowed:
        return None
    refusal, code, sentence = _STATUS_REFUSALS[account.status]
    return refusal(code, sentence)


def _refuse_unless(account: Account, *allowed: AccountStatus) -> None:
    refusal = status_refusal(account, *allowed)
    if refusal is not None:
        raise refusal


def _same_city(account: Account, policy: CityPolicy) -> None:
    # A policy of the wrong city is a wiring bug, not a clerk's mistake.
    if policy.city != account.city:
        raise ValueError(f"a {policy.city} policy cannot judge a {account.city} account")


def seal(account: Account) -> Account:
    """Seal (封存) an active account, e.g. when the person's employment ends."""
    _refuse_unless(account, "active")
    return replace(account, status="sealed")


def unseal(account: Account) -> Account:
    """Make a sealed account active again, e.g. when deposits resume."""
    _refuse_unless(account, "sealed")
    return replace(account, status="active")


def record_deposit(
    account: Account, month: Month, amount_fen: object, policy: CityPolicy, today: date
) -> Account:
    """Add one month's deposit; ``policy`` is the account city's policy in force ``today``.

    Refusals: ``account-sealed`` / ``account-transferring`` / ``account-closed``,
    ``invalid-amount`` / ``negative-amount`` / ``zero-amount``, ``month-in-future``,
    ``duplicate-month`` (also when the month came from the other city by transfer: the
    person cannot have paid the same month twice) and, for flexible workers,
    ``amount-out-of-range``.
    """
    _same_city(account, policy)
    _refuse_unless(account, "active")
    amount = positive_fen(amount_fen)
    if month > Month.of(today):
        raise DomainError(
            "month-in-future", f"{month} is after the current month {Month.of(today)}."
        )
    existing = account.deposit_for(month)
    if existing is not None:
        raise Conflict(
            "duplicate-month",
            f"{month} already has a deposit (made in {CITY_NAMES[existing.city]}).",
        )
    low, high = policy.flexible_deposit_min_fen, policy.flexible_deposit_max_fen
    if account.kind == "flexible" and not low <= amount <= high:
        raise DomainError(
            "amount-out-of-range",
            f"A flexible worker's monthly deposit in {CITY_NAMES[policy.city]} must be "
            f"between {yuan_text(low)} and {yuan_text(high)}.",
        )
    deposits = tuple(
        sorted((*account.deposits, Deposit(month, amount, account.city)), key=lambda d: d.month)
    )
    return replace(account, deposits=deposits, balance_fen=Fen(account.balance_fen + amount))


def transfer_blocker(account: Account, policy: CityPolicy) -> DomainError | None:
    """Why the sending city may not freeze ``account`` for a transfer, or ``None``.

    Codes: ``already-transferring``, ``account-closed``, ``withdrawal-pending`` (a
    withdrawal is being decided: the account is held until it is paid or refused), and
    ``account-sealed`` when the city's policy does not let sealed accounts move.
    """
    _same_city(account, policy)
    if account.status == "transferring":
        return DomainError("already-transferring", "The account is already being transferred.")
    if account.status == "closed":
        return Conflict("account-closed", "The account is closed; there is nothing to send.")
    if account.withdrawal_id is not None:
        return withdrawal_pending()
    if account.status == "sealed" and not policy.sealed_accounts_may_transfer:
        return Conflict(
            "account-sealed",
            f"{CITY_NAMES[policy.city]} does not transfer sealed (封存) accounts; unseal it first.",
        )
    return None


def withdrawal_pending() -> Conflict:
    """The refusal while a withdrawal being decided holds the account."""
    return Conflict(
        "withdrawal-pending",
        "A withdrawal from the account is being decided; wait until it is paid or refused.",
    )


def freeze_for_transfer(account: Account, transfer_id: str, policy: CityPolicy) -> Account:
    """Freeze the account while ``transfer_id`` sends its balance and history.

    The balance stays in the account (it is the amount in flight) until it is closed, so
    restoring after a failure only has to undo the status.
    """
    blocker = transfer_blocker(account, policy)
    if blocker is not None:
        raise blocker
    return replace(
        account,
        status="transferring",
        transfer_id=transfer_id,
        status_before_transfer=account.status,
    )


def _frozen_by(account: Account, transfer_id: str) -> AccountStatus:
    if account.status != "transferring" or account.transfer_id != transfer_id:
        raise DomainError(
            "not-frozen-for-transfer",
            f"The account is not frozen for transfer {transfer_id}.",
        )
    assert account.status_before_transfer is not None  # set together with the status
    return account.status_before_transfer


def restore_after_failed_transfer(account: Account, transfer_id: str) -> Account:
    """Compensation: the account exactly as it was before :func:`freeze_for_transfer`."""
    previous = _frozen_by(account, transfer_id)
    return replace(account, status=previous, transfer_id=None, status_before_transfer=None)


def close_after_transfer(account: Account, transfer_id: str) -> Account:
    """Close the account once the other city credited the transfer; its balance left.

    The deposit history stays, so the account still tells where the months went; the
    ``transfer_id`` stays too, naming the transfer that emptied it.
    """
    _frozen_by(account, transfer_id)
    return replace(account, status="closed", balance_fen=Fen(0), status_before_transfer=None)


def history_conflicts(own: Iterable[Deposit], incoming: Iterable[Deposit]) -> list[Month]:
    """Months present in both histories, in order."""
    own_months = {d.month for d in own}
    return sorted({d.month for d in incoming if d.month in own_months})


def merge_histories(own: Iterable[Deposit], incoming: Iterable[Deposit]) -> tuple[Deposit, ...]:
    """Both histories as one, sorted by month, each deposit keeping its city of origin.

    A month in both is refused (``history-conflict``) rather than summed or dropped: summing
    would pass off a double payment as one month, dropping would lose money from the record.
    A clerk settles the month (refunds one payment) and the transfer is requested again.
    """
    own, incoming = tuple(own), tuple(incoming)
    incoming_months = [d.month for d in incoming]
    if len(set(incoming_months)) != len(incoming_months):
        raise DomainError("invalid-history", "The incoming history repeats a month.")
    conflicts = history_conflicts(own, incoming)
    if conflicts:
        listed = ", ".join(str(m) for m in conflicts)
        raise DomainError(
            "history-conflict",
            f"Deposits for {listed} exist in both cities; a clerk must settle them first.",
        )
    return tuple(sorted((*own, *incoming), key=lambda d: d.month))


def credit_transfer(
    account: Account, transfer_id: str, amount_fen: object, history: Iterable[Deposit]
) -> Account:
    """Credit a transfer's balance into this city's active account and merge its history.

    Refusals: the status ones (only an active account is credited; the use case opens a new
    one when the person has none or only a closed one), ``already-credited``,
    ``history-conflict`` and ``invalid-history``; any of them makes the saga revert.
    """
    _refuse_unless(account, "active")
    if transfer_id in account.credited_transfer_ids:
        raise DomainError(
            "already-credited", f"Transfer {transfer_id} was already credited to this account."
        )
    amount = non_negative_fen(amount_fen)
    deposits = merge_histories(account.deposits, history)
    return replace(
        account,
        deposits=deposits,
        balance_fen=Fen(account.balance_fen + amount),
        credited_transfer_ids=account.credited_transfer_ids | {transfer_id},
    )
