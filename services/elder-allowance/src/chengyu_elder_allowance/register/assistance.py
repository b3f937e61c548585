"""Changes of a person's 低保 / 特困 status: a new status starts on its ``since`` day and ends
the one held until then on the day before; ``none`` only ends the current one. Pure rules:
no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from chengyu_contracts.domain_error import Conflict

from ..policy import Assistance
from .elder import AssistancePeriod


def _ordered(periods: Iterable[AssistancePeriod]) -> tuple[AssistancePeriod, ...]:
    return tuple(sorted(periods, key=lambda p: (p.start_on, p.status)))


def changed_assistance(
    periods: Iterable[AssistancePeriod], status: Assistance, since: date
) -> tuple[AssistancePeriod, ...]:
    """The periods after the person's status becomes ``status`` on ``since``.

    A status the person already holds (an open period of it) changes nothing, so a
    repeated change (an import of the same file) is idempotent. Any other open status
    ends the day before ``since``; that needs ``since`` after its start, else
    ``assistance-since-too-early`` (the records would contradict each other).
    """
    current = _ordered(periods)
    if any(p.end_on is None and p.status == status for p in current):
        return current
    kept: list[AssistancePeriod] = []
    for period in current:
        if period.end_on is not None:
            kept.append(period)
            continue
        if since <= period.start_on:
            raise Conflict(
                "assistance-since-too-early",
                "A change of assistance status must start after the current status started.",
            )
        kept.append(AssistancePeriod(period.status, period.start_on, since - timedelta(days=1)))
    if status != "none":
        # The same status again from the same day reopens that period (its key).
        kept = [p for p in kept if (p.status, p.start_on) != (status, since)]
        kept.append(AssistancePeriod(status, since))
    return _ordered(kept)


def current_assistance(periods: Iterable[AssistancePeriod]) -> Assistance:
    """The status of the open period (``none`` when no status is open); 特困 outranks 低保."""
    open_statuses = {p.status for p in periods if p.end_on is None}
    if "tekun" in open_statuses:
        return "tekun"
    return "dibao" if "dibao" in open_statuses else "none"
