"""The age (周岁), the band of each month and its amount: at every band boundary, under
both first-month rules, across policy changes."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from elder_allowance_rule_builders import AMOUNTS, ASSISTED_80, births, book, months, policy, rules
from hypothesis import given
from hypothesis import strategies as st

from chengyu_contracts.months import Month
from chengyu_elder_allowance.allowance.eligibility import (
    age_on,
    band_in,
    birthday_in,
    first_paid_month,
    monthly_amount,
)
from chengyu_elder_allowance.policy import (
    ASSISTANCE,
    BAND_AGES,
    BANDS,
    Assistance,
    Band,
    FirstMonthRule,
)

bands = st.sampled_from(BANDS)


def last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


# --- birthdays and age --------------------------------------------------------------------


def test_a_29_february_birthday_falls_on_28_february_in_a_common_year() -> None:
    assert birthday_in(date(1944, 2, 29), 2025) == date(2025, 2, 28)


def test_a_29_february_birthday_stays_on_29_february_in_a_leap_year() -> None:
    assert birthday_in(date(1944, 2, 29), 2024) == date(2024, 2, 29)


@given(births, st.integers(1960, 2060))
def test_every_other_birthday_keeps_its_month_and_day(birth: date, year: int) -> None:
    if (birth.month, birth.day) != (2, 29):
        assert birthday_in(birth, year) == birth.replace(year=year)


@given(births, st.integers(1, 110))
def test_the_age_is_reached_on_the_birthday_itself(birth: date, years: int) -> None:
    birthday = birthday_in(birth, birth.year + years)
    assert age_on(birth, birthday) == years
    assert age_on(birth, birthday - timedelta(days=1)) == years - 1


def test_someone_born_on_29_february_is_a_year_older_on_28_february_of_a_common_year() -> None:
    assert age_on(date(1944, 2, 29), date(2025, 2, 28)) == 81
    assert age_on(date(1944, 2, 29), date(2025, 2, 27)) == 80


# --- the first paid month of each band ----------------------------------------------------

BOUNDARIES: list[tuple[date, Band, FirstMonthRule, Month]] = [
    # a birthday on the first of a month
    (date(1946, 3, 1), "80-89", "birthday-month", Month(2026, 3)),
    (date(1946, 3, 1), "80-89", "month-after", Month(2026, 4)),
    (date(1936, 3, 1), "90-99", "birthday-month", Month(2026, 3)),
    (date(1936, 3, 1), "90-99", "month-after", Month(2026, 4)),
    (date(1926, 3, 1), "100+", "birthday-month", Month(2026, 3)),
    (date(1926, 3, 1), "100+", "month-after", Month(2026, 4)),
    # a birthday on the last day of a month (and of a year)
    (date(1946, 1, 31), "80-89", "birthday-month", Month(2026, 1)),
    (date(1946, 1, 31), "80-89", "month-after", Month(2026, 2)),
    (date(1946, 12, 31), "80-89", "birthday-month", Month(2026, 12)),
    (date(1946, 12, 31), "80-89", "month-after", Month(2027, 1)),
    (date(1936, 4, 30), "90-99", "month-after", Month(2026, 5)),
    (date(1926, 12, 31), "100+", "month-after", Month(2027, 1)),
    # 29 February: the band's year a leap year (2024) and a common year (2034, 2044 leap)
    (date(1944, 2, 29), "80-89", "birthday-month", Month(2024, 2)),
    (date(1944, 2, 29), "80-89", "month-after", Month(2024, 3)),
    (date(1944, 2, 29), "90-99", "birthday-month", Month(2034, 2)),
    (date(1944, 2, 29), "90-99", "month-after", Month(2034, 3)),
    (date(1944, 2, 29), "100+", "birthday-month", Month(2044, 2)),
    (date(1948, 2, 29), "100+", "month-after", Month(2048, 3)),
    (date(1948, 2, 29), "80-89", "month-after", Month(2028, 3)),
    (date(1952, 2, 29), "90-99", "month-after", Month(2042, 3)),
]


@pytest.mark.parametrize(("birth", "band", "rule", "first"), BOUNDARIES)
def test_the_first_paid_month_at_a_band_boundary(
    birth: date, band: Band, rule: FirstMonthRule, first: Month
) -> None:
    assert first_paid_month(birth, band, rule) == first


@pytest.mark.parametrize(("birth", "band", "rule", "first"), BOUNDARIES)
def test_the_band_starts_exactly_in_its_first_paid_month(
    birth: date, band: Band, rule: FirstMonthRule, first: Month
) -> None:
    assert band_in(birth, first, rule) == band
    assert band_in(birth, first.previous(), rule) != band


@given(births, bands)
def test_under_the_birthday_month_rule_a_band_starts_in_the_birthday_month(
    birth: date, band: Band
) -> None:
    # 29 February included: its common-year birthday stays in February.
    expected = Month(birth.year + BAND_AGES[band], birth.month)
    assert first_paid_month(birth, band, "birthday-month") == expected


@given(births, bands)
def test_under_the_month_after_rule_a_band_starts_the_month_after_the_birthday(
    birth: date, band: Band
) -> None:
    expected = Month(birth.year + BAND_AGES[band], birth.month).next()
    assert first_paid_month(birth, band, "month-after") == expected


@given(births, bands)
def test_under_the_birthday_month_rule_the_age_is_reached_within_the_first_paid_month(
    birth: date, band: Band
) -> None:
    first = first_paid_month(birth, band, "birthday-month")
    day_before = date(first.year, first.month, 1) - timedelta(days=1)
    assert age_on(birth, day_before) < BAND_AGES[band]
    assert age_on(birth, last_day(first.year, first.month)) == BAND_AGES[band]


@given(births, bands)
def test_under_the_month_after_rule_the_whole_first_paid_month_is_of_age(
    birth: date, band: Band
) -> None:
    first = first_paid_month(birth, band, "month-after")
    assert age_on(birth, date(first.year, first.month, 1)) == BAND_AGES[band]
    # the birthday itself falls in the month before: that month is not yet paid
    assert Month.of(birthday_in(birth, birth.year + BAND_AGES[band])) == first.previous()


@given(births, st.integers(1, 12), st.integers(1, 28))
def test_the_first_of_the_month_and_the_last_day_of_the_month_share_the_birthday_month(
    birth: date, month: int, day: int
) -> None:
    for born in (date(birth.year, month, 1), last_day(birth.year, month)):
        assert first_paid_month(born, "80-89", "birthday-month") == Month(born.year + 80, month)


# --- the band of a month ------------------------------------------------------------------


@given(births, rules, months)
def test_there_is_no_band_before_the_first_bands_first_paid_month(
    birth: date, rule: FirstMonthRule, month: Month
) -> None:
    has_band = band_in(birth, month, rule) is not None
    assert has_band == (month >= first_paid_month(birth, "80-89", rule))


@given(births, rules, months)
def test_a_months_band_is_the_highest_band_already_started(
    birth: date, rule: FirstMonthRule, month: Month
) -> None:
    band = band_in(birth, month, rule)
    started = [b for b in BANDS if first_paid_month(birth, b, rule) <= month]
    assert band == (started[-1] if started else None)


@given(births, rules, months)
def test_the_band_never_goes_down(birth: date, rule: FirstMonthRule, month: Month) -> None:
    now, later = band_in(birth, month, rule), band_in(birth, month.next(), rule)
    if now is not None:
        assert later is not None and BANDS.index(later) >= BANDS.index(now)


# --- the amount of a month ----------------------------------------------------------------


@given(births, rules, months, st.sampled_from(ASSISTANCE))
def test_a_month_pays_the_amount_of_its_own_band_and_status(
    birth: date, rule: FirstMonthRule, month: Month, assistance: Assistance
) -> None:
    band = band_in(birth, month, rule)
    paid = monthly_amount(birth, month, assistance, policy(rule=rule))
    if band is None:
        assert paid is None
    elif band == "80-89" and assistance != "none":
        assert paid == ASSISTED_80
    else:
        assert paid == AMOUNTS[band]


def test_the_month_before_a_band_change_pays_the_lower_band() -> None:
    born = date(1936, 5, 17)  # 90 on 2026-05-17; month-after: 90-99 pays from 2026-06
    paying = policy(rule="month-after")
    assert monthly_amount(born, Month(2026, 5), "none", paying) == AMOUNTS["80-89"]
    assert monthly_amount(born, Month(2026, 6), "none", paying) == AMOUNTS["90-99"]


@given(births, months)
def test_each_month_is_paid_under_the_policy_in_force_on_its_first_day(
    birth: date, change: Month
) -> None:
    old = policy(scale=1)
    new = policy(effective_from=date(change.year, change.month, 1), scale=3)
    dated = book(old, new)
    for month in (change.previous(), change, change.next()):
        in_force = dated.for_month("cq", month)
        assert in_force is (new if month >= change else old)
        paid = monthly_amount(birth, month, "none", in_force)
        band = band_in(birth, month, "month-after")
        expected = None if band is None else AMOUNTS[band] * (3 if month >= change else 1)
        assert paid == expected
