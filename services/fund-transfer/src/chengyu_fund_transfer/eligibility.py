"""Loan eligibility (互认互贷): deposits in both cities count for a loan in either."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from chengyu_contracts.cities import CITY_NAMES, City
from chengyu_contracts.months import Month

from .account import Deposit
from .money import Fen, non_negative_fen
from .policy import CityPolicy


def consecutive_months_up_to(months: Iterable[Month], last: Month) -> int:
    """Length of the unbroken run of ``months`` that ends exactly at ``last``.

    Duplicates count once, so callers may pass months from both cities as they are.
    """
    # Integer indices, so the walk back never builds a month before MIN_YEAR.
    present = {month.index for month in months}
    count = 0
    while last.index - count in present:
        count += 1
    return count


@dataclass(frozen=True)
class RuleResult:
    """One rule applied: its name, whether it passed, and the figures behind it."""

    rule: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Eligibility:
    """The answer to a loan application, with every rule that led to it."""

    city: City
    application_month: Month
    eligible: bool
    ceiling_fen: Fen
    rules: tuple[RuleResult, ...]


def _run_end(months: set[Month], application_month: Month) -> Month:
    # A month's deposit is usually made during that month, so an applicant early in the
    # month is not penalised for a deposit that is not due yet: the run may end one month
    # before the application month when the application month itself has none.
    return application_month if application_month in months else application_month.previous()


def assess_loan(
    deposits: Iterable[Deposit],
    balance_fen: int,
    application_month: Month,
    policy: CityPolicy,
) -> Eligibility:
    """Whether the person may borrow in ``policy.city`` and up to how much.

    ``deposits`` come from both cities (carried over by transfers or reported by the other
    city's service); a month deposited in both counts once. Months after the application
    month are ignored. Rules: the unbroken run of deposit months ending at the application
    month (or the month before, if this month has no deposit yet) must be at least the
    policy's minimum; the ceiling is ``min(balance x multiple, cap)`` and must be above zero.
    """
    balance = non_negative_fen(balance_fen)
    counted = [d for d in deposits if d.month <= application_month]
    months = {d.month for d in counted}
    end = _run_end(months, application_month)
    run = consecutive_months_up_to(months, end)
    needed = policy.loan_min_consecutive_months
    by_city = {city: len({d.month for d in counted if d.city == city}) for city in CITY_NAMES}
    in_both = sum(by_city.values()) - len(months)
    continuity = RuleResult(
        rule="consecutive-months",
        passed=run >= needed,
        detail=(
            f"consecutive months up to {end}: {run} (needs {needed}); "
            f"months counted: {len(months)} (cq {by_city['cq']}, cd {by_city['cd']}, "
            f"{in_both} in both counted once)"
        ),
    )
    multiple, cap = policy.loan_balance_multiple, policy.loan_cap_fen
    ceiling = Fen(min(balance * multiple, cap))
    ceiling_rule = RuleResult(
        rule="ceiling",
        passed=ceiling > 0,
        detail=(
            f"ceiling = min(balance {balance} fen x {multiple}, cap {cap} fen) = {ceiling} fen"
        ),
    )
    rules = (continuity, ceiling_rule)
    eligible = all(r.passed for r in rules)
    return Eligibility(
        city=policy.city,
        application_month=application_month,
        eligible=eligible,
        # No loan, no ceiling: a non-zero figure next to "not eligible" would mislead.
        ceiling_fen=ceiling if eligible else Fen(0),
        rules=rules,
    )
