"""What must hold across both cities' blood centres, recomputed from the events alone
(the audit's interface: ``chengyu_contracts.invariants``).

- ``blood-dispatch.unit-in-one-place``: at the end of the log no unit (DIN) is in the
  stock of both cities (available, reserved or quarantined, by each city's latest
  movement of it), unless a centre flagged the DIN as a conflict (two centres reporting
  one DIN, which the service shows to both rather than merging).
- ``blood-dispatch.units-conserved``: every shipment receives exactly the units it
  dispatched, no shipment is received that was never dispatched, and no unit travels in
  two shipments at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from chengyu_contracts.events.blood import (
    BloodShipmentDispatched,
    BloodShipmentReceived,
    BloodUnitConflictFlagged,
    BloodUnitMoved,
)
from chengyu_contracts.invariants import (
    Coordinates,
    FirstSight,
    Invariant,
    LoggedEvent,
    Violation,
)

__all__ = ["OneUnitOnePlace", "UnitsConserved", "invariants"]

_IN_STOCK = frozenset({"available", "reserved", "quarantined"})


@dataclass
class _Unit:
    # city -> (sequence, state, where) of that city's latest movement of the unit
    latest: dict[str, tuple[int, str, Coordinates]] = field(default_factory=dict)
    flagged: bool = False


class OneUnitOnePlace:
    """No unit is in both cities' stock."""

    name = "blood-dispatch.unit-in-one-place"
    description = (
        "No blood unit is in the stock of both cities at once, unless a centre flagged its "
        "DIN as a conflict."
    )

    def __init__(self) -> None:
        self._units: dict[str, _Unit] = {}

    def observe(self, event: LoggedEvent) -> None:
        """Keep each city's latest movement of each unit (highest sequence)."""
        data = event.data
        if isinstance(data, BloodUnitConflictFlagged):
            self._units.setdefault(data.din, _Unit()).flagged = True
        elif isinstance(data, BloodUnitMoved):
            unit = self._units.setdefault(data.din, _Unit())
            known = unit.latest.get(data.city)
            if known is None or data.sequence > known[0]:
                unit.latest[data.city] = (data.sequence, data.state, event.at)

    def violations(self, now: datetime) -> list[Violation]:
        """Each unflagged unit that both cities hold, named by the later movement."""
        found = []
        for din, unit in sorted(self._units.items()):
            holding = {
                city: at for city, (_, state, at) in unit.latest.items() if state in _IN_STOCK
            }
            if len(holding) > 1 and not unit.flagged:
                found.append(
                    Violation(
                        self.name,
                        f"unit {din} is in the stock of {' and '.join(sorted(holding))}",
                        max(holding.values()),
                        din,
                    )
                )
        return found


@dataclass
class _Shipment:
    units: frozenset[str]
    at: Coordinates
    received: bool = False


class UnitsConserved:
    """Every unit dispatched is received by its shipment; none travels twice at once."""

    name = "blood-dispatch.units-conserved"
    description = (
        "Every shipment receives exactly the units it dispatched, none is received without "
        "being dispatched, and no unit travels in two shipments at once."
    )

    def __init__(self) -> None:
        self._sight = FirstSight()
        self._shipments: dict[str, _Shipment] = {}
        self._travelling: dict[str, str] = {}  # DIN -> shipment carrying it
        self._found: list[Violation] = []

    def observe(self, event: LoggedEvent) -> None:
        """Follow each shipment from dispatch to reception."""
        data = event.data
        if not isinstance(data, BloodShipmentDispatched | BloodShipmentReceived):
            return
        if not self._sight.first(event):
            return
        dins = frozenset(unit.din for unit in data.units)
        if isinstance(data, BloodShipmentDispatched):
            for din in sorted(dins):
                carrying = self._travelling.get(din)
                if carrying is not None and carrying != data.shipment_id:
                    self._flag(
                        event, f"unit {din} leaves in {data.shipment_id} while in {carrying}"
                    )
                self._travelling[din] = data.shipment_id
            self._shipments[data.shipment_id] = _Shipment(dins, event.at)
            return
        shipment = self._shipments.get(data.shipment_id)
        if shipment is None:
            self._flag(event, f"shipment {data.shipment_id} received but never dispatched")
            return
        if shipment.received:
            self._flag(event, f"shipment {data.shipment_id} received a second time")
        shipment.received = True
        if dins != shipment.units:
            missing, extra = sorted(shipment.units - dins), sorted(dins - shipment.units)
            self._flag(
                event,
                f"shipment {data.shipment_id} dispatched {len(shipment.units)} unit(s) and "
                f"received {len(dins)}: missing {missing}, not dispatched {extra}",
            )
        for din in shipment.units:
            if self._travelling.get(din) == data.shipment_id:
                del self._travelling[din]

    def violations(self, now: datetime) -> list[Violation]:
        """Every shipment that lost, gained or doubled a unit."""
        return list(self._found)

    def _flag(self, event: LoggedEvent, message: str) -> None:
        subject = getattr(event.data, "request_id", None)
        self._found.append(Violation(self.name, message, event.at, subject))


def invariants() -> list[Invariant]:
    """The blood-dispatch rules the audit checks, fresh."""
    return [OneUnitOnePlace(), UnitsConserved()]
