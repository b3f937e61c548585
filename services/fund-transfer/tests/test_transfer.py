from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from fund_transfer_builders import NOW, PERSON, account, policy

from chengyu_contracts.domain_error import DomainError
from chengyu_fund_transfer.account import freeze_for_transfer, seal
from chengyu_fund_transfer.money import Fen
from chengyu_fund_transfer.transfer import (
    Complete,
    Credit,
    MarkOverdue,
    Reason,
    Reject,
    Revert,
    SendFunds,
    Transfer,
    TransferStep,
    apply,
    check_sending_side,
    is_overdue,
    request_transfer,
)

LATER = NOW + timedelta(hours=1)
NO_ROOM = Reason("history-conflict", "Deposits for 2026-03 exist in both cities.")


def requested() -> Transfer:
    """A transfer from Chongqing to Chengdu, requested in Chengdu at NOW."""
    return request_transfer("tr-1", PERSON, "cq", NOW, policy("cd"))


def sent() -> Transfer:
    return apply(requested(), SendFunds(Fen(120_000), 3), LATER)


def credited() -> Transfer:
    return apply(sent(), Credit(), LATER)


# --- requesting ----------------------------------------------------------------------


def test_a_new_transfer_is_requested_with_a_deadline_from_the_receiving_city() -> None:
    transfer = requested()
    assert transfer.state == "requested"
    assert transfer.deadline == NOW + timedelta(days=10)


def test_a_transfer_within_one_city_is_refused_at_request() -> None:
    with pytest.raises(DomainError) as refused:
        request_transfer("tr-1", PERSON, "cd", NOW, policy("cd"))
    assert refused.value.code == "same-city"


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        request_transfer("tr-1", PERSON, "cq", datetime(2026, 10, 15), policy("cd"))


# --- the sending side's checks ---------------------------------------------------------


def test_an_active_account_in_the_sending_city_passes_the_checks() -> None:
    assert check_sending_side(account("cq"), requested(), policy("cq")) is None


def test_no_account_in_the_sending_city_is_rejected() -> None:
    reason = check_sending_side(None, requested(), policy("cq"))
    assert reason is not None
    assert reason.code == "no-such-account"


def test_an_account_already_transferring_is_rejected() -> None:
    frozen = freeze_for_transfer(account("cq"), "tr-0", policy("cq"))
    reason = check_sending_side(frozen, requested(), policy("cq"))
    assert reason is not None
    assert reason.code == "already-transferring"


def test_a_closed_account_is_rejected() -> None:
    reason = check_sending_side(replace(account("cq"), status="closed"), requested(), policy("cq"))
    assert reason is not None
    assert reason.code == "account-closed"


def test_a_sealed_account_is_rejected_where_policy_forbids_it() -> None:
    strict = policy("cq", sealed_accounts_may_transfer=False)
    reason = check_sending_side(seal(account("cq")), requested(), strict)
    assert reason is not None
    assert reason.code == "account-sealed"


def test_a_sealed_account_passes_where_policy_allows_it() -> None:
    assert check_sending_side(seal(account("cq")), requested(), policy("cq")) is None


def test_a_same_city_request_is_rejected_by_the_sending_side() -> None:
    # Defence in depth: request_transfer refuses it, but a sender must not trust the event.
    same = replace(requested(), from_city="cd")
    reason = check_sending_side(account("cd"), same, policy("cd"))
    assert reason is not None
    assert reason.code == "same-city"


def test_every_rejection_has_a_sentence() -> None:
    reason = check_sending_side(None, requested(), policy("cq"))
    assert reason is not None
    assert reason.sentence.endswith(".")


# --- legal transitions ---------------------------------------------------------------


def test_a_rejected_request_ends_rejected_with_its_reason() -> None:
    reason = Reason("no-such-account", "Chongqing has no provident-fund account.")
    rejected = apply(requested(), Reject(reason), LATER)
    assert (rejected.state, rejected.reason) == ("rejected", reason)


def test_sending_funds_records_the_amount_and_months() -> None:
    transfer = sent()
    assert (transfer.state, transfer.amount_fen, transfer.months_sent) == (
        "funds_sent",
        120_000,
        3,
    )


def test_the_happy_path_ends_completed() -> None:
    assert apply(credited(), Complete(), LATER).state == "completed"


def test_a_failed_credit_ends_reverted_with_its_reason() -> None:
    reverted = apply(sent(), Revert(NO_ROOM), LATER)
    assert (reverted.state, reverted.reason) == ("reverted", NO_ROOM)


def test_every_step_is_kept_in_the_history_with_its_time() -> None:
    done = apply(credited(), Complete(), LATER + timedelta(minutes=5))
    assert [(s.state, s.at) for s in done.history] == [
        ("requested", NOW),
        ("funds_sent", LATER),
        ("credited", LATER),
        ("completed", LATER + timedelta(minutes=5)),
    ]


# --- illegal transitions -------------------------------------------------------------


def test_a_transfer_is_never_credited_without_funds_sent() -> None:
    with pytest.raises(DomainError) as refused:
        apply(requested(), Credit(), LATER)
    assert refused.value.code == "illegal-transition"


def test_a_transfer_is_never_credited_twice() -> None:
    with pytest.raises(DomainError) as refused:
        apply(credited(), Credit(), LATER)
    assert refused.value.code == "illegal-transition"


def test_a_credited_transfer_cannot_be_reverted() -> None:
    with pytest.raises(DomainError) as refused:
        apply(credited(), Revert(NO_ROOM), LATER)
    assert refused.value.code == "illegal-transition"


def test_a_transfer_with_funds_sent_cannot_be_rejected() -> None:
    with pytest.raises(DomainError) as refused:
        apply(sent(), Reject(NO_ROOM), LATER)
    assert refused.value.code == "illegal-transition"


def test_a_request_cannot_complete_before_it_is_credited() -> None:
    with pytest.raises(DomainError) as refused:
        apply(sent(), Complete(), LATER)
    assert refused.value.code == "illegal-transition"


@pytest.mark.parametrize(
    "step",
    [Reject(NO_ROOM), SendFunds(Fen(1), 1), Credit(), Revert(NO_ROOM), Complete(), MarkOverdue()],
)
def test_an_ended_transfer_takes_no_further_step(step: TransferStep) -> None:
    ended = apply(credited(), Complete(), LATER)
    with pytest.raises(DomainError) as refused:
        apply(ended, step, LATER + timedelta(days=30))
    assert refused.value.code == "illegal-transition"


def test_a_negative_amount_cannot_be_sent() -> None:
    with pytest.raises(DomainError) as refused:
        apply(requested(), SendFunds(Fen(-1), 0), LATER)
    assert refused.value.code == "negative-amount"


# --- deadline and overdue ------------------------------------------------------------


def test_a_transfer_at_its_deadline_is_not_yet_overdue() -> None:
    transfer = requested()
    assert not is_overdue(transfer, transfer.deadline)


def test_a_transfer_just_past_its_deadline_is_overdue() -> None:
    transfer = requested()
    assert is_overdue(transfer, transfer.deadline + timedelta(microseconds=1))


def test_an_ended_transfer_is_never_overdue() -> None:
    done = apply(credited(), Complete(), LATER)
    assert not is_overdue(done, done.deadline + timedelta(days=365))


def test_a_transfer_within_its_deadline_cannot_be_marked_overdue() -> None:
    transfer = requested()
    with pytest.raises(DomainError) as refused:
        apply(transfer, MarkOverdue(), transfer.deadline)
    assert refused.value.code == "not-overdue"


def test_a_transfer_past_its_deadline_is_marked_overdue() -> None:
    transfer = sent()
    overdue = apply(transfer, MarkOverdue(), transfer.deadline + timedelta(seconds=1))
    assert (overdue.state, overdue.overdue_from) == ("overdue", "funds_sent")


def test_an_overdue_transfer_is_not_marked_overdue_twice() -> None:
    late = requested().deadline + timedelta(seconds=1)
    overdue = apply(requested(), MarkOverdue(), late)
    with pytest.raises(DomainError) as refused:
        apply(overdue, MarkOverdue(), late)
    assert refused.value.code == "illegal-transition"


def test_an_overdue_transfer_still_takes_the_step_it_was_waiting_for() -> None:
    late = sent().deadline + timedelta(seconds=1)
    overdue = apply(sent(), MarkOverdue(), late)
    assert apply(overdue, Credit(), late).state == "credited"


def test_an_overdue_request_is_still_never_credited_without_funds_sent() -> None:
    late = requested().deadline + timedelta(seconds=1)
    overdue = apply(requested(), MarkOverdue(), late)
    with pytest.raises(DomainError) as refused:
        apply(overdue, Credit(), late)
    assert refused.value.code == "illegal-transition"
