from __future__ import annotations

from fund_transfer_builders import deposits, policy

from chengyu_contracts.months import Month
from chengyu_fund_transfer.eligibility import assess_loan, consecutive_months_up_to

OCTOBER = Month(2026, 10)
BALANCE = 1_000_000  # 10,000 yuan: ceiling 150,000 yuan, well under the cap


def test_exactly_the_required_consecutive_months_is_eligible() -> None:
    result = assess_loan(deposits("2025-11", "2026-10", "cd"), BALANCE, OCTOBER, policy("cd"))
    assert result.eligible
    assert "consecutive months up to 2026-10: 12 (needs 12)" in result.rules[0].detail


def test_one_month_short_is_not_eligible() -> None:
    result = assess_loan(deposits("2025-12", "2026-10", "cd"), BALANCE, OCTOBER, policy("cd"))
    assert not result.eligible
    assert result.ceiling_fen == 0
    assert "11 (needs 12)" in result.rules[0].detail


def test_months_in_both_cities_together_make_the_run() -> None:
    history = deposits("2025-11", "2026-04", "cq") + deposits("2026-05", "2026-10", "cd")
    result = assess_loan(history, BALANCE, OCTOBER, policy("cd"))
    assert result.eligible
    assert "(cq 6, cd 6, 0 in both counted once)" in result.rules[0].detail


def test_a_gap_breaks_the_run_even_across_cities() -> None:
    history = deposits("2025-01", "2026-03", "cq") + deposits("2026-05", "2026-10", "cd")
    result = assess_loan(history, BALANCE, OCTOBER, policy("cd"))
    assert not result.eligible
    assert "6 (needs 12)" in result.rules[0].detail


def test_a_month_deposited_in_both_cities_counts_once() -> None:
    # 2026-04 is in both: 11 distinct months, one short of 12.
    history = deposits("2025-12", "2026-04", "cq") + deposits("2026-04", "2026-10", "cd")
    result = assess_loan(history, BALANCE, OCTOBER, policy("cd"))
    assert not result.eligible
    assert "11 (needs 12)" in result.rules[0].detail
    assert "1 in both counted once" in result.rules[0].detail


def test_the_run_may_end_the_month_before_when_this_month_has_no_deposit_yet() -> None:
    result = assess_loan(deposits("2025-10", "2026-09", "cq"), BALANCE, OCTOBER, policy("cd"))
    assert result.eligible
    assert "consecutive months up to 2026-09: 12" in result.rules[0].detail


def test_a_run_that_ended_two_months_ago_does_not_count() -> None:
    result = assess_loan(deposits("2024-01", "2026-08", "cq"), BALANCE, OCTOBER, policy("cd"))
    assert not result.eligible


def test_months_after_the_application_month_are_ignored() -> None:
    history = deposits("2026-01", "2026-12", "cd")
    result = assess_loan(history, BALANCE, OCTOBER, policy("cd"))
    assert not result.eligible
    assert "10 (needs 12)" in result.rules[0].detail


def test_the_ceiling_is_the_balance_times_the_multiple_under_the_cap() -> None:
    result = assess_loan(deposits("2025-11", "2026-10", "cd"), BALANCE, OCTOBER, policy("cd"))
    assert result.ceiling_fen == 15_000_000
    assert result.rules[1].detail == (
        "ceiling = min(balance 1000000 fen x 15, cap 60000000 fen) = 15000000 fen"
    )


def test_the_ceiling_is_the_cap_exactly_at_the_cap() -> None:
    result = assess_loan(deposits("2025-11", "2026-10", "cd"), 4_000_000, OCTOBER, policy("cd"))
    assert result.ceiling_fen == 60_000_000


def test_the_ceiling_stops_at_the_cap_above_it() -> None:
    result = assess_loan(deposits("2025-11", "2026-10", "cd"), 4_000_001, OCTOBER, policy("cd"))
    assert result.ceiling_fen == 60_000_000


def test_a_zero_balance_is_not_eligible() -> None:
    result = assess_loan(deposits("2025-11", "2026-10", "cd"), 0, OCTOBER, policy("cd"))
    assert not result.eligible
    assert not result.rules[1].passed


def test_each_city_applies_its_own_minimum() -> None:
    history = deposits("2026-05", "2026-10", "cd")
    six_months = policy("cq", loan_min_consecutive_months=6)
    assert assess_loan(history, BALANCE, OCTOBER, six_months).eligible
    assert not assess_loan(history, BALANCE, OCTOBER, policy("cd")).eligible


def test_the_answer_names_the_city_and_the_application_month() -> None:
    result = assess_loan([], BALANCE, OCTOBER, policy("cq"))
    assert (result.city, result.application_month) == ("cq", OCTOBER)


def test_the_consecutive_run_stops_at_the_first_gap() -> None:
    present = [Month(2026, 1), Month(2026, 3), Month(2026, 4), Month(2026, 5)]
    assert consecutive_months_up_to(present, Month(2026, 5)) == 3


def test_the_consecutive_run_is_zero_when_the_last_month_is_missing() -> None:
    assert consecutive_months_up_to([Month(2026, 4)], Month(2026, 5)) == 0


def test_the_consecutive_run_counts_a_repeated_month_once() -> None:
    present = [Month(2026, 4), Month(2026, 5), Month(2026, 5)]
    assert consecutive_months_up_to(present, Month(2026, 5)) == 2
