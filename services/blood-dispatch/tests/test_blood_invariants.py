"""The blood-dispatch invariants the audit checks: a shipment from Chongqing received in
Chengdu passes; each way of breaking one is named where the log shows it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chengyu_blood_dispatch.invariants import OneUnitOnePlace, UnitsConserved, invariants
from chengyu_contracts.events.blood import (
    BloodShipmentDispatched,
    BloodShipmentReceived,
    BloodUnitConflictFlagged,
    BloodUnitMoved,
    OfferedUnit,
    ReceivedUnit,
)
from chengyu_contracts.invariants import LoggedEvent
from chengyu_kit.testing.event_log import EventLog, violations_of

AT = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
A, B, C = "W123426000001", "W123426000002", "W123426000003"


def moved(
    log: EventLog, din: str, city: str, sequence: int, movement: str, state: str
) -> LoggedEvent:
    data = BloodUnitMoved(
        din=din,
        city=city,
        sequence=sequence,
        movement=movement,
        state=state,
        product="red-cells",
        abo="O",
        rhd="neg",
        collected_at=AT - timedelta(days=1),
        expires_at=AT + timedelta(days=30),
        moved_at=AT + timedelta(minutes=sequence),
    )
    return log.write(data, city=city)


def offered(din: str) -> OfferedUnit:
    return OfferedUnit(
        din=din, product="red-cells", abo="O", rhd="neg", expires_at=AT + timedelta(days=30)
    )


def dispatched(log: EventLog, shipment: str, dins: list[str]) -> LoggedEvent:
    data = BloodShipmentDispatched(
        shipment_id=shipment,
        offer_id=f"offer-{shipment}",
        request_id=f"request-{shipment}",
        from_city="cq",
        to_city="cd",
        units=[offered(din) for din in dins],
        temperature_logger_id="logger-1",
        departed_at=AT,
        receive_by=AT + timedelta(hours=6),
    )
    return log.write(data, city="cq")


def received(log: EventLog, shipment: str, dins: list[str]) -> LoggedEvent:
    data = BloodShipmentReceived(
        shipment_id=shipment,
        offer_id=f"offer-{shipment}",
        request_id=f"request-{shipment}",
        to_city="cd",
        temperature_in_range=True,
        units=[ReceivedUnit(din=din, state="available") for din in dins],
        received_at=AT + timedelta(hours=3),
    )
    return log.write(data, city="cd")


def shipped_to_chengdu() -> EventLog:
    """Two units collected in Chongqing, shipped and received in Chengdu; a third stays."""
    log = EventLog("blood", "blood-dispatch")
    for din in (A, B, C):
        moved(log, din, "cq", 1, "collected", "available")
    dispatched(log, "s-1", [A, B])
    for din in (A, B):
        moved(log, din, "cq", 2, "dispatched", "in-transit")
    received(log, "s-1", [A, B])
    for din in (A, B):
        moved(log, din, "cd", 1, "received", "available")
    return log


def test_a_shipment_received_in_full_breaks_no_blood_invariant() -> None:
    log = shipped_to_chengdu()
    for invariant in invariants():
        assert violations_of(invariant, log.events) == [], invariant.name


def test_a_unit_in_both_cities_stock_is_named_by_its_later_movement() -> None:
    log = shipped_to_chengdu()
    back = moved(log, A, "cq", 3, "reservation-released", "available")
    found = violations_of(OneUnitOnePlace(), log.events)
    assert [(v.at, v.subject) for v in found] == [(back.at, A)]
    assert "cd and cq" in found[0].message


def test_a_unit_flagged_as_a_conflict_is_shown_not_counted_twice() -> None:
    log = shipped_to_chengdu()
    moved(log, A, "cq", 3, "reservation-released", "available")
    log.write(BloodUnitConflictFlagged(din=A, city="cd", flagged_at=AT), city="cd")
    assert violations_of(OneUnitOnePlace(), log.events) == []


def test_an_older_movement_arriving_late_does_not_move_the_unit_back() -> None:
    log = shipped_to_chengdu()
    moved(log, A, "cq", 1, "collected", "available")  # sequence 1 again: cq's latest is 2
    assert violations_of(OneUnitOnePlace(), log.events) == []


def test_a_unit_lost_on_the_way_is_named_at_the_reception() -> None:
    log = EventLog("blood", "blood-dispatch")
    dispatched(log, "s-1", [A, B])
    short = received(log, "s-1", [A])
    found = violations_of(UnitsConserved(), log.events)
    assert [(v.at, v.subject) for v in found] == [(short.at, "request-s-1")]
    assert f"missing ['{B}']" in found[0].message


def test_a_reception_without_a_dispatch_is_named() -> None:
    log = EventLog("blood", "blood-dispatch")
    orphan = received(log, "s-9", [A])
    assert [v.at for v in violations_of(UnitsConserved(), log.events)] == [orphan.at]


def test_a_unit_in_two_shipments_at_once_is_named_at_the_second() -> None:
    log = EventLog("blood", "blood-dispatch")
    dispatched(log, "s-1", [A])
    twice = dispatched(log, "s-2", [A, C])
    found = violations_of(UnitsConserved(), log.events)
    assert [v.at for v in found] == [twice.at]


def test_a_unit_may_travel_again_once_received() -> None:
    log = EventLog("blood", "blood-dispatch")
    dispatched(log, "s-1", [A])
    received(log, "s-1", [A])
    dispatched(log, "s-2", [A])
    assert violations_of(UnitsConserved(), log.events) == []


def test_a_redelivered_reception_is_one_reception() -> None:
    log = shipped_to_chengdu()
    log.redeliver(next(e for e in log.events if isinstance(e.data, BloodShipmentReceived)))
    assert violations_of(UnitsConserved(), log.events) == []
