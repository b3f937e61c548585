"""The fund-transfer invariants the audit checks: a clean saga passes, each way of breaking
one is named where the log shows it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chengyu_contracts.events.fund import (
    CarriedDeposit,
    TransferCompleted,
    TransferCredited,
    TransferCreditRefused,
    TransferFundsSent,
    TransferRejected,
    TransferRequested,
    TransferReverted,
)
from chengyu_contracts.invariants import LoggedEvent
from chengyu_fund_transfer.invariants import (
    CreditedOnce,
    EndedOrWithinDeadline,
    MoneyConserved,
    invariants,
)
from chengyu_kit.testing.event_log import EventLog, violations_of

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEADLINE = NOW + timedelta(days=10)
PERSON = "pr1_" + "ab" * 32


def ids(transfer_id: str) -> dict[str, str]:
    return {
        "transfer_id": transfer_id,
        "person_ref": PERSON,
        "from_city": "cq",
        "to_city": "cd",
    }


def requested(log: EventLog, transfer_id: str) -> LoggedEvent:
    data = TransferRequested(**ids(transfer_id), requested_at=NOW, deadline=DEADLINE)
    return log.write(data, city="cd")


def sent(log: EventLog, transfer_id: str, amount: int = 120_000) -> LoggedEvent:
    data = TransferFundsSent(
        **ids(transfer_id),
        sending_account_id="acct-1",
        account_kind="employee",
        amount_fen=amount,
        deposits=[CarriedDeposit(month="2025-12", amount_fen=amount, city="cq")],
    )
    return log.write(data, city="cq")


def credited(log: EventLog, transfer_id: str, amount: int = 120_000) -> LoggedEvent:
    data = TransferCredited(**ids(transfer_id), receiving_account_id="acct-2", amount_fen=amount)
    return log.write(data, city="cd")


def completed(log: EventLog, transfer_id: str, amount: int = 120_000) -> LoggedEvent:
    return log.write(TransferCompleted(**ids(transfer_id), amount_fen=amount), city="cq")


def refused_and_reverted(log: EventLog, transfer_id: str) -> LoggedEvent:
    log.write(
        TransferCreditRefused(**ids(transfer_id), reason_code="closed", reason="closed"),
        city="cd",
    )
    return log.write(
        TransferReverted(**ids(transfer_id), reason_code="closed", reason="closed"), city="cq"
    )


def clean_log() -> EventLog:
    """A completed transfer, a reverted one, a rejected one, one in flight."""
    log = EventLog("hpf", "fund-transfer")
    requested(log, "t-done")
    sent(log, "t-done")
    credited(log, "t-done")
    completed(log, "t-done")
    requested(log, "t-back")
    sent(log, "t-back", 50_000)
    refused_and_reverted(log, "t-back")
    requested(log, "t-no")
    log.write(TransferRejected(**ids("t-no"), reason_code="no-account", reason="none"), city="cq")
    requested(log, "t-flying")
    sent(log, "t-flying", 7_000)
    return log


def test_a_clean_log_breaks_no_fund_invariant() -> None:
    log = clean_log()
    for invariant in invariants():
        assert violations_of(invariant, log.events, NOW) == [], invariant.name


def test_a_redelivered_credit_is_not_a_second_credit() -> None:
    log = clean_log()
    log.redeliver(next(e for e in log.events if isinstance(e.data, TransferCredited)))
    assert violations_of(CreditedOnce(), log.events, NOW) == []
    assert violations_of(MoneyConserved(), log.events, NOW) == []


def test_a_second_credit_of_one_transfer_is_named_where_it_was_written() -> None:
    log = clean_log()
    second = credited(log, "t-done")
    found = violations_of(CreditedOnce(), log.events, NOW)
    assert [(v.at, v.subject) for v in found] == [(second.at, PERSON)]


def test_a_credit_of_another_amount_than_was_sent_breaks_conservation() -> None:
    log = EventLog("hpf", "fund-transfer")
    requested(log, "t")
    sent(log, "t", 120_000)
    wrong = credited(log, "t", 121_000)
    found = violations_of(MoneyConserved(), log.events, NOW)
    assert found[0].at == wrong.at
    assert "121000 fen credited, 120000 fen sent" in found[0].message


def test_money_both_credited_and_reverted_does_not_add_up_for_the_person() -> None:
    log = EventLog("hpf", "fund-transfer")
    requested(log, "t")
    sent(log, "t")
    credited(log, "t")
    refused_and_reverted(log, "t")
    found = violations_of(MoneyConserved(), log.events, NOW)
    assert [v.subject for v in found] == [PERSON, None]  # the person, then the total
    assert "120000 fen sent, but 240000 fen" in found[0].message


def test_a_completion_of_another_amount_is_named() -> None:
    log = EventLog("hpf", "fund-transfer")
    requested(log, "t")
    sent(log, "t")
    credited(log, "t")
    wrong = completed(log, "t", 1)
    assert [v.at for v in violations_of(MoneyConserved(), log.events, NOW)] == [wrong.at]


def test_a_completion_never_credited_loses_the_money_and_is_named() -> None:
    log = EventLog("hpf", "fund-transfer")
    requested(log, "t")
    sent(log, "t")
    closed = completed(log, "t")
    found = violations_of(MoneyConserved(), log.events, NOW)
    assert (found[0].at, found[0].subject) == (closed.at, PERSON)
    assert "completed, but never credited" in found[0].message
    assert "120000 fen sent, but 0 fen" in found[1].message


def test_a_credit_without_funds_sent_is_named() -> None:
    log = EventLog("hpf", "fund-transfer")
    requested(log, "t")
    orphan = credited(log, "t")
    found = violations_of(MoneyConserved(), log.events, NOW)
    assert [v.at for v in found] == [orphan.at]


def test_an_open_transfer_past_its_deadline_is_named_by_its_request() -> None:
    log = clean_log()
    flying = next(
        e
        for e in log.events
        if isinstance(e.data, TransferRequested) and e.data.transfer_id == "t-flying"
    )
    found = violations_of(EndedOrWithinDeadline(), log.events, DEADLINE + timedelta(seconds=1))
    assert [(v.at, v.subject) for v in found] == [(flying.at, PERSON)]


def test_an_open_transfer_before_its_deadline_is_no_violation() -> None:
    assert violations_of(EndedOrWithinDeadline(), clean_log().events, DEADLINE) == []
