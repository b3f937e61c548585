"""The institution map's pure rules: what an institution must be, when a save is a new
version, the haversine distance, and the query's parameters, order and pages."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from typing import Any

import pytest
from elder_institution_builders import an_institution, random_institution
from hypothesis import given
from hypothesis import strategies as st

from chengyu_contracts.city_bounds import Point, distance_km
from chengyu_contracts.domain_error import DomainError
from chengyu_elder_allowance.institutions.institution import (
    CITY_CENTRES,
    degrees_e6,
    next_version,
)
from chengyu_elder_allowance.institutions.query import (
    MapQuery,
    parse_query,
    search_box,
    select,
)

# ---------------------------------------------------------------------------------------------
# an institution


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"institution_id": "yuzhong-1"}, "invalid-institution-id"),
        ({"institution_id": "cq-Yuzhong 1"}, "invalid-institution-id"),
        ({"institution_id": "cq-" + "a" * 126}, "invalid-institution-id"),
        ({"institution_id": "cd-wuhou-1"}, "institution-of-other-city"),
        ({"name": "  "}, "invalid-name"),
        ({"name": "院" * 201}, "invalid-name"),
        ({"district": "50010"}, "invalid-district"),
        ({"district": "\uff15\uff10\uff10\uff11\uff10\uff13"}, "invalid-district"),  # full-width
        ({"district": "500103\n"}, "invalid-district"),
        ({"institution_id": "cq-yuzhong-1\n"}, "invalid-institution-id"),
        ({"phone": "023-6300\n"}, "invalid-phone"),
        ({"district": "510104"}, "district-of-other-city"),
        ({"district": "500199"}, "unknown-district"),
        ({"address": ""}, "invalid-address"),
        ({"latitude_e6": 30_572_000, "longitude_e6": 104_066_000}, "coordinates-outside-city"),
        ({"latitude_e6": 39_904_000, "longitude_e6": 116_407_000}, "coordinates-outside-city"),
        ({"latitude_e6": -29_557_000}, "coordinates-outside-city"),
        ({"grade": 0}, "invalid-grade"),
        ({"grade": 6}, "invalid-grade"),
        ({"beds": -1, "nursing_beds": 0, "vacancies": 0}, "invalid-beds"),
        ({"nursing_beds": 121}, "invalid-nursing-beds"),
        ({"nursing_beds": -1}, "invalid-nursing-beds"),
        ({"vacancies": 121}, "invalid-vacancies"),
        ({"vacancies": -1}, "invalid-vacancies"),
        ({"phone": ""}, "invalid-phone"),
        ({"phone": "call 12345"}, "invalid-phone"),
        ({"version": 0}, "invalid-version"),
    ],
)
def test_an_institution_breaking_a_rule_is_refused_naming_it(
    overrides: dict[str, Any], code: str
) -> None:
    with pytest.raises(DomainError) as refused:
        an_institution(**overrides)
    assert refused.value.code == code


def test_a_chengdu_institution_needs_a_chengdu_district_and_chengdu_coordinates() -> None:
    chengdu = {"institution_id": "cd-wuhou-1", "city": "cd"}
    assert (
        an_institution(
            **chengdu, district="510107", latitude_e6=30_642_000, longitude_e6=104_043_000
        ).city
        == "cd"
    )
    with pytest.raises(DomainError, match="none of Chengdu's districts"):
        an_institution(
            **chengdu, district="513401", latitude_e6=30_642_000, longitude_e6=104_043_000
        )


@pytest.mark.parametrize("grade", [None, 1, 5])
def test_grades_are_one_to_five_or_none(grade: int | None) -> None:
    assert an_institution(grade=grade).grade == grade


def test_beds_may_be_all_nursing_beds_and_all_vacant() -> None:
    full = an_institution(beds=10, nursing_beds=10, vacancies=10)
    assert (full.nursing_beds, full.vacancies) == (10, 10)


@pytest.mark.parametrize(
    ("degrees", "e6"),
    [(29.563, 29_563_000), ("106.551", 106_551_000), (-0.0000005, 0), (30.0000015, 30_000_002)],
)
def test_degrees_become_exact_millionths(degrees: float | str, e6: int) -> None:
    assert degrees_e6(degrees) == e6


@pytest.mark.parametrize("degrees", [math.nan, math.inf, "north"])
def test_what_is_no_number_lands_outside_every_city(degrees: float | str) -> None:
    assert abs(degrees_e6(degrees)) > 180_000_000


# ---------------------------------------------------------------------------------------------
# versions


def test_a_first_save_is_version_1() -> None:
    saved = next_version(None, an_institution(version=7))
    assert saved is not None
    assert saved.version == 1


def test_a_save_that_changes_anything_is_the_next_version() -> None:
    current = an_institution(version=3)
    saved = next_version(current, an_institution(vacancies=11))
    assert saved is not None
    assert (saved.version, saved.vacancies) == (4, 11)


def test_an_unchanged_save_writes_nothing_whatever_its_day() -> None:
    current = an_institution(version=3)
    assert (
        next_version(
            current, replace(current, version=1, updated_on=current.updated_on.replace(day=30))
        )
        is None
    )


def test_closing_is_a_new_version() -> None:
    saved = next_version(an_institution(), an_institution(closed=True))
    assert saved is not None
    assert (saved.version, saved.closed) == (2, True)


# ---------------------------------------------------------------------------------------------
# distance

points = st.builds(
    Point,
    latitude=st.floats(min_value=-90, max_value=90, allow_nan=False),
    longitude=st.floats(min_value=-180, max_value=180, allow_nan=False),
)


@given(points, points)
def test_distance_is_symmetric(a: Point, b: Point) -> None:
    assert distance_km(a, b) == distance_km(b, a)


@given(points)
def test_distance_to_itself_is_zero(a: Point) -> None:
    assert distance_km(a, a) == 0.0


@given(points, points, points)
def test_distance_keeps_the_triangle_inequality_within_rounding(
    a: Point, b: Point, c: Point
) -> None:
    assert distance_km(a, c) <= distance_km(a, b) + distance_km(b, c) + 1e-6


@given(points, points)
def test_distance_is_at_most_half_the_circumference(a: Point, b: Point) -> None:
    assert 0.0 <= distance_km(a, b) <= math.pi * 6371.0088 + 1e-9


def law_of_cosines_km(a: Point, b: Point) -> float:
    """The great-circle distance by the spherical law of cosines (another formula; poorly
    conditioned for very short distances, fine beyond a kilometre)."""
    phi1, phi2 = math.radians(a.latitude), math.radians(b.latitude)
    cosine = math.sin(phi1) * math.sin(phi2) + math.cos(phi1) * math.cos(phi2) * math.cos(
        math.radians(b.longitude - a.longitude)
    )
    return 6371.0088 * math.acos(max(-1.0, min(1.0, cosine)))


@given(points, points)
def test_distance_agrees_with_the_law_of_cosines(a: Point, b: Point) -> None:
    expected = law_of_cosines_km(a, b)
    if expected > 1.0:
        assert distance_km(a, b) == pytest.approx(expected, abs=1e-3)


def test_chongqing_to_chengdu_centres_are_264_km_apart() -> None:
    centres = CITY_CENTRES["cq"], CITY_CENTRES["cd"]
    assert distance_km(*centres) == pytest.approx(law_of_cosines_km(*centres), abs=1e-6)
    assert round(distance_km(*centres)) == 264


def test_one_degree_of_latitude_is_about_111_km() -> None:
    assert distance_km(Point(30, 106), Point(31, 106)) == pytest.approx(111.19, abs=0.01)


@given(points, st.floats(min_value=0.01, max_value=2000))
def test_the_search_box_holds_every_point_within_the_radius(near: Point, km: float) -> None:
    box = search_box(near, km)
    if box is None:
        return
    for bearing in range(0, 360, 15):
        # The point ``km`` away in direction ``bearing`` (spherical destination formula).
        delta, theta = km / 6371.0088, math.radians(bearing)
        phi1, lambda1 = math.radians(near.latitude), math.radians(near.longitude)
        phi2 = math.asin(
            math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta)
        )
        lambda2 = lambda1 + math.atan2(
            math.sin(theta) * math.sin(delta) * math.cos(phi1),
            math.cos(delta) - math.sin(phi1) * math.sin(phi2),
        )
        assert box.contains(Point(math.degrees(phi2), math.degrees(lambda2)))


# ---------------------------------------------------------------------------------------------
# the query's parameters


def test_no_parameters_ask_for_the_first_50_by_name() -> None:
    assert parse_query({}) == MapQuery(sort="name", page=1, page_size=50)


def test_near_makes_distance_the_default_order() -> None:
    query = parse_query({"near": "29.56,106.55", "within_km": "20"})
    assert (query.near, query.within_km, query.sort) == (Point(29.56, 106.55), 20.0, "distance")


def test_every_parameter_is_read() -> None:
    query = parse_query(
        {
            "city": "cd",
            "district": "510107",
            "min_grade": "3",
            "with_vacancies": "true",
            "near": "30.6,104.0",
            "within_km": "5.5",
            "sort": "grade",
            "page": "2",
            "page_size": "200",
        }
    )
    assert query == MapQuery(
        city="cd",
        district="510107",
        min_grade=3,
        with_vacancies=True,
        near=Point(30.6, 104.0),
        within_km=5.5,
        sort="grade",
        page=2,
        page_size=200,
    )


@pytest.mark.parametrize(
    ("parameters", "code", "named"),
    [
        ({"city": "bj"}, "invalid-city", "city"),
        ({"district": "5001"}, "invalid-district", "district"),
        ({"min_grade": "6"}, "invalid-min-grade", "min_grade"),
        ({"min_grade": "three"}, "invalid-min-grade", "min_grade"),
        ({"with_vacancies": "yes"}, "invalid-with-vacancies", "with_vacancies"),
        ({"near": "29.56"}, "invalid-near", "near"),
        ({"near": "91,106"}, "invalid-near", "near"),
        ({"near": "29.5,106.5,3"}, "invalid-near", "near"),
        ({"near": "nan,106"}, "invalid-near", "near"),
        ({"near": "29.5,106.5", "within_km": "0"}, "invalid-within-km", "within_km"),
        ({"near": "29.5,106.5", "within_km": "far"}, "invalid-within-km", "within_km"),
        ({"within_km": "20"}, "within-needs-near", "within_km"),
        ({"sort": "beds"}, "invalid-sort", "sort"),
        ({"sort": "distance"}, "sort-needs-near", "sort"),
        ({"page": "0"}, "invalid-page", "page"),
        ({"page": "1.5"}, "invalid-page", "page"),
        ({"page_size": "0"}, "invalid-page-size", "page_size"),
        ({"page_size": "201"}, "invalid-page-size", "page_size"),
        ({"page_size": "1_0"}, "invalid-page-size", "page_size"),
    ],
)
def test_a_bad_parameter_is_refused_naming_it(
    parameters: dict[str, str | None], code: str, named: str
) -> None:
    with pytest.raises(DomainError) as refused:
        parse_query(parameters)
    assert refused.value.code == code
    assert named in refused.value.sentence


# ---------------------------------------------------------------------------------------------
# filter, order, pages


def named(name: str, serial: int, **overrides: Any) -> Any:
    return an_institution(institution_id=f"cq-i-{serial}", name=name, **overrides)


def ids(page: Any) -> list[str]:
    return [found.institution.institution_id for found in page.items]


def test_closed_institutions_are_never_shown() -> None:
    page = select([named("甲", 1), named("乙", 2, closed=True)], MapQuery())
    assert (ids(page), page.total) == (["cq-i-1"], 1)


def test_grade_order_is_highest_first_ungraded_last_then_by_name() -> None:
    institutions = [
        named("b", 1, grade=3),
        named("a", 2, grade=None),
        named("c", 3, grade=5),
        named("a", 4, grade=3),
        named("z", 5, grade=1),
    ]
    page = select(institutions, MapQuery(sort="grade"))
    assert ids(page) == ["cq-i-3", "cq-i-4", "cq-i-1", "cq-i-5", "cq-i-2"]


def test_min_grade_leaves_out_the_ungraded_and_lower_grades() -> None:
    institutions = [named("a", 1, grade=None), named("b", 2, grade=2), named("c", 3, grade=3)]
    assert ids(select(institutions, MapQuery(min_grade=3))) == ["cq-i-3"]


def test_with_vacancies_leaves_out_the_full() -> None:
    institutions = [named("a", 1, vacancies=0), named("b", 2, vacancies=1)]
    assert ids(select(institutions, MapQuery(with_vacancies=True))) == ["cq-i-2"]


def test_near_orders_by_distance_and_within_cuts_off() -> None:
    here = Point(29.557, 106.577)
    institutions = [
        named("far", 1, latitude_e6=29_900_000),  # ~38 km north
        named("near", 2),
        named("mid", 3, latitude_e6=29_600_000),  # ~4.8 km north
    ]
    page = select(institutions, MapQuery(near=here, within_km=20, sort="distance"))
    assert ids(page) == ["cq-i-2", "cq-i-3"]
    assert [round(f.distance_km or 0, 1) for f in page.items] == [0.0, 4.8]


def test_pages_cut_the_ordered_list_and_total_counts_all() -> None:
    institutions = [named(f"n{i:02d}", i) for i in range(7)]
    pages = [select(institutions, MapQuery(page=p, page_size=3)) for p in (1, 2, 3, 4)]
    assert [ids(p) for p in pages] == [
        ["cq-i-0", "cq-i-1", "cq-i-2"],
        ["cq-i-3", "cq-i-4", "cq-i-5"],
        ["cq-i-6"],
        [],
    ]
    assert {p.total for p in pages} == {7}


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=9))
def test_the_pages_together_are_the_whole_ordered_answer_once(seed: int, size: int) -> None:
    rng = random.Random(seed)
    institutions = [random_institution(rng, rng.choice(("cq", "cd")), i) for i in range(25)]
    whole = select(institutions, MapQuery(sort="grade", page_size=200))
    paged: list[str] = []
    for page in range(1, whole.total // size + 2):
        paged.extend(ids(select(institutions, MapQuery(sort="grade", page=page, page_size=size))))
    assert paged == ids(whole)
