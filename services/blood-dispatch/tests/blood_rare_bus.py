"""Both cities' blood-dispatch services on real PostgreSQL and the kit's hand-kept log
(:mod:`chengyu_kit.testing.bus`), with the rare-blood registry's actions of a clerk on a
city through the use cases; the one person_ref key both cities derive with, and synthetic
donors (``synthesize_resident_id``: nobody real)."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
from chengyu_blood_dispatch.handlers import blood_handlers
from chengyu_blood_dispatch.policy import PolicyBook, default_policy_book
from chengyu_blood_dispatch.rare_donors import DonorMatch
from chengyu_blood_dispatch.rare_registry import usecases as rare
from chengyu_blood_dispatch.rare_registry.store import StoredRecall
from chengyu_blood_dispatch.service import SERVICE as BLOOD
from chengyu_contracts.cities import City
from chengyu_contracts.person_ref import PersonRefKey, person_ref
from chengyu_contracts.registry import REGISTRY, EventData
from chengyu_contracts.resident_id import Sex, synthesize_resident_id
from chengyu_kit.clock import FixedClock
from chengyu_kit.dead_letter import ReceivedRecord
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.testing import bus

E = TypeVar("E", bound=EventData)

#: The inter-city person_ref key of the tests (hex, as the settings take it).
KEY_HEX = secrets.token_hex(32)
KEY = PersonRefKey.from_hex(KEY_HEX)
SERVICE = replace(bus.BusService.of(BLOOD), person_ref_key=KEY)
#: A day of the tests and noon in China on it.
TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
#: The registry's tables, and the outbox.
TABLES = ("rare_donor", "donor_seen", "rare_recall", "outbox")
REGION: dict[City, str] = {"cq": "500103", "cd": "510104"}


def resident(serial: int, city: City = "cq", sex: Sex = "female") -> str:
    """A synthetic, valid resident ID number (nobody real) of a donor born in 1990."""
    return synthesize_resident_id(REGION[city], date(1990, 6, 1), serial, sex)


def ref(id_number: str) -> str:
    """The donor reference both cities derive for ``id_number``."""
    return person_ref(id_number, KEY)


def donor_fields(id_number: str, **fields: Any) -> dict[str, Any]:
    """A good registration of an O RhD-negative Jk(a-b-) donor; ``fields`` replace values."""
    values: dict[str, Any] = {
        "id_number": id_number,
        "name": "李秀英",
        "phone": "13912345678",
        "abo": "O",
        "rhd": "neg",
        "phenotypes": ["Jk(a-b-)"],
        "consent_given": True,
        "last_donation_on": None,
        "last_donation_kind": "whole-blood",
    }
    values.update(fields)
    return values


def payloads(records: Sequence[ReceivedRecord], model: type[E]) -> list[E]:
    """The payloads of ``model`` among ``records``, in order."""
    return bus.payloads(REGISTRY, records, model)


@dataclass(kw_only=True)
class RareCity(bus.BusCity):
    """One city's blood-dispatch service without Kafka, with the registry's actions."""

    book: PolicyBook

    async def table(self, name: str) -> list[tuple[object, ...]]:
        """Every row of one of the service's tables, sorted, as tuples."""
        rows = await self.pool.fetch(f"SELECT * FROM {name}")
        return sorted((tuple(r.values()) for r in rows), key=repr)

    async def tables(self) -> list[list[tuple[object, ...]]]:
        """Every row of the registry's tables (not the outbox)."""
        return [await self.table(t) for t in TABLES[:-1]]

    async def outbox_payloads(self) -> list[dict[str, Any]]:
        """The data of every event in this city's outbox, in order."""
        rows = await self.pool.fetch("SELECT value FROM outbox ORDER BY id")
        return [json.loads(bytes(row["value"]))["data"] for row in rows]

    async def register(self, id_number: str, **fields: Any) -> rare.Registered:
        """A clerk here registers (or restates) a donor."""
        values = donor_fields(id_number, **fields)
        values["phenotypes"] = tuple(values["phenotypes"])
        async with self.unit() as unit:
            return await rare.register(rare.RegisterDonor(**values), unit, self.book)

    async def withdraw(self, donor_ref: str) -> rare.Registered:
        """A clerk here records the donor's withdrawal of consent."""
        async with self.unit() as unit:
            return await rare.withdraw(donor_ref, unit, self.book)

    async def donate(self, donor_ref: str, on: date, kind: str = "whole-blood") -> None:
        """A clerk here records a donation."""
        async with self.unit() as unit:
            await rare.donate(rare.RecordDonation(donor_ref, on.isoformat(), kind), unit, self.book)

    async def search(self, phenotype: str, **options: str) -> list[DonorMatch]:
        """A clerk here searches both registries."""
        async with self.unit() as unit:
            return await rare.search_donors(rare.DonorSearch(phenotype, **options), unit, self.book)

    async def request(self, donor_ref: str, needed_by: date) -> StoredRecall:
        """A clerk here asks for a recall."""
        command = rare.RequestRecall(donor_ref, "urgent", needed_by.isoformat())
        async with self.unit() as unit:
            return await rare.request(command, unit)

    async def answer(self, recall_id: str, answer: str) -> StoredRecall:
        """A clerk here answers a recall of this city's donor."""
        async with self.unit() as unit:
            return await rare.answer(rare.AnswerRecall(recall_id, answer), unit)

    async def recalls(self, state: str | None = None) -> list[StoredRecall]:
        """The recalls known here."""
        async with self.unit() as unit:
            return await rare.recalls(state, unit)


Bus = bus.Bus[RareCity]


async def two_cities(
    postgres: LocalPostgres, *, now: datetime = NOW, book: PolicyBook | None = None
) -> AsyncIterator[tuple[RareCity, RareCity, Bus]]:
    """Chongqing, Chengdu and the bus between them, each city's clock at ``now``; closed
    after."""
    book = book or default_policy_book()

    async def open_one(city: City) -> RareCity:
        made = await bus.open_city(
            postgres,
            SERVICE,
            city,
            handlers=blood_handlers(book),
            clock=FixedClock(now),
            make=RareCity,
            book=book,
        )
        return made

    async for trio in bus.two_cities(open_one):
        yield trio
