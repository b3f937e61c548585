"""What the offering centre can spare for the other city's request.

For a request of a product, a recipient group and a quantity, the offering centre looks
at the groups that may answer it (:func:`compatibility.donor_groups`: identical first,
then the substitutes its policy and the request allow) and from each takes:

* nothing unless the line is **green** in the offering centre (its shown level);
* at most its **surplus**: usable units above its own target days of supply,
  ``floor(usable - target days * average daily issues)`` (a line issuing nothing spares
  all its usable units: it is green with infinite days);
* only units that will still have the policy's **remaining shelf life on arrival**;
* **first-expiring first** among those, so the units most at risk of expiring are used.

A partial offer when the groups cannot cover the quantity; ``None`` when nothing can be
spared. The offering centre's policy rules (its target, its substitutes, its remaining
shelf life); the request may refuse substitutes for its part.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from chengyu_contracts.domain_error import DomainError

from .blood_groups import BloodGroup, Product, StockKey
from .compatibility import donor_groups
from .levels import Level, units_spare
from .policy import CityPolicy
from .unit import BloodUnit


@dataclass(frozen=True)
class OfferRequest:
    """The other city's request as the offering centre sees it."""

    product: Product
    group: BloodGroup
    quantity: int
    now: datetime
    #: When the units would arrive (departure now plus the journey).
    arrival: datetime
    #: The requesting centre's own consent to substitutes (its policy, or the clerk's ask).
    accepts_substitutes: bool = True


@dataclass(frozen=True)
class LineView:
    """One line of the offering centre: its shown level, its available units and its
    average daily issues over the policy's window."""

    level: Level
    units: tuple[BloodUnit, ...]
    daily_issues: Fraction


@dataclass(frozen=True)
class OfferPlan:
    """The units to offer, in the order chosen, for ``requested`` units."""

    units: tuple[BloodUnit, ...]
    requested: int

    @property
    def partial(self) -> bool:
        """Whether the offer covers less than the request."""
        return len(self.units) < self.requested


def spare_of(key: StockKey, line: LineView, now: datetime, policy: CityPolicy) -> int:
    """How many units line ``key`` can spare at ``now``: 0 unless green, else its usable
    units above the policy's target days."""
    if line.level != "green":
        return 0
    usable = sum(1 for u in line.units if u.key == key and not u.expired_at(now))
    return units_spare(usable, line.daily_issues, policy.target(key.product))


def eligible_units(
    key: StockKey, line: LineView, request: OfferRequest, policy: CityPolicy
) -> tuple[BloodUnit, ...]:
    """The units of ``key`` that would arrive with the policy's remaining shelf life,
    first-expiring first (DIN breaks ties)."""
    least = policy.min_remaining(key.product)
    units = [
        u
        for u in line.units
        if u.key == key
        and not u.expired_at(request.now)
        and u.remaining_at(request.arrival) >= least
    ]
    return tuple(sorted(units, key=lambda u: (u.expires_at, u.din.text)))


def plan_offer(
    request: OfferRequest, lines: Mapping[StockKey, LineView], policy: CityPolicy
) -> OfferPlan | None:
    """The offer the centre of ``policy`` makes for ``request`` from its ``lines``, or
    ``None`` when it can spare nothing (module docstring).

    Refused: ``bad-quantity`` (not at least one unit), ``arrival-before-now``.
    """
    if request.quantity < 1:
        raise DomainError("bad-quantity", "A request is for at least one unit.")
    if request.arrival < request.now:
        raise DomainError("arrival-before-now", "Units cannot arrive before they leave.")
    groups = donor_groups(request.product, request.group, policy)
    if not request.accepts_substitutes:
        groups = groups[:1]
    chosen: list[BloodUnit] = []
    for group in groups:
        left = request.quantity - len(chosen)
        if left == 0:
            break
        key = StockKey.of(request.product, group)
        line = lines.get(key)
        if line is None:
            continue
        take = min(left, spare_of(key, line, request.now, policy))
        chosen.extend(eligible_units(key, line, request, policy)[:take])
    if not chosen:
        return None
    return OfferPlan(tuple(chosen), request.quantity)
