"""The job-matching invariants the audit checks: a request forwarded, signed late and
reminded, resolved and closed passes; each way of breaking one is named where the log
shows it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from chengyu_contracts.events.hr import (
    HotlineCallbackRecorded,
    HotlineRequestForwarded,
    HotlineRequestOverdue,
    HotlineRequestResolved,
    HotlineRequestSigned,
)
from chengyu_contracts.invariants import LoggedEvent
from chengyu_job_matching.invariants import (
    HotlineFollowsItsMachine,
    HotlineOverdueFlags,
    invariants,
)
from chengyu_kit.testing.event_log import EventLog, violations_of

# Monday 2026-03-02; sign_by the Tuesday, reminder day the Wednesday.
FORWARDED = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
SIGN_BY = date(2026, 3, 3)
RESOLVE_BY = date(2026, 3, 20)
CITIES = {"from_city": "cq", "to_city": "cd"}


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)  # 10:00 in China


def forwarded(log: EventLog, request_id: str = "h-1") -> LoggedEvent:
    data = HotlineRequestForwarded(
        request_id=request_id,
        **CITIES,
        category="help",
        caller_kind="citizen",
        caller_ref="pr1_" + "aa" * 32,
        summary="asks how to move an unemployment registration",
        received_at=FORWARDED,
        forwarded_at=FORWARDED,
        sign_by=SIGN_BY,
    )
    return log.write(data, city="cq")


def reminded(log: EventLog, step: str, due: date, on: date, request_id: str = "h-1") -> LoggedEvent:
    data = HotlineRequestOverdue(
        request_id=request_id, **CITIES, step=step, due_on=due, flagged_on=on
    )
    return log.write(data, city="cq")


def signed(log: EventLog, on: date, request_id: str = "h-1") -> LoggedEvent:
    data = HotlineRequestSigned(
        request_id=request_id, **CITIES, signed_at=at(on), resolve_by=RESOLVE_BY
    )
    return log.write(data, city="cd")


def resolved(log: EventLog, on: date) -> LoggedEvent:
    data = HotlineRequestResolved(
        request_id="h-1", **CITIES, resolution="registration moved", resolved_at=at(on)
    )
    return log.write(data, city="cd")


def closed(log: EventLog) -> LoggedEvent:
    data = HotlineCallbackRecorded(
        request_id="h-1",
        **CITIES,
        feedback="satisfied",
        outcome="closed",
        recorded_at=at(date(2026, 3, 12)),
    )
    return log.write(data, city="cq")


def signed_late_and_closed() -> EventLog:
    log = EventLog("hr", "job-matching")
    forwarded(log)
    reminded(log, "sign", SIGN_BY, date(2026, 3, 4))
    signed(log, date(2026, 3, 4))
    resolved(log, date(2026, 3, 10))
    closed(log)
    return log


LATER = datetime(2026, 4, 30, tzinfo=UTC)
BEFORE_RESOLVE_BY = datetime(2026, 3, 10, tzinfo=UTC)


def date_time(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 2, 0, tzinfo=UTC)


def test_a_request_reminded_and_then_closed_breaks_no_hotline_invariant() -> None:
    log = signed_late_and_closed()
    for invariant in invariants():
        assert violations_of(invariant, log.events, LATER) == [], invariant.name


def test_a_resolution_of_a_request_never_signed_is_named() -> None:
    log = EventLog("hr", "job-matching")
    forwarded(log)
    early = resolved(log, date(2026, 3, 3))
    found = violations_of(HotlineFollowsItsMachine(), log.events, LATER)
    assert [(v.at, v.subject) for v in found] == [(early.at, "h-1")]
    assert "Resolve is not a step from forwarded" in found[0].message


def test_a_second_close_is_named() -> None:
    log = signed_late_and_closed()
    again = closed(log)
    found = violations_of(HotlineFollowsItsMachine(), log.events, LATER)
    assert [v.at for v in found] == [again.at]


def test_a_redelivered_step_is_one_step() -> None:
    log = signed_late_and_closed()
    log.redeliver(log.events[-1])
    assert violations_of(HotlineFollowsItsMachine(), log.events, LATER) == []


def test_a_reminder_of_a_step_done_in_time_is_named() -> None:
    log = EventLog("hr", "job-matching")
    forwarded(log)
    signed(log, SIGN_BY)
    wrong = reminded(log, "sign", SIGN_BY, date(2026, 3, 4))
    found = violations_of(HotlineOverdueFlags(), log.events, BEFORE_RESOLVE_BY)
    assert [v.at for v in found] == [wrong.at]
    assert "done in time" in found[0].message


def test_a_reminder_before_the_deadline_passed_is_named() -> None:
    log = EventLog("hr", "job-matching")
    forwarded(log)
    early = reminded(log, "sign", SIGN_BY, SIGN_BY)
    signed(log, date(2026, 3, 4))
    found = violations_of(HotlineOverdueFlags(), log.events, datetime(2026, 3, 5, tzinfo=UTC))
    assert [v.at for v in found] == [early.at]


def test_a_reminder_of_a_deadline_the_request_never_had_is_named() -> None:
    log = EventLog("hr", "job-matching")
    forwarded(log)
    wrong = reminded(log, "sign", date(2026, 3, 2), date(2026, 3, 4))
    signed(log, date(2026, 3, 4))
    found = violations_of(HotlineOverdueFlags(), log.events, BEFORE_RESOLVE_BY)
    assert [v.at for v in found] == [wrong.at]


def test_a_second_reminder_of_one_deadline_is_named() -> None:
    log = EventLog("hr", "job-matching")
    forwarded(log)
    reminded(log, "sign", SIGN_BY, date(2026, 3, 4))
    twice = reminded(log, "sign", SIGN_BY, date(2026, 3, 5))
    found = violations_of(HotlineOverdueFlags(), log.events, date_time(2026, 3, 5))
    assert [v.at for v in found] == [twice.at]


def test_a_request_waiting_past_its_reminder_day_unreminded_is_named() -> None:
    log = EventLog("hr", "job-matching")
    last = forwarded(log)
    # The reminder day is Wednesday 2026-03-04; by Thursday it must be on the log.
    assert violations_of(HotlineOverdueFlags(), log.events, date_time(2026, 3, 4)) == []
    found = violations_of(HotlineOverdueFlags(), log.events, date_time(2026, 3, 5))
    assert [(v.at, v.subject) for v in found] == [(last.at, "h-1")]
    assert "waits for sign due 2026-03-03" in found[0].message
