"""Both cities' job-matching services on real PostgreSQL and the kit's hand-kept log
(:mod:`chengyu_kit.testing.bus`), with the postings area's actions of a clerk (or the sweep)
on a city through the use cases; and the good posting both the flow and HTTP tests start
from."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
from chengyu_contracts.cities import City
from chengyu_contracts.registry import REGISTRY, EventData
from chengyu_job_matching.handlers import hr_handlers
from chengyu_job_matching.policy import PolicyBook, default_policy_book
from chengyu_job_matching.postings import usecases
from chengyu_job_matching.postings.rules import Fair, FairFields, Posting, PostingFields
from chengyu_job_matching.service import SERVICE as JOBS
from chengyu_kit.clock import FixedClock
from chengyu_kit.dead_letter import ReceivedRecord
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.testing import bus

E = TypeVar("E", bound=EventData)

SERVICE = bus.BusService.of(JOBS)
#: Monday 2 March 2026, 09:00 in China.
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
#: The postings area's tables.
TABLES = ("posting", "posting_close_seen", "job_fair", "job_fair_cancel_seen")

#: A workplace in each city: its district and coordinates (decimal degrees).
WORKPLACE: dict[City, tuple[str, str, str]] = {
    "cq": ("500103", "29.556", "106.568"),  # 渝中区
    "cd": ("510107", "30.642", "104.043"),  # 武侯区
}


def posting_body(city: City = "cq", **fields: Any) -> dict[str, Any]:
    """A good posting of ``city`` as the API takes it; ``fields`` replace values."""
    district, latitude, longitude = WORKPLACE[city]
    values: dict[str, Any] = {
        "employer_name": "山城软件有限公司",
        "title": "Java后端开发工程师",
        "description": "负责微服务后端开发、熟悉Spring Boot和PostgreSQL数据库。",
        "occupation_code": "2-02-10-03",
        "education": "bachelor",
        "skills": ["Java", "Spring Boot", "PostgreSQL"],
        "salary_min_yuan": 8000,
        "salary_max_yuan": 15000,
        "district": district,
        "latitude": float(latitude),
        "longitude": float(longitude),
        "openings": 3,
        "closing_on": "2026-04-30",
    }
    values.update(fields)
    return values


def posting_fields(city: City = "cq", **fields: Any) -> PostingFields:
    """:func:`posting_body` as the use cases take it."""
    values = posting_body(city, **fields)
    values["skills"] = tuple(values["skills"])
    values["latitude"] = Decimal(repr(values["latitude"]))
    values["longitude"] = Decimal(repr(values["longitude"]))
    return PostingFields(**values)


def payloads(records: Sequence[ReceivedRecord], model: type[E]) -> list[E]:
    """The payloads of ``model`` among ``records``, in order."""
    return bus.payloads(REGISTRY, records, model)


@dataclass(kw_only=True)
class PostingsCity(bus.BusCity):
    """One city's job-matching service without Kafka, with the postings area's actions."""

    book: PolicyBook

    async def rows(self) -> list[tuple[object, ...]]:
        """Every row of the area's tables, sorted, as tuples (the outbox aside)."""
        found: list[tuple[object, ...]] = []
        for table in TABLES:
            rows = await self.pool.fetch(f"SELECT * FROM {table}")
            found.extend(sorted((table, *r.values()) for r in rows))
        return found

    async def publish(self, **fields: Any) -> Posting:
        """A clerk here publishes a posting of this city."""
        async with self.unit() as unit:
            return await usecases.publish(posting_fields(self.city, **fields), unit)

    async def revise(self, posting_id: str, **fields: Any) -> Posting:
        """A clerk here restates a posting."""
        command = usecases.RevisePosting(posting_id, posting_fields(self.city, **fields))
        async with self.unit() as unit:
            return await usecases.revise(command, unit)

    async def close_posting(self, posting_id: str, reason: str = "filled") -> Posting:
        """A clerk here closes a posting."""
        async with self.unit() as unit:
            return await usecases.close(usecases.ClosePosting(posting_id, reason), unit)

    async def posting(self, posting_id: str) -> Posting:
        """A posting as this city knows it."""
        async with self.unit() as unit:
            return await usecases.posting(posting_id, unit)

    async def listed(self, **filters: Any) -> tuple[list[Posting], int]:
        """A page of both cities' postings as this city lists them."""
        async with self.unit() as unit:
            return await usecases.list_postings(usecases.ListPostings(**filters), unit)

    async def expire(self) -> int:
        """The expiry sweep once, on this city's clock."""
        return await usecases.expire_due(self)

    async def schedule_fair(self, posting_ids: Sequence[str], **fields: Any) -> Fair:
        """A clerk here schedules a fair of ``posting_ids``."""
        values: dict[str, Any] = {
            "title": "成渝双城春季联合招聘会",
            "venue": "重庆国际博览中心",
            "starts_on": "2026-03-20",
            "ends_on": "2026-03-21",
        }
        values.update(fields)
        async with self.unit() as unit:
            return await usecases.schedule_fair(
                FairFields(posting_ids=tuple(posting_ids), **values), unit
            )

    async def cancel_fair(self, fair_id: str, reason: str = "场馆检修") -> Fair:
        """A clerk here calls a fair off."""
        async with self.unit() as unit:
            return await usecases.cancel(usecases.CancelFair(fair_id, reason), unit)

    async def fair(self, fair_id: str) -> usecases.FairWithPostings:
        """A fair as this city shows it."""
        async with self.unit() as unit:
            return await usecases.fair(fair_id, unit)


Bus = bus.Bus[PostingsCity]


async def two_cities(
    postgres: LocalPostgres, *, now: datetime = NOW, book: PolicyBook | None = None
) -> AsyncIterator[tuple[PostingsCity, PostingsCity, Bus]]:
    """Chongqing, Chengdu and the bus between them, each city's clock at ``now``; closed
    after."""
    book = book or default_policy_book()

    async def open_one(city: City) -> PostingsCity:
        made = await bus.open_city(
            postgres,
            SERVICE,
            city,
            handlers=hr_handlers(book),
            clock=FixedClock(now),
            make=PostingsCity,
            book=book,
        )
        return made

    async for trio in bus.two_cities(open_one):
        yield trio
