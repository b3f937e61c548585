"""Provident-fund loans once granted: the record the lending city keeps and the other city
may confirm (互查), and its repayment schedule by equal instalments (等额本息).

Pure: the rate comes from the lending city's policy, the months are passed in. Money is
whole fen; the exact instalment is a fraction, rounded half up to the fen, and the last
instalment absorbs what rounding left over, so the principal parts sum to the loan exactly.
The schedule assumes every instalment is paid when due (early repayment is not modelled).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from chengyu_contracts.cities import CITIES, CITY_NAMES, City
from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.months import Month

from .money import Fen, non_negative_fen, positive_fen, yuan_text
from .policy import CityPolicy

if TYPE_CHECKING:  # eligibility counts outstanding loans, so it imports this module
    from .eligibility import Eligibility

_BASIS_POINTS_A_YEAR = 10_000 * 12  # an annual rate in basis points -> a monthly fraction


@dataclass(frozen=True)
class Loan:
    """A granted provident-fund loan as the lending city records it.

    ``monthly_instalment_fen`` is every instalment but the last, which absorbs rounding;
    the first instalment falls due in ``start_month``.
    """

    loan_id: str
    person_ref: str
    city: City
    amount_fen: Fen
    term_months: int
    annual_rate_bp: int
    monthly_instalment_fen: Fen
    bank: str
    start_month: Month

    def __post_init__(self) -> None:
        if self.city not in CITIES:
            raise ValueError(f"unknown city {self.city!r}; expected one of {CITIES}")
        positive_fen(self.amount_fen)
        non_negative_fen(self.monthly_instalment_fen)
        if self.term_months < 1:
            raise ValueError("a loan runs at least one month")
        if self.annual_rate_bp < 0:
            raise ValueError("a loan rate cannot be negative")

    @property
    def last_month(self) -> Month:
        """The month the last instalment falls due."""
        return self.start_month.plus(self.term_months - 1)


@dataclass(frozen=True)
class LoanTerms:
    """What the clerk grants: the amount, the term, the bank that pays it out, the first
    instalment's month."""

    amount_fen: int
    term_months: int
    bank: str
    start_month: Month


@dataclass(frozen=True)
class Instalment:
    """One month's repayment: principal and interest, and the principal still owed after it."""

    number: int
    month: Month
    payment_fen: Fen
    principal_fen: Fen
    interest_fen: Fen
    outstanding_after_fen: Fen


def _monthly_rate(annual_rate_bp: int) -> Fraction:
    return Fraction(annual_rate_bp, _BASIS_POINTS_A_YEAR)


def _half_up(amount: Fraction) -> int:
    # Money is never negative here, so half up is floor(x + 1/2).
    return int(amount + Fraction(1, 2))


def equal_instalment_fen(amount_fen: int, term_months: int, annual_rate_bp: int) -> Fen:
    """The equal monthly instalment (等额本息) in whole fen, rounded half up:
    ``P r (1 + r)^n / ((1 + r)^n - 1)`` with ``r`` the monthly rate, or ``P / n`` at 0 %."""
    principal = positive_fen(amount_fen)
    if term_months < 1:
        raise ValueError("a loan runs at least one month")
    rate = _monthly_rate(annual_rate_bp)
    if rate == 0:
        return Fen(_half_up(Fraction(principal, term_months)))
    growth = (1 + rate) ** term_months
    return Fen(_half_up(principal * rate * growth / (growth - 1)))


def schedule(loan: Loan) -> tuple[Instalment, ...]:
    """Every instalment of ``loan``, in order.

    Each month's interest is the outstanding principal times the monthly rate, rounded half
    up to the fen; the principal part is the instalment less that interest (never more than
    is still owed). The last instalment pays off whatever principal is left, with its
    interest, so the principal parts sum to the loan and nothing is owed after it.
    """
    rate = _monthly_rate(loan.annual_rate_bp)
    outstanding = int(loan.amount_fen)
    instalments: list[Instalment] = []
    for number in range(1, loan.term_months + 1):
        interest = _half_up(outstanding * rate)
        if number == loan.term_months:
            principal = outstanding
        else:
            principal = min(max(loan.monthly_instalment_fen - interest, 0), outstanding)
        outstanding -= principal
        instalments.append(
            Instalment(
                number=number,
                month=loan.start_month.plus(number - 1),
                payment_fen=Fen(principal + interest),
                principal_fen=Fen(principal),
                interest_fen=Fen(interest),
                outstanding_after_fen=Fen(outstanding),
            )
        )
    return tuple(instalments)


def outstanding_at(loan: Loan, month: Month) -> Fen:
    """The principal still owed once every instalment due up to ``month`` (included) is paid:
    the whole loan before ``start_month``, 0 from the last instalment's month on."""
    if month < loan.start_month:
        return loan.amount_fen
    if month >= loan.last_month:
        return Fen(0)
    paid = schedule(loan)[: month.index - loan.start_month.index + 1]
    return paid[-1].outstanding_after_fen


def grant_loan(
    loan_id: str, person_ref: str, terms: LoanTerms, eligibility: Eligibility, policy: CityPolicy
) -> Loan:
    """The record of a loan granted in ``policy.city`` after ``eligibility`` said yes.

    The rate is the policy's; the instalment is :func:`equal_instalment_fen`. Refusals:
    ``not-eligible``, ``invalid-amount`` / ``negative-amount`` / ``zero-amount``,
    ``amount-above-ceiling`` (above the eligibility's ceiling), ``invalid-term`` (not
    1 .. the policy's longest term), ``start-before-application`` (the first instalment
    before the application month), ``invalid-bank`` (no bank named).
    """
    if eligibility.city != policy.city:
        raise ValueError("an eligibility of one city cannot grant a loan in the other")
    if not person_ref:
        raise DomainError("invalid-person-ref", "A loan needs a person_ref.")
    if not eligibility.eligible:
        raise DomainError(
            "not-eligible",
            f"The person is not eligible for a loan in {CITY_NAMES[policy.city]}; "
            "see the eligibility rules.",
        )
    amount = positive_fen(terms.amount_fen)
    if amount > eligibility.ceiling_fen:
        raise DomainError(
            "amount-above-ceiling",
            f"{yuan_text(amount)} is above the ceiling of {yuan_text(eligibility.ceiling_fen)}.",
        )
    longest = policy.loan_max_term_months
    if not 1 <= terms.term_months <= longest:
        raise DomainError("invalid-term", f"A loan runs 1 to {longest} months.")
    if terms.start_month < eligibility.application_month:
        raise DomainError(
            "start-before-application",
            f"The first instalment cannot fall due before the application month "
            f"{eligibility.application_month}.",
        )
    bank = terms.bank.strip()
    if not bank:
        raise DomainError("invalid-bank", "A loan names the bank that pays it out.")
    return Loan(
        loan_id=loan_id,
        person_ref=person_ref,
        city=policy.city,
        amount_fen=amount,
        term_months=terms.term_months,
        annual_rate_bp=policy.loan_annual_rate_bp,
        monthly_instalment_fen=equal_instalment_fen(
            amount, terms.term_months, policy.loan_annual_rate_bp
        ),
        bank=bank,
        start_month=terms.start_month,
    )
