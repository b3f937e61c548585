"""How well a posting and a seeker fit: hard filters first, then a score from five weighted
factors, each with the sentence that explains it. Pure: no I/O, no clock (``today`` is given).

Hard filters (a posting failing one is not a match at all):

- the posting is open and its closing date has not passed;
- the seeker's education meets the posting's requirement (the ordinal scale of
  ``education.py``: a master meets a bachelor's requirement);
- the posting's city is one the seeker accepts.

Factors, each a score in [0, 1]; the match's score is their mean weighted by the answering
city's policy (``MatchWeights``):

=============  ==============================================================================
occupation     the closest relation of the seeker's occupations to the posting's: the same
               occupation > the same minor group (小类) > sub-major (中类) > major (大类) > none,
               scored by the policy's ``occupation_scores``
skills         the share of the posting's required skills the seeker has (0.5 when the posting
               names none: it says nothing either way)
text           the share of the seeker's interest words found in the posting's title and
               description (segmented with jieba-rs; 0.5 when the seeker states no interests)
distance       1 within the commute radius of the seeker's home district seat or in one of the
               districts the seeker asked for, then falling off as radius / distance; a seeker
               willing to move never scores below ``MOVE_FLOOR``
salary         1 when the posting's floor reaches the seeker's; the share of the range at or
               above it when only the ceiling does; 0 when even the ceiling is below; 0.5 for
               面议 (negotiable) — neutral, neither promised nor ruled out
=============  ==============================================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from chengyu_contracts.city_bounds import Point, distance_km
from chengyu_contracts.districts import DISTRICTS

from ..education import EDUCATION_LEVELS, EDUCATION_NAMES
from ..occupations import Relation, occupations, relation
from ..policy import CityPolicy

__all__ = [
    "FACTORS",
    "MOVE_FLOOR",
    "NEUTRAL",
    "Factor",
    "FactorName",
    "Match",
    "PostingFacts",
    "SeekerFacts",
    "ceiling",
    "fails_filter",
    "score",
    "score_value",
]

FactorName = Literal["occupation", "skills", "text", "distance", "salary"]
FACTORS: tuple[FactorName, ...] = ("occupation", "skills", "text", "distance", "salary")

#: The score of a factor the data says nothing about (面议, no skills named, no interests).
NEUTRAL = 0.5
#: The least distance score of a seeker willing to move (搬迁): far is no obstacle, near still
#: counts for more.
MOVE_FLOOR = 0.6

_RELATION_WORDS: Mapping[Relation, str] = {
    "unit": "the same occupation",
    "minor": "the same minor group (小类)",
    "sub-major": "the same sub-major group (中类)",
    "major": "the same major group (大类)",
    "none": "no common group",
}


@dataclass(frozen=True)
class PostingFacts:
    """What matching knows of a posting (both cities' rows of ``posting``)."""

    posting_id: str
    city: str
    state: str
    title: str
    employer_name: str
    occupation_code: str
    #: Rank on the education scale, 1 (初中) to 6 (博士).
    education: int
    skills: frozenset[str]
    terms: frozenset[str]
    #: Both ``None`` for 面议.
    salary_min_yuan: int | None
    salary_max_yuan: int | None
    district: str
    place: Point
    closing_on: date


@dataclass(frozen=True)
class SeekerFacts:
    """What matching knows of a seeker: the pseudonymous profile, never a person."""

    seeker_ref: str
    city: str
    occupation_codes: tuple[str, ...]
    skills: frozenset[str]
    #: The segmented words of the seeker's interests.
    interest_terms: frozenset[str]
    education: int
    desired_cities: frozenset[str]
    desired_districts: frozenset[str]
    home_district: str
    #: The seat of the home district: where the commute radius is measured from.
    home: Point
    salary_floor_yuan: int | None
    willing_to_move: bool
    commute_radius_km: int


@dataclass(frozen=True)
class Factor:
    """One factor of a match: its score, its weight and why."""

    score: float
    weight: float
    why: str


@dataclass(frozen=True)
class Match:
    """A posting and a seeker that pass the filters, with the score and every factor."""

    posting: PostingFacts
    seeker: SeekerFacts
    score: float
    factors: Mapping[FactorName, Factor]


def fails_filter(seeker: SeekerFacts, posting: PostingFacts, today: date) -> str | None:
    """The hard filter ``posting`` fails for ``seeker`` (a sentence), or None when it passes."""
    if posting.state != "open":
        return "the posting is closed"
    if posting.closing_on < today:
        return f"the posting closed on {posting.closing_on}"
    if seeker.education < posting.education:
        needed = EDUCATION_NAMES[EDUCATION_LEVELS[posting.education - 1]]
        return f"the posting requires {needed} or higher"
    if posting.city not in seeker.desired_cities:
        return "the posting's city is not one the seeker accepts"
    return None


def score(seeker: SeekerFacts, posting: PostingFacts, policy: CityPolicy) -> Match:
    """Score ``posting`` for ``seeker`` under ``policy`` (the filters are the caller's)."""
    weights = policy.weights
    factors: dict[FactorName, Factor] = {
        "occupation": _occupation(seeker, posting, policy, weights.occupation),
        "skills": _skills(seeker, posting, weights.skills),
        "text": _text(seeker, posting, weights.text),
        "distance": _distance(seeker, posting, weights.distance),
        "salary": _salary(seeker, posting, weights.salary),
    }
    total_weight = sum(f.weight for f in factors.values())
    total = sum(f.score * f.weight for f in factors.values()) / total_weight
    return Match(posting=posting, seeker=seeker, score=total, factors=factors)


#: The relations from closest to farthest.
_RELATIONS: tuple[Relation, ...] = ("unit", "minor", "sub-major", "major", "none")


def ceiling(policy: CityPolicy, *, occupation: Relation, skills: float, text: float) -> float:
    """The highest score a candidate can reach whose occupation is at best ``occupation``
    related, whose skills factor is at most ``skills`` and text factor at most ``text``
    (distance and salary at best 1): what a less related tier of the candidate cut can reach
    at most."""
    weights = policy.weights
    scores = policy.occupation_scores
    farther = _RELATIONS[_RELATIONS.index(occupation) :]
    total_weight = (
        weights.occupation + weights.skills + weights.text + weights.distance + weights.salary
    )
    best = (
        max(scores[r] for r in farther) * weights.occupation
        + skills * weights.skills
        + text * weights.text
        + weights.distance
        + weights.salary
    )
    return best / total_weight


def _closest(seeker: SeekerFacts, posting: PostingFacts, policy: CityPolicy) -> Relation:
    scores = policy.occupation_scores
    best: Relation = "none"
    for code in seeker.occupation_codes:
        found = relation(code, posting.occupation_code)
        if scores[found] > scores[best]:
            best = found
    return best


def score_value(seeker: SeekerFacts, posting: PostingFacts, policy: CityPolicy) -> float:
    """The score :func:`score` gives, without the explanations: what ranking thousands of
    candidates needs (only the answer's best are explained)."""
    weights = policy.weights
    total_weight = (
        weights.occupation + weights.skills + weights.text + weights.distance + weights.salary
    )
    total = (
        policy.occupation_scores[_closest(seeker, posting, policy)] * weights.occupation
        + _skills_share(seeker, posting) * weights.skills
        + _text_share(seeker, posting) * weights.text
        + _distance_score(seeker, posting)[0] * weights.distance
        + _salary_score(seeker, posting) * weights.salary
    )
    return total / total_weight


def _occupation(
    seeker: SeekerFacts, posting: PostingFacts, policy: CityPolicy, weight: float
) -> Factor:
    scores = policy.occupation_scores
    best = _closest(seeker, posting, policy)
    name = occupations().get(posting.occupation_code)
    label = f"{posting.occupation_code} {name.name}" if name else posting.occupation_code
    return Factor(scores[best], weight, f"{_RELATION_WORDS[best]} as the posting's {label}")


def _listed(words: Iterable[str]) -> str:
    return "、".join(sorted(words)[:5])


def _skills_share(seeker: SeekerFacts, posting: PostingFacts) -> float:
    if not posting.skills:
        return NEUTRAL
    return len(seeker.skills & posting.skills) / len(posting.skills)


def _skills(seeker: SeekerFacts, posting: PostingFacts, weight: float) -> Factor:
    if not posting.skills:
        return Factor(NEUTRAL, weight, "the posting names no skills: neutral")
    had = seeker.skills & posting.skills
    share = _skills_share(seeker, posting)
    why = f"{len(had)} of {len(posting.skills)} required skills"
    return Factor(share, weight, f"{why}: {_listed(had)}" if had else why)


def _text_share(seeker: SeekerFacts, posting: PostingFacts) -> float:
    if not seeker.interest_terms:
        return NEUTRAL
    return len(seeker.interest_terms & posting.terms) / len(seeker.interest_terms)


def _text(seeker: SeekerFacts, posting: PostingFacts, weight: float) -> Factor:
    if not seeker.interest_terms:
        return Factor(NEUTRAL, weight, "the seeker states no interests: neutral")
    found = seeker.interest_terms & posting.terms
    share = _text_share(seeker, posting)
    why = f"{len(found)} of {len(seeker.interest_terms)} interest words in the posting's text"
    return Factor(share, weight, f"{why}: {_listed(found)}" if found else why)


def _district_name(code: str) -> str:
    for names in DISTRICTS.values():
        if code in names:
            return names[code]
    return code


def _distance_score(seeker: SeekerFacts, posting: PostingFacts) -> tuple[float, float]:
    """The distance factor's score and the distance in km (0 for an asked-for district)."""
    if posting.district in seeker.desired_districts:
        return 1.0, 0.0
    km = distance_km(seeker.home, posting.place)
    radius = seeker.commute_radius_km
    if km <= radius:
        return 1.0, km
    falling = radius / km
    if seeker.willing_to_move and falling < MOVE_FLOOR:
        return MOVE_FLOOR, km
    return falling, km


def _distance(seeker: SeekerFacts, posting: PostingFacts, weight: float) -> Factor:
    if posting.district in seeker.desired_districts:
        where = _district_name(posting.district)
        return Factor(1.0, weight, f"in {where}, a district the seeker asked for")
    value, km = _distance_score(seeker, posting)
    home = _district_name(seeker.home_district)
    radius = seeker.commute_radius_km
    if km <= radius:
        return Factor(value, weight, f"{km:.1f} km from {home}, within the {radius} km radius")
    if seeker.willing_to_move and radius / km < MOVE_FLOOR:
        why = f"{km:.1f} km from {home}, beyond {radius} km; the seeker is willing to move"
        return Factor(value, weight, why)
    return Factor(value, weight, f"{km:.1f} km from {home}, beyond the {radius} km radius")


def _salary_score(seeker: SeekerFacts, posting: PostingFacts) -> float:
    low, high = posting.salary_min_yuan, posting.salary_max_yuan
    if low is None or high is None:
        return NEUTRAL
    floor = seeker.salary_floor_yuan
    if floor is None or low >= floor:
        return 1.0
    if high < floor:
        return 0.0
    return (high - floor) / (high - low)


def _salary(seeker: SeekerFacts, posting: PostingFacts, weight: float) -> Factor:
    low, high = posting.salary_min_yuan, posting.salary_max_yuan
    if low is None or high is None:
        return Factor(NEUTRAL, weight, "面议 (negotiable): neutral")
    value = _salary_score(seeker, posting)
    floor = seeker.salary_floor_yuan
    if floor is None:
        return Factor(value, weight, f"{low}-{high} yuan; the seeker states no floor")
    if low >= floor:
        return Factor(value, weight, f"{low}-{high} yuan, at or above the floor of {floor}")
    if high < floor:
        return Factor(value, weight, f"{low}-{high} yuan, below the floor of {floor}")
    return Factor(value, weight, f"{low}-{high} yuan: the floor of {floor} is within the range")
