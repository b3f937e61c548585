"""Properties that must hold for every input, not just the examples."""

from __future__ import annotations

from itertools import pairwise

from fund_transfer_builders import PERSON, loan, policy
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
from chengyu_fund_transfer.loan import Loan, outstanding_at, schedule
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


loans = st.builds(
    lambda amount, term, rate, start: loan(
        amount_fen=Fen(amount), term_months=term, annual_rate_bp=rate, start_month=start
    ),
    st.integers(1, 10**9),  # up to 10 million yuan
    st.integers(1, 360),
    st.integers(0, 1_500),  # 0 to 15 % a year
    month_strategy,
)


@given(loans)
def test_a_schedule_repays_exactly_the_principal_plus_its_interest(granted: Loan) -> None:
    instalments = schedule(granted)
    assert sum(i.principal_fen for i in instalments) == granted.amount_fen
    assert sum(i.payment_fen for i in instalments) == granted.amount_fen + sum(
        i.interest_fen for i in instalments
    )


@given(loans)
def test_the_outstanding_principal_never_rises_and_falls_to_zero_at_the_end(granted: Loan) -> None:
    owed = [i.outstanding_after_fen for i in schedule(granted)]
    assert all(later <= earlier for earlier, later in pairwise(owed))
    assert min(owed) >= 0
    assert owed[-1] == 0
    assert outstanding_at(granted, granted.last_month) == 0


@given(loans)
def test_each_instalment_is_its_principal_plus_its_interest(granted: Loan) -> None:
    for instalment in schedule(granted):
        assert instalment.payment_fen == instalment.principal_fen + instalment.interest_fen
        assert instalment.principal_fen >= 0


@given(loans, st.integers(-24, 400))
def test_outstanding_at_a_month_is_the_schedule_s_figure_for_it(granted: Loan, offset: int) -> None:
    month = granted.start_month.plus(offset)
    instalments = schedule(granted)
    expected = (
        granted.amount_fen
        if offset < 0
        else instalments[min(offset, granted.term_months - 1)].outstanding_after_fen
    )
    assert outstanding_at(granted, month) == expected
