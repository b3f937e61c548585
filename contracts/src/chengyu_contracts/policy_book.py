"""Policies as data with effective dates, per city: which one is in force on a day.

Every service keeps its own policy type (fund deposit bounds, insurance year minimums...);
what they share is the rule of time: a city's policy applies from its ``effective_from``
until the same city's next one, and the day is China's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from typing import ClassVar, Generic, Protocol, TypeVar

from chengyu_contracts.cities import CITY_NAMES
from chengyu_contracts.domain_error import DomainError

__all__ = ["CHINA_TIME", "DatedPolicy", "PolicyBook", "policy_day"]

# China keeps one time zone without daylight saving; policies take effect on its days.
CHINA_TIME = timezone(timedelta(hours=8), "CST")


def policy_day(now: datetime) -> date:
    """The day in China at instant ``now``: the day whose policy applies."""
    if now.tzinfo is None:
        raise ValueError("policy_day needs a timezone-aware instant")
    return now.astimezone(CHINA_TIME).date()


class DatedPolicy(Protocol):
    """What a policy needs for a :class:`PolicyBook`: its city and first day."""

    @property
    def city(self) -> str: ...

    @property
    def effective_from(self) -> date: ...


P = TypeVar("P", bound=DatedPolicy)


class PolicyBook(Generic[P]):
    """Every city's policies of one kind over time; answers which one is in force on a day.

    A service subclasses it for its policy type and names the kind in ``subject``, which
    the ``no-policy-in-force`` sentence uses.
    """

    subject: ClassVar[str] = "applicable"

    def __init__(self, policies: Iterable[P]) -> None:
        by_city: dict[str, list[P]] = {}
        for policy in policies:
            by_city.setdefault(policy.city, []).append(policy)
        for city, entries in by_city.items():
            entries.sort(key=lambda p: p.effective_from)
            starts = [p.effective_from for p in entries]
            # Two policies starting the same day would make the answer depend on input order.
            if len(set(starts)) != len(starts):
                raise ValueError(f"two {city} policies take effect on the same day")
        self._by_city = by_city

    def in_force(self, city: str, on: date) -> P | None:
        """The policy ``city`` applies on day ``on``, or ``None`` before its first one."""
        in_force = [p for p in self._by_city.get(city, []) if p.effective_from <= on]
        return in_force[-1] if in_force else None

    def policy_for(self, city: str, on: date) -> P:
        """The policy ``city`` applies on day ``on``; ``no-policy-in-force`` if there is none."""
        policy = self.in_force(city, on)
        if policy is None:
            name = next((n for c, n in CITY_NAMES.items() if c == city), city)
            raise DomainError(
                "no-policy-in-force",
                f"{name} has no {self.subject} policy in force on {on.isoformat()}.",
            )
        return policy

    def later_policies(self, city: str, on: date) -> tuple[P, ...]:
        """``city``'s policies taking effect after day ``on``, in order."""
        return tuple(p for p in self._by_city.get(city, []) if p.effective_from > on)

    def policies(self) -> tuple[P, ...]:
        """All policies, per city in order of taking effect."""
        return tuple(p for entries in self._by_city.values() for p in entries)
