"""Calendar months, shared by every service and written YYYY-MM in events."""

from __future__ import annotations

from datetime import date

import pytest

from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.months import Month, month_range, months_between


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


def test_a_range_that_ends_before_it_starts_is_empty() -> None:
    assert list(month_range(Month(2026, 2), Month(2026, 1))) == []
