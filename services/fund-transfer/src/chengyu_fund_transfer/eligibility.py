"""Loan eligibility (互认互贷): deposits in both cities count for a loan in either."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from chengyu_contracts.cities import CITY_NAMES, City
from chengyu_contracts.months import Month

from .account import Deposit
from .loan import Loan, outstanding_at
from .money import Fen, non_negative_fen, yuan_text
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


def _no_outstanding_loan(
    loans: Iterable[Loan], application_month: Month, policy: CityPolicy
) -> RuleResult:
    owed = [(loan, outstanding_at(loan, application_month)) for loan in loans]
    owed = [(loan, amount) for loan, amount in owed if amount > 0]
    listed = "; ".join(
        f"{CITY_NAMES[loan.city]} loan {loan.loan_id}: {yuan_text(amount)} outstanding"
        for loan, amount in sorted(owed, key=lambda pair: (pair[0].city, pair[0].loan_id))
    )
    allowed = policy.second_loan_allowed
    return RuleResult(
        rule="no-outstanding-loan",
        passed=allowed or not owed,
        detail=(
            f"provident-fund loans outstanding at {application_month} in either city: "
            f"{len(owed)}{' (' + listed + ')' if listed else ''}; "
            f"a second loan is {'allowed' if allowed else 'not allowed'} in "
            f"{CITY_NAMES[policy.city]}"
        ),
    )


def assess_loan(
    deposits: Iterable[Deposit],
    balance_fen: int,
    application_month: Month,
    policy: CityPolicy,
    existing_loans: Iterable[Loan] | None = None,
) -> Eligibility:
    """Whether the person may borrow in ``policy.city`` and up to how much.

    ``deposits`` come from both cities (carried over by transfers or reported by the other
    city's service); a month deposited in both counts once. Months after the application
    month are ignored. Rules: the unbroken run of deposit months ending at the application
    month (or the month before, if this month has no deposit yet) must be at least the
    policy's minimum; the ceiling is ``min(balance x multiple, cap)`` and must be above zero.

    ``existing_loans`` are the person's provident-fund loans in either city (this city's
    records, the other city's confirmed answer). When given, even empty, a third rule
    ``no-outstanding-loan`` counts those still owed at the application month and, unless
    the policy allows a second loan, passes only when there is none. When ``None`` (the
    callers before loans were recorded) the answer is exactly as it was: two rules.
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
    rules: tuple[RuleResult, ...] = (continuity, ceiling_rule)
    if existing_loans is not None:
        rules = (*rules, _no_outstanding_loan(existing_loans, application_month, policy))
    eligible = all(r.passed for r in rules)
    return Eligibility(
        city=policy.city,
        application_month=application_month,
        eligible=eligible,
        # No loan, no ceiling: a non-zero figure next to "not eligible" would mislead.
        ceiling_fen=ceiling if eligible else Fen(0),
        rules=rules,
    )
