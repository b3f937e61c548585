"""Helpers of the allowance tests: register rows inserted directly with SQL (so the
allowance tests do not depend on the register's API), both cities on the kit's bus, and a
city's allowance actions through the use cases.

Every person is synthetic (``synthesize_resident_id``): nobody real.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import TypeVar

import asyncpg

import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
from chengyu_contracts.cities import City
from chengyu_contracts.months import Month
from chengyu_contracts.person_ref import PersonRefKey, person_ref
from chengyu_contracts.registry import REGISTRY, EventData
from chengyu_contracts.resident_id import synthesize_resident_id
from chengyu_contracts.signing import SigningKey
from chengyu_elder_allowance.allowance import flow, run, store, usecases
from chengyu_elder_allowance.handlers import elder_handlers
from chengyu_elder_allowance.policy import PolicyBook, default_policy_book
from chengyu_elder_allowance.service import SERVICE as ELDER
from chengyu_kit.clock import FixedClock
from chengyu_kit.dead_letter import ReceivedRecord
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.testing import bus

E = TypeVar("E", bound=EventData)

# Noon in China on 2026-03-10.
NOW = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)
KEY_HEX = secrets.token_hex(32)
KEY = PersonRefKey.from_hex(KEY_HEX)
SIGNING = {city: SigningKey.generate(f"{city}-ca-test", f"/{city}/ca") for city in ("cq", "cd")}
SERVICE = replace(bus.BusService.of(ELDER), signing=SIGNING, person_ref_key=KEY)
DISTRICT = {"cq": "500103", "cd": "510104"}


def id_number(birth: date, serial: int, city: City = "cq") -> str:
    """A synthetic, valid resident ID number born on ``birth``."""
    return synthesize_resident_id(DISTRICT[city], birth, serial, "female")


def ref_of(id_text: str) -> str:
    """The person_ref both cities derive for ``id_text``."""
    return person_ref(id_text, KEY)


def first_day(month: str | None) -> date | None:
    """A ``YYYY-MM`` as SQL stores a month."""
    return None if month is None else store.day_of(Month.parse(month))


@dataclass(frozen=True)
class Elder:
    """A person inserted into a city's register."""

    person_ref: str
    id_number: str
    birth: date


async def add_elder(
    pool: asyncpg.Pool,
    birth: date,
    serial: int,
    *,
    city: City = "cq",
    registered_from: str | None = None,
    assistance: Sequence[tuple[str, date, date | None]] = (),
    died_on: date | None = None,
    same_as: Elder | None = None,
) -> Elder:
    """Insert a registered person into ``city``'s register (elder, its own household row,
    assistance periods), as the register area would; ``same_as``: the person another
    city's register holds (the same ID number)."""
    id_text = same_as.id_number if same_as is not None else id_number(birth, serial, city)
    ref = ref_of(id_text)
    now = NOW
    await pool.execute(
        """
        INSERT INTO elder (person_ref, id_number, name, birth_date, sex, district,
                           bank_account_token, phone, died_on, created_at, updated_at)
        VALUES ($1, $2, $3, $4, 'female', $5, $6, '13800000000', $7, $8, $8)
        """,
        ref,
        id_text,
        f"Elder {serial}",
        birth,
        DISTRICT[city],
        f"tok-{serial}",
        died_on,
        now,
    )
    await set_household(pool, ref, city, registered_from=registered_from)
    for status, start, end in assistance:
        await pool.execute(
            "INSERT INTO assistance_period (person_ref, status, start_on, end_on)"
            " VALUES ($1, $2, $3, $4)",
            ref,
            status,
            start,
            end,
        )
    return Elder(ref, id_text, birth)


async def set_household(
    pool: asyncpg.Pool,
    ref: str,
    city: City,
    *,
    status: str = "registered",
    registered_from: str | None = None,
    registered_until: str | None = None,
    changed_on: date = date(2026, 3, 1),
) -> None:
    """Write (or replace with the next version) a city's registration of ``ref``."""
    await pool.execute(
        """
        INSERT INTO household (person_ref, city, version, status, registered_from,
                               registered_until, changed_on)
        VALUES ($1, $2, 1, $3, $4, $5, $6)
        ON CONFLICT (person_ref, city) DO UPDATE SET version = household.version + 1,
            status = EXCLUDED.status, registered_from = EXCLUDED.registered_from,
            registered_until = EXCLUDED.registered_until, changed_on = EXCLUDED.changed_on
        """,
        ref,
        city,
        status,
        first_day(registered_from),
        first_day(registered_until),
        changed_on,
    )


async def flag_duplicate(pool: asyncpg.Pool, ref: str, first_month: str) -> None:
    """Flag ``ref`` as held by both registers (重复享受) from ``first_month``."""
    await pool.execute(
        "INSERT INTO duplicate_flag (person_ref, first_month, flagged_on) VALUES ($1, $2, $3)",
        ref,
        first_day(first_month),
        date(2026, 3, 1),
    )


@dataclass(frozen=True)
class Paid:
    """One payment row, as the tests compare them."""

    month: str
    amount_fen: int
    kind: str
    status: str
    attempts: int
    run_month: str


async def payments(pool: asyncpg.Pool, ref: str) -> list[Paid]:
    """Every payment of ``ref`` in this city's database, by month."""
    rows = await pool.fetch(
        "SELECT month, amount_fen, kind, status, attempts, run_month FROM payment"
        " WHERE person_ref = $1 ORDER BY month",
        ref,
    )
    return [
        Paid(
            str(Month.of(r["month"])),
            r["amount_fen"],
            r["kind"],
            r["status"],
            r["attempts"],
            str(Month.of(r["run_month"])),
        )
        for r in rows
    ]


@dataclass(kw_only=True)
class AllowanceCity(bus.BusCity):
    """One city's service on the kit's bus, with its policy book and allowance actions."""

    book: PolicyBook

    def set_day(self, day: date) -> None:
        """Move this city's clock to noon in China on ``day``."""
        noon = datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC)
        self.clock.advance(noon - self.clock.now())

    async def run(self, month: str, **options: int) -> run.RunSummary | None:
        """Run (or continue) the payment run of ``month`` (on the 10th of that month)."""
        m = Month.parse(month)
        if self.clock.now() < datetime(m.year, m.month, 10, 4, 0, tzinfo=UTC):
            self.set_day(date(m.year, m.month, 10))
        return await run.run_month(self.unit, m, self.book, **options)

    async def runs(self, first: str, last: str) -> None:
        """Run every month from ``first`` through ``last``."""
        month = Month.parse(first)
        while month <= Month.parse(last):
            await self.run(str(month))
            month = month.next()

    async def registration_changed(self, ref: str) -> None:
        """What the register calls after a change of ``ref``'s registrations."""
        async with self.unit() as unit:
            await flow.registration_changed(unit, ref, self.book)

    async def verify(self, id_text: str, verified_on: date) -> usecases.RecordedVerification:
        """Record a verification here (the clerk's route)."""
        async with self.unit() as unit:
            return await usecases.record_verification(
                unit, id_text, verified_on.isoformat(), self.book
            )

    async def allowance(self, ref: str) -> usecases.AllowanceView:
        """The person's allowance as this city knows it."""
        async with self.unit() as unit:
            return await usecases.allowance_of(unit, ref)

    async def count(self, table: str) -> int:
        """Rows of one of the service's tables."""
        return int(await self.pool.fetchval(f"SELECT count(*) FROM {table}"))

    async def outbox_types(self) -> list[str]:
        """The CloudEvents types in this city's outbox, in order."""
        rows = await self.pool.fetch("SELECT value FROM outbox ORDER BY id")
        return [str(json.loads(bytes(row["value"]))["type"]) for row in rows]


Bus = bus.Bus[AllowanceCity]


def payloads(records: Sequence[ReceivedRecord], model: type[E]) -> list[E]:
    """The payloads of ``model`` among ``records``, in order."""
    return bus.payloads(REGISTRY, records, model)


async def city_on(
    postgres: LocalPostgres, city: City, *, book: PolicyBook | None = None
) -> AllowanceCity:
    """A city with a fresh, migrated database, its clock at ``NOW``."""
    book = book or default_policy_book()
    return await bus.open_city(
        postgres,
        SERVICE,
        city,
        handlers=elder_handlers(book),
        clock=FixedClock(NOW),
        make=AllowanceCity,
        book=book,
    )


async def two_cities(
    postgres: LocalPostgres, *, book: PolicyBook | None = None
) -> AsyncIterator[tuple[AllowanceCity, AllowanceCity, Bus]]:
    """Chongqing, Chengdu and the bus between them; pools closed after."""

    async def open_one(city: City) -> AllowanceCity:
        return await city_on(postgres, city, book=book)

    async for trio in bus.two_cities(open_one):
        yield trio
