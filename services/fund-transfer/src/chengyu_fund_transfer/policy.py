"""Per-city policy parameters with effective dates: data, never constants in the rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from chengyu_contracts.cities import CITIES, City
from chengyu_contracts.policy_book import PolicyBook as DatedPolicyBook

from .money import Fen, non_negative_fen, positive_fen


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


class PolicyBook(DatedPolicyBook[CityPolicy]):
    """Chongqing's and Chengdu's provident-fund policies over time."""

    subject = "provident-fund"


def default_policies() -> tuple[CityPolicy, ...]:
    """Illustrative default policies for Chongqing and Chengdu.

    ILLUSTRATIVE DEFAULTS, NOT THE CITIES' PUBLISHED FIGURES: plausible orders of magnitude
    for demos and tests until each centre loads its own policy data. Chengdu's 2026 entry
    exists to show that figures change by effective date.
    """
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
