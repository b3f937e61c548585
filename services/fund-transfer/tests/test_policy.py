from __future__ import annotations

from datetime import date

import pytest
from fund_transfer_builders import policy

from chengyu_contracts.cities import CITIES
from chengyu_contracts.domain_error import DomainError
from chengyu_fund_transfer.money import Fen
from chengyu_fund_transfer.policy import (
    WITHDRAWAL_KINDS,
    PolicyBook,
    WithdrawalRule,
    default_policies,
    default_policy_book,
)


def test_the_policy_in_force_is_the_latest_that_has_taken_effect() -> None:
    old = policy("cd", effective_from=date(2025, 1, 1))
    new = policy("cd", effective_from=date(2026, 1, 1), flexible_deposit_max_fen=Fen(700_000))
    book = PolicyBook([new, old])
    assert book.policy_for("cd", date(2025, 12, 31)) == old
    assert book.policy_for("cd", date(2026, 1, 1)) == new


def test_a_day_before_any_policy_has_no_policy_in_force() -> None:
    book = PolicyBook([policy("cq", effective_from=date(2025, 1, 1))])
    with pytest.raises(DomainError) as refused:
        book.policy_for("cq", date(2024, 12, 31))
    assert refused.value.code == "no-policy-in-force"
    assert "Chongqing" in refused.value.sentence


def test_a_city_without_policies_has_no_policy_in_force() -> None:
    with pytest.raises(DomainError) as refused:
        PolicyBook([policy("cq")]).policy_for("cd", date(2026, 1, 1))
    assert refused.value.code == "no-policy-in-force"


def test_two_policies_of_one_city_may_not_start_the_same_day() -> None:
    with pytest.raises(ValueError, match="same day"):
        PolicyBook([policy("cq"), policy("cq", loan_balance_multiple=10)])


def test_a_minimum_above_the_maximum_is_not_a_policy() -> None:
    with pytest.raises(ValueError, match="minimum is above the maximum"):
        policy(flexible_deposit_min_fen=Fen(700_000))


def test_a_deadline_of_zero_days_is_not_a_policy() -> None:
    with pytest.raises(ValueError, match="deadline"):
        policy(transfer_deadline_days=0)


def test_a_float_figure_is_not_a_policy() -> None:
    with pytest.raises(DomainError):
        policy(loan_cap_fen=600_000.0)


def test_both_cities_have_a_default_policy_in_force_today() -> None:
    book = default_policy_book()
    for city in CITIES:
        assert book.policy_for(city, date(2026, 10, 15)).city == city


def test_the_default_policies_form_a_valid_book() -> None:
    assert len(PolicyBook(default_policies()).policies()) == len(default_policies())


# --- withdrawals (提取) and loans ----------------------------------------------------------


def test_serious_illness_withdrawals_are_not_in_force_in_chengdu_before_2026() -> None:
    book = default_policy_book()
    assert "serious-illness" not in book.policy_for("cd", date(2025, 12, 31)).withdrawals


def test_serious_illness_withdrawals_are_in_force_in_chengdu_from_2026() -> None:
    book = default_policy_book()
    assert "serious-illness" in book.policy_for("cd", date(2026, 1, 1)).withdrawals


def test_every_withdrawal_kind_is_in_force_in_chongqing_by_default() -> None:
    in_force = default_policy_book().policy_for("cq", date(2026, 10, 15)).withdrawals
    assert set(in_force) == set(WITHDRAWAL_KINDS)


def test_an_unknown_withdrawal_kind_is_not_a_policy() -> None:
    rule = WithdrawalRule(min_consecutive_months=0, required_proofs=frozenset())
    with pytest.raises(ValueError, match="unknown withdrawal kinds"):
        policy(withdrawals={"holiday": rule})


def test_changing_the_mapping_a_policy_was_built_from_does_not_change_the_policy() -> None:
    rules = {"rent": WithdrawalRule(min_consecutive_months=3, required_proofs=frozenset())}
    built = policy(withdrawals=rules)
    rules.clear()
    assert set(built.withdrawals) == {"rent"}


def test_a_purchase_share_above_the_whole_price_is_not_a_rule() -> None:
    with pytest.raises(ValueError, match="1-100 percent"):
        WithdrawalRule(
            min_consecutive_months=0, required_proofs=frozenset(), purchase_price_share_percent=101
        )


def test_a_negative_loan_rate_is_not_a_policy() -> None:
    with pytest.raises(ValueError, match="rate"):
        policy(loan_annual_rate_bp=-1)


def test_by_default_no_second_loan_is_allowed() -> None:
    assert not policy().second_loan_allowed
