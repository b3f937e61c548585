"""Both cities' job-matching services on real PostgreSQL and the kit's hand-kept log
(:mod:`chengyu_kit.testing.bus`), with the seekers area's actions of a clerk on a city
through the use cases; synthetic seekers (``synthesize_resident_id``: nobody real) and
the personal data no table of the other city, no event and no answer may hold."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
from chengyu_contracts.cities import City
from chengyu_contracts.registry import REGISTRY, EventData
from chengyu_contracts.resident_id import Sex, synthesize_resident_id
from chengyu_job_matching.handlers import hr_handlers
from chengyu_job_matching.policy import PolicyBook, default_policy_book
from chengyu_job_matching.seekers import usecases as seekers
from chengyu_job_matching.seekers.api import ProfileBody, SeekerBody
from chengyu_job_matching.seekers.seeker import Seeker
from chengyu_job_matching.service import SERVICE as JOBS
from chengyu_kit.clock import FixedClock
from chengyu_kit.dead_letter import ReceivedRecord
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.testing import bus

E = TypeVar("E", bound=EventData)

SERVICE = bus.BusService.of(JOBS)
#: A Monday, noon in China.
NOW = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
#: The seekers area's tables (the outbox apart).
TABLES = ("seeker_profile", "seeker_identity", "seeker_withdrawn")
REGION: dict[City, str] = {"cq": "500103", "cd": "510104"}
NAME, PHONE = "王小明", "13912345678"


def resident(serial: int, city: City = "cq", sex: Sex = "male") -> str:
    """A synthetic, valid resident ID number (nobody real) of a person born in 2003."""
    return synthesize_resident_id(REGION[city], date(2003, 9, 1), serial, sex)


def seeker_fields(id_number: str | None, city: City = "cq", **fields: Any) -> dict[str, Any]:
    """A good registration (as ``POST /seekers`` takes it) of a 2025 college graduate of
    ``city`` looking for software work in both cities, consenting; ``fields`` replace
    values; no ``id_number`` key when it is None (the body of ``PUT``)."""
    home = {"cq": "500103", "cd": "510107"}[city]
    values: dict[str, Any] = {
        "name": NAME,
        "phone": PHONE,
        "groups": ["college-graduate"],
        "graduation_year": 2025,
        "occupation_codes": ["2-02-10-03"],
        "skills": ["Python", "SQL"],
        "interests": ["数据库", "后端开发"],
        "education": "bachelor",
        "desired_cities": ["cq", "cd"],
        "desired_districts": [home, "510107" if city == "cq" else "500103"],
        "home_district": home,
        "salary_floor_yuan": 6000,
        "willing_to_move": True,
        "commute_radius_km": 20,
        "consent_other_city": True,
    }
    if id_number is not None:
        values["id_number"] = id_number
    values.update(fields)
    return values


def personal_data_in(payload: object, *secrets: str) -> list[str]:
    """Which of the test's personal data (``secrets`` besides the name and phone) appear
    in ``payload`` as JSON text."""
    text = json.dumps(payload, ensure_ascii=False, default=str)
    return [s for s in (NAME, PHONE, *secrets) if s in text]


def payloads(records: Sequence[ReceivedRecord], model: type[E]) -> list[E]:
    """The payloads of ``model`` among ``records``, in order."""
    return bus.payloads(REGISTRY, records, model)


@dataclass(kw_only=True)
class SeekersCity(bus.BusCity):
    """One city's job-matching service without Kafka, with the seekers area's actions."""

    book: PolicyBook

    async def table(self, name: str) -> list[tuple[object, ...]]:
        """Every row of one of the service's tables, sorted, as tuples."""
        rows = await self.pool.fetch(f"SELECT * FROM {name}")
        return sorted((tuple(r.values()) for r in rows), key=repr)

    async def tables(self) -> list[list[tuple[object, ...]]]:
        """Every row of the seekers area's tables."""
        return [await self.table(t) for t in TABLES]

    async def outbox_payloads(self) -> list[dict[str, Any]]:
        """The data of every event in this city's outbox, in order."""
        rows = await self.pool.fetch("SELECT value FROM outbox ORDER BY id")
        return [json.loads(bytes(row["value"]))["data"] for row in rows]

    async def profile_refs(self, city: City | None = None) -> list[str]:
        """The seeker_refs of ``seeker_profile`` (of ``city`` if given)."""
        rows = await self.pool.fetch(
            "SELECT seeker_ref FROM seeker_profile WHERE $1::text IS NULL OR city = $1"
            " ORDER BY seeker_ref",
            city,
        )
        return [r["seeker_ref"] for r in rows]

    async def register(self, id_number: str, **fields: Any) -> seekers.Written:
        """A clerk here registers a seeker."""
        body = SeekerBody.model_validate(seeker_fields(id_number, self.city, **fields))
        async with self.unit() as unit:
            return await seekers.register(body.command(), unit)

    async def update(self, seeker_ref: str, **fields: Any) -> seekers.Written:
        """A clerk here restates a seeker (the good registration with ``fields``)."""
        body = ProfileBody.model_validate(seeker_fields(None, self.city, **fields))
        command = seekers.UpdateSeeker(
            seeker_ref, body.name, body.phone, body.draft(), body.consent_other_city
        )
        async with self.unit() as unit:
            return await seekers.update(command, unit)

    async def consent(self, seeker_ref: str, given: bool) -> seekers.Written:
        """A clerk here records the seeker's consent given or withdrawn."""
        async with self.unit() as unit:
            return await seekers.set_consent(seekers.SetConsent(seeker_ref, given), unit)

    async def deregister(self, seeker_ref: str) -> seekers.Written:
        """A clerk here deregisters a seeker."""
        async with self.unit() as unit:
            return await seekers.deregister_seeker(seeker_ref, unit)

    async def show(self, seeker_ref: str) -> seekers.SeekerView:
        """A seeker as this city shows it."""
        async with self.unit() as unit:
            return await seekers.seeker(seeker_ref, unit)

    async def listed(self, **query: Any) -> list[Seeker]:
        """The first page of the profiles this city lists."""
        async with self.unit() as unit:
            found, _ = await seekers.seekers(seekers.ListSeekers(**query), unit)
            return found


Bus = bus.Bus[SeekersCity]


async def two_cities(
    postgres: LocalPostgres, *, now: datetime = NOW, book: PolicyBook | None = None
) -> AsyncIterator[tuple[SeekersCity, SeekersCity, Bus]]:
    """Chongqing, Chengdu and the bus between them, each city's clock at ``now``; closed
    after."""
    book = book or default_policy_book()

    async def open_one(city: City) -> SeekersCity:
        made: SeekersCity = await bus.open_city(
            postgres,
            SERVICE,
            city,
            handlers=hr_handlers(book),
            clock=FixedClock(now),
            make=SeekersCity,
            book=book,
        )
        return made

    async for trio in bus.two_cities(open_one):
        yield trio
