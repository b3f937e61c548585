"""Properties of the interval union and the ledger that must hold for every input."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st
from insurance_years_builders import PERSON

from chengyu_contracts.cities import CITIES, City
from chengyu_contracts.months import Month
from chengyu_insurance_years.ledger import apply, build_ledger, totals
from chengyu_insurance_years.periods import KINDS, ContributionPeriod, PeriodKind
from chengyu_insurance_years.spans import MonthSpan, count_months, union

month_strategy = st.builds(Month, st.integers(2000, 2030), st.integers(1, 12))
span_strategy = st.tuples(month_strategy, month_strategy).map(
    lambda ends: MonthSpan(min(ends), max(ends))
)


@st.composite
def period_lists(
    draw: st.DrawFn, kinds: tuple[PeriodKind, ...] = KINDS
) -> list[ContributionPeriod]:
    """Up to 12 periods of the test person, each with its own id, from both cities."""
    specs = draw(
        st.lists(
            st.tuples(st.sampled_from(CITIES), span_strategy, st.sampled_from(kinds)),
            max_size=12,
        )
    )
    return [
        ContributionPeriod(f"p{i}", PERSON, city, span.first, span.last, kind)
        for i, (city, span, kind) in enumerate(specs)
    ]


actual_periods = period_lists(kinds=("actual",))


def distinct_months(periods: list[ContributionPeriod], city: City | None = None) -> set[Month]:
    return {month for p in periods if city is None or p.city == city for month in p.span.months()}


@given(st.lists(span_strategy, max_size=15))
def test_the_union_counts_each_distinct_month_once(spans: list[MonthSpan]) -> None:
    assert count_months(spans) == len({m for s in spans for m in s.months()})


@given(st.lists(span_strategy, max_size=15))
def test_the_union_is_sorted_and_neither_overlaps_nor_touches(spans: list[MonthSpan]) -> None:
    merged = union(spans)
    for earlier, later in pairwise(merged):
        assert earlier.last.index + 1 < later.first.index


@given(actual_periods)
def test_the_total_never_exceeds_the_sum_of_the_periods(periods: list[ContributionPeriod]) -> None:
    counted = totals(build_ledger(PERSON, periods))
    assert counted.actual_months <= sum(p.months for p in periods)


@given(actual_periods)
def test_the_total_is_the_number_of_distinct_months(periods: list[ContributionPeriod]) -> None:
    counted = totals(build_ledger(PERSON, periods))
    assert counted.actual_months == len(distinct_months(periods))


@given(actual_periods)
def test_each_city_counts_its_own_distinct_months(periods: list[ContributionPeriod]) -> None:
    counted = totals(build_ledger(PERSON, periods))
    for city in CITIES:
        assert counted.city(city).actual == len(distinct_months(periods, city))


@given(actual_periods)
def test_months_in_both_are_the_months_both_cities_paid(periods: list[ContributionPeriod]) -> None:
    counted = totals(build_ledger(PERSON, periods))
    both = distinct_months(periods, "cq") & distinct_months(periods, "cd")
    assert counted.months_in_both == len(both)


@given(actual_periods)
def test_the_total_is_at_least_the_largest_single_citys_months(
    periods: list[ContributionPeriod],
) -> None:
    counted = totals(build_ledger(PERSON, periods))
    assert counted.actual_months >= max(c.actual for c in counted.by_city)


@given(period_lists(), st.data())
def test_any_arrival_order_gives_the_same_ledger(
    periods: list[ContributionPeriod], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(periods))
    assert build_ledger(PERSON, shuffled) == build_ledger(PERSON, periods)


@given(period_lists(), st.data())
def test_duplicates_change_nothing(periods: list[ContributionPeriod], data: st.DataObject) -> None:
    repeated = data.draw(st.lists(st.sampled_from(periods), max_size=10)) if periods else []
    arrival = data.draw(st.permutations(periods + repeated))
    assert build_ledger(PERSON, arrival) == build_ledger(PERSON, periods)


@given(period_lists())
def test_applying_a_known_period_again_changes_nothing(periods: list[ContributionPeriod]) -> None:
    ledger = build_ledger(PERSON, periods)
    for period in periods:
        assert apply(ledger, period) == ledger


@st.composite
def versioned_histories(
    draw: st.DrawFn,
) -> tuple[list[ContributionPeriod], list[ContributionPeriod]]:
    """Every version of up to 6 periods (each corrected, maybe cancelled), and the latest ones."""
    every: list[ContributionPeriod] = []
    latest: list[ContributionPeriod] = []
    for i in range(draw(st.integers(0, 6))):
        city = draw(st.sampled_from(CITIES))
        spans = draw(st.lists(span_strategy, min_size=1, max_size=4))
        versions = [
            ContributionPeriod(f"p{i}", PERSON, city, s.first, s.last, "actual", version=v)
            for v, s in enumerate(spans, start=1)
        ]
        if draw(st.booleans()):
            versions.append(replace(versions[-1], version=len(versions) + 1, cancelled=True))
        every.extend(versions)
        latest.append(versions[-1])
    return every, latest


@given(versioned_histories(), st.data())
def test_the_latest_version_wins_whatever_the_arrival_order(
    history: tuple[list[ContributionPeriod], list[ContributionPeriod]], data: st.DataObject
) -> None:
    every, latest = history
    arrival = data.draw(st.permutations(every))
    assert build_ledger(PERSON, arrival) == build_ledger(PERSON, latest)


@given(period_lists())
def test_counting_deemed_months_counts_every_distinct_month_once(
    periods: list[ContributionPeriod],
) -> None:
    counted = totals(build_ledger(PERSON, periods))
    assert counted.cumulative_months(deemed_years_count=True) == len(distinct_months(periods))


@given(period_lists())
def test_counting_deemed_months_never_lowers_the_total(periods: list[ContributionPeriod]) -> None:
    counted = totals(build_ledger(PERSON, periods))
    assert counted.cumulative_months(True) >= counted.cumulative_months(False)


@given(period_lists(), month_strategy)
def test_counting_up_to_a_month_never_counts_more(
    periods: list[ContributionPeriod], last: Month
) -> None:
    ledger = build_ledger(PERSON, periods)
    assert totals(ledger, up_to=last).cumulative_months(True) <= totals(ledger).cumulative_months(
        True
    )


@given(month_strategy)
def test_a_month_survives_writing_and_parsing(month: Month) -> None:
    assert Month.parse(str(month)) == month


@given(month_strategy, st.integers(-500, 500))
def test_moving_forward_and_back_returns_to_the_same_month(month: Month, n: int) -> None:
    assert month.plus(n).plus(-n) == month
