"""Helpers of the saga tests: both cities' databases in one process, events handed from
one city to the other by hand (no Kafka), so each step can be checked on its own."""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

import asyncpg
from fund_transfer_http import NOW, migrated_pool, test_issuer

from chengyu_contracts.cities import City
from chengyu_contracts.person_ref import PersonRefKey
from chengyu_contracts.registry import REGISTRY, EventData
from chengyu_contracts.resident_id import synthesize_resident_id
from chengyu_fund_transfer import usecases
from chengyu_fund_transfer.policy import PolicyBook, default_policy_book
from chengyu_fund_transfer.store import StoredAccount
from chengyu_fund_transfer.transfer_store import StoredTransfer
from chengyu_kit.clock import FixedClock
from chengyu_kit.issuer import EventIssuer
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.unit import Unit, open_unit

E = TypeVar("E", bound=EventData)
R = TypeVar("R")


@dataclass
class SagaCity:
    """One city's database, clock and issuer."""

    city: City
    pool: asyncpg.Pool
    clock: FixedClock
    issuer: EventIssuer
    book: PolicyBook = field(default_factory=default_policy_book)

    def unit(self) -> contextlib.AbstractAsyncContextManager[Unit]:
        """A unit of work here at the clock's time, as the runtime opens one (what
        ``sweep_overdue`` uses)."""
        return open_unit(
            self.pool, clock=self.clock, city=self.city, person_ref_key=KEY, issuer=self.issuer
        )

    async def run(self, step: Callable[[Unit], Awaitable[object]]) -> list[EventData]:
        """Run one saga step in its own unit, its events written to the outbox as the
        consumer would; the events it emitted."""
        async with self.unit() as unit:
            await step(unit)
            # The unit writes (and forgets) its pending events as it commits.
            emitted = [pending.data for pending in unit.pending]
        return emitted

    async def within(self, use_case: Callable[[Unit], Awaitable[R]]) -> R:
        """Run one use case in its own unit; its answer."""
        async with self.unit() as unit:
            return await use_case(unit)

    async def outbox(self, model: type[E]) -> list[E]:
        """The payloads of ``model`` this city wrote to its outbox, oldest first."""
        spec = REGISTRY.spec_for_model(model)
        rows = await self.pool.fetch("SELECT value FROM outbox ORDER BY id")
        found = []
        for row in rows:
            envelope = json.loads(row["value"])
            if envelope["type"] == spec.type:
                found.append(model.model_validate(envelope["data"]))
        return found

    async def last(self, model: type[E]) -> E:
        """The latest payload of ``model`` in this city's outbox."""
        events = await self.outbox(model)
        assert events, f"{self.city} wrote no {model.__name__}"
        return events[-1]

    async def open_account(self, resident: str, kind: str = "flexible") -> StoredAccount:
        """Open an account for ``resident`` here."""
        command = usecases.OpenAccount(resident, "测试人", kind)  # type: ignore[arg-type]
        opened = await self.within(lambda unit: usecases.open_account(command, unit))
        return opened.stored

    async def deposit(self, account_id: str, month: str, amount_fen: int = 50_000) -> None:
        """Record a deposit here (and its report in the outbox)."""
        command = usecases.RecordDeposit(account_id, month, amount_fen)
        await self.within(lambda unit: usecases.record_deposit(command, unit, self.book))

    async def request_transfer(self, resident: str, from_city: str) -> str:
        """Request a transfer of ``resident``'s account from ``from_city``; its id."""
        command = usecases.RequestTransfer(resident, "测试人", from_city)
        stored = await self.within(lambda unit: usecases.request_transfer(command, unit, self.book))
        return stored.transfer.transfer_id

    async def account(self, account_id: str) -> StoredAccount:
        """An account here, as the clerks' API reads it."""
        return await self.within(lambda unit: usecases.get_account(account_id, unit))

    async def transfer(self, transfer_id: str) -> StoredTransfer:
        """A transfer here, as the clerks' API reads it."""
        return await self.within(lambda unit: usecases.get_transfer(transfer_id, unit))

    async def balance(self, account_id: str) -> int:
        """The balance of an account here."""
        value = await self.pool.fetchval(
            "SELECT balance_fen FROM account WHERE account_id = $1", account_id
        )
        assert isinstance(value, int)
        return value


# The inter-city person_ref key both cities share.
KEY = PersonRefKey.from_hex(secrets.token_hex(32))


def resident(serial: int, region: str = "500101") -> str:
    """A synthetic, valid resident ID number (nobody real)."""
    return synthesize_resident_id(region, datetime(1980, 1, 1).date(), serial, "female")


async def city_on(postgres: LocalPostgres, city: City) -> SagaCity:
    """A city with a fresh, migrated database, its clock at ``NOW``."""
    name = f"saga_{city}_{secrets.token_hex(5)}"
    await postgres.ensure_database(name)
    pool = await migrated_pool(postgres.dsn(name))
    clock = FixedClock(NOW)
    return SagaCity(city, pool, clock, test_issuer(city, clock))


async def two_cities(postgres: LocalPostgres) -> AsyncIterator[tuple[SagaCity, SagaCity]]:
    """Chongqing and Chengdu, each with its own database; pools closed after."""
    cq, cd = await city_on(postgres, "cq"), await city_on(postgres, "cd")
    try:
        yield cq, cd
    finally:
        await cq.pool.close()
        await cd.pool.close()
