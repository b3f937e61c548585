"""A personnel file's transfer between the cities' talent-service centres as an explicit
state machine, and the deadlines of its steps. Pure: no I/O, no clock.

::

    requested ──Dispatch (holder)──► dispatched ──Receive complete (to_city)──► completed
                                         │
                                         └──Receive incomplete (to_city)──► incomplete
                                                                               │
             completed ◄──Complete (to_city)── supplemented ◄──Supplement (holder)──┘

Each waiting state owes one step by one deadline, counted in working days on the HOLDER's
calendar (:class:`~chengyu_job_matching.policy.CityPolicy` of ``holder_city``):

=============  ===========  =====================================================
state          step owed    due on
=============  ===========  =====================================================
requested      dispatch     ``file_dispatch_working_days`` after the request
dispatched     receive      ``file_receive_working_days`` after the dispatch
incomplete     supplement   ``file_supplement_working_days`` after the receipt
supplemented   receive      ``file_receive_working_days`` after the supplement
completed      (none)
=============  ===========  =====================================================

A step is done in time on or before its day; left undone it is overdue from the next day,
and the requesting city sends one reminder per step and deadline on the first working day
after it (:func:`reminder`). Being overdue is a flag, not a state: a late step is still
taken. A certificate request owes one step, ``certificate``, by ``answer_by``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import ClassVar, Literal

from chengyu_contracts.cities import CITY_NAMES, City
from chengyu_contracts.domain_error import Conflict, DomainError
from chengyu_contracts.policy_book import policy_day

from ..deadlines import due_after, is_overdue, reminder_day
from ..policy import CityPolicy

__all__ = [
    "METHODS",
    "TRANSFER_STATES",
    "TRANSITIONS",
    "Complete",
    "Dispatch",
    "Due",
    "Method",
    "Receive",
    "Sending",
    "Supplement",
    "Transfer",
    "TransferRequest",
    "TransferState",
    "TransferStep",
    "answer_by",
    "apply",
    "checked_tracking_number",
    "dispatch_by",
    "pending",
    "receive_by",
    "reminder",
    "request_transfer",
    "supplement_by",
]

TransferState = Literal["requested", "dispatched", "incomplete", "supplemented", "completed"]
TRANSFER_STATES: tuple[TransferState, ...] = (
    "requested",
    "dispatched",
    "incomplete",
    "supplemented",
    "completed",
)
Method = Literal["confidential-courier", "tracked-post"]
METHODS: tuple[Method, ...] = ("confidential-courier", "tracked-post")
DueStep = Literal["dispatch", "receive", "supplement", "certificate"]
StepName = Literal["dispatch", "receive-complete", "receive-incomplete", "supplement", "complete"]

_TRACKING = re.compile(r"^[A-Za-z0-9-]{4,40}$")
MAX_MISSING_PARTS = 30


# --------------------------------------------------------------------------------------------
# deadlines (the holder's calendar)


def dispatch_by(holder: CityPolicy, requested_on: date) -> date:
    """The day the holder must dispatch a file requested on ``requested_on``."""
    return due_after(holder.calendar, requested_on, holder.file_dispatch_working_days)


def receive_by(holder: CityPolicy, sent_on: date) -> date:
    """The day a file (or its missing parts) sent on ``sent_on`` must be received."""
    return due_after(holder.calendar, sent_on, holder.file_receive_working_days)


def supplement_by(holder: CityPolicy, received_on: date) -> date:
    """The day the holder must send the parts missing from a file received ``received_on``."""
    return due_after(holder.calendar, received_on, holder.file_supplement_working_days)


def answer_by(holder: CityPolicy, requested_on: date) -> date:
    """The day the holder must answer a certificate request of ``requested_on``."""
    return due_after(holder.calendar, requested_on, holder.certificate_answer_working_days)


@dataclass(frozen=True)
class Due:
    """A step owed by a day."""

    step: DueStep
    due_on: date


def reminder(due: Due | None, holder: CityPolicy, today: date) -> Due | None:
    """``due`` when its reminder is to go out by ``today`` (the first working day after
    ``due_on`` on the holder's calendar, or later when the sweep was not run on it)."""
    if due is None or not is_overdue(due.due_on, today):
        return None
    return due if today >= reminder_day(holder.calendar, due.due_on) else None


# --------------------------------------------------------------------------------------------
# the transfer


@dataclass(frozen=True)
class Sending:
    """A dispatch of the file or of its missing parts."""

    method: Method
    tracking_number: str
    at: datetime


@dataclass(frozen=True)
class Transfer:
    """The transfer of ``person_ref``'s file from ``holder_city`` to ``to_city``'s centre."""

    transfer_id: str
    person_ref: str
    holder_city: City
    to_city: City
    to_centre_id: str
    state: TransferState
    requested_at: datetime
    dispatch_by: date
    dispatched: Sending | None = None
    receive_by: date | None = None
    received_at: datetime | None = None
    missing_parts: tuple[str, ...] = ()
    supplement_by: date | None = None
    supplemented: Sending | None = None
    completed_at: datetime | None = None


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("transfer times must be timezone-aware")
    return at


@dataclass(frozen=True)
class TransferRequest:
    """``to_city``'s request at ``at`` for the person's file, to its centre ``to_centre_id``."""

    transfer_id: str
    person_ref: str
    to_city: City
    to_centre_id: str
    at: datetime


def request_transfer(request: TransferRequest, holder: CityPolicy) -> Transfer:
    """A new transfer from the city of ``holder``, its dispatch deadline on its calendar."""
    if holder.city == request.to_city:
        raise DomainError(
            "same-city",
            f"The file is held in {CITY_NAMES[request.to_city]} already: a transfer goes from"
            " one city to the other.",
        )
    return Transfer(
        transfer_id=request.transfer_id,
        person_ref=request.person_ref,
        holder_city=holder.city,
        to_city=request.to_city,
        to_centre_id=request.to_centre_id,
        state="requested",
        requested_at=_aware(request.at),
        dispatch_by=dispatch_by(holder, policy_day(request.at)),
    )


def checked_tracking_number(value: str) -> str:
    """``value`` as a tracking number (4 to 40 letters, digits or hyphens), or
    ``bad-tracking-number``."""
    if not _TRACKING.fullmatch(value):
        raise DomainError(
            "bad-tracking-number",
            "A tracking number has 4 to 40 letters, digits or hyphens.",
        )
    return value


def _method(value: str) -> Method:
    for method in METHODS:
        if value == method:
            return method
    raise DomainError("unknown-method", f"The method is one of {', '.join(METHODS)}.")


@dataclass(frozen=True)
class Dispatch:
    """The holder sent the file."""

    method: str
    tracking_number: str
    at: datetime

    name: ClassVar[StepName] = "dispatch"


@dataclass(frozen=True)
class Receive:
    """``to_city`` received the file: complete, or with ``missing_parts`` named."""

    complete: bool
    missing_parts: tuple[str, ...]
    at: datetime

    @property
    def name(self) -> StepName:
        """The step's name in :data:`TRANSITIONS`."""
        return "receive-complete" if self.complete else "receive-incomplete"


@dataclass(frozen=True)
class Supplement:
    """The holder sent the missing parts."""

    method: str
    tracking_number: str
    at: datetime

    name: ClassVar[StepName] = "supplement"


@dataclass(frozen=True)
class Complete:
    """``to_city`` completed the file after the supplement."""

    at: datetime

    name: ClassVar[StepName] = "complete"


TransferStep = Dispatch | Receive | Supplement | Complete

#: The whole machine: (state, step) -> next state. Anything else is illegal.
TRANSITIONS: dict[tuple[TransferState, StepName], TransferState] = {
    ("requested", "dispatch"): "dispatched",
    ("dispatched", "receive-complete"): "completed",
    ("dispatched", "receive-incomplete"): "incomplete",
    ("incomplete", "supplement"): "supplemented",
    ("supplemented", "complete"): "completed",
}

#: Who takes each step: the holder or the receiving city.
TAKEN_BY: dict[StepName, Literal["holder", "to_city"]] = {
    "dispatch": "holder",
    "receive-complete": "to_city",
    "receive-incomplete": "to_city",
    "supplement": "holder",
    "complete": "to_city",
}


def legal(transfer: Transfer, step: TransferStep) -> bool:
    """Whether ``step`` may be taken in the transfer's state."""
    return (transfer.state, step.name) in TRANSITIONS


def _missing_parts(step: Receive) -> tuple[str, ...]:
    parts = tuple(p.strip() for p in step.missing_parts)
    if step.complete and parts:
        raise DomainError(
            "missing-parts-of-complete-file",
            "A file received complete has no missing parts; name them with complete false.",
        )
    if not step.complete and not parts:
        raise DomainError(
            "missing-parts-required", "A file received incomplete names its missing parts."
        )
    if len(parts) > MAX_MISSING_PARTS or any(not 1 <= len(p) <= 100 for p in parts):
        raise DomainError(
            "bad-missing-parts",
            f"At most {MAX_MISSING_PARTS} missing parts of 1 to 100 characters each.",
        )
    if len(set(parts)) != len(parts):
        raise DomainError("bad-missing-parts", "A missing part is named once.")
    return parts


def apply(transfer: Transfer, step: TransferStep, holder: CityPolicy) -> Transfer:
    """The transfer after ``step``, its next deadline on the ``holder``'s calendar;
    ``illegal-transition`` (a conflict) when the machine forbids the step, ``bad-...``
    when the step's data are invalid."""
    if holder.city != transfer.holder_city:
        raise ValueError("deadlines are counted on the holder's policy")
    target = TRANSITIONS.get((transfer.state, step.name))
    if target is None:
        raise Conflict(
            "illegal-transition",
            f"Transfer {transfer.transfer_id} is {transfer.state}: it cannot take the step"
            f" {step.name} now.",
        )
    at = _aware(step.at)
    day = policy_day(at)
    moved = replace(transfer, state=target)
    if isinstance(step, Dispatch):
        sending = Sending(_method(step.method), checked_tracking_number(step.tracking_number), at)
        return replace(moved, dispatched=sending, receive_by=receive_by(holder, day))
    if isinstance(step, Receive):
        parts = _missing_parts(step)
        return replace(
            moved,
            received_at=at,
            missing_parts=parts,
            supplement_by=None if step.complete else supplement_by(holder, day),
            completed_at=at if step.complete else None,
        )
    if isinstance(step, Supplement):
        sending = Sending(_method(step.method), checked_tracking_number(step.tracking_number), at)
        return replace(moved, supplemented=sending, receive_by=receive_by(holder, day))
    return replace(moved, completed_at=at)


def pending(transfer: Transfer) -> Due | None:
    """The step the transfer waits for and its day (None once completed)."""
    if transfer.state == "requested":
        return Due("dispatch", transfer.dispatch_by)
    if transfer.state in ("dispatched", "supplemented") and transfer.receive_by is not None:
        return Due("receive", transfer.receive_by)
    if transfer.state == "incomplete" and transfer.supplement_by is not None:
        return Due("supplement", transfer.supplement_by)
    return None
