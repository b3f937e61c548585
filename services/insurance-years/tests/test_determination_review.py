"""A change of history arriving after a retirement city was determined is flagged for review."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from insurance_years_builders import OTHER_PERSON, PERSON, book, ledger, period, request

from chengyu_contracts.months import Month
from chengyu_insurance_years.ledger import Ledger
from chengyu_insurance_years.periods import ContributionPeriod
from chengyu_insurance_years.retirement import (
    Determined,
    RetirementDetermination,
    decide_retirement_city,
)
from chengyu_insurance_years.review import ReviewFlag, review_after_correction

BOOK = book()  # Chongqing: 25 years for a man, 120 months in the city
# 2001-10..2026-09: exactly 300 months in Chongqing, enough for a man retiring 2026-10-01.
CAREER = period("cq", "2001-10", "2026-09", period_id="cq-career")


def determine(
    history: Ledger, retirement_date: date = date(2026, 10, 1)
) -> RetirementDetermination:
    decision = decide_retirement_city(
        request("cq", "male", retirement_date), history, BOOK, existing=None
    )
    assert isinstance(decision, Determined), decision
    return decision.determination


def review(history: Ledger, change: ContributionPeriod) -> ReviewFlag | None:
    return review_after_correction(determine(history), history, change, BOOK)


def test_a_correction_that_breaks_the_determination_is_flagged_no_longer_met() -> None:
    shorter = replace(CAREER, start=Month(2001, 11), version=2)
    flag = review(ledger(CAREER), shorter)
    assert flag is not None
    assert flag.code == "determination-no-longer-met"
    assert "cumulative months 299 of 300 required (1 short)" in flag.sentence


def test_a_cancellation_that_breaks_the_determination_is_flagged() -> None:
    flag = review(ledger(CAREER), replace(CAREER, version=2, cancelled=True))
    assert flag is not None
    assert flag.code == "determination-no-longer-met"


def test_a_correction_that_changes_the_figures_but_still_meets_them_is_flagged() -> None:
    extra = period("cq", "1990-01", "1990-12", period_id="cq-early")
    flag = review(ledger(CAREER, extra), replace(extra, end=Month(1990, 6), version=2))
    assert flag is not None
    assert flag.code == "determination-figures-changed"
    assert (flag.figures_before.cumulative_months, flag.figures_after.cumulative_months) == (
        312,
        306,
    )


def test_a_period_recorded_late_in_the_other_city_is_flagged_too() -> None:
    late = period("cd", "1995-01", "1995-12", period_id="cd-late")
    flag = review(ledger(CAREER), late)
    assert flag is not None
    assert flag.code == "determination-figures-changed"


def test_a_flag_names_the_person_the_city_and_the_period() -> None:
    flag = review(ledger(CAREER), replace(CAREER, version=2, cancelled=True))
    assert flag is not None
    assert (flag.person_ref, flag.city, flag.period_id) == (PERSON, "cq", "cq-career")
    assert PERSON not in flag.sentence


def test_a_change_after_the_retirement_month_is_not_flagged() -> None:
    long_career = period("cq", "1990-01", "2026-09", period_id="cq-long")
    history = ledger(long_career)
    determination = determine(history, retirement_date=date(2025, 6, 15))
    shorter = replace(long_career, end=Month(2025, 12), version=2)
    assert review_after_correction(determination, history, shorter, BOOK) is None


def test_a_change_to_months_also_paid_in_the_determined_city_is_not_flagged() -> None:
    overlap = period("cd", "2010-01", "2010-12", period_id="cd-overlap")
    assert review(ledger(CAREER, overlap), replace(overlap, version=2, cancelled=True)) is None


def test_a_duplicate_of_a_known_version_is_not_flagged() -> None:
    assert review(ledger(CAREER), CAREER) is None


def test_a_stale_version_arriving_late_is_not_flagged() -> None:
    corrected = replace(CAREER, start=Month(2000, 1), version=2)
    assert review(ledger(corrected), CAREER) is None


def test_a_ledger_of_another_person_is_a_wiring_bug() -> None:
    determination = determine(ledger(CAREER))
    with pytest.raises(ValueError, match="another person"):
        review_after_correction(
            determination, Ledger(OTHER_PERSON), replace(CAREER, person_ref=OTHER_PERSON), BOOK
        )
