from __future__ import annotations

import pytest

from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.months import Month
from chengyu_insurance_years.spans import MonthSpan, count_months, union


def span(first: str, last: str) -> MonthSpan:
    return MonthSpan.parse(first, last)


def test_a_span_includes_both_ends() -> None:
    assert span("2025-11", "2026-01").length == 3


def test_a_span_of_one_month_has_length_one() -> None:
    assert span("2026-01", "2026-01").length == 1


def test_a_span_that_ends_before_it_starts_is_end_before_start() -> None:
    with pytest.raises(DomainError) as refused:
        span("2026-02", "2026-01")
    assert refused.value.code == "end-before-start"


def test_a_span_contains_its_first_and_last_month_only_between() -> None:
    year = span("2026-01", "2026-12")
    assert Month(2026, 1) in year
    assert Month(2026, 12) in year
    assert Month(2027, 1) not in year


def test_a_span_cut_at_a_month_inside_keeps_the_months_up_to_it() -> None:
    assert span("2026-01", "2026-12").up_to(Month(2026, 6)) == span("2026-01", "2026-06")


def test_a_span_cut_before_it_starts_is_nothing() -> None:
    assert span("2026-01", "2026-12").up_to(Month(2025, 12)) is None


def test_a_span_cut_after_it_ends_is_unchanged() -> None:
    assert span("2026-01", "2026-12").up_to(Month(2030, 1)) == span("2026-01", "2026-12")


def test_overlapping_spans_merge_into_one() -> None:
    assert union([span("2020-01", "2020-08"), span("2020-05", "2020-12")]) == (
        span("2020-01", "2020-12"),
    )


def test_touching_spans_merge_into_one() -> None:
    assert union([span("2020-07", "2020-12"), span("2020-01", "2020-06")]) == (
        span("2020-01", "2020-12"),
    )


def test_spans_with_a_gap_stay_apart_in_order() -> None:
    assert union([span("2021-02", "2021-03"), span("2020-01", "2020-12")]) == (
        span("2020-01", "2020-12"),
        span("2021-02", "2021-03"),
    )


def test_a_span_inside_another_adds_nothing() -> None:
    assert union([span("2020-01", "2020-12"), span("2020-03", "2020-04")]) == (
        span("2020-01", "2020-12"),
    )


def test_a_month_in_two_spans_is_counted_once() -> None:
    assert count_months([span("2020-01", "2020-06"), span("2020-06", "2020-12")]) == 12


def test_no_spans_count_no_months() -> None:
    assert count_months([]) == 0
