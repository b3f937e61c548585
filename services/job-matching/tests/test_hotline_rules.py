"""The 12333 deadline rules on the receiving city's working-day calendar: the sign-for
window, each category's limit, extensions, reopening and the overdue reminder, across the
2026 Spring Festival (holidays 02-15..02-23, working Saturdays 02-14 and 02-28), on a
Sunday that is a working day (2026-01-04) and the same day for urgent requests; each rule
at its boundary; on time for the metrics; the caller's credit code and phone."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hotline_builders import CD, china, hotline_request
from hypothesis import given
from hypothesis import strategies as st

from chengyu_contracts.domain_error import Conflict, DomainError
from chengyu_contracts.events.hr import HotlineCategory
from chengyu_job_matching.hotline import rules
from chengyu_job_matching.policy import HOTLINE_CATEGORIES

CAL = CD.calendar
DAYS = st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 11, 30))


# sign-for window


def test_forwarded_on_the_friday_before_the_spring_festival_is_signed_by_the_working_saturday() -> (
    None
):
    assert rules.sign_by(CD, date(2026, 2, 13)) == date(2026, 2, 14)


def test_forwarded_on_the_working_saturday_is_signed_after_the_holiday() -> None:
    assert rules.sign_by(CD, date(2026, 2, 14)) == date(2026, 2, 24)


def test_forwarded_during_the_holiday_is_signed_on_the_first_working_day_after_it() -> None:
    for day in range(15, 24):
        assert rules.sign_by(CD, date(2026, 2, day)) == date(2026, 2, 24)


def test_received_on_a_working_sunday_is_signed_by_monday() -> None:
    assert rules.sign_by(CD, date(2026, 1, 4)) == date(2026, 1, 5)


def test_forwarded_on_new_years_day_is_signed_on_the_working_sunday() -> None:
    assert rules.sign_by(CD, date(2026, 1, 1)) == date(2026, 1, 4)


@given(DAYS)
def test_sign_by_is_the_first_working_day_after_forwarding(day: date) -> None:
    due = rules.sign_by(CD, day)
    assert CAL.is_working_day(due)
    assert CAL.working_days_between(day, due) == 1
    assert all(not CAL.is_working_day(day + timedelta(n)) for n in range(1, (due - day).days))


@given(DAYS, st.integers(min_value=-3, max_value=3))
def test_sign_and_return_are_allowed_up_to_sign_by_and_reforward_only_after(
    due: date, offset: int
) -> None:
    today = due + timedelta(days=offset)
    request = hotline_request(sign_by=due)
    if offset <= 0:
        rules.check_sign(request, today)
        rules.check_return(request, today)
        with pytest.raises(Conflict, match=due.isoformat()) as open_:
            rules.check_reforward(request, today)
        assert open_.value.code == "sign-window-open"
    else:
        with pytest.raises(Conflict, match=due.isoformat()) as late:
            rules.check_sign(request, today)
        assert late.value.code == "sign-window-passed"
        with pytest.raises(Conflict, match=due.isoformat()) as late_return:
            rules.check_return(request, today)
        assert late_return.value.code == "return-window-passed"
        rules.check_reforward(request, today)


def test_a_signed_request_is_returned_only_up_to_sign_by() -> None:
    signed = hotline_request("signed")
    rules.check_return(signed, date(2026, 2, 14))
    with pytest.raises(Conflict) as late:
        rules.check_return(signed, date(2026, 2, 24))
    assert late.value.code == "return-window-passed"


# resolution limits


def test_a_complaint_signed_before_the_spring_festival_is_due_after_both_working_saturdays() -> (
    None
):
    # 02-14, 02-24..02-28 (a Saturday worked), 03-02..03-06, 03-09, 03-10: 13 working days.
    assert rules.resolve_by(CD, "complaint", date(2026, 2, 13)) == date(2026, 3, 10)


def test_a_consultation_signed_on_the_thursday_before_is_due_after_the_holiday() -> None:
    assert rules.resolve_by(CD, "consultation", date(2026, 2, 12)) == date(2026, 2, 24)


def test_an_urgent_request_is_due_the_day_it_is_signed_even_a_working_sunday() -> None:
    assert rules.resolve_by(CD, "urgent", date(2026, 1, 4)) == date(2026, 1, 4)
    assert rules.resolve_by(CD, "urgent", date(2026, 2, 14)) == date(2026, 2, 14)


@given(DAYS, st.sampled_from(HOTLINE_CATEGORIES))
def test_resolve_by_is_the_categorys_working_days_after_signing(
    day: date, category: HotlineCategory
) -> None:
    limit = CD.hotline_resolve_working_days[category]
    due = rules.resolve_by(CD, category, day)
    assert CAL.working_days_between(day, due) == limit
    assert due == day if limit == 0 else CAL.is_working_day(due)


# extensions


@given(DAYS, st.integers(min_value=-3, max_value=3))
def test_an_extension_is_asked_on_or_before_resolve_by_never_after(due: date, offset: int) -> None:
    request = hotline_request("signed", resolve_by=due)
    today = due + timedelta(days=offset)
    if offset <= 0:
        rules.check_extension(request, 1, today, CD)
    else:
        with pytest.raises(Conflict, match=due.isoformat()) as late:
            rules.check_extension(request, 1, today, CD)
        assert late.value.code == "extension-after-deadline"


@pytest.mark.parametrize("days", [0, CD.hotline_max_extension_working_days + 1, -1])
def test_an_extension_is_of_one_to_the_policys_maximum_working_days(days: int) -> None:
    with pytest.raises(DomainError) as bad:
        rules.check_extension(hotline_request("signed"), days, date(2026, 2, 13), CD)
    assert bad.value.code == "bad-extension"


def test_the_longest_extension_allowed_is_the_policys_maximum() -> None:
    most = CD.hotline_max_extension_working_days
    rules.check_extension(hotline_request("signed"), most, date(2026, 2, 24), CD)


def test_an_approved_extension_counts_working_days_after_the_old_deadline() -> None:
    assert rules.extended_resolve_by(CD, date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert rules.extended_resolve_by(CD, date(2026, 2, 27), 1) == date(2026, 2, 28)


# callback


def test_a_dissatisfied_callback_reopens_up_to_the_limit_then_closes() -> None:
    most = CD.hotline_max_reopens
    resolved = hotline_request("resolved")
    assert rules.callback_outcome(resolved, "dissatisfied", CD) == "reopened"
    assert rules.callback_outcome(replace(resolved, reopens=most - 1), "dissatisfied", CD) == (
        "reopened"
    )
    assert rules.callback_outcome(replace(resolved, reopens=most), "dissatisfied", CD) == "closed"
    for feedback in ("satisfied", "basically-satisfied", "unreachable"):
        assert rules.callback_outcome(resolved, feedback, CD) == "closed"


def test_a_reopened_request_is_due_after_the_reopen_limit() -> None:
    # 5 working days after Friday 02-13: 02-14, 02-24, 02-25, 02-26, 02-27.
    assert rules.reopened_resolve_by(CD, date(2026, 2, 13)) == date(2026, 2, 27)


# overdue reminders


def test_a_sign_due_on_the_working_saturday_is_reminded_of_after_the_holiday() -> None:
    request = hotline_request(sign_by=date(2026, 2, 14))
    for day in range(14, 24):
        assert rules.overdue_reminder(request, date(2026, 2, day), CD) is None
    assert rules.overdue_reminder(request, date(2026, 2, 24), CD) == rules.Overdue(
        "sign", date(2026, 2, 14)
    )


@given(DAYS, st.integers(min_value=0, max_value=20))
def test_a_reminder_is_due_from_the_first_working_day_after_the_deadline(
    due: date, offset: int
) -> None:
    today = due + timedelta(days=offset)
    found = rules.overdue_reminder(hotline_request("signed", resolve_by=due), today, CD)
    assert (found is not None) == (today >= CAL.next_working_day(due))


def test_no_reminder_once_nothing_is_owed() -> None:
    for state in ("resolved", "returned", "closed"):
        assert rules.overdue_reminder(hotline_request(state), date(2026, 12, 1), CD) is None


# on time


def test_on_time_is_signed_on_the_first_attempt_by_sign_by_and_resolved_by_resolve_by() -> None:
    done = hotline_request(
        "resolved",
        signed_at=china(date(2026, 2, 14), 23),
        resolved_at=china(date(2026, 2, 24), 23),
    )
    assert rules.is_on_time(done) is True
    assert rules.is_on_time(replace(done, resolved_at=china(date(2026, 2, 25), 0))) is False
    assert rules.is_on_time(replace(done, signed_attempt=2)) is False
    assert rules.is_on_time(replace(done, signed_at=china(date(2026, 2, 24)))) is False
    assert rules.is_on_time(hotline_request("signed")) is None


# input


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110108551385082Q", "911100001000079554"])
def test_real_unified_social_credit_codes_are_accepted(code: str) -> None:
    assert rules.parse_credit_code(code.lower()) == code


@pytest.mark.parametrize(
    "code", ["91350100M000100Y44", "91350100M000100Y4", "91350100I000100Y43", ""]
)
def test_bad_credit_codes_are_refused(code: str) -> None:
    with pytest.raises(DomainError) as bad:
        rules.parse_credit_code(code)
    assert bad.value.code == "invalid-credit-code"


@pytest.mark.parametrize("phone", ["13812345678", "023-63891234", "02863891234"])
def test_mobile_and_landline_phones_are_accepted(phone: str) -> None:
    assert rules.parse_phone(f" {phone} ") == phone


@pytest.mark.parametrize("phone", ["1381234567", "12812345678", "63891234", "tel"])
def test_other_phones_are_refused_without_quoting_them(phone: str) -> None:
    with pytest.raises(DomainError) as bad:
        rules.parse_phone(phone)
    assert bad.value.code == "invalid-phone" and phone not in bad.value.sentence
