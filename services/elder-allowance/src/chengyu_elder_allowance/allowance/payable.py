"""What a payment run owes one person, when an automatic grant starts, and what a death
makes recoverable (追缴). Pure: no I/O, no clock; the caller passes what its store knows.

The run of ``run_month`` looks back at most ``back_pay_limit_months`` (the run month's
policy) and never before the city's first policy month or the allowance's first month.
Within that window a month is due when this city pays it (the households rule, which the
caller derives), the allowance does not withhold it, the person was alive (the death
month only where the month's policy pays it), the month has a band and a non-zero amount
under the policy in force on its first day, and no payment for it is issued or confirmed
(``settled``). Each month is due at most once: its own month as ``regular``, an earlier
one as ``back-pay``, or as ``retry`` when the bank returned its payment as failed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from chengyu_contracts.cities import City
from chengyu_contracts.months import Month, month_range

from ..policy import Assistance, CityPolicy, PolicyBook
from .allowance import Allowance, withheld
from .eligibility import band_in, monthly_amount

DueKind = Literal["regular", "back-pay", "retry"]


@dataclass(frozen=True)
class Due:
    """One month a run pays: ``amount_fen`` for ``month``, and why now."""

    month: Month
    amount_fen: int
    kind: DueKind


def window_start(run_month: Month, book: PolicyBook, city: City) -> Month | None:
    """The earliest month the run of ``run_month`` may pay in ``city``: ``back_pay_limit_months``
    before it (the run month's policy), never before the city's first policy month;
    ``None`` when no policy is in force in ``run_month``."""
    policy = book.for_month(city, run_month)
    earliest = book.earliest_month(city)
    if policy is None or earliest is None:
        return None
    return max(run_month.plus(-policy.back_pay_limit_months), earliest)


def last_paid_month_after_death(died_on: date, policy: CityPolicy) -> Month:
    """The last month paid to a person who died on ``died_on``: the death month when
    ``policy`` (the one in force in the death month) pays it, else the month before."""
    death_month = Month.of(died_on)
    return death_month if policy.pay_death_month else death_month.previous()


def months_due(  # noqa: PLR0913, PLR0917 - the signature the payment run was written against
    run_month: Month,
    allowance: Allowance,
    birth: date,
    died_on: date | None,
    assistance: Callable[[Month], Assistance],
    pays: Callable[[Month], bool],
    settled: frozenset[Month],
    book: PolicyBook,
    city: City,
    failed: frozenset[Month] = frozenset(),
) -> list[Due]:
    """The months the run of ``run_month`` pays this person, oldest first, each once.

    ``assistance(month)``: the status that sets the month's amount; ``pays(month)``: whether
    ``city`` is the payer of the month (the households rule); ``settled``: months with a
    payment issued or confirmed (never due again); ``failed``: months whose payment the
    bank returned as failed (due again as ``retry``; a month also in ``settled`` is not).
    """
    start = window_start(run_month, book, city)
    if start is None:
        return []
    dues: list[Due] = []
    for month in month_range(max(start, allowance.first_month), run_month):
        if month in settled or not pays(month) or withheld(allowance, month):
            continue
        policy = book.for_month(city, month)
        if policy is None:
            continue
        if died_on is not None:
            death_policy = book.for_month(city, Month.of(died_on)) or policy
            if month > last_paid_month_after_death(died_on, death_policy):
                continue
        amount = monthly_amount(birth, month, assistance(month), policy)
        if not amount:  # no band, or a policy that pays nothing for this band and status
            continue
        kind: DueKind = (
            "retry" if month in failed else "regular" if month == run_month else "back-pay"
        )
        dues.append(Due(month, amount, kind))
    return dues


def overpaid(payments: Mapping[Month, int], last_month: Month) -> tuple[list[Month], int]:
    """The months after ``last_month`` already paid (``payments``: month -> fen paid) and
    their total: what a recovery claim (追缴) asks back, oldest month first."""
    months = sorted(month for month in payments if month > last_month)
    return months, sum(payments[month] for month in months)


def first_grant_month(
    birth: date,
    run_month: Month,
    registered_from: Month | None,
    book: PolicyBook,
    city: City,
) -> Month | None:
    """The first month of an automatic grant (免申即享) found by the run of ``run_month``:
    the first band's first paid month, but not before the back-pay window of the run
    (:func:`window_start`: late registration is back paid a bounded number of months) nor
    the registration's start (``registered_from``; ``None``: registered before any month
    paid). ``None`` when the person has no band by ``run_month`` (or no policy is in force).

    Each month's band follows the first-month rule of the policy in force in it, as the
    payments do (:func:`.eligibility.monthly_amount`).
    """
    start = window_start(run_month, book, city)
    if start is None:
        return None
    if registered_from is not None:
        start = max(start, registered_from)
    for month in month_range(start, run_month):
        policy = book.for_month(city, month)
        if policy is not None and band_in(birth, month, policy.first_month_rule) is not None:
            return month
    return None
