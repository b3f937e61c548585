"""The rules of employers' postings and joint recruitment fairs (专场招聘). Pure: no I/O, no
clock (today is given).

A posting states an employer's vacancy: title and description, an occupation of the 2022
classification (:mod:`..occupations`), the education it requires, skills, a salary range in
yuan per month or 面议 (both bounds absent), the workplace's district and coordinates in
the posting city, openings and a closing date. Each write is a new version; a closed posting
(filled, withdrawn, expired) is final. A fair groups postings of both cities on dates, and
is organised (versioned, cancelled) by one city.

Refusal codes, in the order :func:`check_posting` tries them: ``invalid-employer-name``,
``invalid-title``, ``invalid-description``, ``personal-data-in-text``,
``invalid-occupation-code``, ``unknown-occupation``, ``unknown-education``,
``too-many-skills``, ``invalid-skill``, ``salary-bound-missing``, ``invalid-salary``,
``salary-floor-above-ceiling``, ``invalid-district``, ``district-of-other-city``,
``unknown-district``, ``coordinates-outside-city``, ``invalid-openings``,
``invalid-date``, ``closing-date-past``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Final, Literal

from chengyu_contracts.cities import CITIES, CITY_NAMES, City
from chengyu_contracts.city_bounds import CITY_BOUNDS
from chengyu_contracts.districts import DISTRICTS
from chengyu_contracts.domain_error import Conflict, DomainError, Forbidden
from chengyu_contracts.personal_text import refuse_personal_data

from ..education import EDUCATION_LEVELS, Education
from ..occupations import occupation_of

__all__ = [
    "CLOSE_REASONS",
    "MAX_DESCRIPTION",
    "MAX_OPENINGS",
    "MAX_SALARY_YUAN",
    "MAX_SKILLS",
    "CloseReason",
    "Fair",
    "FairContent",
    "FairFields",
    "Posting",
    "PostingContent",
    "PostingFields",
    "cancel_fair",
    "check_fair",
    "check_posting",
    "clerk_close_reason",
    "close_posting",
    "degrees_e6",
    "expired",
    "revise_fair",
    "revise_posting",
]

MAX_EMPLOYER_NAME: Final = 200
MAX_TITLE: Final = 100
MAX_DESCRIPTION: Final = 5000
MAX_SKILLS: Final = 30
MAX_SKILL: Final = 40
#: Yuan per month: the event's ceiling.
MAX_SALARY_YUAN: Final = 10_000_000
MAX_OPENINGS: Final = 100_000
MAX_FAIR_TEXT: Final = 200
MAX_FAIR_POSTINGS: Final = 5000
MAX_REASON: Final = 500

CloseReason = Literal["filled", "withdrawn", "expired"]
CLOSE_REASONS: Final[tuple[CloseReason, ...]] = ("filled", "withdrawn", "expired")
#: What a clerk may close a posting for (``expired`` is the sweep's).
CLERK_CLOSE_REASONS: Final[tuple[CloseReason, ...]] = ("filled", "withdrawn")
PostingState = Literal["open", "closed"]
FairState = Literal["scheduled", "cancelled"]

_DISTRICT = re.compile(r"[0-9]{6}")
Degrees = float | str | Decimal


@dataclass(frozen=True)
class PostingFields:
    """A posting as a clerk states it (the API's body, unchecked)."""

    employer_name: str
    title: str
    description: str
    occupation_code: str
    education: str
    skills: tuple[str, ...]
    salary_min_yuan: int | None
    salary_max_yuan: int | None
    district: str
    latitude: Degrees
    longitude: Degrees
    openings: int
    closing_on: str


@dataclass(frozen=True)
class PostingContent:
    """What a posting says, checked: coordinates in integer micro-degrees; both salary bounds
    None for 面议."""

    employer_name: str
    title: str
    description: str
    occupation_code: str
    education: Education
    skills: tuple[str, ...]
    salary_min_yuan: int | None
    salary_max_yuan: int | None
    district: str
    lat_e6: int
    lon_e6: int
    openings: int
    closing_on: date

    @property
    def negotiable(self) -> bool:
        """面议: no salary range stated."""
        return self.salary_min_yuan is None


@dataclass(frozen=True)
class Posting:
    """One version of a posting of either city."""

    posting_id: str
    city: City
    version: int
    state: PostingState
    closed_reason: CloseReason | None
    content: PostingContent
    #: When this version was published (or closed).
    published_at: datetime


def degrees_e6(value: Degrees) -> int | None:
    """Decimal degrees as integer micro-degrees, rounded half to even on the decimal text
    (``29.563`` is exactly ``29563000``); None when not a finite number."""
    try:
        exact = Decimal(str(value))
    except InvalidOperation:
        return None
    if not exact.is_finite():
        return None
    return int((exact * 1_000_000).to_integral_value())


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise DomainError(
            "invalid-date", f"{field} is a day written YYYY-MM-DD, e.g. 2026-03-31."
        ) from None


def _text(value: str, code: str, what: str, bounds: tuple[int, int]) -> str:
    low, high = bounds
    text = value.strip()
    if not low <= len(text) <= high:
        raise DomainError(code, f"{what} has {low} to {high} characters.")
    return text


def _education(text: str) -> Education:
    for level in EDUCATION_LEVELS:
        if text == level:
            return level
    raise DomainError(
        "unknown-education", f"The required education is one of {', '.join(EDUCATION_LEVELS)}."
    )


def _skills(raw: tuple[str, ...]) -> tuple[str, ...]:
    if len(raw) > MAX_SKILLS:
        raise DomainError(
            "too-many-skills", f"A posting names at most {MAX_SKILLS} skills, not {len(raw)}."
        )
    seen: dict[str, None] = {}
    for skill in raw:
        text = skill.strip()
        if not 1 <= len(text) <= MAX_SKILL:
            raise DomainError("invalid-skill", f"Each skill has 1 to {MAX_SKILL} characters.")
        seen.setdefault(text, None)
    return tuple(seen)


def _salary(low: int | None, high: int | None) -> tuple[int | None, int | None]:
    if low is None and high is None:
        return None, None  # 面议
    if low is None or high is None:
        raise DomainError(
            "salary-bound-missing",
            "Give both salary_min_yuan and salary_max_yuan, or neither (面议, negotiable).",
        )
    for bound in (low, high):
        if not 1 <= bound <= MAX_SALARY_YUAN:
            raise DomainError(
                "invalid-salary",
                f"A salary bound is 1 to {MAX_SALARY_YUAN} yuan per month.",
            )
    if low > high:
        raise DomainError(
            "salary-floor-above-ceiling",
            f"The salary floor ({low} yuan) is above the ceiling ({high} yuan).",
        )
    return low, high


def _district(city: City, code: str) -> str:
    code = code.strip()
    if not _DISTRICT.fullmatch(code):
        raise DomainError("invalid-district", "The district is a 6-digit division code.")
    if code in DISTRICTS[city]:
        return code
    for other in CITIES:
        if other != city and code in DISTRICTS[other]:
            raise DomainError(
                "district-of-other-city",
                f"District {code} is in {CITY_NAMES[other]}, not {CITY_NAMES[city]}:"
                f" {CITY_NAMES[city]} publishes postings of its own districts.",
            )
    raise DomainError(
        "unknown-district", f"District {code} is none of {CITY_NAMES[city]}'s districts."
    )


def _coordinates(city: City, latitude: Degrees, longitude: Degrees) -> tuple[int, int]:
    lat = degrees_e6(latitude)
    lon = degrees_e6(longitude)
    bounds = CITY_BOUNDS[city]
    if lat is None or lon is None or not bounds.contains_e6(lat, lon):
        raise DomainError(
            "coordinates-outside-city",
            f"The workplace's coordinates are outside {CITY_NAMES[city]} (latitude"
            f" {bounds.south} to {bounds.north}, longitude {bounds.west} to {bounds.east},"
            " WGS 84 degrees).",
        )
    return lat, lon


def check_posting(fields: PostingFields, city: City, today: date) -> PostingContent:
    """``fields`` checked as a posting of ``city`` written on ``today``, or the first
    refusal (the module's list, in its order)."""
    employer = _text(
        fields.employer_name, "invalid-employer-name", "The employer's name", (1, MAX_EMPLOYER_NAME)
    )
    title = _text(fields.title, "invalid-title", "The title", (1, MAX_TITLE))
    description = _text(
        fields.description, "invalid-description", "The description", (0, MAX_DESCRIPTION)
    )
    refuse_personal_data("title", title)
    refuse_personal_data("description", description)
    occupation = occupation_of(fields.occupation_code)
    education = _education(fields.education)
    skills = _skills(fields.skills)
    low, high = _salary(fields.salary_min_yuan, fields.salary_max_yuan)
    district = _district(city, fields.district)
    lat, lon = _coordinates(city, fields.latitude, fields.longitude)
    if not 1 <= fields.openings <= MAX_OPENINGS:
        raise DomainError("invalid-openings", f"Openings are 1 to {MAX_OPENINGS}.")
    closing_on = _day(fields.closing_on, "closing_on")
    if closing_on < today:
        raise DomainError(
            "closing-date-past",
            f"The closing date {closing_on.isoformat()} is before today ({today.isoformat()}).",
        )
    return PostingContent(
        employer_name=employer,
        title=title,
        description=description,
        occupation_code=occupation.code,
        education=education,
        skills=skills,
        salary_min_yuan=low,
        salary_max_yuan=high,
        district=district,
        lat_e6=lat,
        lon_e6=lon,
        openings=fields.openings,
        closing_on=closing_on,
    )


def _own_open(current: Posting, city: City) -> None:
    if current.city != city:
        raise Forbidden(
            "other-citys-posting",
            f"Posting {current.posting_id} is {CITY_NAMES[current.city]}'s: only"
            f" {CITY_NAMES[current.city]} changes or closes it.",
        )
    if current.state == "closed":
        raise Conflict(
            "posting-closed",
            f"Posting {current.posting_id} is closed ({current.closed_reason}); publish a new"
            " posting instead.",
        )


def revise_posting(
    current: Posting, content: PostingContent, city: City, at: datetime
) -> Posting | None:
    """The next version of ``current`` saying ``content`` (``city``'s clerk wrote it at
    ``at``), or None when it says what ``current`` already says (nothing to write).
    Refusals: ``other-citys-posting``, ``posting-closed``."""
    _own_open(current, city)
    if content == current.content:
        return None
    return replace(current, version=current.version + 1, content=content, published_at=at)


def clerk_close_reason(text: str) -> CloseReason:
    """A clerk's reason to close a posting: ``filled`` or ``withdrawn`` (``expired`` is the
    sweep's); else ``unknown-close-reason``."""
    for reason in CLERK_CLOSE_REASONS:
        if text == reason:
            return reason
    raise DomainError(
        "unknown-close-reason", f"A posting is closed as {' or '.join(CLERK_CLOSE_REASONS)}."
    )


def close_posting(current: Posting, reason: CloseReason, city: City, at: datetime) -> Posting:
    """``current`` closed for ``reason`` as its next version. Refusals:
    ``other-citys-posting``, ``posting-closed``."""
    chosen = next((r for r in CLOSE_REASONS if r == reason), None)
    if chosen is None:
        raise DomainError(
            "unknown-close-reason",
            f"A posting is closed as {' or '.join(CLERK_CLOSE_REASONS)}.",
        )
    _own_open(current, city)
    return replace(
        current, version=current.version + 1, state="closed", closed_reason=chosen, published_at=at
    )


def expired(posting: Posting, today: date) -> bool:
    """Whether the sweep closes ``posting`` as expired on ``today``: open and past its
    closing date (still open on the closing date itself)."""
    return posting.state == "open" and posting.content.closing_on < today


# --------------------------------------------------------------------------------------------
# fairs


@dataclass(frozen=True)
class FairFields:
    """A fair as a clerk states it (unchecked)."""

    title: str
    venue: str
    starts_on: str
    ends_on: str
    posting_ids: tuple[str, ...]


@dataclass(frozen=True)
class FairContent:
    """What a fair says, checked (postings in the clerk's order, without repeats)."""

    title: str
    venue: str
    starts_on: date
    ends_on: date
    posting_ids: tuple[str, ...]


@dataclass(frozen=True)
class Fair:
    """One version of a fair organised by ``city``."""

    fair_id: str
    city: City
    version: int
    state: FairState
    content: FairContent
    cancel_reason: str | None
    at: datetime


def check_fair(fields: FairFields, today: date, *, keeps_start: date | None = None) -> FairContent:
    """``fields`` checked as a fair scheduled on ``today``. ``keeps_start``: the start of
    the version being revised, which may stay even when past.

    Refusals: ``invalid-fair-title``, ``invalid-venue``, ``personal-data-in-text``,
    ``invalid-date``, ``fair-start-past``, ``fair-ends-before-start``,
    ``invalid-posting-ids`` (1 to 5000 ids).
    """
    title = _text(fields.title, "invalid-fair-title", "The fair's title", (1, MAX_FAIR_TEXT))
    venue = _text(fields.venue, "invalid-venue", "The venue", (1, MAX_FAIR_TEXT))
    refuse_personal_data("title", title)
    refuse_personal_data("venue", venue)
    starts_on = _day(fields.starts_on, "starts_on")
    ends_on = _day(fields.ends_on, "ends_on")
    if starts_on < today and starts_on != keeps_start:
        raise DomainError(
            "fair-start-past",
            f"The fair cannot start on {starts_on.isoformat()}, before today"
            f" ({today.isoformat()}).",
        )
    if ends_on < starts_on:
        raise DomainError(
            "fair-ends-before-start",
            f"The fair ends ({ends_on.isoformat()}) before it starts ({starts_on.isoformat()}).",
        )
    ids = tuple(dict.fromkeys(p.strip() for p in fields.posting_ids))
    if not 1 <= len(ids) <= MAX_FAIR_POSTINGS or any(not 1 <= len(p) <= 128 for p in ids):
        raise DomainError(
            "invalid-posting-ids",
            f"A fair groups 1 to {MAX_FAIR_POSTINGS} postings, each named by its posting_id.",
        )
    return FairContent(title, venue, starts_on, ends_on, ids)


def _own_scheduled(current: Fair, city: City) -> None:
    if current.city != city:
        raise Forbidden(
            "other-citys-fair",
            f"Fair {current.fair_id} is organised by {CITY_NAMES[current.city]}, which alone"
            " changes or cancels it.",
        )
    if current.state == "cancelled":
        raise Conflict("fair-cancelled", f"Fair {current.fair_id} is cancelled.")


def revise_fair(current: Fair, content: FairContent, city: City, at: datetime) -> Fair | None:
    """The next version of ``current`` saying ``content``, or None when unchanged.
    Refusals: ``other-citys-fair``, ``fair-cancelled``."""
    _own_scheduled(current, city)
    if content == current.content:
        return None
    return replace(current, version=current.version + 1, content=content, at=at)


def cancel_fair(current: Fair, reason: str, city: City, at: datetime) -> Fair:
    """``current`` cancelled for ``reason`` as its next version. Refusals:
    ``invalid-reason``, ``personal-data-in-text``, ``other-citys-fair``,
    ``fair-cancelled``."""
    text = _text(reason, "invalid-reason", "The reason", (1, MAX_REASON))
    refuse_personal_data("reason", text)
    _own_scheduled(current, city)
    return replace(
        current, version=current.version + 1, state="cancelled", cancel_reason=text, at=at
    )
