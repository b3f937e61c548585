"""The personnel-file transfer as a pure state machine: its transition table, each step's
data checked, and every deadline counted in working days on the holder's calendar at its
boundary, across the 2026 Mid-Autumn and National Day holidays (09-25..27, 10-01..07) and
their swapped working days (Sunday 09-20, Saturday 10-10)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chengyu_contracts.domain_error import Conflict, DomainError
from chengyu_contracts.working_days import WorkingCalendar
from chengyu_job_matching.personnel_files import transfer
from chengyu_job_matching.personnel_files.transfer import (
    TRANSFER_STATES,
    TRANSITIONS,
    Complete,
    Dispatch,
    Due,
    Receive,
    Supplement,
    Transfer,
    TransferRequest,
    TransferStep,
)
from chengyu_job_matching.policy import CityPolicy

CQ = CityPolicy(city="cq", effective_from=date(2025, 1, 1))
CALENDAR = WorkingCalendar.national()


def at(day: date, hour: int = 10) -> datetime:
    """``hour`` o'clock in China on ``day``."""
    return datetime(day.year, day.month, day.day, hour - 8, tzinfo=UTC)


def requested(on: date = date(2026, 9, 18)) -> Transfer:
    """Chengdu asks Chongqing (the holder) for a file on ``on``."""
    request = TransferRequest("pft-1", "ref-1", "cd", "cd-centre-1", at(on))
    return transfer.request_transfer(request, CQ)


def steps(on: date) -> dict[str, TransferStep]:
    """One step of each name, taken on ``on``."""
    return {
        "dispatch": Dispatch("confidential-courier", "JY-2026-0001", at(on)),
        "receive-complete": Receive(True, (), at(on)),
        "receive-incomplete": Receive(False, ("1998年招工登记表",), at(on)),
        "supplement": Supplement("tracked-post", "EMS1234567890", at(on)),
        "complete": Complete(at(on)),
    }


def in_state(state: str) -> Transfer:
    """A transfer brought to ``state`` along the machine's own paths."""
    t = requested()
    path = {
        "requested": [],
        "dispatched": ["dispatch"],
        "incomplete": ["dispatch", "receive-incomplete"],
        "supplemented": ["dispatch", "receive-incomplete", "supplement"],
        "completed": ["dispatch", "receive-complete"],
    }[state]
    for name in path:
        t = transfer.apply(t, steps(date(2026, 9, 21))[name], CQ)
    return t


# --------------------------------------------------------------------------------------------
# the transition table


def test_the_table_is_the_documented_machine() -> None:
    assert TRANSITIONS == {
        ("requested", "dispatch"): "dispatched",
        ("dispatched", "receive-complete"): "completed",
        ("dispatched", "receive-incomplete"): "incomplete",
        ("incomplete", "supplement"): "supplemented",
        ("supplemented", "complete"): "completed",
    }


@pytest.mark.parametrize("state", TRANSFER_STATES)
@pytest.mark.parametrize(
    "name", ["dispatch", "receive-complete", "receive-incomplete", "supplement", "complete"]
)
def test_each_step_leads_where_the_table_says_or_is_refused(state: str, name: str) -> None:
    before = in_state(state)
    step = steps(date(2026, 9, 22))[name]
    target = TRANSITIONS.get((before.state, step.name))
    if target is None:
        with pytest.raises(Conflict) as refused:
            transfer.apply(before, step, CQ)
        assert refused.value.code == "illegal-transition"
    else:
        assert transfer.apply(before, step, CQ).state == target


def test_completed_waits_for_nothing_and_each_other_state_for_one_step() -> None:
    assert {s: getattr(transfer.pending(in_state(s)), "step", None) for s in TRANSFER_STATES} == {
        "requested": "dispatch",
        "dispatched": "receive",
        "incomplete": "supplement",
        "supplemented": "receive",
        "completed": None,
    }


def test_a_transfer_goes_from_one_city_to_the_other() -> None:
    with pytest.raises(DomainError) as refused:
        transfer.request_transfer(TransferRequest("t", "r", "cq", "c", at(date(2026, 3, 2))), CQ)
    assert refused.value.code == "same-city"


# --------------------------------------------------------------------------------------------
# a step's data


@pytest.mark.parametrize("number", ["abc", "A" * 41, "JY 2026", "快递123456", ""])
def test_a_bad_tracking_number_is_refused(number: str) -> None:
    with pytest.raises(DomainError) as refused:
        transfer.apply(requested(), Dispatch("tracked-post", number, at(date(2026, 9, 21))), CQ)
    assert refused.value.code == "bad-tracking-number"


def test_an_unknown_method_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        transfer.apply(requested(), Dispatch("pigeon", "ABCD-1", at(date(2026, 9, 21))), CQ)
    assert refused.value.code == "unknown-method"


@pytest.mark.parametrize(
    ("complete", "parts", "code"),
    [
        (True, ("履历表",), "missing-parts-of-complete-file"),
        (False, (), "missing-parts-required"),
        (False, ("x" * 101,), "bad-missing-parts"),
        (False, ("履历表", "履历表"), "bad-missing-parts"),
    ],
)
def test_missing_parts_go_with_an_incomplete_file_only(
    complete: bool, parts: tuple[str, ...], code: str
) -> None:
    dispatched = in_state("dispatched")
    with pytest.raises(DomainError) as refused:
        transfer.apply(dispatched, Receive(complete, parts, at(date(2026, 9, 22))), CQ)
    assert refused.value.code == code


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        transfer.apply(requested(), Dispatch("tracked-post", "ABCD", datetime(2026, 9, 21)), CQ)


# --------------------------------------------------------------------------------------------
# deadlines at their boundaries


def test_dispatch_is_due_15_working_days_on_across_both_holidays_and_swapped_days() -> None:
    # Fri 09-18 -> Sun 09-20 (worked) .. 09-24, 09-28..30, 10-08, 10-09, Sat 10-10 (worked),
    # 10-12..15: the 15th working day.
    t = requested(date(2026, 9, 18))
    assert t.dispatch_by == date(2026, 10, 15)
    assert transfer.pending(t) == Due("dispatch", date(2026, 10, 15))


def test_a_request_late_in_the_evening_is_of_its_day_in_china() -> None:
    # 23:30 in China on 09-18 is 15:30 UTC: still the 18th.
    request = TransferRequest("t", "r", "cd", "c", datetime(2026, 9, 18, 15, 30, tzinfo=UTC))
    assert transfer.request_transfer(request, CQ).dispatch_by == date(2026, 10, 15)


def test_receipt_is_due_10_working_days_after_a_dispatch_on_the_eve_of_national_day() -> None:
    t = transfer.apply(requested(), steps(date(2026, 9, 30))["dispatch"], CQ)
    # 10-08, 10-09, 10-10 (Saturday, worked), 10-12..16, 10-19, 10-20.
    assert t.receive_by == date(2026, 10, 20)


def test_missing_parts_are_due_10_working_days_after_receipt() -> None:
    t = transfer.apply(in_state("dispatched"), steps(date(2026, 10, 9))["receive-incomplete"], CQ)
    # 10-10 (Saturday, worked), 10-12..16, 10-19..22.
    assert (t.state, t.supplement_by) == ("incomplete", date(2026, 10, 22))


def test_a_supplement_restarts_the_receipt_deadline() -> None:
    t = transfer.apply(in_state("incomplete"), steps(date(2026, 9, 24))["supplement"], CQ)
    # 09-28..30, 10-08..10, 10-12..15.
    assert transfer.pending(t) == Due("receive", date(2026, 10, 15))


def test_a_certificate_is_due_5_working_days_on() -> None:
    # Thu 09-24 -> 09-28, 09-29, 09-30, 10-08, 10-09.
    assert transfer.answer_by(CQ, date(2026, 9, 24)) == date(2026, 10, 9)


def test_the_holders_own_closures_count() -> None:
    holder = CityPolicy(
        city="cq",
        effective_from=date(2025, 1, 1),
        calendar=WorkingCalendar.national(local_holidays=[date(2026, 10, 9)]),
    )
    assert transfer.answer_by(holder, date(2026, 9, 24)) == date(2026, 10, 10)


@pytest.mark.parametrize(
    ("due_on", "silent_until", "reminded_on"),
    [
        # Due Wed 09-30: overdue from 10-01, reminded on the first working day, Thu 10-08.
        (date(2026, 9, 30), date(2026, 10, 7), date(2026, 10, 8)),
        # Due Fri 10-09: reminded on Saturday 10-10, a swapped working day.
        (date(2026, 10, 9), date(2026, 10, 9), date(2026, 10, 10)),
        # Due Thu 09-24: Fri 09-25 is the Mid-Autumn holiday; Mon 09-28.
        (date(2026, 9, 24), date(2026, 9, 27), date(2026, 9, 28)),
    ],
)
def test_a_reminder_goes_out_on_the_first_working_day_after_the_deadline(
    due_on: date, silent_until: date, reminded_on: date
) -> None:
    due = Due("dispatch", due_on)
    assert transfer.reminder(due, CQ, due_on) is None
    assert transfer.reminder(due, CQ, silent_until) is None
    assert transfer.reminder(due, CQ, reminded_on) == due
    assert transfer.reminder(due, CQ, reminded_on + timedelta(days=3)) == due
    assert transfer.reminder(None, CQ, reminded_on) is None


DAYS = st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 11, 30))


@given(start=DAYS, working_days=st.integers(min_value=1, max_value=30))
def test_a_deadline_is_the_nth_working_day_after_its_start(start: date, working_days: int) -> None:
    policy = CityPolicy(
        city="cd", effective_from=date(2025, 1, 1), file_dispatch_working_days=working_days
    )
    due = transfer.dispatch_by(policy, start)
    assert CALENDAR.is_working_day(due)
    assert CALENDAR.working_days_between(start, due) == working_days
    assert CALENDAR.working_days_between(start, due - timedelta(days=1)) == working_days - 1


@given(due_on=DAYS, today=DAYS)
def test_a_reminder_is_due_exactly_from_the_next_working_day(due_on: date, today: date) -> None:
    got = transfer.reminder(Due("receive", due_on), CQ, today)
    assert (got is not None) == (today >= CALENDAR.next_working_day(due_on))
