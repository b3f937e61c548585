"""Properties that must hold for every input, not just the examples."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from itertools import pairwise

from fund_transfer_builders import NOW, PERSON, application, loan, policy, withdrawal_policy
from hypothesis import given
from hypothesis import strategies as st

from chengyu_contracts.cities import City
from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.months import Month
from chengyu_fund_transfer.account import (
    Account,
    Deposit,
    credit_transfer,
    freeze_for_transfer,
    merge_histories,
    record_deposit,
    restore_after_failed_transfer,
)
from chengyu_fund_transfer.loan import Loan, outstanding_at, schedule
from chengyu_fund_transfer.money import Fen
from chengyu_fund_transfer.policy import WithdrawalKind
from chengyu_fund_transfer.withdrawal import (
    Pay,
    apply_withdrawal,
    assess_withdrawal,
    decide,
    request_withdrawal,
)

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


# Rent with no minimum months, no proof, no cap: only the balance can refuse.
ANY_RENT = withdrawal_policy("cq", "rent", min_consecutive_months=0, required_proofs=frozenset())
RETIREMENT = withdrawal_policy(
    "cq",
    "retirement",
    min_consecutive_months=0,
    required_proofs=frozenset(),
    allowed_when_sealed=True,
)


def withdrawn(account: Account, amount: int | None) -> Account:
    """``account`` after a withdrawal of ``amount`` (``None``: retirement) assessed, applied
    for, paid and applied; raises the refusal if the decision refuses."""
    kind: WithdrawalKind = "rent" if amount is not None else "retirement"
    policy = ANY_RENT if amount is not None else RETIREMENT
    decision = assess_withdrawal(account, (), application(kind, amount, ()), policy)
    held, withdrawal = request_withdrawal("w-1", account, decision, NOW)
    return apply_withdrawal(held, decide(withdrawal, Pay(), NOW))


@given(accounts.filter(lambda a: a.status == "active"), st.integers(1, 2 * 10**12))
def test_a_withdrawal_never_takes_the_balance_below_zero(account: Account, amount: int) -> None:
    try:
        after = withdrawn(account, amount)
    except DomainError as refused:
        assert refused.code == "amount-above-balance"
        assert amount > account.balance_fen
    else:
        assert after.balance_fen == account.balance_fen - amount >= 0


@given(accounts.filter(lambda a: a.status == "active"), st.integers(1, 2 * 10**12))
def test_even_a_paid_amount_above_the_balance_never_takes_it_below_zero(
    account: Account, amount: int
) -> None:
    # Decided while the balance was large enough; applied to whatever the balance is now.
    rich = replace(account, balance_fen=Fen(2 * 10**12))
    decision = assess_withdrawal(rich, (), application("rent", amount, ()), ANY_RENT)
    held, withdrawal = request_withdrawal("w-1", rich, decision, NOW)
    now = replace(held, balance_fen=account.balance_fen)
    try:
        after = apply_withdrawal(now, decide(withdrawal, Pay(), NOW))
    except DomainError as refused:
        assert refused.code == "amount-above-balance"
        assert amount > account.balance_fen
    else:
        assert after.balance_fen == account.balance_fen - amount >= 0


@given(accounts)
def test_retirement_always_empties_and_closes_the_account(account: Account) -> None:
    after = withdrawn(account, None)
    assert (after.balance_fen, after.status, after.withdrawal_id) == (0, "closed", None)


@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("deposit"), st.integers(20_000, 600_000)),
            st.tuples(st.just("withdraw"), st.integers(1, 2_000_000)),
        ),
        max_size=30,
    )
)
def test_deposits_less_paid_withdrawals_is_the_balance_at_every_step(
    operations: list[tuple[str, int]],
) -> None:
    account = Account(person_ref=PERSON, city="cq", kind="flexible")
    month = Month(2024, 1)
    deposited = withdrawn_total = 0
    for operation, amount in operations:
        if operation == "deposit":
            account = record_deposit(account, month, amount, policy("cq"), date(2026, 10, 15))
            month, deposited = month.next(), deposited + amount
        else:
            try:
                account = withdrawn(account, amount)
            except DomainError as refused:
                assert refused.code == "amount-above-balance"
                continue
            withdrawn_total += amount
        assert account.balance_fen == deposited - withdrawn_total >= 0
