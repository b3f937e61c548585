"""Per-city parameters of blood-dispatch with effective dates: data, never constants in the
rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from chengyu_contracts.cities import City
from chengyu_contracts.policy_book import PolicyBook as DatedPolicyBook


@dataclass(frozen=True)
class CityPolicy:
    """What one city applies from ``effective_from`` until its next policy."""

    city: City
    effective_from: date
    open_cases_per_person: int


class PolicyBook(DatedPolicyBook[CityPolicy]):
    """Both cities' blood-dispatch policies over time."""

    subject = "blood-dispatch"


def default_policy_book() -> PolicyBook:
    """ILLUSTRATIVE DEFAULTS, not the cities' published figures."""
    return PolicyBook(
        [
            CityPolicy("cq", date(2025, 1, 1), open_cases_per_person=1),
            CityPolicy("cd", date(2025, 1, 1), open_cases_per_person=1),
        ]
    )
