"""The events of an allowance's state changes, from the rules' changes (pure)."""

from __future__ import annotations

from datetime import date

from chengyu_contracts.events.elder import (
    ElderAllowanceResumed,
    ElderAllowanceSuspended,
    ElderAllowanceTerminated,
)
from chengyu_contracts.registry import EventData

from .allowance import Allowance, Change, Resumed, Suspended, Terminated


def terminated_event(
    allowance: Allowance, change: Terminated, on: date
) -> ElderAllowanceTerminated:
    """The event of ``allowance``'s termination."""
    return ElderAllowanceTerminated(
        person_ref=allowance.person_ref,
        paying_city=allowance.paying_city,
        last_month=str(change.last_month),
        reason_code=change.reason_code,
        reason=change.reason,
        terminated_on=on,
    )


def change_event(change: Change, allowance: Allowance, on: date) -> EventData | None:
    """The event of a suspension, resumption or termination that left ``allowance``; None
    for the changes that publish nothing of their own (a verification moving the due month;
    a band change is published by the run with its amount)."""
    if isinstance(change, Suspended):
        return ElderAllowanceSuspended(
            person_ref=allowance.person_ref,
            paying_city=allowance.paying_city,
            from_month=str(change.from_month),
            reason_code=change.reason_code,
            reason=change.reason,
            resume_by=str(change.resume_by),
        )
    if isinstance(change, Resumed):
        return ElderAllowanceResumed(
            person_ref=allowance.person_ref,
            paying_city=allowance.paying_city,
            from_month=str(change.from_month),
            back_paid_months=change.back_paid_months,
            verification_due=str(change.verification_due),
        )
    if isinstance(change, Terminated):
        return terminated_event(allowance, change, on)
    return None
