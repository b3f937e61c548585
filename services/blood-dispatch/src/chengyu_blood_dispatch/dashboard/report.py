"""Both cities' stock per product and ABO/RhD group, as this city knows it: its own from
its records and level state, the other city's from what that city publishes (its units'
movements and its level events). The open requests and shipments in transit come from the
dispatch area (:func:`dispatch_section`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel

from chengyu_contracts.cities import CITIES, CITY_NAMES, CITY_NAMES_ZH, City
from chengyu_kit.unit import Unit

from ..blood_groups import PRODUCT_NAMES, PRODUCTS, STOCK_KEYS, StockKey
from ..dispatch_saga import store as dispatch_store
from ..stock import store as stock_store
from ..stock_levels import store as level_store


class LineView(BaseModel):
    """One city's line: units by state, usable units, the shown level and days of supply
    (hundredths of a day; None: nothing issued in the window, unbounded)."""

    product: str
    abo: str
    rhd: str
    available: int
    reserved: int
    quarantined: int
    in_transit: int
    usable: int
    level: str
    level_since: datetime | None
    #: A better level waiting to be shown (hysteresis), this city's lines only.
    pending_level: str | None
    pending_since: datetime | None
    days_of_supply_centi: int | None
    #: The open stock-low request of the line, while orange or red.
    low_request_id: str | None


class CityView(BaseModel):
    """A city's stock: ``source`` is ``own`` (this city's records) or ``published`` (the
    other city's events as received here)."""

    city: str
    name: str
    name_zh: str
    source: str
    lines: list[LineView]
    #: DINs this city flagged as held in both stocks.
    conflicts: int


class RequestItem(BaseModel):
    """An open dispatch request (filled by the dispatch area)."""

    request_id: str
    requesting_city: str
    supplying_city: str
    product: str
    abo: str
    rhd: str
    quantity: int
    urgency: str
    state: str
    #: The steps that passed their deadline (escalated), or "-".
    escalated: str = "-"


class ShipmentItem(BaseModel):
    """A shipment in transit (filled by the dispatch area)."""

    shipment_id: str
    request_id: str
    from_city: str
    to_city: str
    units: int
    departed_at: datetime
    receive_by: datetime


class DispatchView(BaseModel):
    """The open requests and shipments in transit."""

    open_requests: list[RequestItem]
    in_transit: list[ShipmentItem]


class StockView(BaseModel):
    """``GET /stock``: both cities, every product and group."""

    city: str
    at: datetime
    products: dict[str, str]
    cities: list[CityView]
    dispatch: DispatchView


async def dispatch_section(unit: Unit) -> DispatchView:
    """The open requests (not closed or cancelled) and shipments in transit this city
    knows: its own requests and the other city's it supplies."""
    requests = await dispatch_store.requests(unit.conn, ("requested", "offered"))
    shipments = await dispatch_store.shipments(unit.conn, "in-transit")
    return DispatchView(
        open_requests=[
            RequestItem(
                request_id=s.request.request_id,
                requesting_city=s.request.requesting_city,
                supplying_city=s.request.offering_city,
                product=s.request.product,
                abo=s.request.group.abo,
                rhd=s.request.group.rhd,
                quantity=s.request.quantity,
                urgency=s.request.urgency,
                state=s.request.state,
                escalated=", ".join(e.step for e in s.escalations) or "-",
            )
            for s in requests
        ],
        in_transit=[
            ShipmentItem(
                shipment_id=t.shipment_id,
                request_id=t.request_id,
                from_city=t.from_city,
                to_city=t.to_city,
                units=len(t.units),
                departed_at=t.departed_at,
                receive_by=t.receive_by,
            )
            for t in shipments
        ],
    )


@dataclass(frozen=True)
class Shown:
    """A line's shown level, since when, its days of supply, the better level waiting and
    since when, and its open stock-low request."""

    level: str = "green"
    since: datetime | None = None
    centi: int | None = None
    pending: str | None = None
    pending_since: datetime | None = None
    low: str | None = None


def _line(key: StockKey, counts: stock_store.LineCounts | None, shown: Shown) -> LineView:
    c = counts or stock_store.LineCounts(key)
    return LineView(
        product=key.product,
        abo=key.abo,
        rhd=key.rhd,
        available=c.available,
        reserved=c.reserved,
        quarantined=c.quarantined,
        in_transit=c.in_transit,
        usable=c.usable,
        level=shown.level,
        level_since=shown.since,
        pending_level=shown.pending,
        pending_since=shown.pending_since,
        days_of_supply_centi=shown.centi,
        low_request_id=shown.low,
    )


async def _own(unit: Unit, conflicts: int) -> CityView:
    counts = await stock_store.own_counts(unit.conn, unit.now)
    levels = await level_store.own_levels(unit.conn)
    lines = []
    for key in STOCK_KEYS:
        stored = levels.get(key)
        shown = (
            Shown()
            if stored is None
            else Shown(
                level=stored.state.level,
                since=stored.state.since,
                centi=stored.days_of_supply_centi,
                pending=stored.state.candidate,
                pending_since=stored.state.better_since,
                low=stored.low_request_id,
            )
        )
        lines.append(_line(key, counts.get(key), shown))
    return _city(unit.city, "own", lines, conflicts)


async def _published(unit: Unit, city: City, conflicts: int) -> CityView:
    counts = await stock_store.seen_counts(unit.conn, city, unit.now)
    levels = await level_store.seen_levels(unit.conn, city)
    lines = []
    for key in STOCK_KEYS:
        seen = levels.get(key)
        shown = (
            Shown()
            if seen is None
            else Shown(
                level=seen.level,
                since=seen.at,
                centi=seen.days_of_supply_centi,
                low=seen.low_request_id,
            )
        )
        lines.append(_line(key, counts.get(key), shown))
    return _city(city, "published", lines, conflicts)


def _city(city: City, source: str, lines: list[LineView], conflicts: int) -> CityView:
    return CityView(
        city=city,
        name=CITY_NAMES[city],
        name_zh=CITY_NAMES_ZH[city],
        source=source,
        lines=lines,
        conflicts=conflicts,
    )


async def stock_report(unit: Unit) -> StockView:
    """Both cities' stock and levels as this city knows them."""
    flags = await stock_store.conflicts_of(unit.conn)
    per_city = {c: sum(1 for f in flags if f.city == c) for c in CITIES}
    cities = [
        await _own(unit, per_city[c]) if c == unit.city else await _published(unit, c, per_city[c])
        for c in CITIES
    ]
    return StockView(
        city=unit.city,
        at=unit.now,
        products={p: PRODUCT_NAMES[p] for p in PRODUCTS},
        cities=cities,
        dispatch=await dispatch_section(unit),
    )
