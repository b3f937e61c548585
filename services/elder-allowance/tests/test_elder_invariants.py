"""The elder-allowance invariants the audit checks: a move between the cities with a
recovery claim passes, each way of breaking one is named where the log shows it."""

from __future__ import annotations

from datetime import date
from typing import Literal

from chengyu_contracts.events.elder import (
    ElderAllowanceBandChanged,
    ElderAllowanceGranted,
    ElderAllowanceRecoveryClaimed,
    ElderAllowanceTerminated,
)
from chengyu_contracts.invariants import LoggedEvent
from chengyu_elder_allowance.invariants import (
    OnePayerPerMonth,
    RecoveryEqualsOverpaid,
    invariants,
)
from chengyu_kit.testing.event_log import EventLog, violations_of

PERSON = "pr1_" + "cd" * 32
ON = date(2026, 5, 3)


def granted(log: EventLog, city: str, first: str, fen: int = 10_000) -> LoggedEvent:
    data = ElderAllowanceGranted(
        person_ref=PERSON,
        paying_city=city,
        band="80-89",
        first_month=first,
        monthly_amount_fen=fen,
        granted_on=ON,
        via="automatic",
        verification_due="2027-01",
    )
    return log.write(data, city=city)


def terminated(
    log: EventLog,
    city: str,
    last: str,
    reason: Literal["death", "household-moved"] = "household-moved",
) -> LoggedEvent:
    data = ElderAllowanceTerminated(
        person_ref=PERSON,
        paying_city=city,
        last_month=last,
        reason_code=reason,
        reason=reason,
        terminated_on=ON,
    )
    return log.write(data, city=city)


def claimed(log: EventLog, city: str, months: list[str], fen: int) -> LoggedEvent:
    data = ElderAllowanceRecoveryClaimed(
        claim_id=f"claim-{city}-{len(log.events)}",
        person_ref=PERSON,
        paying_city=city,
        months=months,
        amount_fen=fen,
        reason_code="household-moved",
        claimed_on=ON,
    )
    return log.write(data, city=city)


def moved_to_chengdu() -> EventLog:
    """Paid in Chongqing from January, a band change in March, moved in May: Chongqing ends
    with April and claims May back; Chengdu pays from May."""
    log = EventLog("ca", "elder-allowance")
    granted(log, "cq", "2026-01")
    log.write(
        ElderAllowanceBandChanged(
            person_ref=PERSON,
            paying_city="cq",
            band="90-99",
            from_month="2026-03",
            monthly_amount_fen=20_000,
        ),
        city="cq",
    )
    terminated(log, "cq", "2026-04")
    claimed(log, "cq", ["2026-05"], 20_000)
    granted(log, "cd", "2026-05")
    return log


def test_a_move_with_its_recovery_claim_breaks_no_elder_invariant() -> None:
    log = moved_to_chengdu()
    for invariant in invariants():
        assert violations_of(invariant, log.events) == [], invariant.name


def test_a_redelivered_claim_is_one_claim() -> None:
    log = moved_to_chengdu()
    log.redeliver(next(e for e in log.events if isinstance(e.data, ElderAllowanceRecoveryClaimed)))
    assert violations_of(RecoveryEqualsOverpaid(), log.events) == []


def test_a_month_granted_by_both_cities_is_named_with_the_later_grant() -> None:
    log = EventLog("ca", "elder-allowance")
    granted(log, "cq", "2026-01")
    terminated(log, "cq", "2026-06")
    second = granted(log, "cd", "2026-05")
    found = violations_of(OnePayerPerMonth(), log.events)
    assert [(v.at, v.subject) for v in found] == [(second.at, PERSON)]
    assert "2 month(s) from 2026-05" in found[0].message


def test_two_open_grants_in_both_cities_are_named() -> None:
    log = EventLog("ca", "elder-allowance")
    granted(log, "cq", "2026-01")
    second = granted(log, "cd", "2026-09")
    assert [v.at for v in violations_of(OnePayerPerMonth(), log.events)] == [second.at]


def test_a_month_claimed_back_is_paid_once() -> None:
    log = EventLog("ca", "elder-allowance")
    granted(log, "cq", "2026-01")
    terminated(log, "cq", "2026-05")
    claimed(log, "cq", ["2026-05"], 10_000)  # whether it was owed is the recovery rule's call
    granted(log, "cd", "2026-05")
    assert violations_of(OnePayerPerMonth(), log.events) == []


def test_a_claim_of_another_amount_than_was_paid_is_named() -> None:
    log = EventLog("ca", "elder-allowance")
    granted(log, "cq", "2026-01")
    terminated(log, "cq", "2026-04")
    wrong = claimed(log, "cq", ["2026-05", "2026-06"], 25_000)
    found = violations_of(RecoveryEqualsOverpaid(), log.events)
    assert [v.at for v in found] == [wrong.at]
    assert "25000 fen for 2 month(s), which its grant paid 20000 fen" in found[0].message


def test_a_claim_of_a_month_the_grant_still_owes_is_named() -> None:
    log = EventLog("ca", "elder-allowance")
    granted(log, "cq", "2026-01")
    wrong = claimed(log, "cq", ["2026-03"], 10_000)
    found = violations_of(RecoveryEqualsOverpaid(), log.events)
    assert [v.at for v in found] == [wrong.at]


def test_a_month_claimed_twice_is_named_with_the_second_claim() -> None:
    log = EventLog("ca", "elder-allowance")
    granted(log, "cq", "2026-01")
    terminated(log, "cq", "2026-04")
    claimed(log, "cq", ["2026-05"], 10_000)
    second = claimed(log, "cq", ["2026-05"], 10_000)
    found = violations_of(RecoveryEqualsOverpaid(), log.events)
    assert [v.at for v in found] == [second.at]
    assert "a second time" in found[0].message


def test_a_claim_by_a_city_whose_grant_never_ended_before_the_month_is_named() -> None:
    log = EventLog("ca", "elder-allowance")
    granted(log, "cq", "2026-01")
    terminated(log, "cq", "2026-04")
    wrong = claimed(log, "cd", ["2026-05"], 10_000)  # Chengdu never paid this person
    found = violations_of(RecoveryEqualsOverpaid(), log.events)
    assert [(v.at, v.subject) for v in found] == [(wrong.at, PERSON)]
    assert "without a grant that ended before it" in found[0].message


def test_a_death_found_after_a_move_shortens_the_grant_and_its_claim_is_owed_back() -> None:
    log = EventLog("ca", "elder-allowance")
    granted(log, "cq", "2026-01")
    terminated(log, "cq", "2026-06")  # moved out with June
    claimed(log, "cq", ["2026-07"], 10_000)
    terminated(log, "cq", "2026-04", "death")  # recorded late: the last month is earlier
    claimed(log, "cq", ["2026-05", "2026-06"], 20_000)
    for invariant in invariants():
        assert violations_of(invariant, log.events) == [], invariant.name
