"""The requests this city takes part in, their offers, shipments and escalations
(explicit asyncpg SQL; rows <-> the pure :mod:`..dispatch` values here only)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg

from chengyu_contracts.cities import CITIES, City
from chengyu_kit.db import Connection, one_of

from .. import dispatch
from ..blood_groups import ABOS, PRODUCTS, RHDS, BloodGroup
from ..dispatch import DispatchRequest, Offer, OfferedUnit, Receipt
from ..policy import URGENCIES
from ..unit import UnitState

Origin = Literal["clerk", "stock-low"]
ORIGINS: tuple[Origin, ...] = ("clerk", "stock-low")
REQUEST_STATES: tuple[dispatch.RequestState, ...] = ("requested", "offered", "closed", "cancelled")
OFFER_STATES: tuple[dispatch.OfferState, ...] = (
    "offered",
    "accepted",
    "declined",
    "dispatched",
    "received",
    "cancelled",
)
RECEIPT_STATES: tuple[UnitState, ...] = ("available", "quarantined", "expired")
STEPS = ("offer", "accept", "dispatch", "receive")


@dataclass(frozen=True)
class Escalation:
    """A step of a request whose deadline passed, as raised by ``city``."""

    step: str
    offer_id: str | None
    deadline: datetime
    city: City
    escalated_at: datetime


@dataclass(frozen=True)
class StoredRequest:
    """A request as this city keeps it: the pure saga, where it came from, whether the
    requesting city takes substitutes, the steps applied (``version``) and escalations."""

    request: DispatchRequest
    origin: Origin
    accepts_substitutes: bool
    version: int
    reason: str | None = None
    escalations: tuple[Escalation, ...] = ()


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def units_json(units: Sequence[OfferedUnit]) -> str:
    """Offered units as stored."""
    return json.dumps(
        [
            {
                "din": u.din,
                "product": u.product,
                "abo": u.abo,
                "rhd": u.rhd,
                "expires_at": u.expires_at.isoformat(),
            }
            for u in units
        ]
    )


def _units(value: Any) -> tuple[OfferedUnit, ...]:
    return tuple(
        OfferedUnit(
            din=u["din"],
            product=one_of(u["product"], PRODUCTS, "product"),
            abo=one_of(u["abo"], ABOS, "abo"),
            rhd=one_of(u["rhd"], RHDS, "rhd"),
            expires_at=datetime.fromisoformat(u["expires_at"]),
        )
        for u in _json(value)
    )


def _receipts(value: Any) -> tuple[Receipt, ...]:
    return tuple(
        Receipt(r["din"], one_of(r["state"], RECEIPT_STATES, "state")) for r in _json(value)
    )


def receipts_json(receipts: Sequence[Receipt]) -> str:
    """Receipts as stored."""
    return json.dumps([{"din": r.din, "state": r.state} for r in receipts])


def _offer(row: asyncpg.Record) -> Offer:
    return Offer(
        offer_id=row["offer_id"],
        state=one_of(row["state"], OFFER_STATES, "state"),
        units=_units(row["units"]),
        offered_at=row["offered_at"],
        deadline=row["deadline"],
        shipment_id=row["shipment_id"],
        logger_id=row["logger_id"],
        departed_at=row["departed_at"],
        dispatched=tuple(_json(row["dispatched"])),
        receipts=_receipts(row["receipts"]),
        cancel_too_late=row["cancel_too_late"],
    )


def _escalation(row: asyncpg.Record) -> Escalation:
    return Escalation(
        step=row["step"],
        offer_id=row["offer_id"] or None,
        deadline=row["deadline"],
        city=one_of(row["city"], CITIES, "city"),
        escalated_at=row["escalated_at"],
    )


def _stored(
    row: asyncpg.Record, offers: Sequence[asyncpg.Record], escalations: Sequence[asyncpg.Record]
) -> StoredRequest:
    request = DispatchRequest(
        request_id=row["request_id"],
        requesting_city=one_of(row["requesting_city"], CITIES, "requesting_city"),
        offering_city=one_of(row["offering_city"], CITIES, "offering_city"),
        product=one_of(row["product"], PRODUCTS, "product"),
        group=BloodGroup(one_of(row["abo"], ABOS, "abo"), one_of(row["rhd"], RHDS, "rhd")),
        quantity=row["quantity"],
        urgency=one_of(row["urgency"], URGENCIES, "urgency"),
        state=one_of(row["state"], REQUEST_STATES, "state"),
        requested_at=row["requested_at"],
        offer_deadline=row["offer_deadline"],
        offers=tuple(_offer(o) for o in offers),
    )
    return StoredRequest(
        request=request,
        origin=one_of(row["origin"], ORIGINS, "origin"),
        accepts_substitutes=row["accepts_substitutes"],
        version=row["version"],
        reason=row["reason"],
        escalations=tuple(_escalation(e) for e in escalations),
    )


async def _complete(conn: Connection, rows: Sequence[asyncpg.Record]) -> list[StoredRequest]:
    ids = [r["request_id"] for r in rows]
    offers = await conn.fetch(
        "SELECT * FROM dispatch_offer WHERE request_id = ANY($1::text[])"
        " ORDER BY request_id, position",
        ids,
    )
    escalations = await conn.fetch(
        "SELECT * FROM dispatch_escalation WHERE request_id = ANY($1::text[])"
        " ORDER BY request_id, escalated_at, step, offer_id",
        ids,
    )
    return [
        _stored(
            r,
            [o for o in offers if o["request_id"] == r["request_id"]],
            [e for e in escalations if e["request_id"] == r["request_id"]],
        )
        for r in rows
    ]


async def load_request(
    conn: Connection, request_id: str, *, for_update: bool = False
) -> StoredRequest | None:
    """The request ``request_id`` (locked for the transaction with ``for_update``)."""
    row = await conn.fetchrow(
        "SELECT * FROM dispatch_request WHERE request_id = $1"
        + (" FOR UPDATE" if for_update else ""),
        request_id,
    )
    if row is None:
        return None
    return (await _complete(conn, [row]))[0]


async def request_of_offer(conn: Connection, offer_id: str) -> str | None:
    """The request of offer ``offer_id``, if known here."""
    found = await conn.fetchval(
        "SELECT request_id FROM dispatch_offer WHERE offer_id = $1", offer_id
    )
    return None if found is None else str(found)


async def requests(
    conn: Connection, states: Sequence[str] | None = None, limit: int = 500
) -> list[StoredRequest]:
    """The requests known here in ``states`` (all when None), newest first."""
    rows = await conn.fetch(
        "SELECT * FROM dispatch_request WHERE $1::text[] IS NULL OR state = ANY($1::text[])"
        " ORDER BY requested_at DESC, request_id LIMIT $2",
        None if states is None else list(states),
        limit,
    )
    return await _complete(conn, rows)


async def open_requests(conn: Connection, now: datetime) -> list[StoredRequest]:
    """Requests not closed or cancelled with a deadline at or before ``now`` (for the
    escalation sweep; locked, skipping those another transaction holds)."""
    rows = await conn.fetch(
        "SELECT r.* FROM dispatch_request r WHERE r.state IN ('requested', 'offered')"
        " AND (r.offer_deadline < $1 OR EXISTS (SELECT 1 FROM dispatch_offer o"
        " WHERE o.request_id = r.request_id AND o.deadline < $1))"
        " ORDER BY r.requested_at, r.request_id FOR UPDATE SKIP LOCKED",
        now,
    )
    return await _complete(conn, rows)


async def save_request(conn: Connection, stored: StoredRequest, at: datetime) -> None:
    """Insert or replace the request and its offers (version as given)."""
    r = stored.request
    await conn.execute(
        "INSERT INTO dispatch_request (request_id, requesting_city, offering_city, origin,"
        " product, abo, rhd, quantity, urgency, accepts_substitutes, state, requested_at,"
        " offer_deadline, reason, version, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        " ON CONFLICT (request_id) DO UPDATE SET state = EXCLUDED.state,"
        " reason = EXCLUDED.reason, version = EXCLUDED.version,"
        " updated_at = EXCLUDED.updated_at",
        r.request_id,
        r.requesting_city,
        r.offering_city,
        stored.origin,
        r.product,
        r.group.abo,
        r.group.rhd,
        r.quantity,
        r.urgency,
        stored.accepts_substitutes,
        r.state,
        r.requested_at,
        r.offer_deadline,
        stored.reason,
        stored.version,
        at,
    )
    await conn.executemany(
        "INSERT INTO dispatch_offer (offer_id, request_id, position, state, units, offered_at,"
        " deadline, shipment_id, logger_id, departed_at, dispatched, receipts, cancel_too_late)"
        " VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb, $13)"
        " ON CONFLICT (offer_id) DO UPDATE SET state = EXCLUDED.state,"
        " deadline = EXCLUDED.deadline, shipment_id = EXCLUDED.shipment_id,"
        " logger_id = EXCLUDED.logger_id, departed_at = EXCLUDED.departed_at,"
        " dispatched = EXCLUDED.dispatched, receipts = EXCLUDED.receipts,"
        " cancel_too_late = EXCLUDED.cancel_too_late",
        [
            (
                o.offer_id,
                r.request_id,
                n,
                o.state,
                units_json(o.units),
                o.offered_at,
                o.deadline,
                o.shipment_id,
                o.logger_id,
                o.departed_at,
                json.dumps(list(o.dispatched)),
                receipts_json(o.receipts),
                o.cancel_too_late,
            )
            for n, o in enumerate(r.offers, start=1)
        ],
    )


async def save_escalation(conn: Connection, request_id: str, escalation: Escalation) -> bool:
    """Record an escalation once; whether it is new."""
    status = await conn.execute(
        "INSERT INTO dispatch_escalation (request_id, step, offer_id, deadline, city,"
        " escalated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        request_id,
        escalation.step,
        escalation.offer_id or "",
        escalation.deadline,
        escalation.city,
        escalation.escalated_at,
    )
    return bool(status.endswith(" 1"))


# --------------------------------------------------------------------------------------------
# shipments


@dataclass(frozen=True)
class Shipment:
    """A shipment between the centres and, once received, its verdict."""

    shipment_id: str
    request_id: str
    offer_id: str
    from_city: City
    to_city: City
    units: tuple[OfferedUnit, ...]
    logger_id: str
    departed_at: datetime
    receive_by: datetime
    state: Literal["in-transit", "received"]
    received_at: datetime | None = None
    coldest_c10: int | None = None
    warmest_c10: int | None = None
    temperature_in_range: bool | None = None
    receipts: tuple[Receipt, ...] = ()


def _shipment(row: asyncpg.Record) -> Shipment:
    return Shipment(
        shipment_id=row["shipment_id"],
        request_id=row["request_id"],
        offer_id=row["offer_id"],
        from_city=one_of(row["from_city"], CITIES, "from_city"),
        to_city=one_of(row["to_city"], CITIES, "to_city"),
        units=_units(row["units"]),
        logger_id=row["logger_id"],
        departed_at=row["departed_at"],
        receive_by=row["receive_by"],
        state=one_of(row["state"], ("in-transit", "received"), "state"),
        received_at=row["received_at"],
        coldest_c10=row["coldest_c10"],
        warmest_c10=row["warmest_c10"],
        temperature_in_range=row["temperature_in_range"],
        receipts=_receipts(row["receipts"]),
    )


async def save_shipment(conn: Connection, s: Shipment) -> None:
    """Insert or replace a shipment."""
    await conn.execute(
        "INSERT INTO dispatch_shipment (shipment_id, request_id, offer_id, from_city, to_city,"
        " units, logger_id, departed_at, receive_by, state, received_at, coldest_c10,"
        " warmest_c10, temperature_in_range, receipts)"
        " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13, $14,"
        " $15::jsonb)"
        " ON CONFLICT (shipment_id) DO UPDATE SET state = EXCLUDED.state,"
        " received_at = EXCLUDED.received_at, coldest_c10 = EXCLUDED.coldest_c10,"
        " warmest_c10 = EXCLUDED.warmest_c10,"
        " temperature_in_range = EXCLUDED.temperature_in_range, receipts = EXCLUDED.receipts",
        s.shipment_id,
        s.request_id,
        s.offer_id,
        s.from_city,
        s.to_city,
        units_json(s.units),
        s.logger_id,
        s.departed_at,
        s.receive_by,
        s.state,
        s.received_at,
        s.coldest_c10,
        s.warmest_c10,
        s.temperature_in_range,
        receipts_json(s.receipts),
    )


async def load_shipment(
    conn: Connection, shipment_id: str, *, for_update: bool = False
) -> Shipment | None:
    """The shipment ``shipment_id``, if known here."""
    row = await conn.fetchrow(
        "SELECT * FROM dispatch_shipment WHERE shipment_id = $1"
        + (" FOR UPDATE" if for_update else ""),
        shipment_id,
    )
    return None if row is None else _shipment(row)


async def shipments(conn: Connection, state: str | None = None) -> list[Shipment]:
    """The shipments known here in ``state`` (all when None), latest departure first."""
    rows = await conn.fetch(
        "SELECT * FROM dispatch_shipment WHERE $1::text IS NULL OR state = $1"
        " ORDER BY departed_at DESC, shipment_id",
        state,
    )
    return [_shipment(r) for r in rows]
