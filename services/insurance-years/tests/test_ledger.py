from __future__ import annotations

from dataclasses import replace

import pytest
from insurance_years_builders import OTHER_PERSON, PERSON, ledger, period

from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.months import Month
from chengyu_insurance_years.ledger import Ledger, apply, totals


def test_an_empty_ledger_has_no_months() -> None:
    counted = totals(Ledger(PERSON))
    assert (counted.actual_months, counted.deemed_months, counted.months_in_both) == (0, 0, 0)


def test_a_ledger_needs_a_person_ref() -> None:
    with pytest.raises(DomainError) as refused:
        Ledger("")
    assert refused.value.code == "invalid-person-ref"


def test_months_are_kept_per_city() -> None:
    counted = totals(ledger(period("cq", "2010-01", "2014-12"), period("cd", "2015-01", "2015-12")))
    assert (counted.city("cq").actual, counted.city("cd").actual) == (60, 12)


def test_months_of_both_cities_add_up_when_they_do_not_overlap() -> None:
    counted = totals(ledger(period("cq", "2010-01", "2014-12"), period("cd", "2015-01", "2015-12")))
    assert counted.actual_months == 72


def test_a_month_paid_in_both_cities_counts_once() -> None:
    # A job change: 2015-01..2015-03 paid in both cities.
    counted = totals(ledger(period("cq", "2010-01", "2015-03"), period("cd", "2015-01", "2015-12")))
    assert counted.actual_months == 72
    assert counted.months_in_both == 3


def test_each_city_still_counts_its_own_overlapping_months() -> None:
    counted = totals(ledger(period("cq", "2010-01", "2015-03"), period("cd", "2015-01", "2015-12")))
    assert (counted.city("cq").actual, counted.city("cd").actual) == (63, 12)


def test_overlapping_periods_of_one_city_count_each_month_once() -> None:
    counted = totals(ledger(period("cq", "2010-01", "2010-12"), period("cq", "2010-07", "2011-06")))
    assert counted.city("cq").actual == 18
    assert counted.months_in_both == 0


def test_deemed_months_are_kept_apart_from_actual_months() -> None:
    counted = totals(
        ledger(period("cq", "1990-01", "1994-12", "deemed"), period("cq", "1995-01", "1995-12"))
    )
    assert (counted.city("cq").deemed, counted.city("cq").actual) == (60, 12)
    assert (counted.actual_months, counted.deemed_months) == (12, 60)


def test_the_cumulative_total_includes_deemed_months_only_when_they_count() -> None:
    counted = totals(
        ledger(period("cq", "1990-01", "1994-12", "deemed"), period("cq", "1995-01", "1995-12"))
    )
    assert counted.cumulative_months(deemed_years_count=True) == 72
    assert counted.cumulative_months(deemed_years_count=False) == 12


def test_a_deemed_month_that_is_actual_in_the_other_city_counts_once_as_actual() -> None:
    counted = totals(
        ledger(period("cq", "1994-01", "1994-12", "deemed"), period("cd", "1994-07", "1995-06"))
    )
    assert counted.deemed_months == 6  # 1994-01..1994-06; the rest was paid in Chengdu
    assert counted.cumulative_months(deemed_years_count=True) == 18


def test_totals_up_to_a_month_ignore_later_months() -> None:
    counted = totals(ledger(period("cq", "2020-01", "2026-10")), up_to=Month(2020, 12))
    assert counted.actual_months == 12


def test_a_period_wholly_after_the_cut_counts_nothing() -> None:
    counted = totals(ledger(period("cd", "2021-01", "2021-12")), up_to=Month(2020, 12))
    assert counted.city("cd").actual == 0


def test_current_periods_show_each_periods_source_city_in_time_order() -> None:
    later = period("cq", "2015-01", "2015-12")
    earlier = period("cd", "2010-01", "2014-12")
    assert [(p.city, str(p.start)) for p in ledger(later, earlier).current_periods()] == [
        ("cd", "2010-01"),
        ("cq", "2015-01"),
    ]


def test_a_later_version_replaces_the_earlier_one() -> None:
    first = period("cq", "2010-01", "2010-12", period_id="cq-1")
    second = replace(first, end=Month(2010, 6), version=2)
    assert totals(ledger(first, second)).actual_months == 6


def test_an_earlier_version_arriving_late_changes_nothing() -> None:
    first = period("cq", "2010-01", "2010-12", period_id="cq-1")
    second = replace(first, end=Month(2010, 6), version=2)
    assert ledger(second, first) == ledger(first, second)


def test_the_same_version_applied_twice_changes_nothing() -> None:
    once = ledger(period("cq", "2010-01", "2010-12", period_id="cq-1"))
    assert apply(once, period("cq", "2010-01", "2010-12", period_id="cq-1")) == once


def test_a_cancelled_period_counts_for_nothing() -> None:
    first = period("cq", "2010-01", "2010-12", period_id="cq-1")
    cancelled = replace(first, version=2, cancelled=True)
    assert totals(ledger(first, cancelled)).actual_months == 0
    assert ledger(first, cancelled).current_periods() == ()


def test_a_cancelled_period_is_not_revived_by_an_older_version_arriving_late() -> None:
    first = period("cq", "2010-01", "2010-12", period_id="cq-1")
    cancelled = replace(first, version=2, cancelled=True)
    assert totals(ledger(cancelled, first)).actual_months == 0


def test_two_different_periods_with_one_version_number_conflict() -> None:
    first = period("cq", "2010-01", "2010-12", period_id="cq-1")
    with pytest.raises(DomainError) as refused:
        ledger(first, replace(first, end=Month(2010, 6)))
    assert refused.value.code == "conflicting-version"


def test_versions_of_one_period_naming_different_cities_conflict() -> None:
    first = period("cq", "2010-01", "2010-12", period_id="p-1")
    with pytest.raises(DomainError) as refused:
        ledger(replace(first, city="cd", version=2), first)
    assert refused.value.code == "conflicting-version"


def test_a_period_of_another_person_is_a_wiring_bug() -> None:
    with pytest.raises(ValueError, match="another person"):
        apply(Ledger(PERSON), replace(period("cq", "2010-01", "2010-12"), person_ref=OTHER_PERSON))
