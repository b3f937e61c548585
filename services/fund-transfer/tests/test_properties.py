"""Properties that must hold for every input, not just the examples."""

from __future__ import annotations

from fund_transfer_builders import PERSON, policy
from hypothesis import given
from hypothesis import strategies as st

from chengyu_contracts.cities import City
from chengyu_contracts.months import Month
from chengyu_fund_transfer.account import (
    Account,
    Deposit,
    credit_transfer,
    freeze_for_transfer,
    merge_histories,
    restore_after_failed_transfer,
)
from chengyu_fund_transfer.money import Fen

month_strategy = st.builds(Month, st.integers(2000, 2030), st.integers(1, 12))


def history(city: City) -> st.SearchStrategy[tuple[Deposit, ...]]:
    return st.frozensets(month_strategy, max_size=40).map(
        lambda ms: tuple(Deposit(m, Fen(50_000), city) for m in sorted(ms))
    )


accounts = st.builds(
    Account,
    person_ref=st.just(PERSON),
    city=st.just("cq"),
    kind=st.sampled_from(["employee", "flexible"]),
    status=st.sampled_from(["active", "sealed"]),
    balance_fen=st.integers(0, 10**12).map(Fen),
    deposits=history("cq"),
    credited_transfer_ids=st.frozensets(st.text(min_size=1, max_size=5), max_size=3),
)


@given(accounts)
def test_restoring_a_frozen_account_gives_back_the_same_account(account: Account) -> None:
    frozen = freeze_for_transfer(account, "tr-1", policy("cq"))
    assert restore_after_failed_transfer(frozen, "tr-1") == account


@given(history("cd"), history("cq"))
def test_merging_disjoint_histories_never_loses_or_changes_a_month(
    own: tuple[Deposit, ...], incoming: tuple[Deposit, ...]
) -> None:
    incoming = tuple(d for d in incoming if d.month not in {o.month for o in own})
    merged = merge_histories(own, incoming)
    assert set(merged) == set(own) | set(incoming)
    assert len(merged) == len(own) + len(incoming)
    assert [d.month for d in merged] == sorted(d.month for d in merged)


@given(month_strategy)
def test_a_month_survives_writing_and_parsing(month: Month) -> None:
    assert Month.parse(str(month)) == month


@given(month_strategy, st.integers(-500, 500))
def test_moving_forward_and_back_returns_to_the_same_month(month: Month, n: int) -> None:
    assert month.plus(n).plus(-n) == month


@given(accounts.filter(lambda a: a.status == "active"), st.integers(0, 10**12), history("cd"))
def test_a_credit_adds_exactly_the_transferred_amount(
    account: Account, amount: int, incoming: tuple[Deposit, ...]
) -> None:
    incoming = tuple(d for d in incoming if d.month not in account.months)
    credited = credit_transfer(account, "tr-new", amount, incoming)
    assert credited.balance_fen == account.balance_fen + amount
