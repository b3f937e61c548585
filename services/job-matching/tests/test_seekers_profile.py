"""The rules of a seeker's profile and contact, each at its boundary: the key groups and the
graduation year, occupations, skills and interests, education, desired cities and districts,
the home district, the salary floor and the commute radius."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chengyu_contracts.domain_error import DomainError
from chengyu_job_matching.seekers.profile import (
    KEY_GROUPS,
    Contact,
    ProfileDraft,
    check_contact,
    check_profile,
)

YEAR = 2026
GOOD = ProfileDraft(
    groups=["college-graduate"],
    graduation_year=2025,
    occupation_codes=["2-02-10-03"],
    skills=["Python", "SQL"],
    interests=["数据库"],
    education="bachelor",
    desired_cities=["cq", "cd"],
    desired_districts=["500103", "510107"],
    home_district="500103",
    salary_floor_yuan=6000,
    willing_to_move=False,
    commute_radius_km=20,
)


def refusal(**changes: Any) -> str:
    with pytest.raises(DomainError) as refused:
        check_profile(replace(GOOD, **changes), "cq", YEAR)
    return refused.value.code


def test_a_good_profile_is_kept_as_stated() -> None:
    profile = check_profile(GOOD, "cq", YEAR)
    assert profile.groups == ("college-graduate",)
    assert profile.graduation_year == 2025
    assert profile.occupation_codes == ("2-02-10-03",)
    assert profile.education == "bachelor"
    assert profile.desired_cities == ("cq", "cd")
    assert (profile.home_district, profile.salary_floor_yuan, profile.commute_radius_km) == (
        "500103",
        6000,
        20,
    )


def test_duplicates_are_dropped_and_the_order_kept() -> None:
    profile = check_profile(
        replace(
            GOOD,
            groups=["migrant-worker", "college-graduate", "migrant-worker"],
            skills=[" SQL", "Python", "SQL "],
            desired_cities=["cd", "cq", "cd"],
        ),
        "cq",
        YEAR,
    )
    assert profile.groups == ("migrant-worker", "college-graduate")
    assert profile.skills == ("SQL", "Python")
    assert profile.desired_cities == ("cd", "cq")


@pytest.mark.parametrize("group", KEY_GROUPS)
def test_every_key_group_is_taken(group: str) -> None:
    year = 2025 if group == "college-graduate" else None
    profile = check_profile(replace(GOOD, groups=[group], graduation_year=year), "cq", YEAR)
    assert profile.groups == (group,)


def test_groups_come_from_the_fixed_list_and_at_least_one() -> None:
    assert refusal(groups=["student"]) == "unknown-group"
    assert refusal(groups=[]) == "groups-required"


def test_a_college_graduate_needs_a_graduation_year_and_only_a_graduate_has_one() -> None:
    assert refusal(graduation_year=None) == "graduation-year-required"
    assert refusal(groups=["veteran"]) == "graduation-year-without-graduate"
    other = check_profile(replace(GOOD, groups=["veteran"], graduation_year=None), "cq", YEAR)
    assert other.graduation_year is None


@given(st.integers(min_value=1900, max_value=2100))
def test_a_graduation_year_lies_from_1950_to_next_year(year: int) -> None:
    draft = replace(GOOD, graduation_year=year)
    if 1950 <= year <= YEAR + 1:
        assert check_profile(draft, "cq", YEAR).graduation_year == year
    else:
        with pytest.raises(DomainError) as refused:
            check_profile(draft, "cq", YEAR)
        assert refused.value.code == "invalid-graduation-year"


def test_occupation_codes_are_of_the_classification_one_to_five() -> None:
    assert refusal(occupation_codes=["2-02-10"]) == "invalid-occupation-code"
    assert refusal(occupation_codes=["2-99-99-99"]) == "unknown-occupation"
    assert refusal(occupation_codes=[]) == "invalid-occupation-count"


@given(st.integers(min_value=0, max_value=25))
def test_interests_are_at_most_twenty_keywords(count: int) -> None:
    draft = replace(GOOD, interests=[f"关键词{n}" for n in range(count)])
    if count <= 20:
        assert len(check_profile(draft, "cq", YEAR).interests) == count
    else:
        with pytest.raises(DomainError) as refused:
            check_profile(draft, "cq", YEAR)
        assert refused.value.code == "too-many-interests"


def test_a_keyword_or_skill_is_one_to_forty_characters_without_personal_data() -> None:
    assert refusal(interests=[" "]) == "invalid-interests"
    assert refusal(skills=["x" * 41]) == "invalid-skills"
    assert refusal(skills=[f"S{n}" for n in range(31)]) == "too-many-skills"
    assert refusal(interests=["call 13912345678"]) == "personal-data-in-text"


def test_education_is_a_level_of_the_scale() -> None:
    assert refusal(education="college") == "unknown-education"


def test_desired_districts_belong_to_the_desired_cities() -> None:
    assert refusal(desired_cities=["cq"]) == "district-not-in-desired-cities"
    assert refusal(desired_districts=["110101"]) == "district-not-in-desired-cities"
    assert refusal(desired_cities=["sh"]) == "unknown-city"
    assert refusal(desired_cities=[], desired_districts=[]) == "desired-cities-required"
    only_cd = check_profile(
        replace(GOOD, desired_cities=["cd"], desired_districts=["510107"]), "cq", YEAR
    )
    assert only_cd.desired_districts == ("510107",)


def test_the_home_district_is_one_of_this_citys() -> None:
    assert refusal(home_district="510107") == "unknown-district"
    assert check_profile(replace(GOOD, home_district="510107"), "cd", YEAR).home_district == (
        "510107"
    )


@given(st.integers(min_value=-10, max_value=600))
def test_the_commute_radius_is_one_to_five_hundred_km(km: int) -> None:
    draft = replace(GOOD, commute_radius_km=km)
    if 1 <= km <= 500:
        assert check_profile(draft, "cq", YEAR).commute_radius_km == km
    else:
        with pytest.raises(DomainError) as refused:
            check_profile(draft, "cq", YEAR)
        assert refused.value.code == "invalid-commute-radius"


@given(st.one_of(st.none(), st.integers(min_value=-5, max_value=1_000_005)))
def test_the_salary_floor_is_none_or_one_to_a_million_yuan(floor: int | None) -> None:
    draft = replace(GOOD, salary_floor_yuan=floor)
    if floor is None or 1 <= floor <= 1_000_000:
        assert check_profile(draft, "cq", YEAR).salary_floor_yuan == floor
    else:
        with pytest.raises(DomainError) as refused:
            check_profile(draft, "cq", YEAR)
        assert refused.value.code == "invalid-salary-floor"


def test_a_contact_is_a_name_and_a_reachable_phone_never_quoted_in_a_refusal() -> None:
    assert check_contact(" 王小明 ", "023-63891234") == Contact("王小明", "023-63891234")
    for name, phone, code in (
        ("", "13912345678", "invalid-name"),
        ("王", "1391234", "invalid-phone"),
    ):
        with pytest.raises(DomainError) as refused:
            check_contact(name, phone)
        assert refused.value.code == code
        assert phone not in refused.value.sentence
