"""The events of an allowance's state changes, from the rules' changes and the allowance
after them (pure)."""

from __future__ import annotations

from datetime import date

from chengyu_contracts.events.elder import (
    ElderAllowanceResumed,
    ElderAllowanceSuspended,
    ElderAllowanceTerminated,
)
from chengyu_contracts.registry import EventData
from chengyu_kit.db import one_of

from .allowance import Allowance, Change, Resumed, Suspended, Terminated

END_REASONS = ("death", "household-moved", "verification-lapsed", "registration-withdrawn")

_END_SENTENCES = {
    "death": "The recipient died; payment ends with the policy's last month after death.",
    "household-moved": "The household registration moved to the other city.",
    "verification-lapsed": "No verification within the policy's window.",
    "registration-withdrawn": "The registration was withdrawn as made in error.",
}


def terminated_event(allowance: Allowance, on: date) -> ElderAllowanceTerminated:
    """The event of a terminated ``allowance``."""
    assert allowance.last_month is not None
    code = one_of(allowance.end_reason or "", END_REASONS, "end reason")
    return ElderAllowanceTerminated(
        person_ref=allowance.person_ref,
        paying_city=allowance.paying_city,
        last_month=str(allowance.last_month),
        reason_code=code,
        reason=_END_SENTENCES[code],
        terminated_on=on,
    )


def change_event(change: Change, allowance: Allowance, on: date) -> EventData:
    """The event of ``change``, which left ``allowance``."""
    if isinstance(change, Suspended):
        assert allowance.suspended_from is not None and allowance.resume_by is not None
        return ElderAllowanceSuspended(
            person_ref=allowance.person_ref,
            paying_city=allowance.paying_city,
            from_month=str(allowance.suspended_from),
            reason_code="verification-overdue",
            reason="The periodic verification is overdue past its grace period.",
            resume_by=str(allowance.resume_by),
        )
    if isinstance(change, Resumed):
        return ElderAllowanceResumed(
            person_ref=allowance.person_ref,
            paying_city=allowance.paying_city,
            from_month=str(change.from_month),
            back_paid_months=change.back_paid_months,
            verification_due=str(allowance.verification_due),
        )
    if isinstance(change, Terminated):
        return terminated_event(allowance, on)
    raise ValueError(f"no event for {type(change).__name__}")
