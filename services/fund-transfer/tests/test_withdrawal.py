"""The rules of each withdrawal kind (提取) at their boundaries, with months carried over
from the other city by a transfer counting like months paid here (无差别接续)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from fund_transfer_builders import (
    PERSON,
    application,
    carried,
    funded,
    loan,
    paid,
    withdrawal_policy,
)

from chengyu_contracts.domain_error import Conflict, DomainError
from chengyu_contracts.months import Month
from chengyu_fund_transfer.account import AccountStatus
from chengyu_fund_transfer.policy import (
    WITHDRAWAL_KINDS,
    CityPolicy,
    WithdrawalKind,
    default_policy_book,
)
from chengyu_fund_transfer.withdrawal import (
    Application,
    Decision,
    Proof,
    Purchase,
    assess_withdrawal,
)

# Applications are made on 2026-10-15: the months before run up to 2026-09.
PURCHASE = Purchase(price_fen=2_000_000, day=date(2026, 9, 1))
LOAN_IN_CHONGQING = loan(
    city="cq",
    loan_id="cq-loan-7",
    start_month=Month(2025, 1),
    term_months=240,
    amount_fen=50_000_000,
)


def for_kind(kind: WithdrawalKind) -> Application:
    """A valid application of ``kind`` for 1,000 yuan (retirement: the whole balance),
    without proofs."""
    return application(
        kind,
        None if kind == "retirement" else 100_000,
        (),
        purchase=PURCHASE if kind == "purchase" else None,
        loan=LOAN_IN_CHONGQING if kind == "loan-repayment" else None,
    )


def six_months_no_proof(kind: WithdrawalKind) -> CityPolicy:
    return withdrawal_policy("cd", kind, min_consecutive_months=6, required_proofs=frozenset())


def assessed(kind: WithdrawalKind, account_first: str, account_last: str) -> Decision:
    return assess_withdrawal(
        funded(account_first, account_last), (), for_kind(kind), six_months_no_proof(kind)
    )


def rule_of(decision: Decision, name: str) -> str:
    return next(r.detail for r in decision.rules if r.rule == name)


# --- months before the application, with a transfer in between ---------------------------


@pytest.mark.parametrize("kind", WITHDRAWAL_KINDS)
def test_exactly_the_required_months_before_the_application_month_are_enough(
    kind: WithdrawalKind,
) -> None:
    decision = assessed(kind, "2026-04", "2026-09")
    assert decision.allowed, decision.codes


@pytest.mark.parametrize("kind", WITHDRAWAL_KINDS)
def test_one_month_short_is_too_few_months(kind: WithdrawalKind) -> None:
    decision = assessed(kind, "2026-05", "2026-09")
    assert decision.codes == ("too-few-months",)
    assert "5 (needs 6)" in rule_of(decision, "consecutive-months")


@pytest.mark.parametrize("kind", WITHDRAWAL_KINDS)
def test_months_brought_over_by_a_transfer_count_like_months_paid_here(
    kind: WithdrawalKind,
) -> None:
    account = carried(there=("2026-04", "2026-06"), here=("2026-07", "2026-09"))
    decision = assess_withdrawal(account, (), for_kind(kind), six_months_no_proof(kind))
    assert decision.allowed, decision.codes
    assert "6 (needs 6); of them cq 3, cd 3" in rule_of(decision, "consecutive-months")


@pytest.mark.parametrize("kind", WITHDRAWAL_KINDS)
def test_one_month_short_across_a_transfer_is_too_few_months(kind: WithdrawalKind) -> None:
    account = carried(there=("2026-05", "2026-06"), here=("2026-07", "2026-09"))
    decision = assess_withdrawal(account, (), for_kind(kind), six_months_no_proof(kind))
    assert decision.codes == ("too-few-months",)
    assert "5 (needs 6); of them cq 2, cd 3" in rule_of(decision, "consecutive-months")


def test_months_all_paid_in_the_other_city_are_enough_on_their_own() -> None:
    account = carried(there=("2026-04", "2026-09"), here=None)
    decision = assess_withdrawal(account, (), for_kind("rent"), six_months_no_proof("rent"))
    assert decision.allowed


def test_a_gap_before_the_transfer_breaks_the_run() -> None:
    account = carried(there=("2025-01", "2026-03"), here=("2026-05", "2026-09"))
    decision = assess_withdrawal(account, (), for_kind("rent"), six_months_no_proof("rent"))
    assert decision.codes == ("too-few-months",)


def test_the_application_month_s_own_deposit_does_not_count() -> None:
    decision = assessed("rent", "2026-05", "2026-10")
    assert decision.codes == ("too-few-months",)
    assert "up to 2026-09: 5 (needs 6)" in rule_of(decision, "consecutive-months")


def test_a_kind_without_a_minimum_needs_no_deposits() -> None:
    policy = withdrawal_policy("cd", "retirement", min_consecutive_months=0)
    decision = assess_withdrawal(
        replace(funded(), deposits=()),
        (),
        application("retirement", None, ("rental-contract",)),
        policy,
    )
    assert decision.allowed


# --- proofs ------------------------------------------------------------------------------


def test_every_required_proof_is_enough() -> None:
    policy = withdrawal_policy(
        required_proofs=frozenset({"rental-contract", "no-home-certificate"})
    )
    given = application(proofs=("rental-contract", "no-home-certificate"))
    assert assess_withdrawal(funded(), (), given, policy).allowed


def test_a_missing_proof_is_refused_and_named() -> None:
    policy = withdrawal_policy(
        required_proofs=frozenset({"rental-contract", "no-home-certificate"})
    )
    decision = assess_withdrawal(funded(), (), application(proofs=("rental-contract",)), policy)
    assert decision.codes == ("proof-missing",)
    assert "no-home-certificate" in decision.refusals[0].sentence


# --- the balance -------------------------------------------------------------------------


def test_the_whole_balance_may_be_withdrawn() -> None:
    decision = assess_withdrawal(
        funded(balance=100_000), (), application(amount=100_000), withdrawal_policy()
    )
    assert (decision.allowed, decision.amount_fen) == (True, 100_000)


def test_one_fen_above_the_balance_is_refused() -> None:
    decision = assess_withdrawal(
        funded(balance=100_000), (), application(amount=100_001), withdrawal_policy()
    )
    assert decision.codes == ("amount-above-balance",)
    assert decision.amount_fen == 0


def test_retirement_takes_the_whole_balance() -> None:
    policy = withdrawal_policy(kind="retirement", min_consecutive_months=0)
    decision = assess_withdrawal(
        funded(balance=123_456), (), application("retirement", None), policy
    )
    assert decision.amount_fen == 123_456


# --- caps ----------------------------------------------------------------------------------


def test_a_withdrawal_reaching_the_monthly_cap_exactly_is_allowed() -> None:
    earlier = [paid("rent", 200_000, date(2026, 10, 2))]
    policy = withdrawal_policy(monthly_cap_fen=450_000)
    assert assess_withdrawal(funded(), earlier, application(amount=250_000), policy).allowed


def test_one_fen_above_the_monthly_cap_is_refused() -> None:
    earlier = [paid("rent", 200_000, date(2026, 10, 2))]
    policy = withdrawal_policy(monthly_cap_fen=450_000)
    decision = assess_withdrawal(funded(), earlier, application(amount=250_001), policy)
    assert decision.codes == ("amount-above-cap",)
    assert "200000 fen before + 250001 fen = 450001 fen (cap 450000 fen)" in rule_of(
        decision, "monthly-cap"
    )


def test_the_monthly_cap_counts_only_the_application_month() -> None:
    earlier = [paid("rent", 450_000, date(2026, 9, 30))]
    policy = withdrawal_policy(monthly_cap_fen=450_000)
    assert assess_withdrawal(funded(), earlier, application(amount=450_000), policy).allowed


def test_a_withdrawal_reaching_the_yearly_cap_exactly_is_allowed() -> None:
    earlier = [paid("rent", 1_000_000, date(2026, 2, 10)), paid("rent", 700_000, date(2026, 6, 1))]
    policy = withdrawal_policy(yearly_cap_fen=1_800_000)
    assert assess_withdrawal(funded(), earlier, application(amount=100_000), policy).allowed


def test_one_fen_above_the_yearly_cap_is_refused() -> None:
    earlier = [paid("rent", 1_000_000, date(2026, 2, 10)), paid("rent", 700_000, date(2026, 6, 1))]
    policy = withdrawal_policy(yearly_cap_fen=1_800_000)
    decision = assess_withdrawal(funded(), earlier, application(amount=100_001), policy)
    assert decision.codes == ("amount-above-cap",)


def test_last_year_s_withdrawals_do_not_count_against_this_year_s_cap() -> None:
    earlier = [paid("rent", 1_800_000, date(2025, 12, 31))]
    policy = withdrawal_policy(yearly_cap_fen=1_800_000)
    assert assess_withdrawal(funded(), earlier, application(amount=100_000), policy).allowed


def test_refused_withdrawals_do_not_count_against_a_cap() -> None:
    earlier = [paid("rent", 450_000, date(2026, 10, 2), state="refused")]
    policy = withdrawal_policy(monthly_cap_fen=450_000)
    assert assess_withdrawal(funded(), earlier, application(amount=450_000), policy).allowed


def test_other_kinds_do_not_count_against_a_kind_s_cap() -> None:
    earlier = [paid("serious-illness", 450_000, date(2026, 10, 2))]
    policy = withdrawal_policy(monthly_cap_fen=450_000)
    assert assess_withdrawal(funded(), earlier, application(amount=450_000), policy).allowed


def purchase_policy() -> CityPolicy:
    return withdrawal_policy(
        kind="purchase", required_proofs=frozenset(), purchase_price_share_percent=50
    )


def purchase_application(amount: int, purchase: Purchase = PURCHASE) -> Application:
    return application("purchase", amount, (), purchase=purchase)


def test_a_purchase_withdrawal_reaching_its_share_of_the_price_exactly_is_allowed() -> None:
    # 50 % of 20,000 yuan: 10,000 yuan, of which 6,000 were withdrawn already.
    earlier = [paid("purchase", 600_000, date(2026, 9, 20), purchase=PURCHASE)]
    decision = assess_withdrawal(
        funded(), earlier, purchase_application(400_000), purchase_policy()
    )
    assert decision.allowed


def test_one_fen_above_the_purchase_s_share_is_refused() -> None:
    earlier = [paid("purchase", 600_000, date(2026, 9, 20), purchase=PURCHASE)]
    decision = assess_withdrawal(
        funded(), earlier, purchase_application(400_001), purchase_policy()
    )
    assert decision.codes == ("amount-above-cap",)


def test_withdrawals_against_another_purchase_do_not_count_against_this_one() -> None:
    other = Purchase(price_fen=3_000_000, day=date(2026, 2, 1))
    earlier = [paid("purchase", 1_000_000, date(2026, 3, 1), purchase=other)]
    decision = assess_withdrawal(
        funded(), earlier, purchase_application(1_000_000), purchase_policy()
    )
    assert decision.allowed


def loan_policy() -> CityPolicy:
    return withdrawal_policy(kind="loan-repayment", required_proofs=frozenset())


def test_a_repayment_of_exactly_the_outstanding_principal_is_allowed() -> None:
    # The first of two instalments falls due in the application month: one is left.
    owed = loan(city="cq", start_month=Month(2026, 10), term_months=2)
    outstanding = 1_000_000 - (owed.monthly_instalment_fen - 2_375)
    given = application("loan-repayment", outstanding, (), loan=owed)
    decision = assess_withdrawal(funded(balance=2_000_000), (), given, loan_policy())
    assert decision.allowed, decision.rules


def test_one_fen_above_the_outstanding_principal_is_refused() -> None:
    owed = loan(city="cq", start_month=Month(2026, 10), term_months=2)
    outstanding = 1_000_000 - (owed.monthly_instalment_fen - 2_375)
    given = application("loan-repayment", outstanding + 1, (), loan=owed)
    decision = assess_withdrawal(funded(balance=2_000_000), (), given, loan_policy())
    assert decision.codes == ("amount-above-cap",)


# --- how often -------------------------------------------------------------------------------


def test_exactly_the_required_months_after_the_last_withdrawal_is_allowed() -> None:
    earlier = [paid("rent", 100_000, date(2026, 7, 31))]
    policy = withdrawal_policy(min_months_between=3)
    assert assess_withdrawal(funded(), earlier, application(), policy).allowed


def test_one_month_sooner_is_too_soon_since_the_last() -> None:
    earlier = [paid("rent", 100_000, date(2026, 8, 1))]
    policy = withdrawal_policy(min_months_between=3)
    decision = assess_withdrawal(funded(), earlier, application(), policy)
    assert decision.codes == ("too-soon-since-last",)
    assert "from 2026-11" in decision.refusals[0].sentence


def test_a_first_withdrawal_is_never_too_soon() -> None:
    policy = withdrawal_policy(min_months_between=12)
    decision = assess_withdrawal(funded(), (), application(), policy)
    assert "none before" in rule_of(decision, "frequency")


# --- purchase age, loan confirmation ---------------------------------------------------------


def purchase_on(day: date) -> Decision:
    policy = withdrawal_policy(
        kind="purchase", required_proofs=frozenset(), purchase_within_months=12
    )
    purchase = Purchase(price_fen=2_000_000, day=day)
    return assess_withdrawal(funded(), (), purchase_application(100_000, purchase), policy)


def test_a_purchase_exactly_the_allowed_months_ago_is_in_time() -> None:
    assert purchase_on(date(2025, 10, 15)).allowed


def test_a_purchase_one_day_older_is_too_old() -> None:
    decision = purchase_on(date(2025, 10, 14))
    assert decision.codes == ("purchase-too-old",)
    assert "until 2026-10-14" in rule_of(decision, "purchase-within")


def test_a_purchase_at_a_month_end_runs_to_the_end_of_a_shorter_month() -> None:
    policy = withdrawal_policy(
        kind="purchase", required_proofs=frozenset(), purchase_within_months=1
    )
    purchase = Purchase(price_fen=2_000_000, day=date(2026, 8, 31))
    given = application("purchase", 100_000, (), day=date(2026, 9, 30), purchase=purchase)
    assert assess_withdrawal(funded("2026-03", "2026-08"), (), given, policy).allowed


def test_a_repayment_without_a_confirmed_loan_is_refused() -> None:
    given = application("loan-repayment", 100_000, ())
    decision = assess_withdrawal(funded(), (), given, loan_policy())
    assert decision.codes == ("loan-not-confirmed",)


def test_a_loan_of_another_person_is_not_confirmed_for_this_one() -> None:
    someone_else = replace(LOAN_IN_CHONGQING, person_ref="pr1_" + "cd" * 32)
    given = application("loan-repayment", 100_000, (), loan=someone_else)
    decision = assess_withdrawal(funded(), (), given, loan_policy())
    assert decision.codes == ("loan-not-confirmed",)


def test_a_loan_confirmed_by_the_other_city_may_be_repaid_here() -> None:
    given = application("loan-repayment", 100_000, (), loan=LOAN_IN_CHONGQING)
    decision = assess_withdrawal(funded(), (), given, loan_policy())
    assert decision.allowed
    assert "Chongqing loan cq-loan-7 confirmed" in rule_of(decision, "loan-confirmed")


# --- kinds in force, by policy date ------------------------------------------------------------


def illness_on(day: date) -> Decision:
    policy = default_policy_book().policy_for("cd", day)
    given = application(
        "serious-illness", 100_000, ("hospital-diagnosis", "medical-expense-receipts"), day=day
    )
    return assess_withdrawal(funded("2025-01", "2025-12"), (), given, policy)


def test_a_kind_is_not_in_force_before_its_effective_date() -> None:
    decision = illness_on(date(2025, 12, 31))
    assert decision.codes == ("withdrawal-kind-not-in-force",)
    assert [r.rule for r in decision.rules] == [
        "account-status",
        "no-withdrawal-pending",
        "kind-in-force",
    ]


def test_a_kind_is_in_force_on_its_effective_date() -> None:
    assert illness_on(date(2026, 1, 1)).allowed


# --- the account's status -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("sealed", "account-sealed"),
        ("transferring", "account-transferring"),
        ("closed", "account-closed"),
    ],
)
def test_only_an_active_account_withdraws_for_rent(status: AccountStatus, code: str) -> None:
    decision = assess_withdrawal(
        replace(funded(), status=status), (), application(), withdrawal_policy()
    )
    assert decision.codes == (code,)
    with pytest.raises(Conflict) as refused:
        decision.raise_if_refused()
    assert refused.value.code == code


def test_a_sealed_account_may_withdraw_where_the_kind_allows_it() -> None:
    policy = withdrawal_policy(kind="retirement", allowed_when_sealed=True)
    decision = assess_withdrawal(
        replace(funded(), status="sealed"), (), application("retirement", None), policy
    )
    assert decision.allowed


def test_a_policy_of_the_other_city_cannot_judge_a_withdrawal() -> None:
    with pytest.raises(ValueError, match="cannot judge"):
        assess_withdrawal(funded(city="cd"), (), application(), withdrawal_policy("cq"))


# --- the decision itself --------------------------------------------------------------------


def test_every_rule_checked_is_reported_with_its_figures() -> None:
    policy = withdrawal_policy(
        monthly_cap_fen=450_000, yearly_cap_fen=1_800_000, min_months_between=3
    )
    decision = assess_withdrawal(funded(), (), application(), policy)
    assert [r.rule for r in decision.rules] == [
        "account-status",
        "no-withdrawal-pending",
        "kind-in-force",
        "consecutive-months",
        "proofs",
        "balance",
        "monthly-cap",
        "yearly-cap",
        "frequency",
    ]
    assert rule_of(decision, "balance") == "amount 100000 fen, balance 1000000 fen"


def test_every_failed_rule_gives_its_refusal_in_rule_order() -> None:
    policy = withdrawal_policy(required_proofs=frozenset({"rental-contract"}))
    decision = assess_withdrawal(
        funded("2026-06", "2026-09", balance=50_000), (), application(proofs=()), policy
    )
    assert decision.codes == ("too-few-months", "proof-missing", "amount-above-balance")


def test_a_refused_decision_raises_its_first_refusal() -> None:
    decision = assess_withdrawal(
        funded(balance=50_000), (), application(amount=50_001), withdrawal_policy()
    )
    with pytest.raises(DomainError) as refused:
        decision.raise_if_refused()
    assert refused.value.code == "amount-above-balance"
    assert not isinstance(refused.value, Conflict)


def test_the_decision_names_the_city_and_the_person() -> None:
    decision = assess_withdrawal(funded(), (), application(), withdrawal_policy())
    assert (decision.city, decision.person_ref) == ("cd", PERSON)


# --- the application's shape ------------------------------------------------------------------


def test_a_retirement_withdrawal_names_no_amount() -> None:
    with pytest.raises(DomainError) as refused:
        application("retirement", 100_000)
    assert refused.value.code == "invalid-application"


def test_any_other_withdrawal_names_an_amount() -> None:
    with pytest.raises(DomainError) as refused:
        application("rent", None)
    assert refused.value.code == "invalid-application"


@pytest.mark.parametrize(("amount", "code"), [(1000.0, "invalid-amount"), (0, "zero-amount")])
def test_an_amount_is_a_positive_whole_number_of_fen(amount: object, code: str) -> None:
    with pytest.raises(DomainError) as refused:
        application("rent", amount)  # type: ignore[arg-type]
    assert refused.value.code == code


def test_a_purchase_withdrawal_names_its_purchase() -> None:
    with pytest.raises(DomainError) as refused:
        application("purchase", 100_000)
    assert refused.value.code == "invalid-application"


def test_a_purchase_after_the_application_day_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        application("purchase", 100_000, purchase=Purchase(2_000_000, date(2026, 10, 16)))
    assert refused.value.code == "invalid-application"


def test_a_proof_reference_holding_a_resident_id_number_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        Proof("rental-contract", "11010519491231002X")
    assert refused.value.code == "personal-data-in-text"


def test_a_proof_needs_a_reference() -> None:
    with pytest.raises(DomainError) as refused:
        Proof("rental-contract", " ")
    assert refused.value.code == "invalid-application"
