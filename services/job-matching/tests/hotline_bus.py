"""Both cities' job-matching services on real PostgreSQL and the kit's hand-kept log
(:mod:`chengyu_kit.testing.bus`), with the 12333 actions of a clerk (or the sweep) on a
city through the hotline's use cases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import asyncpg

import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
from chengyu_contracts.cities import City
from chengyu_contracts.registry import REGISTRY, EventData
from chengyu_job_matching.handlers import hr_handlers
from chengyu_job_matching.hotline import usecases as hotline
from chengyu_job_matching.hotline.request import Extension
from chengyu_job_matching.hotline.store import StoredRequest
from chengyu_job_matching.policy import PolicyBook, default_policy_book
from chengyu_job_matching.service import SERVICE as JOBS
from chengyu_kit.clock import FixedClock
from chengyu_kit.dead_letter import ReceivedRecord
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.testing import bus

E = TypeVar("E", bound=EventData)

SERVICE = bus.BusService.of(JOBS)
#: 10:00 in China on Thursday 2026-02-12.
NOW = datetime(2026, 2, 12, 2, 0, tzinfo=UTC)
#: The hotline's tables and the outbox (what a refusal must leave as it was).
HOTLINE_TABLES = ("hotline_request", "hotline_extension", "hotline_overdue", "hotline_caller")


def china(day: date, hour: int = 10) -> datetime:
    """``hour`` o'clock in China on ``day``."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=8)


async def table_state(pool: asyncpg.Pool, tables: Sequence[str] = HOTLINE_TABLES) -> str:
    """Every row of ``tables`` and the outbox, as text."""
    parts: list[str] = []
    for table in (*tables, "outbox"):
        rows = await pool.fetch(f"SELECT t::text AS row FROM {table} t ORDER BY 1")
        parts.extend(f"{table}: {r['row']}" for r in rows)
    return "\n".join(parts)


def payloads(records: Sequence[ReceivedRecord], model: type[E]) -> list[E]:
    """The payloads of ``model`` among ``records``, in order."""
    return bus.payloads(REGISTRY, records, model)


def of_type(records: Sequence[ReceivedRecord], model: type[EventData]) -> list[ReceivedRecord]:
    """The records among ``records`` carrying ``model``."""
    return bus.of_type(REGISTRY, records, model)


@dataclass(kw_only=True)
class HotlineCity(bus.BusCity):
    """One city's job-matching service without Kafka, with its policy book and the 12333
    clerk's actions."""

    book: PolicyBook

    def set_day(self, day: date, hour: int = 10) -> None:
        """Move this city's clock to ``hour`` o'clock in China on ``day``."""
        self.clock.advance(china(day, hour) - self.clock.now())

    async def tables(self) -> str:
        """Every row of the hotline's tables and the outbox."""
        return await table_state(self.pool)

    async def forward(self, **fields: Any) -> StoredRequest:
        """A citizen's consultation forwarded to the other city; ``fields`` replace."""
        values: dict[str, Any] = {
            "category": "consultation",
            "caller_kind": "citizen",
            "caller_phone": "13812345678",
            "summary": "来电人咨询在成都缴纳的社保如何转回重庆",
            "received_at": self.clock.now() - timedelta(minutes=20),
            "caller_id_number": "11010519491231002X",
        }
        values.update(fields)
        async with self.unit() as unit:
            stored, _ = await hotline.forward_request(
                hotline.ForwardRequest(**values), unit, self.book
            )
            return stored

    async def sign(self, request_id: str) -> StoredRequest:
        """Sign for a request."""
        async with self.unit() as unit:
            command = hotline.RequestCommand(request_id)
            return await hotline.sign_request(command, unit, self.book)

    async def give_back(self, request_id: str, reason: str = "不属本市管辖") -> StoredRequest:
        """Return a request."""
        async with self.unit() as unit:
            return await hotline.return_request(hotline.ReturnRequest(request_id, reason), unit)

    async def reforward(self, request_id: str) -> StoredRequest:
        """Forward an unsigned request again."""
        async with self.unit() as unit:
            command = hotline.RequestCommand(request_id)
            return await hotline.reforward_request(command, unit, self.book)

    async def extend(self, request_id: str, days: int = 2) -> Extension:
        """Ask for ``days`` more working days."""
        async with self.unit() as unit:
            command = hotline.ExtensionCommand(request_id, days, "需调取外地缴费记录")
            return (await hotline.ask_extension(command, unit, self.book))[1]

    async def decide(self, request_id: str, extension_id: str, approved: bool = True) -> Extension:
        """Decide an extension."""
        async with self.unit() as unit:
            command = hotline.DecideCommand(request_id, extension_id, approved, "同意")
            return (await hotline.decide_extension(command, unit, self.book))[1]

    async def resolve(
        self, request_id: str, resolution: str = "已电话告知办理流程"
    ) -> StoredRequest:
        """Resolve a request."""
        async with self.unit() as unit:
            command = hotline.ResolveCommand(request_id, resolution)
            return await hotline.resolve_request(command, unit)

    async def callback(self, request_id: str, feedback: str = "satisfied") -> StoredRequest:
        """Record the caller's feedback."""
        async with self.unit() as unit:
            command = hotline.CallbackCommand(request_id, feedback)
            return await hotline.record_callback(command, unit, self.book)

    async def remind(self) -> int:
        """The overdue sweep once, on this city's clock."""
        return await hotline.remind(self, self.book)

    async def seen(self, request_id: str) -> hotline.Seen:
        """A request as this city's clerks see it."""
        async with self.unit() as unit:
            return await hotline.request_view(request_id, unit)

    async def listed(self, **filters: Any) -> list[str]:
        """The ids of the requests listed here with ``filters``."""
        async with self.unit() as unit:
            found = await hotline.list_requests(hotline.ListCommand(**filters), unit)
            return [s.stored.request.request_id for s in found]


Bus = bus.Bus[HotlineCity]


async def two_cities(
    postgres: LocalPostgres, *, now: datetime = NOW, book: PolicyBook | None = None
) -> AsyncIterator[tuple[HotlineCity, HotlineCity, Bus]]:
    """Chongqing, Chengdu and the bus between them, each city's clock at ``now``; closed
    after."""
    book = book or default_policy_book()

    async def open_one(city: City) -> HotlineCity:
        return await bus.open_city(
            postgres,
            SERVICE,
            city,
            handlers=hr_handlers(book),
            clock=FixedClock(now),
            make=HotlineCity,
            book=book,
        )

    async for trio in bus.two_cities(open_one):
        yield trio
