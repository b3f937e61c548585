from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from insurance_years_builders import PERSON, SCALE, TODAY, assessment, book, policy

from chengyu_contracts.cities import City, other_city
from chengyu_contracts.domain_error import DomainError
from chengyu_insurance_years.care import (
    CareAssessment,
    CareDecision,
    Recognition,
    RecognitionRefusal,
    recognise,
    record_assessment,
)
from chengyu_insurance_years.policy import default_policy_book

MODERATE_FROM = date(2025, 10, 1)
# Chengdu recognises severe disability from 2025-01-01 and moderate as well from 2025-10-01.
BOOK = book(
    policy("cq"),
    policy("cd"),
    policy(
        "cd", effective_from=MODERATE_FROM, ltc_recognised_levels=frozenset({"severe", "moderate"})
    ),
)
EXPIRY = date(2027, 2, 28)


def recorded(**changes: Any) -> CareAssessment:
    arguments: dict[str, Any] = {
        "assessment_id": "cq-a1",
        "person_ref": PERSON,
        "city": "cq",
        "level": "severe",
        "scale_version": SCALE,
        "concluded_on": date(2025, 3, 1),
        "valid_until": EXPIRY,
    }
    arguments.update(changes)
    today = arguments.pop("today", TODAY)
    return record_assessment(CareAssessment(**arguments), today)


def recognised(decision: CareDecision) -> Recognition:
    assert isinstance(decision, Recognition), decision
    return decision


def refused(decision: CareDecision) -> RecognitionRefusal:
    assert isinstance(decision, RecognitionRefusal), decision
    return decision


def test_an_assessment_is_recorded_with_its_level_and_validity() -> None:
    recorded_assessment = recorded(level="moderate")
    assert (recorded_assessment.level, recorded_assessment.valid_until) == ("moderate", EXPIRY)


def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(DomainError) as raised:
        recorded(level="total")
    assert raised.value.code == "unknown-level"


def test_an_assessment_expiring_before_it_was_concluded_is_refused() -> None:
    with pytest.raises(DomainError) as raised:
        recorded(concluded_on=date(2025, 3, 1), valid_until=date(2025, 2, 28))
    assert raised.value.code == "valid-until-before-concluded"


def test_an_assessment_valid_only_on_the_day_it_was_concluded_is_accepted() -> None:
    assert recorded(concluded_on=date(2025, 3, 1), valid_until=date(2025, 3, 1)).valid_on(
        date(2025, 3, 1)
    )


def test_an_assessment_concluded_today_is_accepted() -> None:
    assert recorded(concluded_on=TODAY).concluded_on == TODAY


def test_an_assessment_concluded_after_today_is_refused() -> None:
    with pytest.raises(DomainError) as raised:
        recorded(concluded_on=date(2026, 10, 16))
    assert raised.value.code == "concluded-in-future"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"assessment_id": ""}, "invalid-assessment-id"),
        ({"person_ref": ""}, "invalid-person-ref"),
        ({"city": "bj"}, "unknown-city"),
        ({"scale_version": ""}, "invalid-scale-version"),
    ],
)
def test_bad_input_is_refused_with_its_code(changes: dict[str, Any], code: str) -> None:
    with pytest.raises(DomainError) as raised:
        recorded(**changes)
    assert raised.value.code == code


def test_the_other_city_recognises_a_severe_assessment() -> None:
    recognition = recognised(recognise(assessment("cq", "severe"), "cd", date(2025, 6, 1), BOOK))
    assert (recognition.assessing_city, recognition.recognising_city) == ("cq", "cd")


def test_a_recognition_lasts_as_long_as_the_assessment_and_names_the_policy() -> None:
    recognition = recognised(recognise(assessment("cq", "severe"), "cd", date(2025, 6, 1), BOOK))
    assert (recognition.valid_until, recognition.policy_effective_from) == (
        EXPIRY,
        date(2025, 1, 1),
    )


def test_a_moderate_assessment_is_refused_the_day_before_moderate_is_recognised() -> None:
    refusal = refused(recognise(assessment("cq", "moderate"), "cd", date(2025, 9, 30), BOOK))
    assert refusal.code == "level-not-recognised"
    assert "only from 2025-10-01" in refusal.sentence


def test_a_moderate_assessment_is_recognised_from_the_day_moderate_is_recognised() -> None:
    recognition = recognised(recognise(assessment("cq", "moderate"), "cd", MODERATE_FROM, BOOK))
    assert recognition.policy_effective_from == MODERATE_FROM


def test_a_mild_assessment_is_refused_when_no_policy_recognises_mild() -> None:
    refusal = refused(recognise(assessment("cq", "mild"), "cd", date(2026, 1, 1), BOOK))
    assert refusal.code == "level-not-recognised"
    assert "does not recognise mild" in refusal.sentence


def test_an_assessment_is_recognised_on_its_last_valid_day() -> None:
    recognised(recognise(assessment("cq", "severe"), "cd", EXPIRY, BOOK))


def test_an_assessment_is_refused_the_day_after_its_last_valid_day() -> None:
    refusal = refused(recognise(assessment("cq", "severe"), "cd", date(2027, 3, 1), BOOK))
    assert refusal.code == "assessment-expired"


def test_an_assessment_is_refused_before_the_day_it_was_concluded() -> None:
    concluded = assessment("cq", "severe", concluded_on=date(2025, 6, 2))
    refusal = refused(recognise(concluded, "cd", date(2025, 6, 1), BOOK))
    assert refusal.code == "not-yet-concluded"


def test_an_expired_assessment_is_refused_as_expired_whatever_its_level() -> None:
    refusal = refused(recognise(assessment("cq", "mild"), "cd", date(2027, 3, 1), BOOK))
    assert refusal.code == "assessment-expired"


def test_an_assessment_on_a_scale_the_city_does_not_accept_is_refused() -> None:
    local_scale = assessment("cq", "severe", scale_version="cq-local-2019")
    refusal = refused(recognise(local_scale, "cd", date(2025, 6, 1), BOOK))
    assert refusal.code == "scale-not-accepted"


def test_recognition_works_in_both_directions() -> None:
    recognised(recognise(assessment("cd", "severe"), "cq", date(2025, 6, 1), BOOK))


def test_a_city_does_not_recognise_its_own_assessment() -> None:
    with pytest.raises(DomainError) as raised:
        recognise(assessment("cq", "severe"), "cq", date(2025, 6, 1), BOOK)
    assert raised.value.code == "same-city"


def test_a_recognition_before_any_policy_cannot_be_decided() -> None:
    with pytest.raises(DomainError) as raised:
        recognise(assessment("cq", "severe"), "cd", date(2024, 12, 31), BOOK)
    assert raised.value.code == "no-policy-in-force"


def test_refusals_carry_the_assessment_and_no_person_ref_in_the_sentence() -> None:
    moderate = assessment("cq", "moderate")
    refusal = refused(recognise(moderate, "cd", date(2025, 9, 30), BOOK))
    assert (refusal.assessment_id, refusal.person_ref) == (moderate.assessment_id, PERSON)
    assert PERSON not in refusal.sentence


@pytest.mark.parametrize(
    ("by", "before", "from_day"),
    [("cd", date(2025, 9, 30), date(2025, 10, 1)), ("cq", date(2025, 6, 30), date(2025, 7, 1))],
)
def test_the_default_policies_recognise_moderate_from_their_effective_date(
    by: City, before: date, from_day: date
) -> None:
    defaults = default_policy_book()
    moderate = assessment(other_city(by), "moderate")
    assert refused(recognise(moderate, by, before, defaults)).code == "level-not-recognised"
    recognised(recognise(moderate, by, from_day, defaults))
