"""Which city pays a month (properties): two registrations meeting at a move month leave
every month exactly one payer and never a duplicate; two open ones are a duplicate from
the first month either city pays."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from chengyu_contracts.cities import City
from chengyu_contracts.months import Month, month_range
from chengyu_elder_allowance.register.households import (
    Duplicate,
    Registration,
    first_duplicate_month,
    payer_of,
)
from chengyu_elder_allowance.register.store import HouseholdVersion
from chengyu_elder_allowance.register.usecases import start_after_move_in

months = st.integers(min_value=2020 * 12, max_value=2035 * 12).map(Month.from_index)
cities = st.sampled_from(["cq", "cd"])
EARLIEST = Month(2025, 1)


def moved(city: City, to: City, start: Month | None, move: Month) -> HouseholdVersion:
    return HouseholdVersion(
        person_ref="p",
        registration=Registration(city, 2, "moved-out", start, move),
        moved_to=to,
        changed_on=date(2026, 1, 1),
    )


@given(
    old=cities,
    move=months,
    before=st.integers(min_value=0, max_value=60),
    after=st.integers(min_value=0, max_value=60),
    old_open=st.booleans(),
    new_ends=st.booleans(),
)
def test_two_spans_meeting_at_a_move_month_have_one_payer_each_month(
    old: City, move: Month, before: int, after: int, old_open: bool, new_ends: bool
) -> None:
    new: City = "cd" if old == "cq" else "cq"
    start = None if old_open else move.plus(-before)
    leaving = moved(old, new, start, move)
    arriving_from = start_after_move_in(new, leaving)
    assert arriving_from == move.next()
    until = move.plus(after + 1) if new_ends else None
    registrations = {
        old: leaving.registration,
        new: Registration(new, 1, "registered", arriving_from, until),
    }
    for month in month_range(move.plus(-before), move.plus(after + 1)):
        expected = old if month <= move else new
        assert payer_of(month, registrations) == expected
    assert first_duplicate_month(registrations, not_before=EARLIEST) is None


@given(first=months, second=st.one_of(st.none(), months))
def test_two_open_registrations_are_a_duplicate_from_the_later_start(
    first: Month, second: Month | None
) -> None:
    registrations: dict[City, Registration] = {
        "cq": Registration("cq", 1, "registered", first, None),
        "cd": Registration("cd", 1, "registered", second, None),
    }
    expected = max(m for m in (EARLIEST, first, second) if m is not None)
    assert first_duplicate_month(registrations, not_before=EARLIEST) == expected
    assert isinstance(payer_of(expected, registrations), Duplicate)


@given(month=months)
def test_a_withdrawn_registration_leaves_the_other_city_the_only_payer(month: Month) -> None:
    registrations: dict[City, Registration] = {
        "cq": Registration("cq", 2, "withdrawn", None, None),
        "cd": Registration("cd", 1, "registered", None, None),
    }
    assert first_duplicate_month(registrations, not_before=EARLIEST) is None
    assert payer_of(month, registrations) == "cd"


def test_a_registration_moved_elsewhere_does_not_set_where_this_one_starts() -> None:
    leaving = moved("cq", "cq", None, Month(2026, 5))
    assert start_after_move_in("cd", leaving) is None
    assert start_after_move_in("cd", None) is None
