"""Per-city policy parameters with effective dates: data, never constants in the rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Final, Literal

from chengyu_contracts.cities import CITIES, City
from chengyu_contracts.policy_book import PolicyBook as DatedPolicyBook

from .money import Fen, non_negative_fen, positive_fen

WithdrawalKind = Literal["rent", "purchase", "loan-repayment", "retirement", "serious-illness"]
WITHDRAWAL_KINDS: Final[tuple[WithdrawalKind, ...]] = (
    "rent",  # 租房提取
    "purchase",  # 购房提取
    "loan-repayment",  # 偿还贷款提取
    "retirement",  # 销户提取: retirement or leaving the scheme, the whole balance
    "serious-illness",  # 重大疾病提取
)


@dataclass(frozen=True)
class WithdrawalRule:
    """The conditions of one kind of withdrawal (提取) in one city's policy.

    Caps are ``None`` where the city sets none. The per-month and per-year caps bound what
    is withdrawn for this kind in the application's calendar month and year, this
    withdrawal included; the per-purchase cap bounds what is withdrawn against one purchase
    as a share of its price. Retirement takes the whole balance and has no caps.
    """

    # Unbroken months of deposits (from either city) ending the month before the application.
    min_consecutive_months: int
    # Proof kinds the application must name, each with a reference (never personal data).
    required_proofs: frozenset[str]
    monthly_cap_fen: Fen | None = None
    yearly_cap_fen: Fen | None = None
    # Against one purchase: at most this share of the price paid, in percent.
    purchase_price_share_percent: int | None = None
    # A purchase withdrawal must be applied for within this many months after the purchase.
    purchase_within_months: int | None = None
    # At most one withdrawal of this kind every this many months (counted by month).
    min_months_between: int | None = None
    # Whether a sealed (封存) account may withdraw for this kind (e.g. on leaving the scheme).
    allowed_when_sealed: bool = False

    def __post_init__(self) -> None:
        if self.min_consecutive_months < 0:
            raise ValueError("minimum consecutive months cannot be negative")
        for cap in (self.monthly_cap_fen, self.yearly_cap_fen):
            if cap is not None:
                non_negative_fen(cap)
        share = self.purchase_price_share_percent
        if share is not None and not 0 < share <= 100:
            raise ValueError("the purchase price share must be 1-100 percent")
        for months in (self.purchase_within_months, self.min_months_between):
            if months is not None and months < 1:
                raise ValueError("a period in months must be at least 1")
        if any(not kind for kind in self.required_proofs):
            raise ValueError("a required proof kind cannot be empty")


def default_withdrawal_rules() -> dict[WithdrawalKind, WithdrawalRule]:
    """Illustrative withdrawal conditions, the same in both cities unless a policy says more.

    ILLUSTRATIVE DEFAULTS, NOT THE CITIES' PUBLISHED FIGURES: the shape of each kind's
    conditions (months before, caps, frequency, proof) with plausible orders of magnitude.
    """
    return {
        "rent": WithdrawalRule(
            min_consecutive_months=3,
            required_proofs=frozenset({"rental-contract", "no-home-certificate"}),
            monthly_cap_fen=Fen(450_000),  # 4,500 yuan: a quarter's rent at once
            yearly_cap_fen=Fen(1_800_000),  # 18,000 yuan
            min_months_between=3,
        ),
        "purchase": WithdrawalRule(
            min_consecutive_months=6,
            required_proofs=frozenset({"purchase-contract", "purchase-invoice"}),
            purchase_price_share_percent=100,
            purchase_within_months=12,
        ),
        "loan-repayment": WithdrawalRule(
            min_consecutive_months=6,
            required_proofs=frozenset({"loan-contract"}),
            min_months_between=12,
        ),
        "retirement": WithdrawalRule(
            min_consecutive_months=0,
            required_proofs=frozenset({"retirement-or-exit-certificate"}),
            allowed_when_sealed=True,
        ),
        "serious-illness": WithdrawalRule(
            min_consecutive_months=0,
            required_proofs=frozenset({"hospital-diagnosis", "medical-expense-receipts"}),
            yearly_cap_fen=Fen(10_000_000),  # 100,000 yuan
            allowed_when_sealed=True,
        ),
    }


@dataclass(frozen=True)
class CityPolicy:
    """The provident-fund parameters one city applies from ``effective_from`` on.

    A policy stays in force until the same city's next policy takes effect.
    """

    city: City
    effective_from: date
    flexible_deposit_min_fen: Fen
    flexible_deposit_max_fen: Fen
    transfer_deadline_days: int
    loan_min_consecutive_months: int
    loan_balance_multiple: int
    loan_cap_fen: Fen
    # Whether a sealed (封存) account may be sent to the other city. Cities differ in
    # practice, so it is policy, not a hard rule.
    sealed_accounts_may_transfer: bool = True
    # The withdrawal kinds in force and their conditions; a kind absent here is not in
    # force in this city from ``effective_from`` (``withdrawal-kind-not-in-force``).
    withdrawals: Mapping[WithdrawalKind, WithdrawalRule] = field(
        default_factory=default_withdrawal_rules, hash=False
    )
    # Annual interest rate of a provident-fund loan, in basis points (285 = 2.85 %; the
    # default is ILLUSTRATIVE, not a published rate).
    loan_annual_rate_bp: int = 285
    loan_max_term_months: int = 360
    # Hours the other city has to answer a loan query (互查) before it shows as unanswered
    # (ILLUSTRATIVE: the action plan names no figure).
    loan_query_answer_hours: int = 24
    # Whether a person may borrow while a provident-fund loan is outstanding in either city.
    second_loan_allowed: bool = False

    def __post_init__(self) -> None:
        if self.city not in CITIES:
            raise ValueError(f"unknown city {self.city!r}; expected one of {CITIES}")
        positive_fen(self.flexible_deposit_min_fen)
        positive_fen(self.flexible_deposit_max_fen)
        non_negative_fen(self.loan_cap_fen)
        if self.flexible_deposit_min_fen > self.flexible_deposit_max_fen:
            raise ValueError("flexible deposit minimum is above the maximum")
        if self.transfer_deadline_days < 1:
            raise ValueError("transfer deadline must be at least one day")
        if self.loan_min_consecutive_months < 1 or self.loan_balance_multiple < 1:
            raise ValueError("loan months and balance multiple must be at least 1")
        unknown = set(self.withdrawals) - set(WITHDRAWAL_KINDS)
        if unknown:
            raise ValueError(f"unknown withdrawal kinds {sorted(unknown)}")
        if self.loan_annual_rate_bp < 0:
            raise ValueError("a loan rate cannot be negative")
        if self.loan_max_term_months < 1:
            raise ValueError("the longest loan term must be at least one month")
        if self.loan_query_answer_hours < 1:
            raise ValueError("a loan query needs at least an hour to be answered")
        # Frozen in fact, not only in name: a caller's dict cannot change the policy later.
        object.__setattr__(self, "withdrawals", MappingProxyType(dict(self.withdrawals)))


class PolicyBook(DatedPolicyBook[CityPolicy]):
    """Chongqing's and Chengdu's provident-fund policies over time."""

    subject = "provident-fund"


def default_policies() -> tuple[CityPolicy, ...]:
    """Illustrative default policies for Chongqing and Chengdu.

    ILLUSTRATIVE DEFAULTS, NOT THE CITIES' PUBLISHED FIGURES: plausible orders of magnitude
    for demos and tests until each centre loads its own policy data. Chengdu's 2026 entry
    exists to show that figures change by effective date: a higher deposit maximum, and
    serious-illness withdrawals, not in force in Chengdu before it.
    """
    without_illness: dict[WithdrawalKind, WithdrawalRule] = {
        kind: rule for kind, rule in default_withdrawal_rules().items() if kind != "serious-illness"
    }
    return (
        CityPolicy(
            city="cq",
            effective_from=date(2025, 1, 1),
            flexible_deposit_min_fen=Fen(20_000),  # 200 yuan a month
            flexible_deposit_max_fen=Fen(600_000),  # 6,000 yuan a month
            transfer_deadline_days=10,
            loan_min_consecutive_months=6,
            loan_balance_multiple=15,
            loan_cap_fen=Fen(60_000_000),  # 600,000 yuan
            sealed_accounts_may_transfer=True,
        ),
        CityPolicy(
            city="cd",
            effective_from=date(2025, 1, 1),
            flexible_deposit_min_fen=Fen(24_000),  # 240 yuan a month
            flexible_deposit_max_fen=Fen(650_000),  # 6,500 yuan a month
            transfer_deadline_days=10,
            loan_min_consecutive_months=12,
            loan_balance_multiple=15,
            loan_cap_fen=Fen(70_000_000),  # 700,000 yuan
            sealed_accounts_may_transfer=False,
            withdrawals=without_illness,
        ),
        CityPolicy(
            city="cd",
            effective_from=date(2026, 1, 1),
            flexible_deposit_min_fen=Fen(24_000),
            flexible_deposit_max_fen=Fen(700_000),  # raised to 7,000 yuan a month
            transfer_deadline_days=10,
            loan_min_consecutive_months=12,
            loan_balance_multiple=15,
            loan_cap_fen=Fen(70_000_000),
            sealed_accounts_may_transfer=False,
        ),
    )


def default_policy_book() -> PolicyBook:
    """A :class:`PolicyBook` of :func:`default_policies`."""
    return PolicyBook(default_policies())
