"""The dispatch saga's HTTP API of one city on a real PostgreSQL (no Kafka: events stay in
the outbox; the other city's events are applied through the handlers' use cases): every
route, in the requesting and in the supplying city; bad input, the wrong city and a step
taken twice answered 4xx naming the problem, with nothing written."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from blood_bus import NOW, din, row
from blood_http import Served, serve

from chengyu_blood_dispatch.dispatch_saga import usecases as saga
from chengyu_blood_dispatch.policy import default_policy_book
from chengyu_contracts.events.blood import (
    BloodDispatchOfferAccepted,
    BloodDispatchOffered,
    BloodDispatchRequested,
    BloodShipmentDispatched,
    OfferedUnit,
)
from chengyu_kit.local.oidc import OidcProvider

pytestmark = pytest.mark.integration

BOOK = default_policy_book()
EXPIRES = NOW + timedelta(days=30)


@pytest.fixture
async def service(
    database: str, oidc_provider: OidcProvider, tmp_path: Path
) -> AsyncIterator[Served]:
    async for served in serve(database, oidc_provider, tmp_path):
        yield served


async def refused(
    service: Served, path: str, body: dict[str, Any] | None = None
) -> tuple[int, str]:
    """POST ``body`` to ``path``, expecting a refusal that writes nothing."""
    before = await service.everything()
    answer = await service.client.post(path, json=body)
    assert answer.status_code >= 400, answer.text
    assert answer.status_code < 500, answer.text
    assert await service.everything() == before
    return answer.status_code, answer.json()["error"]


async def posted(service: Served, path: str, body: dict[str, Any] | None = None) -> Any:
    answer = await service.client.post(path, json=body)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


async def chengdu_offers(
    service: Served, rid: str
) -> tuple[BloodDispatchOffered, list[OfferedUnit]]:
    """Chengdu offers two units for ``rid`` (its event, applied as the handler would)."""
    units = [
        OfferedUnit(din=din("cd", n), product="red-cells", abo="O", rhd="neg", expires_at=EXPIRES)
        for n in (1, 2)
    ]
    offer = BloodDispatchOffered(
        offer_id=f"{rid}-cd-1",
        request_id=rid,
        offering_city="cd",
        requesting_city="cq",
        units=units,
        partial=False,
        offered_at=NOW,
        accept_by=NOW + timedelta(minutes=15),
    )
    async with service.runtime.unit() as unit:
        await saga.receive_offered(offer, unit, BOOK)
    return offer, units


async def chengdu_sends(
    service: Served, offer: BloodDispatchOffered, units: list[OfferedUnit]
) -> None:
    """Chengdu dispatches the offer on shipment shp-cd-1 (its event, applied here)."""
    rid = offer.request_id
    sent = BloodShipmentDispatched(
        shipment_id="shp-cd-1",
        offer_id=offer.offer_id,
        request_id=rid,
        from_city="cd",
        to_city="cq",
        units=units,
        temperature_logger_id="LOG-7",
        departed_at=NOW,
        receive_by=NOW + timedelta(hours=6),
    )
    async with service.runtime.unit() as unit:
        await saga.receive_dispatched(sent, unit, BOOK)


async def test_the_dispatch_routes_are_served(service: Served) -> None:
    paths = (await service.client.get("/openapi.json")).json()["paths"]
    assert set(paths) >= {
        "/requests",
        "/requests/{request_id}",
        "/requests/{request_id}/offers/{offer_id}/accept",
        "/requests/{request_id}/offers/{offer_id}/decline",
        "/requests/{request_id}/offers/{offer_id}/dispatch",
        "/requests/{request_id}/cancel",
        "/requests/{request_id}/close",
        "/shipments",
        "/shipments/{shipment_id}",
        "/shipments/{shipment_id}/receive",
    }


async def test_the_requesting_city_asks_accepts_receives_and_closes(service: Served) -> None:
    body = {"product": "red-cells", "abo": "O", "rhd": "neg", "quantity": 2, "urgency": "urgent"}
    for bad, code in (
        ({**body, "product": "blood"}, "unknown-product"),
        ({**body, "abo": "C"}, "unknown-abo"),
        ({**body, "urgency": "soon"}, "unknown-urgency"),
    ):
        assert (await refused(service, "/requests", bad))[1] == code
    assert (await refused(service, "/requests", {**body, "quantity": 0}))[0] == 422
    created = await posted(service, "/requests", body)
    rid = created["request_id"]
    assert (created["requesting_city"], created["supplying_city"], created["state"]) == (
        "cq",
        "cd",
        "requested",
    )
    assert created["offer_by"].startswith("2026-03-02T01:15")
    requested = [e for e in await service.outbox() if "dispatch-requested" in e["type"]]
    assert requested[0]["data"]["origin"] == "clerk"
    offer, units = await chengdu_offers(service, rid)
    shown = (await service.client.get(f"/requests/{rid}")).json()
    assert shown["state"] == "offered" and shown["origin"] == "clerk"
    assert [(o["offer_id"], o["state"], o["partial"]) for o in shown["offers"]] == [
        (offer.offer_id, "offered", False)
    ]
    assert [u["din"] for u in shown["offers"][0]["units"]] == [din("cd", 1), din("cd", 2)]
    base = f"/requests/{rid}/offers/{offer.offer_id}"
    assert await refused(service, f"/requests/{rid}/offers/nope/accept") == (404, "unknown-offer")
    assert await refused(service, "/requests/nope/offers/x/accept") == (404, "unknown-request")
    # The requesting city cannot dispatch Chengdu's offer.
    assert await refused(service, f"{base}/dispatch", {"temperature_logger_id": "L"}) == (
        403,
        "not-supplying-city",
    )
    accepted = await posted(service, f"{base}/accept")
    assert accepted["offers"][0]["state"] == "accepted"
    assert await refused(service, f"{base}/accept") == (409, "offer-not-open")
    assert await refused(service, f"{base}/decline", {"reason": "x"}) == (409, "offer-not-open")
    # A receipt of a shipment never sent.
    reading = {"min_temperature_c10": 30, "max_temperature_c10": 50}
    assert await refused(service, "/shipments/shp-nope/receive", reading) == (
        404,
        "unknown-shipment",
    )
    await chengdu_sends(service, offer, units)
    assert await refused(service, f"/requests/{rid}/cancel", {"reason": "x"}) == (
        409,
        "already-dispatched",
    )
    assert await refused(service, f"/requests/{rid}/close") == (409, "shipment-in-transit")
    in_transit = (await service.client.get("/shipments?state=in-transit")).json()["items"]
    assert [s["shipment_id"] for s in in_transit] == ["shp-cd-1"]
    stock = (await service.anonymous.get("/stock")).json()
    assert [s["shipment_id"] for s in stock["dispatch"]["in_transit"]] == ["shp-cd-1"]
    assert [r["request_id"] for r in stock["dispatch"]["open_requests"]] == [rid]
    bad_reading = {"min_temperature_c10": 60, "max_temperature_c10": 20}
    assert await refused(service, "/shipments/shp-cd-1/receive", bad_reading) == (
        422,
        "bad-logger-reading",
    )
    assert (await refused(service, "/shipments/shp-cd-1/receive", {"min_temperature_c10": "x"}))[
        0
    ] == 422
    service.clock.advance(timedelta(hours=3))
    received = await posted(service, "/shipments/shp-cd-1/receive", reading)
    assert received["state"] == "received" and received["temperature_in_range"] is True
    assert [r["state"] for r in received["receipts"]] == ["available", "available"]
    unit_answer = (await service.client.get(f"/units/{din('cd', 1)}")).json()
    assert unit_answer["own"]["state"] == "available"
    assert await refused(service, "/shipments/shp-cd-1/receive", reading) == (
        409,
        "already-received",
    )
    closed = await posted(service, f"/requests/{rid}/close")
    assert closed["state"] == "closed" and closed["units_received"] == 2
    assert (await service.client.get("/requests?state=open")).json()["items"] == []
    assert [
        r["request_id"]
        for r in (await service.client.get("/requests?state=closed")).json()["items"]
    ] == [rid]
    assert (await service.client.get("/requests?state=bogus")).status_code == 422
    assert (await service.client.get("/shipments?state=bogus")).status_code == 422
    assert (await service.client.get("/requests/nope")).status_code == 404
    assert (await service.client.get("/shipments/nope")).status_code == 404


async def test_the_supplying_city_offers_and_dispatches(service: Served) -> None:
    answer = await service.client.post(
        "/units/batch", json={"rows": [row(n, line=n + 1) for n in range(1, 4)]}
    )
    assert answer.status_code in (200, 201), answer.text
    request = BloodDispatchRequested(
        request_id="req-cd-1",
        requesting_city="cd",
        supplying_city="cq",
        product="red-cells",
        abo="O",
        rhd="neg",
        quantity=2,
        urgency="urgent",
        origin="clerk",
        accepts_substitutes=True,
        requested_at=NOW,
        offer_by=NOW + timedelta(minutes=20),
    )
    async with service.runtime.unit() as unit:
        await saga.receive_requested(request, unit, BOOK)
    shown = (await service.client.get("/requests/req-cd-1")).json()
    assert shown["state"] == "offered"
    offer = shown["offers"][0]
    assert [u["din"] for u in offer["units"]] == [din("cq", 1), din("cq", 2)]
    base = f"/requests/req-cd-1/offers/{offer['offer_id']}"
    logger = {"temperature_logger_id": "LOG-9"}
    # Not accepted yet; accepting is the other city's.
    assert await refused(service, f"{base}/dispatch", logger) == (409, "offer-not-accepted")
    assert await refused(service, f"{base}/accept") == (403, "not-requesting-city")
    assert await refused(service, "/requests/req-cd-1/close") == (403, "not-requesting-city")
    async with service.runtime.unit() as unit:
        accepted = BloodDispatchOfferAccepted(
            offer_id=offer["offer_id"],
            request_id="req-cd-1",
            requesting_city="cd",
            accepted_at=NOW,
            dispatch_by=NOW + timedelta(hours=1),
        )
        await saga.receive_accepted(accepted, unit, BOOK)
    assert await refused(service, f"{base}/dispatch", {"temperature_logger_id": " "}) == (
        422,
        "missing-logger",
    )
    assert (await refused(service, f"{base}/dispatch", {}))[0] == 422
    shipment = await posted(service, f"{base}/dispatch", logger)
    assert shipment["units"] == [din("cq", 1), din("cq", 2)]
    assert shipment["from_city"] == "cq" and shipment["state"] == "in-transit"
    for n in (1, 2):
        own = (await service.client.get(f"/units/{din('cq', n)}")).json()["own"]
        assert own["state"] == "in-transit"
    assert (await service.client.get(f"/units/{din('cq', 3)}")).json()["own"]["state"] == (
        "available"
    )
    assert await refused(service, f"{base}/dispatch", logger) == (409, "offer-not-accepted")
    # The receipt is the requesting city's.
    reading = {"min_temperature_c10": 30, "max_temperature_c10": 50}
    path = f"/shipments/{shipment['shipment_id']}/receive"
    assert await refused(service, path, reading) == (403, "not-receiving-city")
    assert await refused(service, "/requests/req-cd-1/cancel", {}) == (409, "already-dispatched")
    events = [e["type"] for e in await service.outbox()]
    assert "cn.chengyu.blood.dispatch-offered.v1" in events
    assert "cn.chengyu.blood.shipment-dispatched.v1" in events
    one = (await service.client.get(f"/shipments/{shipment['shipment_id']}")).json()
    assert one["temperature_logger_id"] == "LOG-9"


async def test_a_request_cancelled_before_any_offer(service: Served) -> None:
    body = {"product": "platelets", "abo": "A", "rhd": "pos", "quantity": 1, "urgency": "routine"}
    rid = (await posted(service, "/requests", body))["request_id"]
    cancelled = await posted(service, f"/requests/{rid}/cancel", {"reason": "found locally"})
    assert cancelled["state"] == "cancelled" and cancelled["reason"] == "found locally"
    assert await refused(service, f"/requests/{rid}/cancel", {}) == (409, "illegal-transition")
    assert (await refused(service, f"/requests/{rid}/cancel", {"reason": "x" * 501}))[0] == 422
    listed = (await service.client.get("/requests?state=cancelled")).json()["items"]
    assert [r["request_id"] for r in listed] == [rid]
    assert (await service.anonymous.get("/requests")).status_code == 401
