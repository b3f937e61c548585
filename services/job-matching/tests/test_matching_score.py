"""Matching's pure rules: the hard filters, each factor at its boundaries, and the weighted
score."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chengyu_contracts.city_bounds import Point, distance_km
from chengyu_job_matching.education import rank
from chengyu_job_matching.matching.score import (
    MOVE_FLOOR,
    NEUTRAL,
    PostingFacts,
    SeekerFacts,
    ceiling,
    fails_filter,
    score,
    score_value,
)
from chengyu_job_matching.occupations import relation
from chengyu_job_matching.policy import CityPolicy, MatchWeights, default_policies

TODAY = date(2026, 3, 2)
POLICY = default_policies()[0]
YUZHONG = Point(29.556, 106.568)  # 渝中区

POSTING = PostingFacts(
    posting_id="p-1",
    city="cq",
    state="open",
    title="Python后端开发工程师",
    employer_name="山城软件有限公司",
    occupation_code="2-02-10-03",
    education=rank("bachelor"),
    skills=frozenset({"Python", "SQL", "Linux", "Docker"}),
    terms=frozenset({"python", "后端", "开发", "数据库"}),
    salary_min_yuan=8000,
    salary_max_yuan=12000,
    district="500103",
    place=YUZHONG,
    closing_on=date(2026, 4, 30),
)
SEEKER = SeekerFacts(
    seeker_ref="s-1",
    city="cq",
    occupation_codes=("2-02-10-03",),
    skills=frozenset({"Python", "SQL"}),
    interest_terms=frozenset({"后端", "数据库", "机器学习", "python"}),
    education=rank("bachelor"),
    desired_cities=frozenset({"cq", "cd"}),
    desired_districts=frozenset(),
    home_district="500103",
    home=YUZHONG,
    salary_floor_yuan=6000,
    willing_to_move=False,
    commute_radius_km=20,
)


def factor(name: str, seeker: SeekerFacts = SEEKER, posting: PostingFacts = POSTING) -> float:
    return score(seeker, posting, POLICY).factors[name].score  # type: ignore[index]


# ---- hard filters ---------------------------------------------------------------------------


def test_a_fitting_posting_passes_every_filter() -> None:
    assert fails_filter(SEEKER, POSTING, TODAY) is None


def test_a_closed_posting_is_no_match() -> None:
    assert fails_filter(SEEKER, replace(POSTING, state="closed"), TODAY) == "the posting is closed"


def test_a_posting_closing_today_still_matches_and_one_closed_yesterday_does_not() -> None:
    assert fails_filter(SEEKER, replace(POSTING, closing_on=TODAY), TODAY) is None
    found = fails_filter(SEEKER, replace(POSTING, closing_on=date(2026, 3, 1)), TODAY)
    assert found == "the posting closed on 2026-03-01"


@pytest.mark.parametrize(
    ("held", "required", "passes"),
    [
        ("bachelor", "bachelor", True),
        ("master", "bachelor", True),
        ("doctor", "junior-middle", True),
        ("junior-college", "bachelor", False),
        ("senior-middle", "junior-college", False),
    ],
)
def test_education_must_meet_the_requirement_on_the_ordinal_scale(
    held: str, required: str, passes: bool
) -> None:
    seeker = replace(SEEKER, education=rank(held))  # type: ignore[arg-type]
    posting = replace(POSTING, education=rank(required))  # type: ignore[arg-type]
    assert (fails_filter(seeker, posting, TODAY) is None) is passes


def test_a_posting_in_a_city_the_seeker_does_not_accept_is_no_match() -> None:
    seeker = replace(SEEKER, desired_cities=frozenset({"cd"}))
    assert fails_filter(seeker, POSTING, TODAY) == (
        "the posting's city is not one the seeker accepts"
    )


# ---- occupation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "relation"),
    [
        ("2-02-10-03", "unit"),
        ("2-02-10-09", "minor"),
        ("2-02-07-01", "sub-major"),
        ("2-05-01-01", "major"),
        ("4-04-05-01", "none"),
    ],
)
def test_the_occupation_factor_scores_the_closest_group(code: str, relation: str) -> None:
    seeker = replace(SEEKER, occupation_codes=(code,))
    assert factor("occupation", seeker) == POLICY.occupation_scores[relation]  # type: ignore[index]


def test_closer_groups_score_more_unit_minor_sub_major_major_none() -> None:
    scores = [POLICY.occupation_scores[r] for r in ("unit", "minor", "sub-major", "major", "none")]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == 5


def test_the_best_of_several_occupations_counts() -> None:
    seeker = replace(SEEKER, occupation_codes=("4-04-05-01", "2-02-10-03"))
    assert factor("occupation", seeker) == 1.0


# ---- skills and text ------------------------------------------------------------------------


def test_the_skills_factor_is_the_share_of_required_skills_held() -> None:
    assert factor("skills") == 0.5  # 2 of 4
    everything = replace(SEEKER, skills=POSTING.skills | {"Go"})
    assert factor("skills", everything) == 1.0
    assert factor("skills", replace(SEEKER, skills=frozenset())) == 0.0


def test_a_posting_naming_no_skills_is_neutral_on_skills() -> None:
    assert factor("skills", posting=replace(POSTING, skills=frozenset())) == NEUTRAL


def test_the_text_factor_is_the_share_of_interest_words_in_the_posting() -> None:
    assert factor("text") == 0.75  # 后端, 数据库, python of 4
    assert factor("text", replace(SEEKER, interest_terms=frozenset())) == NEUTRAL


# ---- distance -------------------------------------------------------------------------------


def test_within_the_commute_radius_scores_full_and_beyond_it_falls_off() -> None:
    # Chengdu's 武侯区 is about 270 km from 渝中区.
    far = replace(POSTING, city="cd", district="510107", place=Point(30.642, 104.043))
    assert factor("distance") == 1.0
    falling = factor("distance", posting=far)
    assert 0 < falling < 20 / 250


def test_a_seeker_willing_to_move_never_scores_below_the_floor() -> None:
    far = replace(POSTING, city="cd", district="510107", place=Point(30.642, 104.043))
    assert factor("distance", replace(SEEKER, willing_to_move=True), far) == MOVE_FLOOR


def test_a_district_the_seeker_asked_for_scores_full_however_far() -> None:
    far = replace(POSTING, city="cd", district="510107", place=Point(30.642, 104.043))
    seeker = replace(SEEKER, desired_districts=frozenset({"510107"}))
    assert factor("distance", seeker, far) == 1.0


@given(st.integers(1, 500), st.floats(0.0, 3.0))
def test_the_radius_is_a_boundary_full_inside_less_outside(radius: int, degrees: float) -> None:
    seeker = replace(SEEKER, commute_radius_km=radius)
    place = Point(YUZHONG.latitude + degrees, YUZHONG.longitude)
    found = factor("distance", seeker, replace(POSTING, place=place))
    km = distance_km(YUZHONG, place)
    if km <= radius:
        assert found == 1.0
    else:
        assert found == pytest.approx(radius / km)


# ---- salary ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "floor", "expected"),
    [
        (8000, 12000, 6000, 1.0),
        (8000, 12000, 8000, 1.0),
        (8000, 12000, 10000, 0.5),
        (8000, 12000, 12000, 0.0),
        (8000, 12000, 12001, 0.0),
        (8000, 8000, 8000, 1.0),
        (8000, 12000, None, 1.0),
    ],
)
def test_the_salary_factor_at_its_boundaries(
    low: int, high: int, floor: int | None, expected: float
) -> None:
    posting = replace(POSTING, salary_min_yuan=low, salary_max_yuan=high)
    assert factor("salary", replace(SEEKER, salary_floor_yuan=floor), posting) == expected


def test_negotiable_salary_is_neutral() -> None:
    posting = replace(POSTING, salary_min_yuan=None, salary_max_yuan=None)
    found = score(SEEKER, posting, POLICY).factors["salary"]
    assert found.score == NEUTRAL and "面议" in found.why


# ---- the score ------------------------------------------------------------------------------


def test_the_score_is_the_weighted_mean_of_the_factors_with_a_reason_each() -> None:
    match = score(SEEKER, POSTING, POLICY)
    weights = POLICY.weights
    expected = (
        1.0 * weights.occupation
        + 0.5 * weights.skills
        + 0.75 * weights.text
        + 1.0 * weights.distance
        + 1.0 * weights.salary
    ) / (weights.occupation + weights.skills + weights.text + weights.distance + weights.salary)
    assert match.score == pytest.approx(expected)
    assert all(f.why for f in match.factors.values())
    assert "the same occupation" in match.factors["occupation"].why


def test_the_weights_are_the_policys() -> None:
    only_salary = CityPolicy(
        city="cq",
        effective_from=date(2025, 1, 1),
        weights=MatchWeights(occupation=0, skills=0, text=0, distance=0, salary=1),
    )
    posting = replace(POSTING, salary_min_yuan=None, salary_max_yuan=None)
    assert score(SEEKER, posting, only_salary).score == NEUTRAL


@given(st.floats(0, 10), st.floats(0, 10), st.floats(0, 10), st.floats(0, 10), st.floats(0.01, 10))
def test_a_score_always_lies_between_zero_and_one(
    occupation: float, skills: float, text: float, distance: float, salary: float
) -> None:
    weights = MatchWeights(occupation, skills, text, distance, salary)
    policy = replace(POLICY, weights=weights)
    assert 0.0 <= score(SEEKER, POSTING, policy).score <= 1.0 + 1e-9


# ---- ranking without explanations, and the cut's ceiling -----------------------------------

_CODES = st.sampled_from(("2-02-10-03", "2-02-10-04", "2-02-30-01", "2-05-08-01", "4-02-01-01"))
_WORDS = st.frozensets(st.sampled_from(("Python", "SQL", "Linux", "护理", "会计", "Excel")))
_SALARY = st.one_of(st.none(), st.tuples(st.integers(1000, 20000), st.integers(0, 10000)))


@st.composite
def _pairs(draw: st.DrawFn) -> tuple[SeekerFacts, PostingFacts]:
    salary = draw(_SALARY)
    posting = replace(
        POSTING,
        occupation_code=draw(_CODES),
        skills=draw(_WORDS),
        terms=draw(_WORDS),
        salary_min_yuan=None if salary is None else salary[0],
        salary_max_yuan=None if salary is None else salary[0] + salary[1],
        place=Point(draw(st.floats(28.0, 32.0)), draw(st.floats(103.0, 108.0))),
    )
    seeker = replace(
        SEEKER,
        occupation_codes=(draw(_CODES),),
        skills=draw(_WORDS),
        interest_terms=draw(_WORDS),
        salary_floor_yuan=draw(st.one_of(st.none(), st.integers(1000, 30000))),
        willing_to_move=draw(st.booleans()),
        commute_radius_km=draw(st.integers(1, 100)),
    )
    return seeker, posting


@given(_pairs())
def test_ranking_without_explanations_gives_exactly_the_explained_score(
    pair: tuple[SeekerFacts, PostingFacts],
) -> None:
    seeker, posting = pair
    assert score_value(seeker, posting, POLICY) == score(seeker, posting, POLICY).score


@given(_pairs())
def test_no_candidate_scores_above_the_ceiling_of_its_relation_skills_and_text(
    pair: tuple[SeekerFacts, PostingFacts],
) -> None:
    seeker, posting = pair
    found = [relation(code, posting.occupation_code) for code in seeker.occupation_codes]
    closest = min(found, key=("unit", "minor", "sub-major", "major", "none").index)
    top = ceiling(
        POLICY,
        occupation=closest,
        skills=1.0 if seeker.skills & posting.skills else NEUTRAL,
        text=factor("text", seeker, posting),
    )
    assert score_value(seeker, posting, POLICY) <= top


def test_the_ceilings_of_the_cuts_tiers_with_the_default_weights() -> None:
    # occupation x 0.35, skills x 0.25, text x 0.15, distance and salary at 1 (0.25).
    assert ceiling(POLICY, occupation="minor", skills=1.0, text=1.0) == pytest.approx(0.895)
    assert ceiling(POLICY, occupation="sub-major", skills=1.0, text=1.0) == pytest.approx(0.79)
    assert ceiling(POLICY, occupation="major", skills=1.0, text=1.0) == pytest.approx(0.7025)
    assert ceiling(POLICY, occupation="major", skills=NEUTRAL, text=1.0) == pytest.approx(0.5775)
    assert ceiling(POLICY, occupation="major", skills=NEUTRAL, text=0.0) == pytest.approx(0.4275)


def test_a_farther_relation_never_has_a_higher_ceiling_even_when_the_policy_scores_it_higher() -> (
    None
):
    odd = replace(
        POLICY,
        occupation_scores={"unit": 1.0, "minor": 0.2, "sub-major": 0.3, "major": 0.1, "none": 0.0},
    )
    assert ceiling(odd, occupation="minor", skills=1, text=1) == ceiling(
        odd, occupation="sub-major", skills=1, text=1
    )
