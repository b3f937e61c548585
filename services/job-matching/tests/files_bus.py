"""Both cities' job-matching services on real PostgreSQL and the kit's hand-kept log
(:mod:`chengyu_kit.testing.bus`), with the personnel-files area's actions of a clerk (or
the sweep) on a city through its use cases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TypeVar

import asyncpg

import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
from chengyu_contracts.cities import City
from chengyu_contracts.registry import REGISTRY, EventData
from chengyu_contracts.resident_id import synthesize_resident_id
from chengyu_job_matching.handlers import hr_handlers
from chengyu_job_matching.personnel_files import usecases as files
from chengyu_job_matching.personnel_files.store import Certificate, Holding, StoredTransfer
from chengyu_job_matching.policy import PolicyBook, default_policy_book
from chengyu_job_matching.service import SERVICE as JOBS
from chengyu_kit.clock import FixedClock
from chengyu_kit.dead_letter import ReceivedRecord
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.testing import bus

E = TypeVar("E", bound=EventData)

SERVICE = bus.BusService.of(JOBS)
#: Friday 2026-09-18, 10:00 in China: a week before the Mid-Autumn and National Day holidays.
NOW = datetime(2026, 9, 18, 2, 0, tzinfo=UTC)
#: The personnel-files tables (and the outbox: what a refusal must leave as it was).
FILE_TABLES = ("file_holding", "file_centre", "file_transfer", "file_certificate", "file_overdue")


def id_number(sequence: int = 1) -> str:
    """A synthetic resident ID number (Chongqing's Yuzhong district, born 1990)."""
    return synthesize_resident_id("500103", date(1990, 5, 17), sequence, "female")


def china_morning(day: date) -> datetime:
    """10:00 in China on ``day``."""
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)


async def table_state(pool: asyncpg.Pool, tables: Sequence[str] = FILE_TABLES) -> str:
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
class FilesCity(bus.BusCity):
    """One city's job-matching service without Kafka, with its policy book."""

    book: PolicyBook

    def set_day(self, day: date) -> None:
        """Move this city's clock to 10:00 in China on ``day``."""
        self.clock.advance(china_morning(day) - self.clock.now())

    async def everything(self) -> str:
        """Every row of the area's tables and the outbox."""
        return await table_state(self.pool)

    async def files_state(self) -> str:
        """Every row of the area's tables (not the outbox)."""
        parts: list[str] = []
        for table in FILE_TABLES:
            rows = await self.pool.fetch(f"SELECT t::text AS row FROM {table} t ORDER BY 1")
            parts.extend(f"{table}: {r['row']}" for r in rows)
        return "\n".join(parts)

    async def register(self, sequence: int = 1, centre: str | None = None) -> Holding:
        """This city's centre holds the file of person ``sequence`` since 2020-07-01."""
        centre_id = centre or f"{self.city}-centre-1"
        command = files.RegisterFile(
            id_number(sequence), centre_id, f"{self.city} 人才服务中心", date(2020, 7, 1)
        )
        async with self.unit() as unit:
            return await files.register_file(command, unit)

    async def lookup(self, sequence: int = 1) -> files.Lookup:
        """Where person ``sequence``'s file is held, as this city knows."""
        async with self.unit() as unit:
            return await files.lookup(id_number(sequence), unit)

    async def request_transfer(self, sequence: int = 1) -> StoredTransfer:
        """Ask the other city for person ``sequence``'s file, to this city's centre 9."""
        command = files.RequestTransfer(
            id_number(sequence), f"{self.city}-centre-9", f"{self.city} 第九人才服务中心"
        )
        async with self.unit() as unit:
            return await files.request_transfer(command, unit, self.book)

    async def dispatch(self, transfer_id: str, tracking: str = "JY-2026-0001") -> StoredTransfer:
        """Send the file by confidential courier."""
        command = files.SendFile(transfer_id, "confidential-courier", tracking)
        async with self.unit() as unit:
            return await files.dispatch_file(command, unit, self.book)

    async def receive(self, transfer_id: str, *missing: str) -> StoredTransfer:
        """Receive the file: complete, or with ``missing`` parts."""
        command = files.ReceiveFile(transfer_id, not missing, missing)
        async with self.unit() as unit:
            return await files.receive_file(command, unit, self.book)

    async def supplement(self, transfer_id: str) -> StoredTransfer:
        """Send the missing parts by tracked post."""
        command = files.SendFile(transfer_id, "tracked-post", "EMS1234567890")
        async with self.unit() as unit:
            return await files.supplement_file(command, unit, self.book)

    async def complete(self, transfer_id: str) -> StoredTransfer:
        """Complete the supplemented file."""
        async with self.unit() as unit:
            return await files.complete_transfer(transfer_id, unit, self.book)

    async def transfer(self, transfer_id: str) -> StoredTransfer:
        """A transfer as this city keeps it."""
        async with self.unit() as unit:
            return await files.transfer_view(transfer_id, unit)

    async def overdue_transfers(self) -> list[str]:
        """The ids of the transfers this city lists as overdue today."""
        async with self.unit() as unit:
            return [s.transfer.transfer_id for s in await files.list_transfers(None, True, unit)]

    async def request_certificate(self, sequence: int = 1) -> Certificate:
        """Ask for an employment-history certificate of person ``sequence``."""
        command = files.RequestCertificate(
            id_number(sequence), "employment-history", "办理职称评审"
        )
        async with self.unit() as unit:
            return await files.request_certificate(command, unit, self.book)

    async def answer(
        self, certificate_id: str, text: str = "兹证明该同志档案存于我中心。"
    ) -> Certificate:
        """Issue the certificate with ``text``."""
        command = files.AnswerCertificate(certificate_id, True, "ZM-2026-001", text)
        async with self.unit() as unit:
            return await files.answer_certificate(command, unit)

    async def certificate(self, certificate_id: str) -> Certificate:
        """A certificate request as this city keeps it."""
        async with self.unit() as unit:
            return await files.certificate_view(certificate_id, unit)

    async def sweep(self) -> int:
        """The overdue sweep once, on this city's clock."""
        return await files.remind_due(self, self.book)


Bus = bus.Bus[FilesCity]


async def city_on(
    postgres: LocalPostgres, city: City, *, now: datetime = NOW, book: PolicyBook | None = None
) -> FilesCity:
    """A city with a fresh, migrated database and ``book``, its own clock at ``now``."""
    book = book or default_policy_book()
    return await bus.open_city(
        postgres,
        SERVICE,
        city,
        handlers=hr_handlers(book),
        clock=FixedClock(now),
        make=FilesCity,
        book=book,
    )


async def two_cities(
    postgres: LocalPostgres, *, now: datetime = NOW
) -> AsyncIterator[tuple[FilesCity, FilesCity, Bus]]:
    """Chongqing, Chengdu and the bus between them, each city's clock at ``now``."""

    async def open_one(city: City) -> FilesCity:
        return await city_on(postgres, city, now=now)

    async for trio in bus.two_cities(open_one):
        yield trio
