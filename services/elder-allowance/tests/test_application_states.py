"""An application's states: submitted -> approved | refused, and the overdue flag on a
submitted application (still decidable; a decided one is never overdue)."""

from __future__ import annotations

from datetime import date

import pytest

from chengyu_contracts.domain_error import DomainError
from chengyu_elder_allowance.applications.application import (
    Application,
    Approve,
    MarkOverdue,
    Reason,
    Refuse,
    apply,
    check_of_allowance_age,
    is_overdue,
)

SUBMITTED = date(2026, 3, 2)
DUE = date(2026, 3, 20)


def submitted() -> Application:
    return Application("app-cd-1", "pr1_x", "cd", "cq", SUBMITTED, DUE)


def test_an_application_is_submitted_until_the_paying_city_decides() -> None:
    app = submitted()
    assert (app.state, app.status, app.decided) == ("submitted", "submitted", False)
    approved = apply(app, Approve(), date(2026, 3, 3))
    assert (approved.status, approved.decided_on, approved.reason) == (
        "approved",
        date(2026, 3, 3),
        None,
    )
    reason = Reason("deceased", "The person has died.")
    refused = apply(app, Refuse(reason), date(2026, 3, 4))
    assert (refused.status, refused.reason) == ("refused", reason)


def test_a_decided_application_takes_no_further_step() -> None:
    approved = apply(submitted(), Approve(), date(2026, 3, 3))
    for step in (Approve(), Refuse(Reason("x", "y")), MarkOverdue()):
        with pytest.raises(DomainError) as refused:
            apply(approved, step, date(2026, 4, 1))
        assert refused.value.code == "already-decided"


def test_overdue_only_after_the_deadline_day_and_only_once() -> None:
    app = submitted()
    assert not is_overdue(app, DUE)
    assert is_overdue(app, date(2026, 3, 21))
    with pytest.raises(DomainError) as early:
        apply(app, MarkOverdue(), DUE)
    assert early.value.code == "not-overdue"
    overdue = apply(app, MarkOverdue(), date(2026, 3, 21))
    assert (overdue.status, overdue.overdue_on) == ("overdue", date(2026, 3, 21))
    with pytest.raises(DomainError) as twice:
        apply(overdue, MarkOverdue(), date(2026, 3, 22))
    assert twice.value.code == "already-overdue"


def test_an_overdue_application_is_still_decided_and_then_no_longer_overdue() -> None:
    overdue = apply(submitted(), MarkOverdue(), date(2026, 3, 21))
    approved = apply(overdue, Approve(), date(2026, 3, 25))
    assert approved.status == "approved"
    assert not is_overdue(approved, date(2026, 4, 30))
    assert approved.overdue_on == date(2026, 3, 21)  # the history stays


def test_an_applicant_under_the_first_bands_age_is_refused() -> None:
    check_of_allowance_age(date(1946, 3, 15), date(2026, 3, 15), 80)
    with pytest.raises(DomainError) as young:
        check_of_allowance_age(date(1946, 3, 15), date(2026, 3, 14), 80)
    assert young.value.code == "not-of-allowance-age"
