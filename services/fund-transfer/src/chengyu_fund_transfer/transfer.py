"""The cross-city transfer saga as an explicit state machine.

::

    requested ──Reject──────► rejected
        │
        └──SendFunds──► funds_sent ──Revert──► reverted
                            │
                            └──Credit──► credited ──Complete──► completed

    requested | funds_sent | credited ──MarkOverdue (past the deadline)──► overdue

``overdue`` is an escalation, not an end: an overdue transfer still accepts the step it
was waiting for, so money in flight is never stranded by a late event.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from chengyu_contracts.cities import CITY_NAMES, City
from chengyu_contracts.domain_error import DomainError

from .account import Account, transfer_blocker
from .money import Fen, non_negative_fen, yuan_text
from .policy import CityPolicy

TransferState = Literal[
    "requested", "rejected", "funds_sent", "credited", "completed", "reverted", "overdue"
]
TERMINAL_STATES: frozenset[TransferState] = frozenset({"rejected", "completed", "reverted"})


@dataclass(frozen=True)
class Reason:
    """Why a transfer was rejected or reverted: a stable code and a sentence."""

    code: str
    sentence: str

    @classmethod
    def of(cls, error: DomainError) -> Reason:
        """The reason carried by a domain error."""
        return cls(error.code, error.sentence)


@dataclass(frozen=True)
class Reject:
    """The sending city refused the request."""

    reason: Reason


@dataclass(frozen=True)
class SendFunds:
    """The sending city froze the account and sent its balance and deposit history."""

    amount_fen: Fen
    months: int


@dataclass(frozen=True)
class Credit:
    """The receiving city credited the balance and merged the history."""


@dataclass(frozen=True)
class Revert:
    """The receiving city could not credit; the sending city restored the account."""

    reason: Reason


@dataclass(frozen=True)
class Complete:
    """The sending city closed its account after the credit."""


@dataclass(frozen=True)
class MarkOverdue:
    """The transfer waited past its deadline; escalate."""


TransferStep = Reject | SendFunds | Credit | Revert | Complete | MarkOverdue

# The whole saga: (state the transfer waits in, step) -> next state. Anything else is illegal.
TRANSITIONS: dict[tuple[TransferState, type[TransferStep]], TransferState] = {
    ("requested", Reject): "rejected",
    ("requested", SendFunds): "funds_sent",
    ("funds_sent", Credit): "credited",
    ("funds_sent", Revert): "reverted",
    ("credited", Complete): "completed",
    ("requested", MarkOverdue): "overdue",
    ("funds_sent", MarkOverdue): "overdue",
    ("credited", MarkOverdue): "overdue",
}


@dataclass(frozen=True)
class Step:
    """One entry of a transfer's history: the state reached, when, and what happened."""

    state: TransferState
    at: datetime
    detail: str


@dataclass(frozen=True)
class Transfer:
    """One transfer of a person's account from ``from_city`` to ``to_city``."""

    transfer_id: str
    person_ref: str
    from_city: City
    to_city: City
    state: TransferState
    requested_at: datetime
    deadline: datetime
    history: tuple[Step, ...]
    amount_fen: Fen | None = None
    months_sent: int | None = None
    reason: Reason | None = None
    # The state the transfer went overdue in; the saga continues from there.
    overdue_from: TransferState | None = None

    @property
    def waiting_in(self) -> TransferState:
        """The saga state that decides the next legal step (overdue looks through)."""
        return self.overdue_from if self.overdue_from is not None else self.state


def _aware(now: datetime) -> datetime:
    # Deadlines are compared across two cities' machines; naive times would be ambiguous.
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("transfer times must be timezone-aware")
    return now


def _same_city_error() -> DomainError:
    return DomainError("same-city", "A transfer must go from one city to the other.")


def request_transfer(
    transfer_id: str, person_ref: str, from_city: City, now: datetime, policy: CityPolicy
) -> Transfer:
    """A new transfer from ``from_city``, requested at ``now`` in the receiving city, whose
    ``policy`` it is (``policy.city``).

    The deadline comes from the receiving city's policy (the saga starts there and the
    requested event carries it), so both cities judge overdue against the same instant.
    """
    to_city = policy.city
    if from_city == to_city:
        raise _same_city_error()
    at = _aware(now)
    return Transfer(
        transfer_id=transfer_id,
        person_ref=person_ref,
        from_city=from_city,
        to_city=to_city,
        state="requested",
        requested_at=at,
        deadline=at + timedelta(days=policy.transfer_deadline_days),
        history=(
            Step(
                "requested", at, f"requested by {CITY_NAMES[to_city]} from {CITY_NAMES[from_city]}"
            ),
        ),
    )


def check_sending_side(
    account: Account | None, transfer: Transfer, policy: CityPolicy
) -> Reason | None:
    """The sending city's checks before freezing; the rejection reason, or ``None``.

    Codes: ``same-city``, ``no-such-account``, ``already-transferring``, ``account-closed``,
    ``account-sealed`` (only where the sending city's policy forbids it).
    """
    if transfer.from_city == transfer.to_city:
        return Reason.of(_same_city_error())
    if account is None or account.city != transfer.from_city:
        return Reason(
            "no-such-account",
            f"{CITY_NAMES[transfer.from_city]} has no provident-fund account for this person.",
        )
    blocker = transfer_blocker(account, policy)
    return None if blocker is None else Reason.of(blocker)


def past_deadline(deadline: datetime, now: datetime) -> bool:
    """Whether ``now`` is after ``deadline`` (the deadline itself is still in time): the one
    rule both cities, and the audit's invariant, judge a transfer's deadline by."""
    return _aware(now) > deadline


def is_overdue(transfer: Transfer, now: datetime) -> bool:
    """Whether the transfer is still unfinished after its deadline."""
    return transfer.state not in TERMINAL_STATES and past_deadline(transfer.deadline, now)


def _detail(step: TransferStep) -> str:
    if isinstance(step, Reject | Revert):
        return f"{step.reason.code}: {step.reason.sentence}"
    if isinstance(step, SendFunds):
        return f"sent {yuan_text(step.amount_fen)} and {step.months} months of history"
    if isinstance(step, Credit):
        return "credited in the receiving city"
    if isinstance(step, Complete):
        return "sending account closed"
    return "waited past its deadline"


def apply(transfer: Transfer, step: TransferStep, now: datetime) -> Transfer:
    """The transfer after ``step`` at ``now``; ``illegal-transition`` when the saga forbids it.

    A credit without funds sent, a second credit, or any step after an end state is
    illegal. ``MarkOverdue`` before the deadline is refused with ``not-overdue``.
    """
    at = _aware(now)
    if transfer.state == "overdue" and isinstance(step, MarkOverdue):
        target = None  # already escalated once; a second escalation is a bug upstream
    else:
        target = TRANSITIONS.get((transfer.waiting_in, type(step)))
    if target is None:
        raise DomainError(
            "illegal-transition",
            f"A transfer in state {transfer.state} cannot take step {type(step).__name__}.",
        )
    if isinstance(step, MarkOverdue) and not is_overdue(transfer, at):
        raise DomainError("not-overdue", "The transfer is still within its deadline.")
    changed = replace(
        transfer,
        state=target,
        history=(*transfer.history, Step(target, at, _detail(step))),
        overdue_from=transfer.state if isinstance(step, MarkOverdue) else None,
    )
    if isinstance(step, SendFunds):
        if step.months < 0:
            raise ValueError("a transfer cannot carry a negative number of months")
        return replace(
            changed, amount_fen=non_negative_fen(step.amount_fen), months_sent=step.months
        )
    if isinstance(step, Reject | Revert):
        return replace(changed, reason=step.reason)
    return changed
