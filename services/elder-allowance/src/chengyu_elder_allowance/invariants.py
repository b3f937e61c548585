"""What must hold across both cities' elder allowances, recomputed from ``elder.allowance``
alone (the audit's interface: ``chengyu_contracts.invariants``).

Each city pays the people its household register holds; a person who moves is terminated
in one city (``last_month``) and granted in the other (``first_month``). Neither city's
database can show that the two never pay one month twice; the log can:

- ``elder-allowance.one-payer-per-month``: no month of a person lies in the grants of both
  cities (a grant runs from its ``first_month`` to the ``last_month`` of its termination,
  or on), unless one city claimed that month back.
- ``elder-allowance.recovery-equals-overpaid``: a recovery claim (追缴) asks back only
  months after the end of the claiming city's grant (months it paid but did not owe), each
  month once, for exactly the monthly amounts the grant and its band changes set for them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from chengyu_contracts.events.elder import (
    ElderAllowanceBandChanged,
    ElderAllowanceGranted,
    ElderAllowanceRecoveryClaimed,
    ElderAllowanceTerminated,
)
from chengyu_contracts.invariants import (
    Coordinates,
    FirstSight,
    Invariant,
    LoggedEvent,
    Violation,
)
from chengyu_contracts.months import Month, month_range

__all__ = ["invariants"]


@dataclass
class _Grant:
    """One city's grant to one person: its months and monthly amounts."""

    city: str
    first_month: Month
    at: Coordinates
    last_month: Month | None = None
    # (from month, monthly fen), in the order they took effect
    amounts: list[tuple[Month, int]] = field(default_factory=list)

    def covers(self, month: Month) -> bool:
        return self.first_month <= month and (self.last_month is None or month <= self.last_month)

    def amount_in(self, month: Month) -> int | None:
        """The monthly fen the grant set for ``month`` (None before its first month)."""
        found = None
        for start, fen in sorted(self.amounts, key=lambda pair: pair[0]):
            if start <= month:
                found = fen
        return found


@dataclass
class _Claim:
    city: str
    months: list[Month]
    amount_fen: int
    at: Coordinates


class _Allowances:
    """The grants and claims of every person, as the log tells them (redeliveries once)."""

    def __init__(self) -> None:
        self._sight = FirstSight()
        self.grants: dict[str, list[_Grant]] = defaultdict(list)
        self.claims: dict[str, list[_Claim]] = defaultdict(list)

    def take(self, event: LoggedEvent) -> None:
        data = event.data
        if not isinstance(
            data,
            ElderAllowanceGranted
            | ElderAllowanceBandChanged
            | ElderAllowanceTerminated
            | ElderAllowanceRecoveryClaimed,
        ) or not self._sight.first(event):
            return
        person = data.person_ref
        if isinstance(data, ElderAllowanceGranted):
            first = Month.parse(data.first_month)
            grant = _Grant(data.paying_city, first, event.at)
            grant.amounts.append((first, data.monthly_amount_fen))
            self.grants[person].append(grant)
        elif isinstance(data, ElderAllowanceRecoveryClaimed):
            months = [Month.parse(text) for text in data.months]
            self.claims[person].append(_Claim(data.paying_city, months, data.amount_fen, event.at))
        else:
            latest = self._latest_grant(person, data.paying_city)
            if latest is None:
                return
            if isinstance(data, ElderAllowanceBandChanged):
                month = Month.parse(data.from_month)
                latest.amounts.append((month, data.monthly_amount_fen))
            else:
                # A second termination only shortens the grant (a death found after a move
                # keeps the earliest last month), as the service's ``terminate`` does.
                last = Month.parse(data.last_month)
                ended = latest.last_month
                latest.last_month = last if ended is None else min(ended, last)

    def _latest_grant(self, person: str, city: str) -> _Grant | None:
        for grant in reversed(self.grants[person]):
            if grant.city == city:
                return grant
        return None


class OnePayerPerMonth:
    """No month of a person is granted by both cities (unless claimed back)."""

    name = "elder-allowance.one-payer-per-month"
    description = (
        "No person's month lies in the allowance grants of both cities, unless one of them "
        "claimed that month back."
    )

    def __init__(self) -> None:
        self._log = _Allowances()

    def observe(self, event: LoggedEvent) -> None:
        """Follow each person's grants and claims."""
        self._log.take(event)

    def violations(self, now: datetime) -> list[Violation]:
        """Each person and grant whose months the other city's grant also covers."""
        found: list[Violation] = []
        for person, grants in sorted(self._log.grants.items()):
            claimed = {
                (claim.city, month) for claim in self._log.claims[person] for month in claim.months
            }
            for index, grant in enumerate(grants):
                for other in grants[index + 1 :]:
                    if other.city == grant.city:
                        continue
                    both = [
                        month
                        for month in _months_of(grant, other)
                        if (grant.city, month) not in claimed and (other.city, month) not in claimed
                    ]
                    if both:
                        found.append(
                            Violation(
                                self.name,
                                f"{len(both)} month(s) from {both[0]} are granted by both "
                                f"{grant.city} and {other.city}",
                                other.at,
                                person,
                            )
                        )
        return found


def _months_of(grant: _Grant, other: _Grant) -> list[Month]:
    """The months both grants cover (an open grant runs to the other's end)."""
    first = max(grant.first_month, other.first_month)
    ends = [g.last_month for g in (grant, other) if g.last_month is not None]
    if not ends:
        return [first]  # both open from ``first`` on: naming the first month is enough
    last = min(ends)
    return list(month_range(first, last)) if first <= last else []


class RecoveryEqualsOverpaid:
    """A recovery claim asks back exactly what was paid and not owed."""

    name = "elder-allowance.recovery-equals-overpaid"
    description = (
        "A recovery claim asks back only months after the end of the claiming city's grant, "
        "each month once, for the monthly amounts that grant set."
    )

    def __init__(self) -> None:
        self._log = _Allowances()

    def observe(self, event: LoggedEvent) -> None:
        """Follow each person's grants and claims."""
        self._log.take(event)

    def violations(self, now: datetime) -> list[Violation]:
        """Each claim of a month owed, of a month twice, or of another amount."""
        found: list[Violation] = []
        for person, claims in sorted(self._log.claims.items()):
            asked: set[tuple[str, Month]] = set()
            for claim in claims:
                problem = self._judge(claim, self._log.grants[person], asked)
                if problem:
                    found.append(Violation(self.name, problem, claim.at, person))
        return found

    @staticmethod
    def _judge(claim: _Claim, grants: list[_Grant], asked: set[tuple[str, Month]]) -> str | None:
        ended = [g for g in grants if g.city == claim.city and g.last_month is not None]
        expected = 0
        for month in claim.months:
            if (claim.city, month) in asked:
                return f"{claim.city} claims {month} back a second time"
            asked.add((claim.city, month))
            if any(g.covers(month) for g in grants if g.city == claim.city):
                return f"{claim.city} claims {month} back, a month its own grant owes"
            before = [g for g in ended if g.last_month is not None and g.last_month < month]
            if not before:
                return f"{claim.city} claims {month} back without a grant that ended before it"
            amount = before[-1].amount_in(month)
            expected += amount or 0
        if expected != claim.amount_fen:
            return (
                f"{claim.city} claims {claim.amount_fen} fen for {len(claim.months)} month(s), "
                f"which its grant paid {expected} fen for"
            )
        return None


def invariants() -> list[Invariant]:
    """The elder-allowance rules the audit checks, fresh."""
    return [OnePayerPerMonth(), RecoveryEqualsOverpaid()]
