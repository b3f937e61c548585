from __future__ import annotations

from datetime import date

import pytest

from chengyu_insurance_years.errors import DomainError
from chengyu_insurance_years.months import (
    Month,
    MonthSpan,
    count_months,
    month_range,
    months_between,
    union,
)


def span(first: str, last: str) -> MonthSpan:
    return MonthSpan.parse(first, last)


def test_a_month_is_parsed_from_and_written_as_year_dash_month() -> None:
    assert Month.parse("2026-03") == Month(2026, 3)
    assert str(Month(2026, 3)) == "2026-03"


@pytest.mark.parametrize("text", ["2026-3", "2026-13", "2026-00", "26-03", "2026/03", ""])
def test_a_malformed_month_is_an_invalid_month(text: str) -> None:
    with pytest.raises(DomainError) as refused:
        Month.parse(text)
    assert refused.value.code == "invalid-month"


def test_a_year_outside_the_bounds_is_an_invalid_month() -> None:
    with pytest.raises(DomainError) as refused:
        Month(1899, 12)
    assert refused.value.code == "invalid-month"


def test_months_are_ordered_in_time() -> None:
    assert Month(2025, 12) < Month(2026, 1) < Month(2026, 2)


def test_next_and_previous_cross_the_year_boundary() -> None:
    assert Month(2025, 12).next() == Month(2026, 1)
    assert Month(2026, 1).previous() == Month(2025, 12)


def test_the_month_of_a_day() -> None:
    assert Month.of(date(2026, 10, 31)) == Month(2026, 10)


def test_months_between_counts_forward_and_backward() -> None:
    assert months_between(Month(2025, 11), Month(2026, 2)) == 3
    assert months_between(Month(2026, 2), Month(2025, 11)) == -3


def test_a_month_range_includes_both_ends() -> None:
    assert [str(m) for m in month_range(Month(2025, 11), Month(2026, 1))] == [
        "2025-11",
        "2025-12",
        "2026-01",
    ]


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
