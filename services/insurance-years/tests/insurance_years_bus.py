"""Both cities on real PostgreSQL and a log kept by hand: the flow tests' bus.

The kit's two-city harness (:mod:`chengyu_kit.testing.bus`: each city's database, clock,
issuer and real :class:`~chengyu_kit.inbox.Inbox`, only Kafka replaced by a list) with
insurance-years' handlers and policy book, and a clerk's actions on each city through the
use cases.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import TypeVar

import asyncpg

import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
from chengyu_contracts.cities import City
from chengyu_contracts.person_ref import PersonRefKey, person_ref
from chengyu_contracts.registry import REGISTRY, EventData
from chengyu_contracts.resident_id import synthesize_resident_id
from chengyu_contracts.signing import SigningKey
from chengyu_insurance_years import usecases
from chengyu_insurance_years.care_store import StoredAssessment
from chengyu_insurance_years.handlers import insurance_handlers
from chengyu_insurance_years.periods import ContributionPeriod
from chengyu_insurance_years.policy import PolicyBook, default_policy_book
from chengyu_insurance_years.retirement_store import Claim
from chengyu_insurance_years.service import SERVICE as INSURANCE
from chengyu_insurance_years.store import ReceivedVersion
from chengyu_kit.clock import FixedClock
from chengyu_kit.dead_letter import ReceivedRecord
from chengyu_kit.issuer import EventIssuer
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.testing import bus

E = TypeVar("E", bound=EventData)

TODAY = date(2026, 10, 15)
# Noon in China on TODAY.
NOW = datetime(2026, 10, 15, 4, 0, tzinfo=UTC)
RETIREMENT_DAY = "2026-10-01"
# The inter-city person_ref key both cities share.
KEY = PersonRefKey.from_hex(secrets.token_hex(32))
SIGNING = {city: SigningKey.generate(f"{city}-mi-test", f"/{city}/mi") for city in ("cq", "cd")}
SERVICE = replace(bus.BusService.of(INSURANCE), signing=SIGNING, person_ref_key=KEY)


def resident(serial: int, sex: str = "male", region: str = "500101") -> str:
    """A synthetic, valid resident ID number born 1965-03-01 (nobody real)."""
    return synthesize_resident_id(region, date(1965, 3, 1), serial, sex)  # type: ignore[arg-type]


# A person nobody records anything for in the HTTP tests.
BETTY_ID = resident(499, "female")


def ref(resident_id: str) -> str:
    """The ``person_ref`` both cities derive for ``resident_id``."""
    return person_ref(resident_id, KEY)


def issuer_of(city: City, clock: FixedClock) -> EventIssuer:
    """The signing issuer of ``city``'s medical-insurance bureau."""
    return SERVICE.issuer(city, clock)


async def migrated_pool(database_url: str) -> asyncpg.Pool:
    """A pool on ``database_url`` with the kit's and the service's tables."""
    return await bus.migrated_pool(database_url, SERVICE.migrations)


@dataclass(kw_only=True)
class MedCity(bus.BusCity):
    """One city's service without Kafka (the kit's bus city) with its policy book."""

    book: PolicyBook

    def set_day(self, day: date) -> None:
        """Move this city's clock to noon in China on ``day``."""
        noon = datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC)
        self.clock.advance(noon - self.clock.now())

    # ---- a clerk's actions, through the use cases ------------------------------------------

    async def record(
        self, resident_id: str, start: str, end: str, kind: str = "actual"
    ) -> ContributionPeriod:
        """Record a period here; the version recorded."""
        command = usecases.RecordPeriod(resident_id, start, end, kind)
        async with self.unit() as unit:
            result = await usecases.record_period(command, unit, self.book)
        return result.period

    async def correct(
        self, period_id: str, start: str, end: str, kind: str = "actual"
    ) -> usecases.ContributionPeriodResult:
        """Correct a period recorded here."""
        command = usecases.CorrectPeriod(period_id, start, end, kind)
        async with self.unit() as unit:
            return await usecases.correct_period(command, unit, self.book)

    async def cancel(self, period_id: str) -> usecases.ContributionPeriodResult:
        """Cancel a period recorded here."""
        async with self.unit() as unit:
            return await usecases.cancel_period(usecases.CancelPeriod(period_id), unit, self.book)

    async def request_retirement(
        self, resident_id: str, chosen: str, retirement_date: str = RETIREMENT_DAY
    ) -> str:
        """Ask here that ``chosen`` become the retirement city; the request id."""
        command = usecases.RequestRetirementCity(resident_id, retirement_date, chosen)
        async with self.unit() as unit:
            claim = await usecases.request_retirement_city(command, unit, self.book)
        return claim.request_id

    async def claim(self, request_id: str) -> Claim:
        """A retirement-city request as this city knows it."""
        async with self.unit() as unit:
            return await usecases.get_retirement_request(request_id, unit)

    async def ledger(self, resident_id: str) -> usecases.LedgerReport:
        """The person's ledger here."""
        async with self.unit() as unit:
            return await usecases.ledger_of(ref(resident_id), unit, self.book)

    async def assess(
        self, resident_id: str, level: str, concluded_on: date, valid_until: date
    ) -> str:
        """Record an assessment concluded here; its id."""
        command = usecases.RecordAssessment(
            resident_id=resident_id,
            level=level,
            scale_version="nhsa-ltc-2021",
            concluded_on=concluded_on.isoformat(),
            valid_until=valid_until.isoformat(),
        )
        async with self.unit() as unit:
            assessment = await usecases.record_assessment(command, unit)
        return assessment.assessment_id

    async def history(self, period_id: str) -> list[ReceivedVersion]:
        """Every version of a period this city received."""
        async with self.unit() as unit:
            return await usecases.get_period_history(period_id, unit)

    async def assessment(self, assessment_id: str) -> StoredAssessment:
        """An assessment as this city knows it, with the recognition decision."""
        async with self.unit() as unit:
            return await usecases.get_assessment(assessment_id, unit)

    async def recognitions(self, resident_id: str) -> tuple[str, list[StoredAssessment]]:
        """The person's ref and every assessment of theirs known here."""
        async with self.unit() as unit:
            return await usecases.recognitions_of_resident(resident_id, unit)

    async def count(self, table: str) -> int:
        """Rows of one of the service's tables."""
        value = await self.pool.fetchval(f"SELECT count(*) FROM {table}")
        return int(value)


# The bus between the two cities, as the flow tests name it.
Bus = bus.Bus[MedCity]


def payloads(records: Sequence[ReceivedRecord], model: type[E]) -> list[E]:
    """The payloads of ``model`` among ``records``, in order."""
    return bus.payloads(REGISTRY, records, model)


def of_type(records: Sequence[ReceivedRecord], model: type[EventData]) -> list[ReceivedRecord]:
    """The records among ``records`` that carry a ``model`` event."""
    return bus.of_type(REGISTRY, records, model)


async def city_on(
    postgres: LocalPostgres, city: City, *, book: PolicyBook | None = None
) -> MedCity:
    """A city with a fresh, migrated database, its clock at ``NOW``."""
    book = book or default_policy_book()
    return await bus.open_city(
        postgres,
        SERVICE,
        city,
        handlers=insurance_handlers(book),
        clock=FixedClock(NOW),
        make=MedCity,
        book=book,
    )


async def two_cities(
    postgres: LocalPostgres, *, book: PolicyBook | None = None
) -> AsyncIterator[tuple[MedCity, MedCity, Bus]]:
    """Chongqing, Chengdu and the bus between them; pools closed after."""

    async def open_one(city: City) -> MedCity:
        return await city_on(postgres, city, book=book)

    async for trio in bus.two_cities(open_one):
        yield trio
