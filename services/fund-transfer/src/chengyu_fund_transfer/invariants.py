"""What must hold across both cities' provident-fund transfers, recomputed from the events
on ``fund.transfer`` alone (the audit's interface: ``chengyu_contracts.invariants``).

The saga moves money in two halves, each written by another city: the sending city writes
``transfer-funds-sent`` (the frozen balance) and, at the end, ``transfer-completed`` or
``transfer-reverted``; the receiving city writes ``transfer-credited``. Neither city's
database can show that the halves agree; the log can:

- ``fund-transfer.money-conserved``: every fen sent arrived (credited) or went back
  (reverted) or is still in flight (neither credited nor ended), per person and in total; a
  credit or a completion of another amount than was sent, or a completion never credited,
  is named where it was written.
- ``fund-transfer.credited-once``: no transfer is credited (or sent) twice. A redelivery
  (the same event id again) is not a second credit: the services absorb it.
- ``fund-transfer.ended-or-within-deadline``: every requested transfer is rejected,
  completed or reverted, or still before its deadline as of the audit's time. The deadline
  is the one the request carries (the receiving city's policy set it, and both cities judge
  overdue by it), judged with the service's own rule (:func:`.transfer.past_deadline`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from chengyu_contracts.events.fund import (
    TransferCompleted,
    TransferCredited,
    TransferCreditRefused,
    TransferFundsSent,
    TransferRejected,
    TransferRequested,
    TransferReverted,
)
from chengyu_contracts.invariants import (
    Coordinates,
    FirstSight,
    Invariant,
    LoggedEvent,
    Violation,
)

from .transfer import past_deadline

__all__ = ["invariants"]


@dataclass
class _Money:
    """One transfer's money as its events tell it."""

    person_ref: str
    sent: int | None = None
    sent_at: Coordinates | None = None
    credited: int | None = None
    reverted: bool = False
    # Where the sending city closed its account; money is no longer in flight after it.
    completed_at: Coordinates | None = None


class MoneyConserved:
    """Every fen sent arrived, went back or is in flight, per person and in total."""

    name = "fund-transfer.money-conserved"
    description = (
        "Every fen a sending city sent was credited by the receiving city, reverted to the "
        "sender or is still in flight, per person and in total; credits and completions "
        "carry the amount sent."
    )

    def __init__(self) -> None:
        self._sight = FirstSight()
        self._transfers: dict[str, _Money] = {}
        self._found: list[Violation] = []

    def observe(self, event: LoggedEvent) -> None:
        """Follow the money of each transfer."""
        data = event.data
        if not isinstance(
            data, TransferFundsSent | TransferCredited | TransferCompleted | TransferReverted
        ) or not self._sight.first(event):
            return
        money = self._transfers.setdefault(data.transfer_id, _Money(data.person_ref))
        if isinstance(data, TransferFundsSent):
            money.sent, money.sent_at = data.amount_fen, event.at
            return
        if money.sent is None:
            self._flag(event, f"transfer {data.transfer_id}: {_step(event)} before any funds sent")
            return
        if isinstance(data, TransferCredited):
            money.credited = data.amount_fen
            if data.amount_fen != money.sent:
                self._flag(
                    event,
                    f"transfer {data.transfer_id}: {data.amount_fen} fen credited, "
                    f"{money.sent} fen sent",
                )
        elif isinstance(data, TransferCompleted):
            money.completed_at = event.at
            if data.amount_fen != money.sent:
                self._flag(
                    event,
                    f"transfer {data.transfer_id}: completed for {data.amount_fen} fen, "
                    f"{money.sent} fen sent",
                )
        else:
            money.reverted = True

    def violations(self, now: datetime) -> list[Violation]:
        """The misstated amounts, then each person whose money does not add up."""
        sent: dict[str, int] = defaultdict(int)
        accounted: dict[str, int] = defaultdict(int)
        first_at: dict[str, Coordinates | None] = {}
        for money in self._transfers.values():
            if money.sent is None:
                continue
            person = money.person_ref
            first_at.setdefault(person, money.sent_at)
            sent[person] += money.sent
            arrived = money.credited or 0
            returned = money.sent if money.reverted else 0
            ended = money.reverted or money.completed_at is not None
            in_flight = money.sent if money.credited is None and not ended else 0
            accounted[person] += arrived + returned + in_flight
        found = list(self._found)
        found.extend(
            # The sending city closed its account, yet nothing arrived: the money vanished.
            Violation(
                self.name,
                f"transfer {transfer_id}: completed, but never credited",
                money.completed_at,
                money.person_ref,
            )
            for transfer_id, money in sorted(self._transfers.items())
            if money.completed_at is not None and money.credited is None
        )
        for person in sorted(sent):
            if sent[person] != accounted[person]:
                found.append(
                    Violation(
                        self.name,
                        f"{sent[person]} fen sent, but {accounted[person]} fen credited, "
                        "reverted or in flight",
                        first_at[person],
                        person,
                    )
                )
        total_sent, total_accounted = sum(sent.values()), sum(accounted.values())
        if total_sent != total_accounted:
            found.append(
                Violation(
                    self.name,
                    f"in total {total_sent} fen sent, but {total_accounted} fen credited, "
                    "reverted or in flight",
                )
            )
        return found

    def _flag(self, event: LoggedEvent, message: str) -> None:
        subject = getattr(event.data, "person_ref", None)
        self._found.append(Violation(self.name, message, event.at, subject))


class CreditedOnce:
    """No transfer is sent or credited twice."""

    name = "fund-transfer.credited-once"
    description = (
        "No transfer's funds are sent twice nor credited twice (a redelivered event is one event)."
    )

    def __init__(self) -> None:
        self._sight = FirstSight()
        self._seen: set[tuple[str, str]] = set()
        self._found: list[Violation] = []

    def observe(self, event: LoggedEvent) -> None:
        """Remember each transfer's sends and credits; a second one is a violation."""
        data = event.data
        if not isinstance(data, TransferFundsSent | TransferCredited):
            return
        if not self._sight.first(event):
            return
        step = (data.transfer_id, type(data).__name__)
        if step in self._seen:
            self._found.append(
                Violation(
                    self.name,
                    f"transfer {data.transfer_id}: {_step(event)} a second time "
                    "(another event, not a redelivery)",
                    event.at,
                    data.person_ref,
                )
            )
        self._seen.add(step)

    def violations(self, now: datetime) -> list[Violation]:
        """Every second send or credit seen."""
        return list(self._found)


@dataclass(frozen=True)
class _Request:
    person_ref: str
    deadline: datetime
    at: Coordinates


class EndedOrWithinDeadline:
    """Every requested transfer ended, or its deadline has not passed."""

    name = "fund-transfer.ended-or-within-deadline"
    description = (
        "Every requested transfer is rejected, completed or reverted, or still before its deadline."
    )

    def __init__(self) -> None:
        self._requested: dict[str, _Request] = {}
        self._ended: set[str] = set()

    def observe(self, event: LoggedEvent) -> None:
        """Note each request's deadline and each transfer's end."""
        data = event.data
        if isinstance(data, TransferRequested):
            self._requested.setdefault(
                data.transfer_id, _Request(data.person_ref, data.deadline, event.at)
            )
        elif isinstance(data, TransferRejected | TransferCompleted | TransferReverted):
            self._ended.add(data.transfer_id)

    def violations(self, now: datetime) -> list[Violation]:
        """Each open transfer whose deadline is before ``now``."""
        return [
            Violation(
                self.name,
                f"transfer {transfer_id} has neither ended nor stayed within its deadline "
                f"{request.deadline.isoformat()}",
                request.at,
                request.person_ref,
            )
            for transfer_id, request in sorted(self._requested.items())
            if transfer_id not in self._ended and past_deadline(request.deadline, now)
        ]


def _step(event: LoggedEvent) -> str:
    names = {
        TransferFundsSent: "funds sent",
        TransferCredited: "credited",
        TransferCompleted: "completed",
        TransferReverted: "reverted",
        TransferCreditRefused: "credit refused",
    }
    return names.get(type(event.data), type(event.data).__name__)


def invariants() -> list[Invariant]:
    """The fund-transfer rules the audit checks, fresh."""
    return [MoneyConserved(), CreditedOnce(), EndedOrWithinDeadline()]
