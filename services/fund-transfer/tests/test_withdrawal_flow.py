"""One withdrawal as a state machine (applied -> paid | refused), the money it moves, and
how it and a transfer keep off each other's account."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from fund_transfer_builders import NOW, application, funded, withdrawal_policy

from chengyu_contracts.domain_error import Conflict, DomainError
from chengyu_fund_transfer.account import (
    Account,
    freeze_for_transfer,
    restore_after_failed_transfer,
    transfer_blocker,
)
from chengyu_fund_transfer.money import Fen
from chengyu_fund_transfer.policy import CityPolicy
from chengyu_fund_transfer.transfer import Reason, check_sending_side, request_transfer
from chengyu_fund_transfer.withdrawal import (
    TRANSITIONS,
    Application,
    Pay,
    Refuse,
    Withdrawal,
    apply_withdrawal,
    assess_withdrawal,
    decide,
    release_withdrawal,
    request_withdrawal,
)

LATER = NOW.replace(hour=15)
FORGED = Reason("proof-not-genuine", "The rental contract could not be verified.")


def rent_policy() -> CityPolicy:
    return withdrawal_policy("cd", "rent")


def applied(
    account: Account | None = None,
    given: Application | None = None,
    policy: CityPolicy | None = None,
) -> tuple[Account, Withdrawal]:
    """The account held by an applied withdrawal (rent, 1,000 yuan from 10,000 by default)."""
    account = funded() if account is None else account
    policy = rent_policy() if policy is None else policy
    decision = assess_withdrawal(account, (), application() if given is None else given, policy)
    return request_withdrawal("w-1", account, decision, NOW)


def retirement() -> tuple[Account, Withdrawal]:
    policy = withdrawal_policy(
        "cd", "retirement", min_consecutive_months=0, allowed_when_sealed=True
    )
    return applied(funded(balance=123_456), application("retirement", None), policy)


# --- the machine -------------------------------------------------------------------------


def test_the_machine_is_applied_to_paid_or_refused_and_nothing_else() -> None:
    assert dict(TRANSITIONS) == {("applied", Pay): "paid", ("applied", Refuse): "refused"}


def test_an_allowed_decision_is_applied_for_with_its_amount() -> None:
    _, withdrawal = applied()
    assert (withdrawal.state, withdrawal.amount_fen, withdrawal.kind) == (
        "applied",
        100_000,
        "rent",
    )
    assert withdrawal.history[0].detail == "rent: 1,000.00 yuan applied for in Chengdu"


def test_applying_holds_the_account_without_moving_money() -> None:
    held, _ = applied()
    assert (held.withdrawal_id, held.balance_fen, held.status) == ("w-1", 1_000_000, "active")


def test_a_refused_decision_cannot_be_applied_for() -> None:
    account = funded(balance=50_000)
    decision = assess_withdrawal(account, (), application(amount=50_001), rent_policy())
    with pytest.raises(DomainError) as refused:
        request_withdrawal("w-1", account, decision, NOW)
    assert refused.value.code == "amount-above-balance"


def test_paying_records_the_step_and_its_time() -> None:
    _, withdrawal = applied()
    done = decide(withdrawal, Pay(), LATER)
    assert done.state == "paid"
    assert (done.history[-1].state, done.history[-1].at) == ("paid", LATER)


def test_refusing_keeps_the_reason() -> None:
    _, withdrawal = applied()
    done = decide(withdrawal, Refuse(FORGED), LATER)
    assert (done.state, done.reason) == ("refused", FORGED)


@pytest.mark.parametrize("first", [Pay(), Refuse(FORGED)])
@pytest.mark.parametrize("second", [Pay(), Refuse(FORGED)])
def test_a_decided_withdrawal_takes_no_further_step(
    first: Pay | Refuse, second: Pay | Refuse
) -> None:
    _, withdrawal = applied()
    decided = decide(withdrawal, first, LATER)
    with pytest.raises(Conflict) as refused:
        decide(decided, second, LATER)
    assert refused.value.code == "illegal-transition"


def test_withdrawal_times_must_be_timezone_aware() -> None:
    _, withdrawal = applied()
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(withdrawal, Pay(), datetime(2026, 10, 15, 15, 0))


# --- money --------------------------------------------------------------------------------


def test_a_paid_withdrawal_reduces_the_balance_by_its_amount_and_frees_the_account() -> None:
    held, withdrawal = applied()
    after = apply_withdrawal(held, decide(withdrawal, Pay(), LATER))
    assert (after.balance_fen, after.withdrawal_id, after.status) == (900_000, None, "active")


def test_a_withdrawal_is_applied_to_the_account_at_most_once() -> None:
    held, withdrawal = applied()
    done = decide(withdrawal, Pay(), LATER)
    once = apply_withdrawal(held, done)
    with pytest.raises(Conflict) as refused:
        apply_withdrawal(once, done)
    assert refused.value.code == "not-held-by-withdrawal"


def test_a_withdrawal_not_yet_paid_moves_no_money() -> None:
    held, withdrawal = applied()
    with pytest.raises(Conflict) as refused:
        apply_withdrawal(held, withdrawal)
    assert refused.value.code == "withdrawal-not-paid"


def test_a_paid_amount_above_the_balance_is_refused_rather_than_going_below_zero() -> None:
    held, withdrawal = applied()
    emptied = replace(held, balance_fen=Fen(99_999))
    with pytest.raises(DomainError) as refused:
        apply_withdrawal(emptied, decide(withdrawal, Pay(), LATER))
    assert refused.value.code == "amount-above-balance"


def test_a_refused_withdrawal_frees_the_account_and_leaves_the_balance() -> None:
    held, withdrawal = applied()
    after = release_withdrawal(held, decide(withdrawal, Refuse(FORGED), LATER))
    assert (after.balance_fen, after.withdrawal_id) == (1_000_000, None)


def test_a_paid_withdrawal_is_not_released_as_if_refused() -> None:
    held, withdrawal = applied()
    with pytest.raises(Conflict) as refused:
        release_withdrawal(held, decide(withdrawal, Pay(), LATER))
    assert refused.value.code == "withdrawal-not-refused"


def test_retirement_empties_and_closes_the_account() -> None:
    held, withdrawal = retirement()
    after = apply_withdrawal(held, decide(withdrawal, Pay(), LATER))
    assert (withdrawal.amount_fen, after.balance_fen, after.status) == (123_456, 0, "closed")
    assert after.deposits == held.deposits


def test_a_sealed_account_retires_and_closes() -> None:
    policy = withdrawal_policy(
        "cd", "retirement", min_consecutive_months=0, allowed_when_sealed=True
    )
    sealed = replace(funded(balance=5_000), status="sealed")
    held, withdrawal = applied(sealed, application("retirement", None), policy)
    after = apply_withdrawal(held, decide(withdrawal, Pay(), LATER))
    assert (after.balance_fen, after.status) == (0, "closed")


def test_retirement_refuses_to_close_when_the_balance_is_no_longer_the_one_decided() -> None:
    held, withdrawal = retirement()
    topped_up = replace(held, balance_fen=Fen(held.balance_fen + 50_000))
    with pytest.raises(Conflict) as refused:
        apply_withdrawal(topped_up, decide(withdrawal, Pay(), LATER))
    assert refused.value.code == "balance-changed"


def test_another_account_s_withdrawal_is_a_wiring_bug() -> None:
    held, withdrawal = applied()
    with pytest.raises(ValueError, match="not for this account"):
        apply_withdrawal(
            replace(held, person_ref="pr1_" + "cd" * 32), decide(withdrawal, Pay(), LATER)
        )


# --- a withdrawal and a transfer keep off each other ----------------------------------------


def test_a_pending_withdrawal_blocks_a_freeze_for_transfer() -> None:
    held, _ = applied()
    with pytest.raises(Conflict) as refused:
        freeze_for_transfer(held, "tr-1", withdrawal_policy("cd"))
    assert refused.value.code == "withdrawal-pending"


def test_the_sending_city_rejects_a_transfer_while_a_withdrawal_is_pending() -> None:
    held, _ = applied()
    transfer = request_transfer("tr-1", held.person_ref, "cd", NOW, withdrawal_policy("cq"))
    reason = check_sending_side(held, transfer, withdrawal_policy("cd"))
    assert reason is not None
    assert reason.code == "withdrawal-pending"


@pytest.mark.parametrize("step", [Pay(), Refuse(FORGED)])
def test_once_decided_the_account_may_be_frozen_again(step: Pay | Refuse) -> None:
    held, withdrawal = applied()
    done = decide(withdrawal, step, LATER)
    freed = (
        apply_withdrawal(held, done) if isinstance(step, Pay) else release_withdrawal(held, done)
    )
    assert transfer_blocker(freed, withdrawal_policy("cd")) is None


def test_a_transferring_account_takes_no_withdrawal() -> None:
    frozen = freeze_for_transfer(funded(), "tr-1", withdrawal_policy("cd"))
    decision = assess_withdrawal(frozen, (), application(), rent_policy())
    assert decision.codes == ("account-transferring",)


def test_a_freeze_after_the_decision_still_stops_the_application() -> None:
    account = funded()
    decision = assess_withdrawal(account, (), application(), rent_policy())
    frozen = freeze_for_transfer(account, "tr-1", withdrawal_policy("cd"))
    with pytest.raises(Conflict) as refused:
        request_withdrawal("w-1", frozen, decision, NOW)
    assert refused.value.code == "account-transferring"


def test_a_second_withdrawal_waits_for_the_first() -> None:
    held, _ = applied()
    decision = assess_withdrawal(held, (), application(), rent_policy())
    assert decision.codes == ("withdrawal-pending",)


def test_a_second_application_racing_the_first_is_refused() -> None:
    account = funded()
    decision = assess_withdrawal(account, (), application(), rent_policy())
    held, _ = request_withdrawal("w-1", account, decision, NOW)
    with pytest.raises(Conflict) as refused:
        request_withdrawal("w-2", held, decision, NOW)
    assert refused.value.code == "withdrawal-pending"


def test_restoring_after_a_failed_transfer_gives_back_an_account_free_of_withdrawals() -> None:
    account = funded()
    frozen = freeze_for_transfer(account, "tr-1", withdrawal_policy("cd"))
    assert restore_after_failed_transfer(frozen, "tr-1").withdrawal_id is None
