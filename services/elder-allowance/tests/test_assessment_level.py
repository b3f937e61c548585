"""The capability level of GB/T 42195-2022: by the total at every boundary, with each
adjustment and their combination under both stacking policies, never beyond 4; validity
and the current assessment."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chengyu_contracts.domain_error import DomainError
from chengyu_elder_allowance.assessments.level import (
    MAX_SCORES,
    AssessmentDraft,
    CapabilityAssessment,
    Findings,
    Scores,
    assess,
    base_level,
    current_of,
    level_of,
    valid_until,
)

scores = st.builds(
    Scores,
    self_care=st.integers(0, 32),
    basic_mobility=st.integers(0, 15),
    mental_state=st.integers(0, 28),
    perception_and_social=st.integers(0, 15),
)
findings = st.builds(
    Findings,
    coma=st.booleans(),
    dementia_or_mental_disorder=st.booleans(),
    care_risk_events_30d=st.integers(0, 10),
)


def scores_totalling(total: int) -> Scores:
    """Scores adding up to ``total``, filled dimension by dimension."""
    left = total
    parts: dict[str, int] = {}
    for dimension, highest in MAX_SCORES.items():
        parts[dimension] = min(left, highest)
        left -= parts[dimension]
    assert left == 0
    return Scores(**parts)


@pytest.mark.parametrize(
    ("total", "level"),
    [(90, 0), (89, 1), (66, 1), (65, 2), (46, 2), (45, 3), (30, 3), (29, 4), (0, 4)],
)
def test_the_level_by_the_total_at_every_boundary(total: int, level: int) -> None:
    result = level_of(scores_totalling(total), Findings(), adjustments_stack=False)
    assert (result.total, result.base_level, result.level, result.adjustments) == (
        total,
        level,
        level,
        (),
    )


@pytest.mark.parametrize("stack", [False, True])
@pytest.mark.parametrize("total", [90, 89, 66, 65, 46, 45, 30, 29])
def test_coma_is_level_4_whatever_the_total(total: int, stack: bool) -> None:
    result = level_of(scores_totalling(total), Findings(coma=True), adjustments_stack=stack)
    assert (result.level, result.adjustments) == (4, ("coma",))


@pytest.mark.parametrize("stack", [False, True])
@pytest.mark.parametrize(
    ("total", "base"), [(90, 0), (89, 1), (66, 1), (65, 2), (46, 2), (45, 3), (30, 3), (29, 4)]
)
def test_dementia_or_two_care_risk_events_each_raise_one_level_up_to_4(
    total: int, base: int, stack: bool
) -> None:
    dementia = level_of(
        scores_totalling(total), Findings(dementia_or_mental_disorder=True), adjustments_stack=stack
    )
    assert (dementia.level, dementia.adjustments) == (
        min(4, base + 1),
        ("dementia-or-mental-disorder",),
    )
    falls = level_of(
        scores_totalling(total), Findings(care_risk_events_30d=2), adjustments_stack=stack
    )
    assert (falls.level, falls.adjustments) == (min(4, base + 1), ("care-risk-events",))
    one_fall = level_of(
        scores_totalling(total), Findings(care_risk_events_30d=1), adjustments_stack=stack
    )
    assert (one_fall.level, one_fall.adjustments) == (base, ())


@pytest.mark.parametrize(
    ("total", "base"), [(90, 0), (89, 1), (66, 1), (65, 2), (46, 2), (45, 3), (30, 3), (29, 4)]
)
def test_both_one_level_adjustments_stack_only_where_the_policy_says(total: int, base: int) -> None:
    both = Findings(dementia_or_mental_disorder=True, care_risk_events_30d=3)
    apart = level_of(scores_totalling(total), both, adjustments_stack=False)
    stacked = level_of(scores_totalling(total), both, adjustments_stack=True)
    assert apart.level == min(4, base + 1)
    assert stacked.level == min(4, base + 2)
    assert (
        apart.adjustments
        == stacked.adjustments
        == (
            "dementia-or-mental-disorder",
            "care-risk-events",
        )
    )


@given(scores, findings, st.booleans())
def test_the_total_is_the_sum_and_the_level_is_never_below_the_base_nor_beyond_4(
    given_scores: Scores, given_findings: Findings, stack: bool
) -> None:
    result = level_of(given_scores, given_findings, adjustments_stack=stack)
    assert result.total == (
        given_scores.self_care
        + given_scores.basic_mobility
        + given_scores.mental_state
        + given_scores.perception_and_social
    )
    assert result.base_level == base_level(result.total)
    assert result.base_level <= result.level <= 4
    assert result.level - result.base_level <= (4 if given_findings.coma else 2 if stack else 1)


@given(st.integers(0, 89))
def test_a_lower_total_never_gives_a_better_level(total: int) -> None:
    assert base_level(total) >= base_level(total + 1)


@pytest.mark.parametrize(
    ("dimension", "value"),
    [
        ("self_care", 33),
        ("basic_mobility", 16),
        ("mental_state", 29),
        ("perception_and_social", 16),
        ("self_care", -1),
    ],
)
def test_a_score_out_of_range_is_refused_naming_its_dimension(dimension: str, value: int) -> None:
    fields = {"self_care": 10, "basic_mobility": 5, "mental_state": 10, "perception_and_social": 5}
    with pytest.raises(DomainError) as refused:
        Scores(**{**fields, dimension: value})
    assert refused.value.code == "score-out-of-range"
    assert dimension in refused.value.sentence


def test_negative_care_risk_events_are_refused() -> None:
    with pytest.raises(DomainError) as refused:
        Findings(care_risk_events_30d=-1)
    assert refused.value.code == "invalid-care-risk-events"


@pytest.mark.parametrize(
    ("assessed_on", "months", "until"),
    [
        (date(2026, 3, 15), 12, date(2027, 3, 15)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2027, 12, 31), 2, date(2028, 2, 29)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
    ],
)
def test_validity_is_months_later_on_the_same_day_or_the_months_last(
    assessed_on: date, months: int, until: date
) -> None:
    assert valid_until(assessed_on, months) == until


def made(assessment_id: str, on: date, today: date = date(2026, 10, 15)) -> CapabilityAssessment:
    draft = AssessmentDraft(
        assessment_id, "pr1_x", "cq", on, "routine", scores_totalling(70), Findings()
    )
    return assess(draft, today, adjustments_stack=False, validity_months=12)


def test_an_assessment_dated_after_today_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        made("a1", date(2026, 10, 16))
    assert refused.value.code == "assessed-in-future"


def test_the_current_assessment_is_the_latest_valid_one() -> None:
    old = made("a-old", date(2025, 9, 1))
    recent = made("a-recent", date(2026, 2, 1))
    assert current_of([old, recent], date(2026, 3, 1)) == recent
    assert current_of([old], date(2026, 10, 15)) is None  # expired on 2026-09-01
    assert current_of([recent, old], date(2026, 8, 1)) == recent
