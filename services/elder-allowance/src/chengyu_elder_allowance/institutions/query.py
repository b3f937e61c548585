"""The map query over both cities' institutions: its parameters as a clerk's browser
sends them, and what it answers, as a pure specification (filter, sort, paginate) that the
SQL of :mod:`.store` implements and the tests hold it to.

Closed institutions are never shown. ``near`` adds each institution's distance (km);
``within_km`` keeps those within it (and needs ``near``); ``sort`` is ``distance``
(nearest first; needs ``near``), ``grade`` (highest first, ungraded last, then by name) or
``name``; the default is ``distance`` with ``near``, else ``name``. Ties break by name,
then id (names compare by code point), so a page is always the same page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from chengyu_contracts.cities import CITIES, City
from chengyu_contracts.city_bounds import EARTH_RADIUS_KM, Bounds, Point, distance_km
from chengyu_contracts.domain_error import DomainError

from .institution import GRADES, Institution

Sort = Literal["distance", "grade", "name"]
SORTS: tuple[Sort, ...] = ("distance", "grade", "name")
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
#: The farthest ``within_km`` asked for: beyond it, "near" means nothing on a city map.
MAX_WITHIN_KM = 20_000.0


@dataclass(frozen=True)
class MapQuery:
    """A query of the map (module docstring)."""

    city: City | None = None
    district: str | None = None
    min_grade: int | None = None
    with_vacancies: bool = False
    near: Point | None = None
    within_km: float | None = None
    sort: Sort = "name"
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    @property
    def offset(self) -> int:
        """How many matching institutions come before this page."""
        return (self.page - 1) * self.page_size


@dataclass(frozen=True)
class Found:
    """An institution matching a query, with its distance when the query was ``near``."""

    institution: Institution
    distance_km: float | None


@dataclass(frozen=True)
class MapPage:
    """One page of the answer and how many match in all."""

    items: list[Found]
    total: int
    page: int
    page_size: int


def _refuse(parameter: str, sentence: str, code: str | None = None) -> DomainError:
    return DomainError(code or f"invalid-{parameter.replace('_', '-')}", sentence)


def _integer(raw: str, parameter: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high or not raw.strip().lstrip("-").isdigit():
        raise _refuse(parameter, f"Parameter {parameter} is a whole number from {low} to {high}.")
    return value


def _near(raw: str) -> Point:
    parts = raw.split(",")
    try:
        latitude, longitude = (float(part) for part in parts)
    except ValueError:
        latitude = longitude = math.nan
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise _refuse(
            "near",
            "Parameter near is latitude,longitude in WGS 84 decimal degrees, e.g. 29.56,106.55.",
        )
    return Point(latitude, longitude)


def parse_query(raw: Mapping[str, str | None]) -> MapQuery:
    """The query a request's parameters ask for (absent or empty: the default), or a
    refusal naming the parameter: ``invalid-city``, ``invalid-district``,
    ``invalid-min-grade``, ``invalid-with-vacancies``, ``invalid-near``,
    ``invalid-within-km``, ``within-needs-near``, ``invalid-sort``, ``sort-needs-near``,
    ``invalid-page``, ``invalid-page-size``."""

    def given(name: str) -> str | None:
        value = raw.get(name)
        return value if value not in (None, "") else None

    city: City | None = None
    if (text := given("city")) is not None:
        city = next((c for c in CITIES if c == text), None)
        if city is None:
            raise _refuse("city", "Parameter city is cq (Chongqing) or cd (Chengdu).")
    district = given("district")
    if district is not None and not (
        len(district) == 6 and district.isascii() and district.isdigit()
    ):
        raise _refuse("district", "Parameter district is a 6-digit division code.")
    min_grade = None
    if (text := given("min_grade")) is not None:
        min_grade = _integer(text, "min_grade", GRADES[0], GRADES[-1])
    with_vacancies = False
    if (text := given("with_vacancies")) is not None:
        if text not in ("true", "false"):
            raise _refuse("with_vacancies", "Parameter with_vacancies is true or false.")
        with_vacancies = text == "true"
    near = _near(text) if (text := given("near")) is not None else None
    within_km = None
    if (text := given("within_km")) is not None:
        try:
            within_km = float(text)
        except ValueError:
            within_km = math.nan
        if not 0 < within_km <= MAX_WITHIN_KM:
            raise _refuse(
                "within_km",
                f"Parameter within_km is a distance in km, above 0 and at most "
                f"{MAX_WITHIN_KM:,.0f}.",
            )
        if near is None:
            raise _refuse(
                "within_km",
                "Parameter within_km needs near (the point to measure from).",
                code="within-needs-near",
            )
    sort: Sort = "distance" if near is not None else "name"
    if (text := given("sort")) is not None:
        chosen = next((s for s in SORTS if s == text), None)
        if chosen is None:
            raise _refuse("sort", "Parameter sort is distance, grade or name.")
        sort = chosen
    if sort == "distance" and near is None:
        raise _refuse(
            "sort",
            "Parameter sort=distance needs near (the point to measure from).",
            code="sort-needs-near",
        )
    page = _integer(text, "page", 1, 10**6) if (text := given("page")) is not None else 1
    page_size = DEFAULT_PAGE_SIZE
    if (text := given("page_size")) is not None:
        page_size = _integer(text, "page_size", 1, MAX_PAGE_SIZE)
    return MapQuery(
        city=city,
        district=district,
        min_grade=min_grade,
        with_vacancies=with_vacancies,
        near=near,
        within_km=within_km,
        sort=sort,
        page=page,
        page_size=page_size,
    )


def matches(institution: Institution, query: MapQuery, distance: float | None) -> bool:
    """Whether ``institution`` (at ``distance`` km from ``query.near``) is on the map the
    query asks for."""
    return not (
        institution.closed
        or (query.city is not None and institution.city != query.city)
        or (query.district is not None and institution.district != query.district)
        or (
            query.min_grade is not None
            and (institution.grade is None or institution.grade < query.min_grade)
        )
        or (query.with_vacancies and institution.vacancies == 0)
        or (query.within_km is not None and (distance is None or distance > query.within_km))
    )


def _order(found: Found, sort: Sort) -> tuple[float, str, str]:
    i = found.institution
    if sort == "distance":
        first = found.distance_km if found.distance_km is not None else math.inf
    elif sort == "grade":
        first = -(i.grade or 0)  # ungraded after 一级
    else:
        first = 0.0
    return (first, i.name, i.institution_id)


def select(institutions: Sequence[Institution], query: MapQuery) -> MapPage:
    """The page of ``institutions`` that ``query`` asks for (the specification the SQL
    query implements)."""
    found = []
    for institution in institutions:
        distance = None if query.near is None else distance_km(query.near, institution.point)
        if matches(institution, query, distance):
            found.append(Found(institution, distance))
    found.sort(key=lambda f: _order(f, query.sort))
    items = found[query.offset : query.offset + query.page_size]
    return MapPage(items=items, total=len(found), page=query.page, page_size=query.page_size)


def search_box(near: Point, within_km: float) -> Bounds | None:
    """A latitude/longitude box holding every point within ``within_km`` of ``near`` (a
    cheap pre-filter an index can use before the exact distance), or None when no simple
    box does (near a pole or the antimeridian, or a radius too large)."""
    # 1 % of margin: the box must never cut off a point the exact distance keeps.
    within_km *= 1.01
    d_lat = math.degrees(within_km / EARTH_RADIUS_KM)
    south, north = near.latitude - d_lat, near.latitude + d_lat
    if south <= -89.0 or north >= 89.0:
        return None
    # The widest longitude span is at the box's latitude farthest from the equator.
    widest = max(abs(south), abs(north))
    d_lon = math.degrees(within_km / (EARTH_RADIUS_KM * math.cos(math.radians(widest))))
    west, east = near.longitude - d_lon, near.longitude + d_lon
    if d_lon >= 90.0 or west < -180.0 or east > 180.0:
        return None
    return Bounds(south=south, west=west, north=north, east=east)
