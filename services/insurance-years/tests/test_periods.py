from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from insurance_years_builders import PERSON, TODAY, period

from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.months import Month
from chengyu_insurance_years.periods import (
    ContributionPeriod,
    Correction,
    cancel_period,
    correct_period,
    parse_kind,
    record_period,
)

JAN, JUN, DEC = Month(2020, 1), Month(2020, 6), Month(2020, 12)


def recorded(**changes: Any) -> ContributionPeriod:
    arguments: dict[str, Any] = {
        "period_id": "cq-1",
        "person_ref": PERSON,
        "city": "cq",
        "start": JAN,
        "end": DEC,
        "kind": "actual",
    }
    arguments.update(changes)
    today = arguments.pop("today", TODAY)
    return record_period(ContributionPeriod(**arguments), today)


def code_of(error: pytest.ExceptionInfo[DomainError]) -> str:
    return error.value.code


def test_a_recorded_period_is_version_one_and_not_cancelled() -> None:
    recorded_period = recorded()
    assert (recorded_period.version, recorded_period.cancelled) == (1, False)


def test_a_period_counts_both_its_first_and_last_month() -> None:
    assert recorded().months == 12


def test_a_period_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        recorded(start=DEC, end=JAN)
    assert code_of(refused) == "end-before-start"


def test_a_period_ending_in_the_current_month_is_accepted() -> None:
    assert recorded(end=Month.of(TODAY)).end == Month(2026, 10)


def test_a_period_ending_after_the_current_month_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        recorded(end=Month.of(TODAY).next())
    assert code_of(refused) == "month-in-future"


def test_a_deemed_period_is_recorded_whatever_the_policy() -> None:
    # Whether deemed years count is decided when they are counted, by the deciding city.
    assert recorded(kind="deemed").kind == "deemed"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"period_id": ""}, "invalid-period-id"),
        ({"person_ref": ""}, "invalid-person-ref"),
        ({"city": "bj"}, "unknown-city"),
        ({"kind": "voluntary"}, "unknown-kind"),
    ],
)
def test_bad_input_is_refused_with_its_code(changes: dict[str, Any], code: str) -> None:
    with pytest.raises(DomainError) as refused:
        recorded(**changes)
    assert code_of(refused) == code


@pytest.mark.parametrize("version", [0, -1, True])
def test_a_version_below_one_is_invalid(version: int) -> None:
    with pytest.raises(DomainError) as refused:
        replace(period("cq", "2020-01", "2020-12"), version=version)
    assert code_of(refused) == "invalid-version"


def test_kinds_are_parsed_from_text() -> None:
    assert parse_kind("deemed") == "deemed"


def test_an_unknown_kind_text_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        parse_kind("Actual")
    assert code_of(refused) == "unknown-kind"


def test_a_correction_is_the_next_version_with_the_new_months() -> None:
    corrected = correct_period(recorded(), Correction(JAN, JUN, "actual"), "cq", TODAY)
    assert (corrected.version, corrected.start, corrected.end) == (2, JAN, JUN)


def test_a_correction_keeps_the_period_person_and_city() -> None:
    original = recorded()
    corrected = correct_period(original, Correction(JAN, DEC, "deemed"), "cq", TODAY)
    assert (corrected.period_id, corrected.person_ref, corrected.city) == (
        original.period_id,
        original.person_ref,
        original.city,
    )


def test_a_correction_leaves_the_earlier_version_as_it_was() -> None:
    original = recorded()
    correct_period(original, Correction(JAN, JUN, "actual"), "cq", TODAY)
    assert (original.version, original.end) == (1, DEC)


def test_a_correction_that_changes_nothing_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        correct_period(recorded(), Correction(JAN, DEC, "actual"), "cq", TODAY)
    assert code_of(refused) == "correction-changes-nothing"


def test_a_correction_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        correct_period(recorded(), Correction(DEC, JAN, "actual"), "cq", TODAY)
    assert code_of(refused) == "end-before-start"


def test_a_correction_into_the_future_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        correct_period(recorded(), Correction(JAN, Month(2026, 11), "actual"), "cq", TODAY)
    assert code_of(refused) == "month-in-future"


def test_only_the_recording_city_corrects_a_period() -> None:
    with pytest.raises(DomainError) as refused:
        correct_period(recorded(), Correction(JAN, JUN, "actual"), "cd", TODAY)
    assert code_of(refused) == "not-recording-city"
    assert "Chongqing" in refused.value.sentence


def test_a_cancellation_is_the_next_version_marked_cancelled() -> None:
    cancelled = cancel_period(recorded(), "cq")
    assert (cancelled.version, cancelled.cancelled) == (2, True)


def test_only_the_recording_city_cancels_a_period() -> None:
    with pytest.raises(DomainError) as refused:
        cancel_period(recorded(), "cd")
    assert code_of(refused) == "not-recording-city"


def test_a_cancelled_period_cannot_be_cancelled_again() -> None:
    with pytest.raises(DomainError) as refused:
        cancel_period(cancel_period(recorded(), "cq"), "cq")
    assert code_of(refused) == "period-cancelled"


def test_a_cancelled_period_cannot_be_corrected() -> None:
    with pytest.raises(DomainError) as refused:
        correct_period(cancel_period(recorded(), "cq"), Correction(JAN, JUN, "actual"), "cq", TODAY)
    assert code_of(refused) == "period-cancelled"


def test_sentences_carry_no_person_ref() -> None:
    with pytest.raises(DomainError) as refused:
        correct_period(recorded(), Correction(JAN, JUN, "actual"), "cd", TODAY)
    assert PERSON not in refused.value.sentence
