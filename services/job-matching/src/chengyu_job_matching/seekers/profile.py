"""The rules of a key-group job seeker's profile (重点群体求职者): which groups there are,
what a profile must hold to be matched, and how a clerk's contact details are checked.

A profile is what matching reads and, with the seeker's consent, what the other city
receives: key-group tags, occupations (2022 classification), skills, interest keywords,
education, desired cities and districts, the home district (the commute radius is measured
from its seat, never from an address), salary floor, willingness to move and commute radius.
The name and phone are checked here but are no part of a profile. Pure: no I/O, no clock
(the current year is an argument).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal, get_args

from chengyu_contracts.cities import CITIES, CITY_NAMES, City
from chengyu_contracts.districts import DISTRICTS, district_of
from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.personal_text import refuse_personal_data

from ..education import EDUCATION_LEVELS, Education
from ..occupations import occupation_of

__all__ = [
    "COMMUTE_RADIUS_KM",
    "KEY_GROUPS",
    "MAX_INTERESTS",
    "MAX_OCCUPATIONS",
    "MAX_SKILLS",
    "SALARY_FLOOR_MAX_YUAN",
    "Contact",
    "KeyGroup",
    "Profile",
    "ProfileDraft",
    "check_contact",
    "check_profile",
    "parse_group",
]

#: Key groups of employment services (就业重点群体) a seeker may be tagged with.
KeyGroup = Literal[
    "college-graduate",
    "migrant-worker",
    "veteran",
    "disabled",
    "long-term-unemployed",
    "poverty-alleviated",
    "other",
]
KEY_GROUPS: Final[tuple[KeyGroup, ...]] = get_args(KeyGroup)
GRADUATE: Final[KeyGroup] = "college-graduate"

MAX_OCCUPATIONS: Final = 5
MAX_SKILLS: Final = 30
MAX_INTERESTS: Final = 20
MAX_DESIRED_DISTRICTS: Final = 60
WORD_MAX: Final = 40
#: The commute radius a seeker may state, in km (inclusive).
COMMUTE_RADIUS_KM: Final = (1, 500)
#: The highest monthly salary floor taken, in yuan.
SALARY_FLOOR_MAX_YUAN: Final = 1_000_000
#: The earliest graduation year taken; the latest is next year (final-year students).
EARLIEST_GRADUATION: Final = 1950
NAME_MAX: Final = 64
_PHONE = re.compile(r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$")


@dataclass(frozen=True)
class ProfileDraft:
    """A profile as a clerk states it (the request's values, unchecked)."""

    groups: Sequence[str]
    graduation_year: int | None
    occupation_codes: Sequence[str]
    skills: Sequence[str]
    interests: Sequence[str]
    education: str
    desired_cities: Sequence[str]
    desired_districts: Sequence[str]
    home_district: str
    salary_floor_yuan: int | None
    willing_to_move: bool
    commute_radius_km: int


@dataclass(frozen=True)
class Profile:
    """A checked matching profile: normalised (duplicates dropped, order kept), nothing
    personal in it."""

    groups: tuple[KeyGroup, ...]
    graduation_year: int | None
    occupation_codes: tuple[str, ...]
    skills: tuple[str, ...]
    interests: tuple[str, ...]
    education: Education
    desired_cities: tuple[City, ...]
    desired_districts: tuple[str, ...]
    home_district: str
    salary_floor_yuan: int | None
    willing_to_move: bool
    commute_radius_km: int


@dataclass(frozen=True)
class Contact:
    """How this city's employment service reaches its seeker: kept in this city only."""

    name: str
    phone: str


def _unique(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def parse_group(text: str) -> KeyGroup:
    """The key group ``text`` names; ``unknown-group`` otherwise."""
    for group in KEY_GROUPS:
        if text == group:
            return group
    raise DomainError("unknown-group", f"A key group is one of {', '.join(KEY_GROUPS)}.")


def _groups(raw: Sequence[str]) -> tuple[KeyGroup, ...]:
    if not raw:
        raise DomainError(
            "groups-required", f"groups names at least one of {', '.join(KEY_GROUPS)}."
        )
    return tuple(dict.fromkeys(parse_group(g.strip()) for g in raw))


def _graduation_year(groups: tuple[KeyGroup, ...], year: int | None, this_year: int) -> int | None:
    if GRADUATE not in groups:
        if year is not None:
            raise DomainError(
                "graduation-year-without-graduate",
                "graduation_year is given only for the group college-graduate.",
            )
        return None
    if year is None:
        raise DomainError(
            "graduation-year-required", "A college-graduate seeker needs graduation_year."
        )
    if not EARLIEST_GRADUATION <= year <= this_year + 1:
        raise DomainError(
            "invalid-graduation-year",
            f"graduation_year lies between {EARLIEST_GRADUATION} and {this_year + 1}.",
        )
    return year


def _occupations(raw: Sequence[str]) -> tuple[str, ...]:
    codes = _unique([occupation_of(c).code for c in raw])
    if not 1 <= len(codes) <= MAX_OCCUPATIONS:
        raise DomainError(
            "invalid-occupation-count",
            f"occupation_codes names 1 to {MAX_OCCUPATIONS} different occupations.",
        )
    return codes


def _words(raw: Sequence[str], field: str, most: int) -> tuple[str, ...]:
    words = _unique([w.strip() for w in raw])
    if len(words) > most:
        raise DomainError(f"too-many-{field}", f"{field} holds at most {most} entries.")
    for word in words:
        if not 1 <= len(word) <= WORD_MAX:
            raise DomainError(
                f"invalid-{field}", f"Each entry of {field} has 1 to {WORD_MAX} characters."
            )
        refuse_personal_data(field, word)
    return words


def _education(text: str) -> Education:
    for level in EDUCATION_LEVELS:
        if text == level:
            return level
    raise DomainError("unknown-education", f"education is one of {', '.join(EDUCATION_LEVELS)}.")


def _cities(raw: Sequence[str]) -> tuple[City, ...]:
    cities: list[City] = []
    for text in raw:
        city = next((c for c in CITIES if c == text), None)
        if city is None:
            raise DomainError(
                "unknown-city", f"desired_cities names cities among {', '.join(CITIES)}."
            )
        if city not in cities:
            cities.append(city)
    if not cities:
        raise DomainError("desired-cities-required", "desired_cities names at least one city.")
    return tuple(cities)


def _districts(raw: Sequence[str], cities: tuple[City, ...]) -> tuple[str, ...]:
    codes = _unique([d.strip() for d in raw])
    if len(codes) > MAX_DESIRED_DISTRICTS:
        raise DomainError(
            "too-many-desired-districts",
            f"desired_districts holds at most {MAX_DESIRED_DISTRICTS} districts.",
        )
    names = ", ".join(CITY_NAMES[c] for c in cities)
    for code in codes:
        if not any(code in DISTRICTS[c] for c in cities):
            raise DomainError(
                "district-not-in-desired-cities",
                f"The desired district {code} is not a district of the desired cities ({names}).",
            )
    return codes


def _salary_floor(floor: int | None) -> int | None:
    if floor is not None and not 1 <= floor <= SALARY_FLOOR_MAX_YUAN:
        raise DomainError(
            "invalid-salary-floor",
            f"salary_floor_yuan is a monthly amount from 1 to {SALARY_FLOOR_MAX_YUAN} yuan,"
            " or null for none.",
        )
    return floor


def _commute_radius(km: int) -> int:
    low, high = COMMUTE_RADIUS_KM
    if not low <= km <= high:
        raise DomainError(
            "invalid-commute-radius", f"commute_radius_km lies between {low} and {high} km."
        )
    return km


def check_profile(draft: ProfileDraft, city: City, this_year: int) -> Profile:
    """The checked profile of a seeker registered in ``city``, or the first refusal:
    ``groups-required``, ``unknown-group``, ``graduation-year-required``,
    ``graduation-year-without-graduate``, ``invalid-graduation-year``,
    ``invalid-occupation-code``, ``unknown-occupation``, ``invalid-occupation-count``,
    ``too-many-skills``, ``invalid-skills``, ``too-many-interests``, ``invalid-interests``,
    ``personal-data-in-text``, ``unknown-education``, ``unknown-city``,
    ``desired-cities-required``, ``too-many-desired-districts``,
    ``district-not-in-desired-cities``, ``unknown-district`` (the home district is not
    ``city``'s), ``invalid-salary-floor``, ``invalid-commute-radius``."""
    groups = _groups(draft.groups)
    cities = _cities(draft.desired_cities)
    return Profile(
        groups=groups,
        graduation_year=_graduation_year(groups, draft.graduation_year, this_year),
        occupation_codes=_occupations(draft.occupation_codes),
        skills=_words(draft.skills, "skills", MAX_SKILLS),
        interests=_words(draft.interests, "interests", MAX_INTERESTS),
        education=_education(draft.education),
        desired_cities=cities,
        desired_districts=_districts(draft.desired_districts, cities),
        home_district=district_of(city, draft.home_district).code,
        salary_floor_yuan=_salary_floor(draft.salary_floor_yuan),
        willing_to_move=draft.willing_to_move,
        commute_radius_km=_commute_radius(draft.commute_radius_km),
    )


def check_contact(name: str, phone: str) -> Contact:
    """The seeker's checked name and phone: ``invalid-name`` (1 to 64 characters),
    ``invalid-phone`` (an 11-digit mobile number or a landline with its area code). The
    sentences never quote them."""
    clean = name.strip()
    if not 1 <= len(clean) <= NAME_MAX:
        raise DomainError("invalid-name", f"The name has 1 to {NAME_MAX} characters.")
    number = phone.strip()
    if not _PHONE.match(number):
        raise DomainError(
            "invalid-phone",
            "The phone is an 11-digit mobile number or a landline with its area code.",
        )
    return Contact(clean, number)
