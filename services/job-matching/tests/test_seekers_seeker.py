"""A seeker's versions and what each change tells the other city: the profile when it
becomes visible (active and consenting) or changes while visible, the withdrawal when it
stops being visible, nothing otherwise."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chengyu_contracts.domain_error import DomainError
from chengyu_job_matching.seekers.profile import Profile
from chengyu_job_matching.seekers.seeker import (
    Seeker,
    deregister,
    give_consent,
    publication,
    registered,
    restate,
)

PROFILE = Profile(
    groups=("migrant-worker",),
    graduation_year=None,
    occupation_codes=("6-18-01-01",),
    skills=(),
    interests=(),
    education="junior-middle",
    desired_cities=("cq",),
    desired_districts=(),
    home_district="500103",
    salary_floor_yuan=None,
    willing_to_move=False,
    commute_radius_km=10,
)
MOVED = replace(PROFILE, commute_radius_km=30)


def test_a_consenting_registration_is_shared_and_one_without_consent_is_not() -> None:
    assert publication(None, registered("s", "cq", PROFILE, True)) == "share"
    assert publication(None, registered("s", "cq", PROFILE, False)) is None


def test_a_restatement_is_the_next_version_only_when_something_changed() -> None:
    first = registered("s", "cq", PROFILE, True)
    assert restate(first, PROFILE, True) is first
    moved = restate(first, MOVED, True)
    assert moved.version == 2
    assert publication(first, moved) == "share"


def test_consent_withdrawn_and_given_again() -> None:
    first = registered("s", "cq", PROFILE, True)
    withdrawn = give_consent(first, False)
    assert (withdrawn.version, publication(first, withdrawn)) == (2, "withdraw")
    assert give_consent(withdrawn, False) is withdrawn
    again = give_consent(withdrawn, True)
    assert (again.version, publication(withdrawn, again)) == (3, "share")
    # A change of a seeker who does not consent tells the other city nothing.
    assert publication(withdrawn, restate(withdrawn, MOVED, False)) is None


def test_deregistration_withdraws_and_blocks_changes_until_the_person_registers_again() -> None:
    first = registered("s", "cq", PROFILE, True)
    gone = deregister(first)
    assert (gone.active, gone.shared, gone.version) == (False, False, 2)
    assert publication(first, gone) == "withdraw"
    assert deregister(gone) is gone
    with pytest.raises(DomainError) as restated:
        restate(gone, MOVED, True)
    with pytest.raises(DomainError) as consented:
        give_consent(gone, True)
    assert {restated.value.code, consented.value.code} == {"seeker-deregistered"}
    back = restate(gone, PROFILE, True, reactivate=True)
    assert (back.active, back.version, publication(gone, back)) == (True, 3, "share")


@given(
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
def test_the_other_city_learns_exactly_the_changes_of_what_it_may_see(
    active_before: bool, shared_before: bool, active_after: bool, shared_after: bool, moved: bool
) -> None:
    before = Seeker("s", "cq", 1, PROFILE, shared_before, active_before)
    after = Seeker("s", "cq", 2, MOVED if moved else PROFILE, shared_after, active_after)
    told = publication(before, after)
    if after.visible:
        assert told == ("share" if moved or not before.visible else None)
    else:
        assert told == ("withdraw" if before.visible else None)
