from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from fund_transfer_builders import PERSON, TODAY, account, deposits, months, policy

from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.months import Month
from chengyu_fund_transfer.account import (
    AccountStatus,
    Deposit,
    close_after_transfer,
    credit_transfer,
    freeze_for_transfer,
    merge_histories,
    open_account,
    record_deposit,
    restore_after_failed_transfer,
    seal,
    unseal,
)
from chengyu_fund_transfer.money import Fen

MARCH = Month(2026, 3)


def refusal(error: pytest.ExceptionInfo[DomainError]) -> str:
    return error.value.code


# --- opening and deposits ---------------------------------------------------------------


def test_a_new_account_is_active_and_empty() -> None:
    opened = open_account(PERSON, "cq", "flexible")
    assert (opened.status, opened.balance_fen, opened.deposits) == ("active", 0, ())


def test_an_account_needs_a_person_ref() -> None:
    with pytest.raises(DomainError) as refused:
        open_account("", "cq", "employee")
    assert refusal(refused) == "invalid-person-ref"


def test_a_deposit_adds_to_the_balance_and_the_history() -> None:
    after = record_deposit(account(), MARCH, 50_000, policy(), TODAY)
    assert after.balance_fen == 50_000
    assert after.deposits == (Deposit(MARCH, Fen(50_000), "cq"),)


def test_deposits_are_kept_in_month_order() -> None:
    first = record_deposit(account(), Month(2026, 5), 50_000, policy(), TODAY)
    second = record_deposit(first, Month(2026, 4), 50_000, policy(), TODAY)
    assert months(second.deposits) == ["2026-04", "2026-05"]


def test_a_month_is_deposited_at_most_once() -> None:
    once = record_deposit(account(), MARCH, 50_000, policy(), TODAY)
    with pytest.raises(DomainError) as refused:
        record_deposit(once, MARCH, 50_000, policy(), TODAY)
    assert refusal(refused) == "duplicate-month"


def test_a_month_carried_over_from_the_other_city_cannot_be_deposited_again() -> None:
    credited = credit_transfer(account(), "tr-1", 50_000, deposits("2026-03", "2026-03", "cd"))
    with pytest.raises(DomainError) as refused:
        record_deposit(credited, MARCH, 50_000, policy(), TODAY)
    assert refusal(refused) == "duplicate-month"
    assert "Chengdu" in refused.value.sentence


def test_the_current_month_may_be_deposited() -> None:
    after = record_deposit(account(), Month.of(TODAY), 50_000, policy(), TODAY)
    assert after.months == {Month.of(TODAY)}


def test_a_month_after_the_current_month_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        record_deposit(account(), Month.of(TODAY).next(), 50_000, policy(), TODAY)
    assert refusal(refused) == "month-in-future"


@pytest.mark.parametrize("amount", [20_000, 600_000])
def test_a_flexible_deposit_at_the_policy_bounds_is_accepted(amount: int) -> None:
    assert record_deposit(account(), MARCH, amount, policy(), TODAY).balance_fen == amount


@pytest.mark.parametrize("amount", [19_999, 600_001])
def test_a_flexible_deposit_outside_the_policy_bounds_is_out_of_range(amount: int) -> None:
    with pytest.raises(DomainError) as refused:
        record_deposit(account(), MARCH, amount, policy(), TODAY)
    assert refusal(refused) == "amount-out-of-range"
    assert "200.00 yuan and 6,000.00 yuan" in refused.value.sentence


def test_an_employee_deposit_is_not_bound_by_the_flexible_range() -> None:
    employee = account(kind="employee")
    assert record_deposit(employee, MARCH, 1_000_000, policy(), TODAY).balance_fen == 1_000_000


@pytest.mark.parametrize(
    ("amount", "code"),
    [(500.0, "invalid-amount"), (-50_000, "negative-amount"), (0, "zero-amount")],
)
def test_a_deposit_must_be_a_positive_whole_number_of_fen(amount: object, code: str) -> None:
    with pytest.raises(DomainError) as refused:
        record_deposit(account(kind="employee"), MARCH, amount, policy(), TODAY)
    assert refusal(refused) == code


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("sealed", "account-sealed"),
        ("transferring", "account-transferring"),
        ("closed", "account-closed"),
    ],
)
def test_only_an_active_account_takes_deposits(status: AccountStatus, code: str) -> None:
    stopped = replace(account(), status=status)
    with pytest.raises(DomainError) as refused:
        record_deposit(stopped, MARCH, 50_000, policy(), TODAY)
    assert refusal(refused) == code


def test_a_policy_of_the_other_city_cannot_judge_a_deposit() -> None:
    with pytest.raises(ValueError, match="cannot judge"):
        record_deposit(account("cq"), MARCH, 50_000, policy("cd"), TODAY)


def test_sealing_and_unsealing_an_account() -> None:
    sealed = seal(account())
    assert sealed.status == "sealed"
    assert unseal(sealed).status == "active"


def test_a_closed_account_cannot_be_sealed() -> None:
    with pytest.raises(DomainError) as refused:
        seal(replace(account(), status="closed"))
    assert refusal(refused) == "account-closed"


# --- freezing, compensation, closing ---------------------------------------------------


def test_freezing_marks_the_account_transferring_and_keeps_the_balance() -> None:
    before = record_deposit(account(), MARCH, 50_000, policy(), TODAY)
    frozen = freeze_for_transfer(before, "tr-1", policy())
    assert (frozen.status, frozen.transfer_id, frozen.balance_fen) == (
        "transferring",
        "tr-1",
        50_000,
    )


def test_an_account_already_transferring_cannot_be_frozen_again() -> None:
    frozen = freeze_for_transfer(account(), "tr-1", policy())
    with pytest.raises(DomainError) as refused:
        freeze_for_transfer(frozen, "tr-2", policy())
    assert refusal(refused) == "already-transferring"


def test_a_closed_account_cannot_be_frozen() -> None:
    with pytest.raises(DomainError) as refused:
        freeze_for_transfer(replace(account(), status="closed"), "tr-1", policy())
    assert refusal(refused) == "account-closed"


def test_a_sealed_account_cannot_be_frozen_where_policy_forbids_it() -> None:
    strict = policy(sealed_accounts_may_transfer=False)
    with pytest.raises(DomainError) as refused:
        freeze_for_transfer(seal(account()), "tr-1", strict)
    assert refusal(refused) == "account-sealed"


def test_a_sealed_account_may_be_frozen_where_policy_allows_it() -> None:
    frozen = freeze_for_transfer(seal(account()), "tr-1", policy())
    assert frozen.status_before_transfer == "sealed"


def test_restoring_gives_back_exactly_the_account_before_freezing() -> None:
    before = seal(record_deposit(account(), MARCH, 50_000, policy(), TODAY))
    frozen = freeze_for_transfer(before, "tr-1", policy())
    assert restore_after_failed_transfer(frozen, "tr-1") == before


def test_restoring_for_another_transfer_is_refused() -> None:
    frozen = freeze_for_transfer(account(), "tr-1", policy())
    with pytest.raises(DomainError) as refused:
        restore_after_failed_transfer(frozen, "tr-2")
    assert refusal(refused) == "not-frozen-for-transfer"


def test_an_account_that_is_not_frozen_cannot_be_restored() -> None:
    with pytest.raises(DomainError) as refused:
        restore_after_failed_transfer(account(), "tr-1")
    assert refusal(refused) == "not-frozen-for-transfer"


def test_closing_after_the_transfer_empties_the_account_and_keeps_its_history() -> None:
    before = record_deposit(account(), MARCH, 50_000, policy(), TODAY)
    closed = close_after_transfer(freeze_for_transfer(before, "tr-1", policy()), "tr-1")
    assert (closed.status, closed.balance_fen) == ("closed", 0)
    assert closed.deposits == before.deposits


def test_an_account_that_is_not_frozen_cannot_be_closed_by_a_transfer() -> None:
    with pytest.raises(DomainError) as refused:
        close_after_transfer(account(), "tr-1")
    assert refusal(refused) == "not-frozen-for-transfer"


# --- crediting and merging ---------------------------------------------------------------


def test_crediting_adds_the_balance_and_keeps_each_month_with_its_city() -> None:
    own = record_deposit(account("cd"), Month(2026, 5), 50_000, policy("cd"), TODAY)
    credited = credit_transfer(own, "tr-1", 120_000, deposits("2026-02", "2026-04", "cq"))
    assert credited.balance_fen == 170_000
    assert [(str(d.month), d.city) for d in credited.deposits] == [
        ("2026-02", "cq"),
        ("2026-03", "cq"),
        ("2026-04", "cq"),
        ("2026-05", "cd"),
    ]


def test_a_month_deposited_in_both_cities_is_a_conflict_not_a_sum() -> None:
    own = record_deposit(account("cd"), MARCH, 50_000, policy("cd"), TODAY)
    with pytest.raises(DomainError) as refused:
        credit_transfer(own, "tr-1", 120_000, deposits("2026-02", "2026-04", "cq"))
    assert refusal(refused) == "history-conflict"
    assert "2026-03" in refused.value.sentence


def test_an_incoming_history_that_repeats_a_month_is_invalid() -> None:
    twice = deposits("2026-03", "2026-03", "cq") * 2
    with pytest.raises(DomainError) as refused:
        merge_histories((), twice)
    assert refusal(refused) == "invalid-history"


def test_one_transfer_is_credited_at_most_once() -> None:
    credited = credit_transfer(account("cd"), "tr-1", 120_000, ())
    with pytest.raises(DomainError) as refused:
        credit_transfer(credited, "tr-1", 120_000, ())
    assert refusal(refused) == "already-credited"


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("sealed", "account-sealed"),
        ("transferring", "account-transferring"),
        ("closed", "account-closed"),
    ],
)
def test_only_an_active_account_is_credited(status: AccountStatus, code: str) -> None:
    with pytest.raises(DomainError) as refused:
        credit_transfer(replace(account("cd"), status=status), "tr-1", 120_000, ())
    assert refusal(refused) == code


def test_a_negative_transferred_balance_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        credit_transfer(account("cd"), "tr-1", -1, ())
    assert refusal(refused) == "negative-amount"


def test_a_deposit_on_the_last_day_of_the_month_is_not_in_the_future() -> None:
    after = record_deposit(account(), Month(2026, 10), 50_000, policy(), date(2026, 10, 31))
    assert after.balance_fen == 50_000
