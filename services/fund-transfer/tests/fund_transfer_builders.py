"""Builders of test data: small, explicit policies so each test shows the figures it relies on."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime

from chengyu_contracts.cities import City
from chengyu_contracts.months import Month, month_range
from chengyu_fund_transfer.account import (
    Account,
    AccountKind,
    Deposit,
    credit_transfer,
    open_account,
    record_deposit,
)
from chengyu_fund_transfer.loan import Loan, equal_instalment_fen
from chengyu_fund_transfer.money import Fen
from chengyu_fund_transfer.policy import CityPolicy, WithdrawalKind, WithdrawalRule
from chengyu_fund_transfer.withdrawal import (
    Application,
    HistoryEntry,
    Proof,
    Purchase,
    Withdrawal,
    WithdrawalState,
)

PERSON = "pr1_" + "ab" * 32
TODAY = date(2026, 10, 15)
NOW = datetime(2026, 10, 15, 9, 30, tzinfo=UTC)


def policy(city: City = "cq", **changes: object) -> CityPolicy:
    """A test policy: flexible deposits 200-6,000 yuan, 10-day deadline, loans after 12
    consecutive months, ceiling 15 x balance capped at 600,000 yuan."""
    figures: dict[str, object] = {
        "city": city,
        "effective_from": date(2025, 1, 1),
        "flexible_deposit_min_fen": Fen(20_000),
        "flexible_deposit_max_fen": Fen(600_000),
        "transfer_deadline_days": 10,
        "loan_min_consecutive_months": 12,
        "loan_balance_multiple": 15,
        "loan_cap_fen": Fen(60_000_000),
        "sealed_accounts_may_transfer": True,
    }
    figures.update(changes)
    return CityPolicy(**figures)  # type: ignore[arg-type]


def account(city: City = "cq", kind: AccountKind = "flexible") -> Account:
    """An empty active account of the test person."""
    return open_account(PERSON, city, kind)


def deposits(first: str, last: str, city: City, amount: int = 50_000) -> list[Deposit]:
    """One deposit per month from ``first`` to ``last`` (``YYYY-MM``), both included."""
    return [
        Deposit(m, Fen(amount), city) for m in month_range(Month.parse(first), Month.parse(last))
    ]


def months(items: Iterable[Deposit]) -> list[str]:
    """The months of ``items`` as text, in order."""
    return [str(d.month) for d in items]


def loan(**changes: object) -> Loan:
    """A Chengdu loan of 10,000 yuan over 12 months at 2.85 % from 2026-11 (846.25 yuan a
    month), changed by ``changes``; the instalment is recomputed from the figures."""
    figures: dict[str, object] = {
        "loan_id": "cd-loan-1",
        "person_ref": PERSON,
        "city": "cd",
        "amount_fen": Fen(1_000_000),
        "term_months": 12,
        "annual_rate_bp": 285,
        "bank": "Bank of Chengdu",
        "start_month": Month(2026, 11),
    }
    figures.update(changes)
    figures["monthly_instalment_fen"] = equal_instalment_fen(
        figures["amount_fen"],  # type: ignore[arg-type]
        figures["term_months"],  # type: ignore[arg-type]
        figures["annual_rate_bp"],  # type: ignore[arg-type]
    )
    return Loan(**figures)  # type: ignore[arg-type]


def rule(**changes: object) -> WithdrawalRule:
    """A test withdrawal rule: 6 consecutive months before the application, a rental
    contract as proof, no caps, no frequency limit; changed by ``changes``."""
    figures: dict[str, object] = {
        "min_consecutive_months": 6,
        "required_proofs": frozenset({"rental-contract"}),
    }
    figures.update(changes)
    return WithdrawalRule(**figures)  # type: ignore[arg-type]


def withdrawal_policy(
    city: City = "cd", kind: WithdrawalKind = "rent", **changes: object
) -> CityPolicy:
    """A test policy of ``city`` where only ``kind`` is in force, under :func:`rule` with
    ``changes``."""
    return policy(city, withdrawals={kind: rule(**changes)})


def funded(
    first: str = "2026-04", last: str = "2026-09", city: City = "cd", balance: int = 1_000_000
) -> Account:
    """An active account in ``city`` with a deposit in every month ``first``..``last``, all
    paid there, and ``balance`` fen."""
    return replace(
        account(city), deposits=tuple(deposits(first, last, city)), balance_fen=Fen(balance)
    )


def carried(
    there: tuple[str, str],
    here: tuple[str, str] | None,
    city: City = "cd",
    balance: int = 1_000_000,
) -> Account:
    """An account in ``city`` whose months ``there`` were paid in the other city and brought
    over by a transfer (``credit_transfer``), then months ``here`` deposited in ``city``; the
    balance is ``balance`` fen in all."""
    other: City = "cq" if city == "cd" else "cd"
    brought = list(deposits(*there, other))
    credited = credit_transfer(account(city), "tr-1", balance, brought)
    if here is None:
        return credited
    for month in month_range(Month.parse(here[0]), Month.parse(here[1])):
        credited = record_deposit(credited, month, 50_000, policy(city), TODAY)
    return replace(credited, balance_fen=Fen(balance))


def application(
    kind: WithdrawalKind = "rent",
    amount: int | None = 100_000,
    proofs: Iterable[str] = ("rental-contract",),
    day: date = TODAY,
    purchase: Purchase | None = None,
    loan: Loan | None = None,
) -> Application:
    """An application on ``day`` (default 2026-10-15) for ``amount`` fen with a proof of
    each kind in ``proofs`` (references ``DOC-1``, ``DOC-2``, ...)."""
    return Application(
        kind=kind,
        amount_fen=amount,
        proofs=tuple(Proof(p, f"DOC-{i}") for i, p in enumerate(proofs, start=1)),
        day=day,
        purchase=purchase,
        loan=loan,
    )


def paid(
    kind: WithdrawalKind,
    amount: int,
    day: date,
    state: WithdrawalState = "paid",
    purchase: Purchase | None = None,
) -> Withdrawal:
    """An earlier withdrawal of ``kind`` for ``amount`` fen applied for on ``day``."""
    at = NOW.replace(year=day.year, month=day.month, day=day.day)
    return Withdrawal(
        withdrawal_id=f"w-{kind}-{day.isoformat()}",
        person_ref=PERSON,
        city="cd",
        application=application(
            kind, amount, (), day, purchase, loan() if kind == "loan-repayment" else None
        ),
        amount_fen=Fen(amount),
        state=state,
        applied_at=at,
        history=(HistoryEntry(state, at, "earlier"),),
    )
