"""低保 / 特困 status changes: a new status ends the current one the day before it starts;
the status already held changes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from chengyu_contracts.domain_error import DomainError
from chengyu_elder_allowance.register.assistance import changed_assistance, current_assistance
from chengyu_elder_allowance.register.elder import AssistancePeriod

DIBAO = AssistancePeriod("dibao", date(2024, 1, 1))


def test_a_first_status_opens_a_period() -> None:
    assert changed_assistance((), "tekun", date(2025, 6, 1)) == (
        AssistancePeriod("tekun", date(2025, 6, 1)),
    )


def test_the_status_already_held_changes_nothing() -> None:
    assert changed_assistance((DIBAO,), "dibao", date(2025, 6, 1)) == (DIBAO,)


def test_none_with_no_status_held_changes_nothing() -> None:
    assert changed_assistance((), "none", date(2025, 6, 1)) == ()


def test_a_new_status_ends_the_current_one_the_day_before() -> None:
    assert changed_assistance((DIBAO,), "tekun", date(2025, 6, 1)) == (
        AssistancePeriod("dibao", date(2024, 1, 1), date(2025, 5, 31)),
        AssistancePeriod("tekun", date(2025, 6, 1)),
    )


def test_none_ends_the_current_status_the_day_before() -> None:
    changed = changed_assistance((DIBAO,), "none", date(2025, 6, 1))
    assert changed == (AssistancePeriod("dibao", date(2024, 1, 1), date(2025, 5, 31)),)
    assert current_assistance(changed) == "none"


def test_a_change_starting_before_the_current_status_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        changed_assistance((DIBAO,), "tekun", date(2024, 1, 1))
    assert refused.value.code == "assistance-since-too-early"
