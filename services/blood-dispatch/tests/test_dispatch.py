"""The dispatch saga: offers (partial, several), acceptance and decline, dispatch and
receipt (into stock, quarantine on a breach, expired on the way), cancellation releasing
reservations, deadlines per step, and every illegal step refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from blood_rule_builders import CQ, T0, unit
from hypothesis import given, settings
from hypothesis import strategies as st

from chengyu_blood_dispatch.blood_groups import Abo, BloodGroup, Rhd
from chengyu_blood_dispatch.compatibility import may_give
from chengyu_blood_dispatch.dispatch import (
    OFFER_TRANSITIONS,
    REQUEST_TRANSITIONS,
    Accept,
    Cancel,
    CancelReceived,
    Close,
    Decline,
    DispatchOffer,
    DispatchRequest,
    DispatchStep,
    MakeOffer,
    OfferedUnit,
    ReceiveShipment,
    RequestBlood,
    apply,
    overdue,
    request_blood,
    units_to_release,
)
from chengyu_blood_dispatch.policy import Urgency
from chengyu_contracts.domain_error import DomainError

MIN = timedelta(minutes=1)
A_POS = BloodGroup("A", "pos")


def offered(
    n: int, abo: Abo = "A", rhd: Rhd = "pos", keeps: timedelta = timedelta(days=30)
) -> OfferedUnit:
    return OfferedUnit.of(unit(n, abo=abo, rhd=rhd, city="cd", keeps=keeps))


def new_request(quantity: int = 4, urgency: Urgency = "urgent") -> DispatchRequest:
    command = RequestBlood("req-1", "cq", "red-cells", A_POS, quantity, urgency)
    return request_blood(command, T0, CQ)


def run(request: DispatchRequest, *steps: DispatchStep, minutes: int = 1) -> DispatchRequest:
    at = T0
    for step in steps:
        at += minutes * MIN
        request = apply(request, step, at, CQ)
    return request


def test_two_partial_offers_accepted_dispatched_and_received_then_closed() -> None:
    request = new_request(4)
    assert (request.offering_city, request.state) == ("cd", "requested")
    request = run(
        request,
        MakeOffer("o-1", (offered(1), offered(2))),
        MakeOffer("o-2", (offered(3, "O", "neg"),)),
        Accept("o-1"),
        Accept("o-2"),
        DispatchOffer("o-1", "s-1", (offered(1).din, offered(2).din), "logger-7"),
        DispatchOffer("o-2", "s-2", (offered(3).din,), "logger-8"),
        ReceiveShipment("o-1", "s-1", 30, 50),
        ReceiveShipment("o-2", "s-2", 30, 75),  # a breach: above 6 °C
    )
    assert request.outstanding == 1
    first, second = request.offers
    assert [r.state for r in first.receipts] == ["available", "available"]
    assert [r.state for r in second.receipts] == ["quarantined"]
    assert (first.logger_id, first.shipment_id) == ("logger-7", "s-1")
    closed = apply(request, Close(), T0 + timedelta(hours=9), CQ)
    assert closed.state == "closed"


def test_a_unit_that_expired_on_the_way_is_received_as_expired() -> None:
    short = offered(1, keeps=timedelta(hours=1))
    request = run(
        new_request(1),
        MakeOffer("o-1", (short,)),
        Accept("o-1"),
        DispatchOffer("o-1", "s-1", (short.din,), "logger-1"),
        ReceiveShipment("o-1", "s-1", 30, 50),
        minutes=30,
    )
    assert [r.state for r in request.offers[0].receipts] == ["expired"]


def test_decline_cancel_and_a_partial_dispatch_release_their_units() -> None:
    request = run(new_request(4), MakeOffer("o-1", (offered(1), offered(2))))
    declined = apply(request, Decline("o-1"), T0 + 5 * MIN, CQ)
    assert units_to_release(request, declined) == (offered(1).din, offered(2).din)
    assert declined.outstanding == 4
    accepted = run(request, Accept("o-1"))
    dispatched = apply(
        accepted, DispatchOffer("o-1", "s-1", (offered(2).din,), "l"), T0 + 9 * MIN, CQ
    )
    assert units_to_release(accepted, dispatched) == (offered(1).din,)
    cancelled = apply(accepted, Cancel(), T0 + 9 * MIN, CQ)
    assert cancelled.state == "cancelled"
    assert units_to_release(accepted, cancelled) == (offered(1).din, offered(2).din)


@pytest.mark.parametrize(
    ("steps", "code"),
    [
        ((Accept("o-1"),), "illegal-transition"),  # nothing offered yet
        ((MakeOffer("o-1", ()),), "empty-offer"),
        ((MakeOffer("o-1", (offered(1), offered(2), offered(3))),), "offer-exceeds-request"),
        ((MakeOffer("o-1", (offered(1), offered(1))),), "unit-already-offered"),
        (
            (MakeOffer("o-1", (offered(1),)), MakeOffer("o-2", (offered(1),))),
            "unit-already-offered",
        ),
        ((MakeOffer("o-1", (offered(1),)), MakeOffer("o-1", (offered(2),))), "duplicate-offer"),
        ((MakeOffer("o-1", (offered(1, "B"),)),), "incompatible-unit"),
        ((MakeOffer("o-1", (offered(1, "A", "neg"), offered(2, "AB"))),), "incompatible-unit"),
        ((MakeOffer("o-1", (offered(1),)), Accept("o-9")), "unknown-offer"),
        (
            (MakeOffer("o-1", (offered(1),)), DispatchOffer("o-1", "s", (offered(1).din,), "l")),
            "illegal-transition",
        ),
        (
            (MakeOffer("o-1", (offered(1),)), ReceiveShipment("o-1", "s", 30, 40)),
            "illegal-transition",
        ),
        ((MakeOffer("o-1", (offered(1),)), Accept("o-1"), Accept("o-1")), "illegal-transition"),
        (
            (MakeOffer("o-1", (offered(1),)), Accept("o-1"), DispatchOffer("o-1", "s", (), "l")),
            "empty-shipment",
        ),
        (
            (
                MakeOffer("o-1", (offered(1),)),
                Accept("o-1"),
                DispatchOffer("o-1", "s", (offered(2).din,), "l"),
            ),
            "unit-not-in-offer",
        ),
        (
            (
                MakeOffer("o-1", (offered(1),)),
                Accept("o-1"),
                DispatchOffer("o-1", "s", (offered(1).din,), " "),
            ),
            "missing-logger",
        ),
        (
            (
                MakeOffer("o-1", (offered(1),)),
                Accept("o-1"),
                DispatchOffer("o-1", "s", (offered(1).din,), "l"),
                ReceiveShipment("o-1", "s-x", 30, 40),
            ),
            "wrong-shipment",
        ),
        (
            (
                MakeOffer("o-1", (offered(1),)),
                Accept("o-1"),
                DispatchOffer("o-1", "s", (offered(1).din,), "l"),
                Cancel(),
            ),
            "already-dispatched",
        ),
        (
            (
                MakeOffer("o-1", (offered(1),)),
                Accept("o-1"),
                DispatchOffer("o-1", "s", (offered(1).din,), "l"),
                Close(),
            ),
            "shipment-in-transit",
        ),
        ((Cancel(), MakeOffer("o-1", (offered(1),))), "illegal-transition"),
        ((Close(),), "illegal-transition"),
    ],
)
def test_every_illegal_step_is_refused_by_name(steps: tuple[DispatchStep, ...], code: str) -> None:
    request = new_request(2)
    *before, last = steps
    request = run(request, *before)
    with pytest.raises(DomainError) as refused:
        apply(request, last, T0 + timedelta(hours=1), CQ)
    assert refused.value.code == code


def test_deadlines_per_step_and_their_escalation() -> None:
    request = new_request(2, "urgent")
    # Urgent: an offer within 15 minutes; the deadline itself is still in time.
    assert overdue(request, T0 + 15 * MIN) == ()
    (late,) = overdue(request, T0 + 16 * MIN)
    assert (late.step, late.offer_id) == ("offer", None)
    assert late.sentence(request) == "Chengdu missed the offer deadline of request req-1."
    # An overdue step is still accepted, and its deadline is then met.
    request = apply(request, MakeOffer("o-1", (offered(1),)), T0 + 20 * MIN, CQ)
    assert [o.step for o in overdue(request, T0 + 35 * MIN)] == []
    assert [o.step for o in overdue(request, T0 + 36 * MIN)] == ["accept"]
    request = apply(request, Accept("o-1"), T0 + 40 * MIN, CQ)
    assert [o.step for o in overdue(request, T0 + 101 * MIN)] == ["dispatch"]
    request = apply(
        request, DispatchOffer("o-1", "s", (offered(1).din,), "l"), T0 + 2 * 60 * MIN, CQ
    )
    assert [o.step for o in overdue(request, T0 + 8 * 60 * MIN + MIN)] == ["receive"]
    request = apply(request, ReceiveShipment("o-1", "s", 30, 40), T0 + 9 * 60 * MIN, CQ)
    assert overdue(request, T0 + timedelta(days=3)) == ()
    assert (
        overdue(apply(request, Close(), T0 + timedelta(days=3), CQ), T0 + timedelta(days=9)) == ()
    )


def test_a_routine_request_has_hours() -> None:
    request = new_request(2, "routine")
    assert overdue(request, T0 + timedelta(hours=4)) == ()
    assert [o.step for o in overdue(request, T0 + timedelta(hours=4, minutes=1))] == ["offer"]


def test_a_cancel_crossing_a_dispatch_loses_the_race_in_both_cities() -> None:
    made = (MakeOffer("o-1", (offered(1), offered(2))), Accept("o-1"))
    send = DispatchOffer("o-1", "s", (offered(1).din,), "l")
    # The supplying city dispatched before the cancellation arrived: the shipment stands.
    sent = run(new_request(2), *made, send)
    late = apply(sent, CancelReceived(), T0 + timedelta(hours=1), CQ)
    assert late.state == "cancelled"
    (offer,) = late.offers
    assert (offer.state, offer.shipment_id, offer.cancel_too_late) == ("dispatched", "s", True)
    assert units_to_release(sent, late) == ()
    # Before any dispatch it cancels like the clerk's Cancel.
    early = apply(run(new_request(2), *made), CancelReceived(), T0 + timedelta(hours=1), CQ)
    assert [(o.state, o.cancel_too_late) for o in early.offers] == [("cancelled", False)]
    # The requesting city cancelled first: the shipment of its cancelled offer still arrives
    # (cancelled -> dispatched) and is received; the request stays cancelled.
    cancelled = run(new_request(2), *made, Cancel())
    crossed = run(cancelled, send, ReceiveShipment("o-1", "s", 30, 40))
    assert crossed.state == "cancelled"
    (offer,) = crossed.offers
    assert (offer.state, offer.cancel_too_late) == ("received", True)
    assert [(r.din, r.state) for r in offer.receipts] == [(offered(1).din, "available")]
    assert units_to_release(cancelled, crossed) == ()
    # The clerk's own cancellation is still refused once anything was dispatched.
    with pytest.raises(DomainError) as refused:
        apply(sent, Cancel(), T0 + timedelta(hours=1), CQ)
    assert refused.value.code == "already-dispatched"


def test_the_tables_name_only_steps_the_machine_knows() -> None:
    assert {k for _, k in REQUEST_TRANSITIONS} >= {k for _, k in OFFER_TRANSITIONS}


# --- random sagas -------------------------------------------------------------------------

POOL_GROUPS: list[tuple[Abo, Rhd]] = [
    ("A", "pos"),
    ("A", "neg"),
    ("O", "pos"),
    ("O", "neg"),
    ("B", "pos"),
    ("AB", "pos"),
]
POOL = [offered(n, abo, rhd) for n, (abo, rhd) in enumerate(POOL_GROUPS * 2)]
# (kind, which offer, units picked from the pool); ending steps are rarer than the others.
step_specs = st.lists(
    st.tuples(
        st.integers(0, 12),
        st.integers(0, 1),
        st.lists(st.integers(0, len(POOL) - 1), min_size=1, max_size=3),
    ),
    min_size=4,
    max_size=30,
)
KINDS = [MakeOffer, MakeOffer, MakeOffer, Accept, Accept, Decline]
KINDS += [DispatchOffer, DispatchOffer, ReceiveShipment, ReceiveShipment, Cancel, Close]
KINDS += [CancelReceived]


def _step(kind: int, which: int, picks: list[int], request: DispatchRequest) -> DispatchStep:
    offer_id = f"o-{which}"
    units = tuple(POOL[i] for i in dict.fromkeys(picks))
    chosen = KINDS[kind]
    if chosen is MakeOffer:
        return MakeOffer(offer_id, units)
    if chosen is Accept:
        return Accept(offer_id)
    if chosen is Decline:
        return Decline(offer_id)
    if chosen is DispatchOffer:
        known = next((o for o in request.offers if o.offer_id == offer_id), None)
        dins = tuple(u.din for u in (known.units if known else units))[: len(picks)]
        return DispatchOffer(offer_id, f"s-{which}", dins, "logger")
    if chosen is ReceiveShipment:
        # Offer 1's logger saw 7 °C: a breach for red cells.
        return ReceiveShipment(offer_id, f"s-{which}", 20 + 10 * which, 50 + 20 * which)
    if chosen is CancelReceived:
        return CancelReceived()
    return Cancel() if chosen is Cancel else Close()


@settings(max_examples=300)
@given(st.integers(1, 6), step_specs)
def test_a_random_saga_keeps_its_promises(
    quantity: int, specs: list[tuple[int, int, list[int]]]
) -> None:
    request = new_request(quantity)
    reserved: set[str] = set()  # what the offering city holds for the request
    at = T0
    for kind, which, picks in specs:
        at += 7 * MIN
        step = _step(kind, which, picks, request)
        try:
            after = apply(request, step, at, CQ)
        except DomainError:
            continue
        if isinstance(step, MakeOffer):
            assert not reserved & {u.din for u in step.units}
            reserved |= {u.din for u in step.units}
        released = set(units_to_release(request, after))
        assert released <= reserved
        reserved -= released
        if isinstance(step, DispatchOffer):
            reserved -= set(step.dins)  # they left the stock: in transit now
        request = after
        assert 0 <= request.outstanding <= quantity
        assert sum(o.promised for o in request.offers) <= quantity
        for o in request.offers:
            assert all(may_give("red-cells", u.group, A_POS, CQ) for u in o.units)
            if o.state in ("offered", "accepted"):
                assert {u.din for u in o.units} <= reserved
            assert set(o.dispatched) <= {u.din for u in o.units}
            assert len(o.receipts) == (len(o.dispatched) if o.state == "received" else 0)
    if request.state in ("closed", "cancelled"):
        assert not reserved  # nothing stays reserved for a finished request
