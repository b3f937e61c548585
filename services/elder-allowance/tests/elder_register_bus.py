"""Both cities' elder-allowance services on real PostgreSQL and the kit's hand-kept log
(:mod:`chengyu_kit.testing.bus`), with a clerk's register actions on each city through
the use cases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from elder_register_builders import NOW, row

import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
from chengyu_contracts.cities import City
from chengyu_elder_allowance.handlers import elder_handlers
from chengyu_elder_allowance.policy import PolicyBook, default_policy_book
from chengyu_elder_allowance.register import store, usecases
from chengyu_elder_allowance.register.households import Registration
from chengyu_elder_allowance.register.rows import ImportRow
from chengyu_elder_allowance.service import SERVICE as ELDER
from chengyu_kit.clock import FixedClock
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.testing import bus

SERVICE = bus.BusService.of(ELDER)
#: The tables the register writes, and the outbox.
REGISTER_TABLES = (
    "elder",
    "assistance_period",
    "household",
    "household_version",
    "duplicate_flag",
    "outbox",
)


@dataclass(kw_only=True)
class ElderCity(bus.BusCity):
    """One city's elder-allowance service without Kafka, with its policy book."""

    book: PolicyBook

    async def register(self, id_number: str, **fields: Any) -> usecases.ImportReport:
        """Import one row of this city's register for ``id_number``."""
        district = "500103" if self.city == "cq" else "510104"
        values = row(2, id_number=id_number, district=district) | fields
        async with self.unit() as unit:
            return await usecases.import_rows([ImportRow(**values)], unit, self.book)

    async def move_out(self, person_ref: str, month: str) -> None:
        """Record here the household's move to the other city."""
        to: City = "cd" if self.city == "cq" else "cq"
        async with self.unit() as unit:
            await usecases.move_out(person_ref, to, month, unit, self.book)

    async def withdraw(self, person_ref: str) -> None:
        """Withdraw this city's registration (made in error)."""
        async with self.unit() as unit:
            await usecases.withdraw(person_ref, "registered in error", unit, self.book)

    async def registrations(self, person_ref: str) -> dict[City, Registration]:
        """Both cities' registrations of the person as this city knows them."""
        async with self.unit() as unit:
            return await store.registrations_of(unit.conn, person_ref)

    async def flag(self, person_ref: str) -> store.DuplicateFlag | None:
        """The person's duplicate flag here."""
        async with self.unit() as unit:
            return await store.duplicate_flag(unit.conn, person_ref)

    async def state(self) -> str:
        """Every row of the register's tables and the outbox, as text."""
        parts: list[str] = []
        for table in REGISTER_TABLES:
            rows = await self.pool.fetch(f"SELECT t::text AS row FROM {table} t ORDER BY 1")
            parts.extend(f"{table}: {r['row']}" for r in rows)
        return "\n".join(parts)


Bus = bus.Bus[ElderCity]


async def two_cities(postgres: LocalPostgres) -> AsyncIterator[tuple[ElderCity, ElderCity, Bus]]:
    """Chongqing, Chengdu and the bus between them, clocks at ``NOW``; closed after."""
    book = default_policy_book()

    async def open_one(city: City) -> ElderCity:
        return await bus.open_city(
            postgres,
            SERVICE,
            city,
            handlers=elder_handlers(book),
            clock=FixedClock(NOW),
            make=ElderCity,
            book=book,
        )

    async for trio in bus.two_cities(open_one):
        yield trio
