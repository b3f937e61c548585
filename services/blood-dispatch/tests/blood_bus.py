"""Both cities' blood-dispatch services on real PostgreSQL and the kit's hand-kept log
(:mod:`chengyu_kit.testing.bus`), with each area's actions of a clerk (or a job) on a city
through the use cases, and the builders of units and rows the stock and levels tests
share."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import asyncpg

import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
from chengyu_blood_dispatch.blood_groups import StockKey
from chengyu_blood_dispatch.dashboard.report import DispatchView, dispatch_section
from chengyu_blood_dispatch.din import din_for
from chengyu_blood_dispatch.dispatch_saga import usecases as saga
from chengyu_blood_dispatch.dispatch_saga.store import Shipment, StoredRequest
from chengyu_blood_dispatch.handlers import blood_handlers
from chengyu_blood_dispatch.policy import PolicyBook, default_policy_book
from chengyu_blood_dispatch.service import SERVICE as BLOOD
from chengyu_blood_dispatch.stock import usecases as stock
from chengyu_blood_dispatch.stock.store import StoredUnit
from chengyu_blood_dispatch.stock_levels import store as level_store
from chengyu_blood_dispatch.stock_levels import usecases as levels
from chengyu_contracts.cities import City
from chengyu_contracts.registry import REGISTRY, EventData
from chengyu_kit.clock import FixedClock
from chengyu_kit.dead_letter import ReceivedRecord
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.testing import bus

E = TypeVar("E", bound=EventData)

SERVICE = bus.BusService.of(BLOOD)
#: A Monday morning in China.
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
#: The stock's tables, and the outbox (what a refusal must leave as it was).
STOCK_TABLES = ("blood_unit", "unit_movement", "unit_seen", "unit_conflict", "level_state")
RED_O_NEG = StockKey("red-cells", "O", "neg")
#: The dispatch saga's tables.
DISPATCH_TABLES = (
    "dispatch_request",
    "dispatch_offer",
    "dispatch_shipment",
    "dispatch_escalation",
)


def din(city: City, sequence: int) -> str:
    """The DIN of ``city``'s placeholder facility in 2026."""
    return din_for(city, 2026, sequence).text


def row(
    sequence: int,
    *,
    city: City = "cq",
    product: str = "red-cells",
    abo: str = "O",
    rhd: str = "neg",
    collected: datetime | None = None,
    keeps: timedelta = timedelta(days=35),
    line: int | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A good unit as the API takes it (collected a day before :data:`NOW`, keeping
    ``keeps``); ``fields`` replace its values."""
    at = collected or NOW - timedelta(days=1)
    values: dict[str, Any] = {
        "din": din(city, sequence),
        "product": product,
        "abo": abo,
        "rhd": rhd,
        "collected_at": at.isoformat(),
        "expires_at": (at + keeps).isoformat(),
    }
    if line is not None:
        values["line"] = line
    values.update(fields)
    return values


def unit_row(values: dict[str, Any], line: int = 0) -> stock.UnitRow:
    """A use case's row of ``values`` (as :func:`row` gives them)."""
    fields = {k: v for k, v in values.items() if k != "line"}
    return stock.UnitRow(line=values.get("line", line), **fields)


async def table_state(pool: asyncpg.Pool, tables: Sequence[str] = STOCK_TABLES) -> str:
    """Every row of ``tables`` and the outbox, as text."""
    parts: list[str] = []
    for table in (*tables, "outbox"):
        rows = await pool.fetch(f"SELECT t::text AS row FROM {table} t ORDER BY 1")
        parts.extend(f"{table}: {r['row']}" for r in rows)
    return "\n".join(parts)


def payloads(records: Sequence[ReceivedRecord], model: type[E]) -> list[E]:
    """The payloads of ``model`` among ``records``, in order."""
    return bus.payloads(REGISTRY, records, model)


@dataclass(kw_only=True)
class BloodCity(bus.BusCity):
    """One city's blood-dispatch service without Kafka, with its policy book."""

    book: PolicyBook

    def advance(self, by: timedelta) -> None:
        """Move this city's clock on by ``by``."""
        self.clock.advance(by)

    async def state(self) -> str:
        """Every row of the stock's tables and the outbox, as text."""
        return await table_state(self.pool)

    async def count(self, table: str) -> int:
        """Rows of one of the service's tables."""
        return int(await self.pool.fetchval(f"SELECT count(*) FROM {table}"))

    async def outbox_types(self) -> list[str]:
        """The CloudEvents types in this city's outbox, in order."""
        rows = await self.pool.fetch("SELECT value FROM outbox ORDER BY id")
        return [str(json.loads(bytes(row["value"]))["type"]) for row in rows]

    async def outbox_data(self, event_type: str) -> list[dict[str, Any]]:
        """The data of this city's outbox events of ``event_type``, in order."""
        rows = await self.pool.fetch("SELECT value FROM outbox ORDER BY id")
        envelopes = [json.loads(bytes(r["value"])) for r in rows]
        return [e["data"] for e in envelopes if e["type"] == event_type]

    # The stock.

    async def collect(self, *rows: dict[str, Any]) -> stock.ImportReport:
        """Record ``rows`` (as :func:`row` gives them) as one batch."""
        async with self.unit() as unit:
            return await stock.import_rows(
                [unit_row(r, n + 2) for n, r in enumerate(rows)], unit, self.book
            )

    async def collect_many(self, first: int, count: int, **fields: Any) -> None:
        """Record ``count`` units of this city from sequence ``first``."""
        await self.collect(*(row(first + n, city=self.city, **fields) for n in range(count)))

    async def issue(self, *dins: str) -> list[StoredUnit]:
        """Issue each of ``dins`` (one unit of work each)."""
        issued = []
        for d in dins:
            async with self.unit() as unit:
                issued.append(await stock.issue_unit(stock.MoveUnit(d), unit, self.book))
        return issued

    async def discard(self, d: str) -> StoredUnit:
        """Discard ``d``."""
        async with self.unit() as unit:
            return await stock.discard_unit(stock.MoveUnit(d, "bag damaged"), unit, self.book)

    async def expire_due(self) -> int:
        """The expiry sweep once, on this city's clock."""
        return await stock.expire_due(self, self.book)

    async def recompute(self) -> int:
        """The periodic recomputation of every line once, on this city's clock."""
        return await levels.recompute_all(self, self.book)

    async def unit_view(self, d: str) -> stock.UnitView:
        """A DIN as this city knows it."""
        async with self.unit() as unit:
            return await stock.unit_view(d, unit)

    async def level(self, key: StockKey) -> level_store.StoredLevel | None:
        """A line's stored level here."""
        async with self.unit() as unit:
            return (await level_store.own_levels(unit.conn)).get(key)

    async def seen_level(self, city: City, key: StockKey) -> level_store.SeenLevel | None:
        """``city``'s level of ``key`` as seen here."""
        async with self.unit() as unit:
            return (await level_store.seen_levels(unit.conn, city)).get(key)

    # The dispatch saga.

    async def everything(self) -> str:
        """Every row of the stock's and the dispatch saga's tables and the outbox."""
        return await table_state(self.pool, (*STOCK_TABLES, *DISPATCH_TABLES))

    async def request(self, **fields: Any) -> StoredRequest:
        """A clerk's request to the other city (red cells O neg, 2, urgent unless given)."""
        values: dict[str, Any] = {
            "product": "red-cells",
            "abo": "O",
            "rhd": "neg",
            "quantity": 2,
            "urgency": "urgent",
        }
        values.update(fields)
        async with self.unit() as unit:
            return await saga.request_dispatch(saga.RequestDispatch(**values), unit, self.book)

    async def dispatch_request(self, request_id: str) -> StoredRequest:
        """A request as this city keeps it."""
        async with self.unit() as unit:
            return await saga.request_view(request_id, unit)

    async def accept(self, request_id: str, offer_id: str) -> StoredRequest:
        """Accept an offer."""
        async with self.unit() as unit:
            command = saga.OfferCommand(request_id, offer_id)
            return await saga.accept_offer(command, unit, self.book)

    async def decline(self, request_id: str, offer_id: str) -> StoredRequest:
        """Decline an offer."""
        async with self.unit() as unit:
            command = saga.OfferCommand(request_id, offer_id, "found locally")
            return await saga.decline_offer(command, unit, self.book)

    async def send(self, request_id: str, offer_id: str, logger: str = "LOG-1") -> Shipment:
        """Dispatch an accepted offer with a temperature logger."""
        async with self.unit() as unit:
            command = saga.DispatchCommand(request_id, offer_id, logger)
            return await saga.dispatch_offer(command, unit, self.book)

    async def unpack(self, shipment_id: str, coldest: int = 30, warmest: int = 50) -> Shipment:
        """Receive a shipment with the logger's extremes (tenths of a degree)."""
        async with self.unit() as unit:
            command = saga.ReceiveCommand(shipment_id, coldest, warmest)
            return await saga.receive_shipment(command, unit, self.book)

    async def cancel(self, request_id: str) -> StoredRequest:
        """Cancel a request."""
        async with self.unit() as unit:
            command = saga.EndRequest(request_id, "no longer needed")
            return await saga.cancel_request(command, unit, self.book)

    async def close_request(self, request_id: str) -> StoredRequest:
        """Close a request."""
        async with self.unit() as unit:
            return await saga.close_request(saga.EndRequest(request_id), unit, self.book)

    async def escalate(self) -> int:
        """The escalation sweep once, on this city's clock."""
        return await saga.escalate_due(self)

    async def unit_section(self) -> DispatchView:
        """The dashboard's open requests and shipments in transit, as this city knows them."""
        async with self.unit() as unit:
            return await dispatch_section(unit)

    async def shipments(self) -> list[Shipment]:
        """The shipments this city knows."""
        async with self.unit() as unit:
            return await saga.list_shipments(None, unit)

    async def unit_states(self) -> dict[str, str]:
        """Every DIN this city records and its state."""
        rows = await self.pool.fetch("SELECT din, state FROM blood_unit ORDER BY din")
        return {r["din"]: r["state"] for r in rows}


Bus = bus.Bus[BloodCity]


async def city_on(
    postgres: LocalPostgres, city: City, *, now: datetime = NOW, book: PolicyBook | None = None
) -> BloodCity:
    """A city with a fresh, migrated database and ``book`` (the default one unless given),
    its own clock at ``now``."""
    book = book or default_policy_book()
    return await bus.open_city(
        postgres,
        SERVICE,
        city,
        handlers=blood_handlers(book),
        clock=FixedClock(now),
        make=BloodCity,
        book=book,
    )


async def two_cities(
    postgres: LocalPostgres, *, now: datetime = NOW, book: PolicyBook | None = None
) -> AsyncIterator[tuple[BloodCity, BloodCity, Bus]]:
    """Chongqing, Chengdu and the bus between them, each city's clock at ``now``; closed
    after."""
    book = book or default_policy_book()

    async def open_one(city: City) -> BloodCity:
        return await city_on(postgres, city, now=now, book=book)

    async for trio in bus.two_cities(open_one):
        yield trio
