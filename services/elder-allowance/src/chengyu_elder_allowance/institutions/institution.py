"""An elder-care institution (养老机构) of the map (养老服务地图): public data of one city.

Each city records its own institutions; the other city learns them from
``ElderCareInstitutionPublished`` and keeps the highest version. Coordinates are WGS 84,
held as integer millionths of a degree (the event's form: exact, so an unchanged save is
recognised exactly); the API speaks decimal degrees. Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal, InvalidOperation

from chengyu_contracts.cities import CITIES, CITY_NAMES, City
from chengyu_contracts.city_bounds import CITY_BOUNDS, Point
from chengyu_contracts.districts import DISTRICTS
from chengyu_contracts.domain_error import DomainError

#: Grades of GB/T 37276-2018 (养老机构等级划分与评定): 一级 (1) to 五级 (5).
GRADES = (1, 2, 3, 4, 5)
GRADE_NAMES = {1: "一级", 2: "二级", 3: "三级", 4: "四级", 5: "五级"}

_ID = re.compile(r"(?P<city>[a-z]{2})-[a-z0-9][a-z0-9-]{0,124}")
_DISTRICT = re.compile(r"[0-9]{6}")
_PHONE = re.compile(r"[0-9+() -]{3,40}")  # each used with fullmatch
_NAME_MAX, _ADDRESS_MAX = 200, 300


#: The city centres marked on the map (人民广场 area of each city).
CITY_CENTRES: dict[City, Point] = {
    "cq": Point(29.563, 106.551),
    "cd": Point(30.572, 104.066),
}


@dataclass(frozen=True)
class Institution:
    """One version of an elder-care institution as the map shows it.

    Invariants, for every instance (also one rebuilt from the other city's event): see
    :func:`institution_problem`; ``version`` ≥ 1.
    """

    institution_id: str
    city: City
    version: int
    name: str
    district: str
    address: str
    latitude_e6: int
    longitude_e6: int
    grade: int | None
    beds: int
    nursing_beds: int
    vacancies: int
    phone: str
    closed: bool
    updated_on: date

    def __post_init__(self) -> None:
        if self.version < 1:
            raise DomainError("invalid-version", "An institution's version starts at 1.")
        problem = institution_problem(self)
        if problem is not None:
            raise problem

    @property
    def point(self) -> Point:
        """Where the institution is, in decimal degrees."""
        return Point(self.latitude_e6 / 1_000_000, self.longitude_e6 / 1_000_000)

    def same_content(self, other: Institution) -> bool:
        """Whether ``other`` says the same thing (version and date of the save aside)."""
        ignored = {"version", "updated_on"}
        return all(
            getattr(self, f.name) == getattr(other, f.name)
            for f in fields(self)
            if f.name not in ignored
        )


def degrees_e6(value: float | str | Decimal) -> int:
    """Decimal degrees as integer millionths, rounded half to even on the decimal text (so
    ``29.563`` is exactly ``29563000``). A value that is not a finite number is refused
    ``coordinates-outside-city`` by the caller's bounds check: here it gives a sentinel far
    outside every box."""
    try:
        exact = Decimal(str(value))
    except InvalidOperation:
        return 10**12
    if not exact.is_finite():
        return 10**12
    return int((exact * 1_000_000).to_integral_value())


def city_of_institution_id(institution_id: str) -> City | None:
    """The city an institution id names by its prefix (``cq-...``), None if none."""
    match = _ID.fullmatch(institution_id)
    if match is None:
        return None
    return next((city for city in CITIES if city == match["city"]), None)


def institution_problem(institution: Institution) -> DomainError | None:
    """The first rule ``institution`` breaks, as the refusal to answer, else None.

    Codes, in this order: ``invalid-institution-id`` (``<city>-`` then lower-case letters,
    digits and hyphens, at most 128 characters), ``institution-of-other-city`` (the id's
    prefix is not the institution's city), ``invalid-name``, ``invalid-district`` (six
    digits), ``district-of-other-city`` (a district of the other city),
    ``unknown-district`` (none of the city's districts in ``chengyu_contracts.districts``),
    ``invalid-address``, ``coordinates-outside-city`` (outside the box of the city's
    municipality, :data:`CITY_BOUNDS`), ``invalid-grade`` (1-5 or none), ``invalid-beds``,
    ``invalid-nursing-beds`` (0 to beds), ``invalid-vacancies`` (0 to beds),
    ``invalid-phone``.
    """
    city = institution.city
    named = city_of_institution_id(institution.institution_id)
    if named is None or len(institution.institution_id) > 128:
        return DomainError(
            "invalid-institution-id",
            "An institution id is the city (cq or cd), a hyphen, then lower-case letters, "
            "digits and hyphens (at most 128 characters), e.g. cq-yubei-0001.",
        )
    if named != city:
        return DomainError(
            "institution-of-other-city",
            f"An institution of {CITY_NAMES[city]} has an id starting with {city}-; this one "
            f"starts with {named}- ({CITY_NAMES[named]} records its own institutions).",
        )
    name = institution.name
    if not name.strip() or len(name) > _NAME_MAX:
        return DomainError("invalid-name", f"The name is 1 to {_NAME_MAX} characters.")
    if not _DISTRICT.fullmatch(institution.district):
        return DomainError("invalid-district", "The district is a 6-digit division code.")
    if institution.district not in DISTRICTS[city]:
        if any(institution.district in DISTRICTS[other] for other in CITIES if other != city):
            return DomainError(
                "district-of-other-city",
                f"District {institution.district} is not in {CITY_NAMES[city]}.",
            )
        return DomainError(
            "unknown-district",
            f"District {institution.district} is none of {CITY_NAMES[city]}'s districts.",
        )
    if not institution.address.strip() or len(institution.address) > _ADDRESS_MAX:
        return DomainError("invalid-address", f"The address is 1 to {_ADDRESS_MAX} characters.")
    bounds = CITY_BOUNDS[city]
    if not bounds.contains(institution.point):
        return DomainError(
            "coordinates-outside-city",
            f"The coordinates are outside {CITY_NAMES[city]} (latitude {bounds.south} to "
            f"{bounds.north}, longitude {bounds.west} to {bounds.east}, WGS 84 degrees).",
        )
    if institution.grade is not None and institution.grade not in GRADES:
        return DomainError(
            "invalid-grade", "The grade is 1 (一级) to 5 (五级) per GB/T 37276, or null."
        )
    if institution.beds < 0:
        return DomainError("invalid-beds", "The number of beds is 0 or more.")
    if not 0 <= institution.nursing_beds <= institution.beds:
        return DomainError(
            "invalid-nursing-beds",
            f"Nursing beds are 0 to the number of beds ({institution.beds}).",
        )
    if not 0 <= institution.vacancies <= institution.beds:
        return DomainError(
            "invalid-vacancies", f"Vacancies are 0 to the number of beds ({institution.beds})."
        )
    if not _PHONE.fullmatch(institution.phone):
        return DomainError("invalid-phone", "The phone is 3 to 40 digits, spaces, +, -, ( and ).")
    return None


def next_version(current: Institution | None, proposed: Institution) -> Institution | None:
    """The version a save of ``proposed`` writes (numbered after ``current``), or None
    when it says what ``current`` already says (an unchanged save writes nothing)."""
    if current is None:
        return _numbered(proposed, 1)
    if current.same_content(proposed):
        return None
    return _numbered(proposed, current.version + 1)


def _numbered(institution: Institution, version: int) -> Institution:
    values = {f.name: getattr(institution, f.name) for f in fields(institution)}
    values["version"] = version
    return Institution(**values)
