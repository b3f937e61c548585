"""Builders of test data: small, explicit policies so each test shows the figures it relies on."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from chengyu_contracts.cities import City
from chengyu_contracts.months import Month, month_range
from chengyu_fund_transfer.account import Account, AccountKind, Deposit, open_account
from chengyu_fund_transfer.loan import Loan, equal_instalment_fen
from chengyu_fund_transfer.money import Fen
from chengyu_fund_transfer.policy import CityPolicy

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
