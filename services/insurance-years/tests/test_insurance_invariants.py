"""The insurance-years invariants the audit checks: corrected periods and one determined
retirement city pass; each way of breaking one is named where the log shows it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from chengyu_contracts.events.medins import (
    ContributionYearsAccrued,
    RetirementCityClaimed,
    RetirementCityDetermined,
    RetirementCityRefused,
    RetirementFigures,
)
from chengyu_contracts.invariants import LoggedEvent
from chengyu_insurance_years.invariants import (
    DecisionAnswersClaim,
    LedgerRebuilds,
    OneRetirementCity,
    invariants,
)
from chengyu_insurance_years.ledger import totals
from chengyu_kit.testing.event_log import EventLog, violations_of

PERSON = "pr1_" + "ef" * 32
AT = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


def period(
    log: EventLog, period_id: str, city: str, start: str, end: str, version: int = 1
) -> LoggedEvent:
    data = ContributionYearsAccrued(
        period_id=period_id,
        person_ref=PERSON,
        city=city,
        start_month=start,
        end_month=end,
        kind="actual",
        version=version,
        cancelled=False,
    )
    return log.write(data, city=city)


def figures(city: str) -> RetirementFigures:
    return RetirementFigures(
        city=city,
        policy_effective_from=date(2025, 1, 1),
        up_to="2026-03",
        cumulative_months=360,
        actual_months=360,
        actual_months_in_city=120,
        deemed_months=0,
        deemed_counted=False,
        required_cumulative_months=300,
        required_actual_months_in_city=120,
    )


def claimed(log: EventLog, request_id: str, requested_in: str, chosen: str) -> LoggedEvent:
    data = RetirementCityClaimed(
        request_id=request_id,
        person_ref=PERSON,
        requested_in=requested_in,
        chosen_city=chosen,
        sex="female",
        retirement_date=date(2026, 4, 1),
        requested_at=AT,
    )
    return log.write(data, city=requested_in)


def determined(
    log: EventLog, request_id: str, city: str, *, signed_by: str | None = None
) -> LoggedEvent:
    data = RetirementCityDetermined(
        request_id=request_id,
        person_ref=PERSON,
        city=city,
        sex="female",
        retirement_date=date(2026, 4, 1),
        figures=figures(city),
        decided_at=AT,
    )
    return log.write(data, city=signed_by or city)


def refused(log: EventLog, request_id: str, city: str, determined_city: str) -> LoggedEvent:
    data = RetirementCityRefused(
        request_id=request_id,
        person_ref=PERSON,
        chosen_city=city,
        code="retirement-city-already-determined",
        reason="already determined",
        shortfalls=[],
        figures=None,
        alternative_city=None,
        determined_city=determined_city,
        decided_at=AT,
    )
    return log.write(data, city=city)


def worked_in_both_and_retired() -> EventLog:
    log = EventLog("mi", "insurance-years")
    period(log, "p-cq", "cq", "1996-01", "2015-12")
    period(log, "p-cd", "cd", "2016-01", "2025-12")
    period(log, "p-cd", "cd", "2016-01", "2026-03", version=2)  # corrected
    claimed(log, "r-1", "cq", "cd")  # asked in Chongqing for Chengdu (异地受理)
    claimed(log, "r-2", "cq", "cq")
    determined(log, "r-1", "cd")
    refused(log, "r-2", "cq", "cd")
    return log


def test_a_corrected_history_and_one_retirement_city_break_no_invariant() -> None:
    log = worked_in_both_and_retired()
    for invariant in invariants():
        assert violations_of(invariant, log.events) == [], invariant.name


def test_the_rebuilt_ledger_counts_the_latest_version_of_each_period() -> None:
    rebuilt = LedgerRebuilds()
    violations_of(rebuilt, worked_in_both_and_retired().events)
    counted = totals(rebuilt.ledgers()[PERSON])
    assert (counted.city("cq").actual, counted.city("cd").actual) == (240, 123)


def test_two_different_versions_with_one_number_are_named_at_the_second() -> None:
    log = worked_in_both_and_retired()
    second = period(log, "p-cq", "cq", "1997-01", "2015-12")
    found = violations_of(LedgerRebuilds(), log.events)
    assert [(v.at, v.subject) for v in found] == [(second.at, PERSON)]


def test_a_version_naming_another_city_is_named() -> None:
    log = worked_in_both_and_retired()
    moved = period(log, "p-cq", "cd", "1996-01", "2015-12", version=2)
    assert [v.at for v in violations_of(LedgerRebuilds(), log.events)] == [moved.at]


def test_a_second_retirement_city_is_named_where_it_was_determined() -> None:
    log = worked_in_both_and_retired()
    second = determined(log, "r-3", "cq")
    found = violations_of(OneRetirementCity(), log.events)
    assert [(v.at, v.subject) for v in found] == [(second.at, PERSON)]
    assert "second retirement city (cq) after cd" in found[0].message


def test_a_claim_decided_twice_is_named() -> None:
    log = worked_in_both_and_retired()
    again = refused(log, "r-2", "cq", "cd")
    assert [v.at for v in violations_of(OneRetirementCity(), log.events)] == [again.at]


def test_a_redelivered_determination_is_one_determination() -> None:
    log = worked_in_both_and_retired()
    log.redeliver(next(e for e in log.events if isinstance(e.data, RetirementCityDetermined)))
    assert violations_of(OneRetirementCity(), log.events) == []


def test_a_refusal_naming_another_city_than_was_determined_is_named() -> None:
    log = EventLog("mi", "insurance-years")
    determined(log, "r-1", "cd")
    wrong = refused(log, "r-2", "cq", "cq")
    found = violations_of(OneRetirementCity(), log.events)
    assert [v.at for v in found] == [wrong.at]


def test_a_decision_of_a_claim_never_made_is_named() -> None:
    log = worked_in_both_and_retired()
    orphan = refused(log, "r-9", "cq", "cd")
    found = violations_of(DecisionAnswersClaim(), log.events)
    assert [(v.at, v.subject) for v in found] == [(orphan.at, PERSON)]
    assert "never claimed" in found[0].message


def test_a_claim_decided_by_the_city_it_did_not_choose_is_named() -> None:
    log = EventLog("mi", "insurance-years")
    claimed(log, "r-1", "cq", "cd")
    wrong = determined(log, "r-1", "cq")
    found = violations_of(DecisionAnswersClaim(), log.events)
    assert [v.at for v in found] == [wrong.at]
    assert "chose cd, but is decided as cq" in found[0].message


def test_a_decision_signed_by_the_other_city_is_named() -> None:
    log = EventLog("mi", "insurance-years")
    claimed(log, "r-1", "cd", "cd")
    wrong = determined(log, "r-1", "cd", signed_by="cq")
    found = violations_of(DecisionAnswersClaim(), log.events)
    assert [v.at for v in found] == [wrong.at]
    assert "signed by cq" in found[0].message
