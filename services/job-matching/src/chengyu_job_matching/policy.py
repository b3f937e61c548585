"""Per-city job-matching policy with effective dates: data, never constants in the rules.

Each city's human-resources bureau sets, from a date on: the weights of the matching factors
and the score of each occupation relation; the working-day limits of 12333 requests per
category, the sign-for window and the extension limit; the working-day limits of personnel
-file transfers and certificates; and its working-day calendar (the national notices plus its
own closures). A deadline is counted with the policy of the city that owes the step: the
receiving city for a 12333 request, the holding city for a personnel file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

from chengyu_contracts.cities import CITIES, CITY_NAMES, City
from chengyu_contracts.events.hr import HotlineCategory
from chengyu_contracts.policy_book import PolicyBook as DatedPolicyBook
from chengyu_contracts.working_days import WorkingCalendar

from .occupations import Relation

__all__ = [
    "HOTLINE_CATEGORIES",
    "CityPolicy",
    "MatchWeights",
    "PolicyBook",
    "default_policies",
    "default_policy_book",
]

HOTLINE_CATEGORIES: tuple[HotlineCategory, ...] = (
    "consultation",
    "help",
    "complaint",
    "suggestion",
    "urgent",
)


@dataclass(frozen=True)
class MatchWeights:
    """The weight of each matching factor; a match's score is the weighted mean of the
    factors' scores (each in [0, 1]), so only the weights' ratios matter."""

    occupation: float = 0.35
    skills: float = 0.25
    text: float = 0.15
    distance: float = 0.15
    salary: float = 0.10

    def __post_init__(self) -> None:
        weights = (self.occupation, self.skills, self.text, self.distance, self.salary)
        if any(w < 0 for w in weights) or sum(weights) <= 0:
            raise ValueError("matching weights are non-negative and not all zero")


def _relation_scores() -> Mapping[Relation, float]:
    return MappingProxyType(
        {"unit": 1.0, "minor": 0.7, "sub-major": 0.4, "major": 0.15, "none": 0.0}
    )


@dataclass(frozen=True)
class CityPolicy:
    """The job-matching parameters one city applies from ``effective_from`` on."""

    city: City
    effective_from: date
    weights: MatchWeights = MatchWeights()
    #: The occupation factor's score for each relation of the two codes (closer scores more).
    occupation_scores: Mapping[Relation, float] = field(default_factory=_relation_scores)
    #: Matches returned per answer at most.
    max_results: int = 50
    #: 12333: working days to sign for a forwarded request (签收).
    hotline_sign_working_days: int = 1
    #: 12333: working days to resolve a signed request, per category (0 = the same day).
    hotline_resolve_working_days: Mapping[HotlineCategory, int] = field(
        default_factory=lambda: MappingProxyType(
            {"urgent": 0, "consultation": 3, "help": 5, "suggestion": 10, "complaint": 13}
        )
    )
    #: 12333: working days one extension may add at most.
    hotline_max_extension_working_days: int = 10
    #: 12333: working days to resolve a request again after a poor callback reopened it.
    hotline_reopen_working_days: int = 5
    #: 12333: how often poor callbacks may reopen a request; a poor callback after that closes it.
    hotline_max_reopens: int = 2
    #: Personnel files: working days the holder has to dispatch a requested file.
    file_dispatch_working_days: int = 15
    #: Personnel files: working days a dispatched file may take to arrive and be checked.
    file_receive_working_days: int = 10
    #: Personnel files: working days the holder has to send missing parts.
    file_supplement_working_days: int = 10
    #: Personnel files: working days the holder has to answer a certificate request.
    certificate_answer_working_days: int = 5
    #: The city's working days (national notices plus local closures).
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar.national)

    def __post_init__(self) -> None:
        if self.city not in CITIES:
            raise ValueError(f"unknown city {self.city!r}; expected one of {CITIES}")
        missing = set(HOTLINE_CATEGORIES) - set(self.hotline_resolve_working_days)
        if missing:
            raise ValueError(f"12333 limits missing for {sorted(missing)}")
        if any(days < 0 for days in self.hotline_resolve_working_days.values()):
            raise ValueError("a 12333 limit cannot be negative")
        if (
            self.hotline_sign_working_days < 0
            or self.hotline_max_extension_working_days < 1
            or self.hotline_max_reopens < 0
        ):
            raise ValueError("12333 sign-for and extension limits must be sensible")
        limits = (
            self.file_dispatch_working_days,
            self.file_receive_working_days,
            self.file_supplement_working_days,
            self.certificate_answer_working_days,
            self.hotline_reopen_working_days,
        )
        if any(days < 1 for days in limits):
            raise ValueError("personnel-file and reopen limits are at least one working day")
        if set(self.occupation_scores) != {"unit", "minor", "sub-major", "major", "none"}:
            raise ValueError("an occupation score for every relation")
        if not 1 <= self.max_results <= 500:
            raise ValueError("max_results lies in 1..500")
        object.__setattr__(
            self,
            "hotline_resolve_working_days",
            MappingProxyType(dict(self.hotline_resolve_working_days)),
        )
        object.__setattr__(
            self, "occupation_scores", MappingProxyType(dict(self.occupation_scores))
        )

    @property
    def city_name(self) -> str:
        """The city's name, for sentences."""
        return CITY_NAMES[self.city]


class PolicyBook(DatedPolicyBook[CityPolicy]):
    """Chongqing's and Chengdu's job-matching policies over time."""

    subject = "job-matching"


def default_policies() -> tuple[CityPolicy, ...]:
    """Illustrative default policies for Chongqing and Chengdu.

    ILLUSTRATIVE DEFAULTS, NOT THE BUREAUS' PUBLISHED FIGURES: the 12333 limits are the
    issue's examples (urgent the same day, consultation 3 working days, complaint 13), the
    personnel-file dispatch limit 15 working days; both cities count on the national
    calendar of 2025 and 2026 until each bureau loads its own data.
    """
    return (
        CityPolicy(city="cq", effective_from=date(2025, 1, 1)),
        CityPolicy(city="cd", effective_from=date(2025, 1, 1)),
    )


def default_policy_book() -> PolicyBook:
    """A :class:`PolicyBook` of :func:`default_policies`."""
    return PolicyBook(default_policies())
