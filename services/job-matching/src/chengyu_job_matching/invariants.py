"""What must hold across both cities' 12333 hotlines, recomputed from ``hr.hotline`` alone
(the audit's interface: ``chengyu_contracts.invariants``).

Each forwarded request has steps written by both cities; its events share one partition
(keyed by ``request_id``), so the log gives one order both cities applied.

- ``job-matching.hotline-follows-its-machine``: every request's events, in log order, are
  steps its state machine (:data:`.hotline.request.TRANSITIONS`) allows from the state the
  earlier ones left it in, so each request is in exactly one state; a step the machine
  refuses (a resolution of a request never signed, a second close) is named.
- ``job-matching.hotline-overdue-flags``: every overdue reminder is right (its step was
  due on ``due_on``, a deadline the request had; ``flagged_on`` is after it; the step was
  not done by then; one reminder per step and deadline), and every request still waiting
  for a step whose reminder day (the receiving city's next working day after the deadline,
  :func:`.deadlines.reminder_day`) is over as of the audit's time was reminded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from chengyu_contracts.events.hr import (
    HotlineCallbackRecorded,
    HotlineExtensionDecided,
    HotlineExtensionRequested,
    HotlineRequestForwarded,
    HotlineRequestOverdue,
    HotlineRequestResolved,
    HotlineRequestReturned,
    HotlineRequestSigned,
)
from chengyu_contracts.invariants import (
    Coordinates,
    FirstSight,
    Invariant,
    LoggedEvent,
    Violation,
)
from chengyu_contracts.policy_book import policy_day
from chengyu_contracts.registry import EventData

from . import deadlines
from .hotline.request import (
    TRANSITIONS,
    AskExtension,
    Close,
    DecideExtension,
    HotlineState,
    HotlineStep,
    Reforward,
    Reopen,
    Resolve,
    Return,
    Sign,
)
from .policy import PolicyBook, default_policy_book

__all__ = ["HotlineFollowsItsMachine", "HotlineOverdueFlags", "invariants"]

_HOTLINE_STEPS = (
    HotlineRequestForwarded
    | HotlineRequestSigned
    | HotlineRequestReturned
    | HotlineExtensionRequested
    | HotlineExtensionDecided
    | HotlineRequestResolved
    | HotlineCallbackRecorded
)


def _step_kind(data: EventData) -> type[HotlineStep] | None:
    """The state machine's step an event records (None for a first forward)."""
    if isinstance(data, HotlineRequestForwarded):
        return None if data.attempt == 1 else Reforward
    if isinstance(data, HotlineCallbackRecorded):
        return Close if data.outcome == "closed" else Reopen
    kinds: dict[type[EventData], type[HotlineStep]] = {
        HotlineRequestSigned: Sign,
        HotlineRequestReturned: Return,
        HotlineExtensionRequested: AskExtension,
        HotlineExtensionDecided: DecideExtension,
        HotlineRequestResolved: Resolve,
    }
    return kinds[type(data)]


@dataclass
class _Request:
    """One request as its events tell it."""

    to_city: str
    state: HotlineState = "forwarded"
    sign_by: date | None = None
    resolve_by: date | None = None
    # The deadlines the request had, each with the log position where it was set.
    sign_deadlines: dict[date, int] = field(default_factory=dict)
    resolve_deadlines: dict[date, int] = field(default_factory=dict)
    # (log position, day) of each signature or return, and of each resolution.
    answered: list[tuple[int, date]] = field(default_factory=list)
    resolved: list[tuple[int, date]] = field(default_factory=list)
    reminded: set[tuple[str, date]] = field(default_factory=set)
    last_at: Coordinates | None = None

    def waiting(self) -> tuple[str, date] | None:
        """The receiving city's step the request waits for, with its deadline."""
        if self.state == "forwarded" and self.sign_by is not None:
            return "sign", self.sign_by
        if self.state in ("signed", "reopened") and self.resolve_by is not None:
            return "resolve", self.resolve_by
        return None


class _Hotlines:
    """Every request's state, deadlines and reminders, step by step in log order."""

    def __init__(self) -> None:
        self._sight = FirstSight()
        self._position = 0
        self.requests: dict[str, _Request] = {}
        self.refused: list[Violation] = []  # steps the machine does not allow
        self.wrong_reminders: list[Violation] = []

    def take(self, event: LoggedEvent) -> None:
        data = event.data
        if not isinstance(data, _HOTLINE_STEPS | HotlineRequestOverdue):
            return
        if not self._sight.first(event):
            return
        self._position += 1
        request = self.requests.get(data.request_id)
        if isinstance(data, HotlineRequestOverdue):
            self._reminder(event, data, request)
            return
        kind = _step_kind(data)
        if request is None:
            if kind is not None:
                self._refuse(event, f"request {data.request_id}: a step before any forward")
                return
            request = self.requests[data.request_id] = _Request(data.to_city)
        elif kind is None:
            self._refuse(event, f"request {data.request_id} is forwarded a second time")
            return
        else:
            following = TRANSITIONS.get((request.state, kind))
            if following is None:
                self._refuse(
                    event,
                    f"request {data.request_id}: {kind.__name__} is not a step from "
                    f"{request.state}",
                )
                return
            request.state = following
        request.last_at = event.at
        self._deadlines(request, data)

    def _deadlines(self, request: _Request, data: EventData) -> None:
        here = self._position
        if isinstance(data, HotlineRequestForwarded):
            if request.state == "forwarded":
                request.sign_by = data.sign_by
            request.sign_deadlines.setdefault(data.sign_by, here)
        elif isinstance(data, HotlineRequestSigned | HotlineRequestReturned):
            done = data.signed_at if isinstance(data, HotlineRequestSigned) else data.returned_at
            request.answered.append((here, policy_day(done)))
            if isinstance(data, HotlineRequestSigned):
                self._resolve_by(request, data.resolve_by)
        elif isinstance(data, HotlineExtensionDecided):
            if data.approved and request.state != "resolved":
                self._resolve_by(request, data.resolve_by)
        elif isinstance(data, HotlineRequestResolved):
            request.resolved.append((here, policy_day(data.resolved_at)))
        elif isinstance(data, HotlineCallbackRecorded) and data.resolve_by is not None:
            self._resolve_by(request, data.resolve_by)

    def _resolve_by(self, request: _Request, due: date) -> None:
        request.resolve_by = due
        request.resolve_deadlines[due] = self._position

    def _reminder(
        self, event: LoggedEvent, data: HotlineRequestOverdue, request: _Request | None
    ) -> None:
        problem = _judge_reminder(data, request)
        if problem is not None:
            subject = data.request_id
            self.wrong_reminders.append(
                Violation(HotlineOverdueFlags.name, problem, event.at, subject)
            )
        if request is not None:
            request.reminded.add((data.step, data.due_on))

    def _refuse(self, event: LoggedEvent, message: str) -> None:
        subject = getattr(event.data, "request_id", None)
        self.refused.append(Violation(HotlineFollowsItsMachine.name, message, event.at, subject))


def _judge_reminder(data: HotlineRequestOverdue, request: _Request | None) -> str | None:
    """Why a reminder is wrong, or None when it is right."""
    what = f"request {data.request_id}: the reminder of {data.step} due {data.due_on}"
    if request is None:
        return f"{what} names a request never forwarded"
    if (data.step, data.due_on) in request.reminded:
        return f"{what} is sent a second time"
    if not deadlines.is_overdue(data.due_on, data.flagged_on):
        return f"{what} is sent on {data.flagged_on}, before the step was late"
    deadlines_had = request.sign_deadlines if data.step == "sign" else request.resolve_deadlines
    set_at = deadlines_had.get(data.due_on)
    if set_at is None:
        return f"{what} names a deadline the request never had"
    done = request.answered if data.step == "sign" else request.resolved
    if any(position > set_at and deadlines.on_time(data.due_on, day) for position, day in done):
        return f"{what} is sent though the step was done in time"
    return None


class HotlineFollowsItsMachine:
    """Every forwarded request's steps follow its state machine."""

    name = "job-matching.hotline-follows-its-machine"
    description = (
        "Every forwarded 12333 request's events are steps its state machine allows, in log "
        "order, so each request is in exactly one state."
    )

    def __init__(self) -> None:
        self._hotlines = _Hotlines()

    def observe(self, event: LoggedEvent) -> None:
        """Apply each request's step to its state."""
        self._hotlines.take(event)

    def violations(self, now: datetime) -> list[Violation]:
        """Every step the machine refused."""
        return list(self._hotlines.refused)


class HotlineOverdueFlags:
    """Overdue reminders are right, and none is missing."""

    name = "job-matching.hotline-overdue-flags"
    description = (
        "Every overdue reminder names a step that was late for a deadline the request had, "
        "once, and every step still waiting past its reminder day was reminded."
    )

    def __init__(self, book: PolicyBook | None = None) -> None:
        self._hotlines = _Hotlines()
        self._book = book or default_policy_book()

    def observe(self, event: LoggedEvent) -> None:
        """Follow each request's deadlines and reminders."""
        self._hotlines.take(event)

    def violations(self, now: datetime) -> list[Violation]:
        """Wrong reminders, then requests waiting past their reminder day unreminded."""
        found = list(self._hotlines.wrong_reminders)
        today = policy_day(now)
        for request_id, request in sorted(self._hotlines.requests.items()):
            waiting = request.waiting()
            if waiting is None or waiting in request.reminded:
                continue
            step, due = waiting
            calendar = self._book.policy_for(request.to_city, today).calendar
            # The reminder goes out on its day; the day after, it must be on the log.
            if today > deadlines.reminder_day(calendar, due):
                found.append(
                    Violation(
                        self.name,
                        f"request {request_id} waits for {step} due {due} and was not reminded",
                        request.last_at,
                        request_id,
                    )
                )
        return found


def invariants() -> list[Invariant]:
    """The job-matching rules the audit checks, fresh."""
    return [HotlineFollowsItsMachine(), HotlineOverdueFlags()]
