"""Both cities on real PostgreSQL and a log kept by hand: the flow tests' bus.

Each city has its own database, clock, issuer and the kit's real :class:`Inbox` with the
service's handlers (signatures verified, inbox table, outbox, dead letters), exactly as
its consumer would run them; only Kafka is replaced by a list. A test moves what a city
wrote to its outbox onto the log (:meth:`Bus.publish`) and hands log records to a city
(:meth:`Bus.deliver`) in any order it likes, so each interleaving of the two cities can be
played on purpose.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TypeVar

import asyncpg

import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
from chengyu_contracts.cities import City
from chengyu_contracts.keys import KeyRegistry
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
from chengyu_insurance_years.service import SERVICE
from chengyu_insurance_years.store import ReceivedVersion
from chengyu_kit.clock import FixedClock
from chengyu_kit.crypto_pool import ThreadCryptoPool
from chengyu_kit.db import create_pool
from chengyu_kit.dead_letter import REASON, ReceivedRecord
from chengyu_kit.inbox import BatchOutcome, Inbox
from chengyu_kit.issuer import EventIssuer
from chengyu_kit.metrics import KitMetrics
from chengyu_kit.migrations import apply_migrations, kit_migrations
from chengyu_kit.unit import Unit, open_unit
from chengyu_ops.postgres import LocalPostgres

E = TypeVar("E", bound=EventData)

TODAY = date(2026, 10, 15)
# Noon in China on TODAY.
NOW = datetime(2026, 10, 15, 4, 0, tzinfo=UTC)
RETIREMENT_DAY = "2026-10-01"
# The inter-city person_ref key both cities share.
KEY = PersonRefKey.from_hex(secrets.token_hex(32))
SIGNING = {city: SigningKey.generate(f"{city}-mi-test", f"/{city}/mi") for city in ("cq", "cd")}
KEYS = KeyRegistry([key.public_entry() for key in SIGNING.values()])


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
    return EventIssuer(
        source=f"/{city}/mi/insurance-years",
        signing_key=SIGNING[city],
        registry=REGISTRY,
        clock=clock,
    )


async def migrated_pool(database_url: str) -> asyncpg.Pool:
    """A pool on ``database_url`` with the kit's and the service's tables."""
    pool = await create_pool(database_url)
    await apply_migrations(pool, [*kit_migrations(), *SERVICE.migrations()])
    return pool


@dataclass
class MedCity:
    """One city's service without Kafka: its database, clock, issuer, policy and inbox."""

    city: City
    pool: asyncpg.Pool
    clock: FixedClock
    book: PolicyBook
    issuer: EventIssuer = field(init=False)
    inbox: Inbox = field(init=False)
    crypto: ThreadCryptoPool = field(init=False)

    def __post_init__(self) -> None:
        self.issuer = issuer_of(self.city, self.clock)
        self.crypto = ThreadCryptoPool(REGISTRY, KEYS, self.issuer)
        self.inbox = Inbox(
            consumer=f"insurance-years.{self.city}",
            pool=self.pool,
            handlers=insurance_handlers(self.book).by_type(REGISTRY),
            metrics=KitMetrics(),
            crypto=self.crypto,
            city=self.city,
            person_ref_key=KEY,
            issuer=self.issuer,
            clock=self.clock,
        )

    def set_day(self, day: date) -> None:
        """Move this city's clock to noon in China on ``day``."""
        noon = datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC)
        self.clock.advance(noon - self.clock.now())

    def unit(self) -> contextlib.AbstractAsyncContextManager[Unit]:
        """A unit of work of this city, as a route gets one: commits (with its events) when
        the block ends, writes nothing when it raises."""
        return open_unit(
            self.pool, clock=self.clock, city=self.city, person_ref_key=KEY, issuer=self.issuer
        )

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


@dataclass
class Bus:
    """The log both cities read, in publication order; dead letters kept apart."""

    cities: dict[str, MedCity]
    log: list[ReceivedRecord] = field(default_factory=list)
    dead: list[ReceivedRecord] = field(default_factory=list)
    read: dict[str, int] = field(default_factory=dict)

    async def publish(self, city: MedCity) -> list[ReceivedRecord]:
        """Move ``city``'s unpublished outbox rows onto the log (as its relay would); the
        records appended."""
        rows = await city.pool.fetch(
            "UPDATE outbox SET published_at = clock_timestamp() WHERE published_at IS NULL"
            " RETURNING id, topic, key, value, header_names, header_values"
        )
        added: list[ReceivedRecord] = []
        for row in sorted(rows, key=lambda r: r["id"]):
            record = ReceivedRecord(
                topic=row["topic"],
                partition=0,
                offset=len(self.log) + len(self.dead) + len(added),
                key=row["key"],
                value=row["value"],
                headers=tuple(zip(row["header_names"], row["header_values"], strict=True)),
            )
            if record.topic.endswith(".dlq"):
                self.dead.append(record)
            else:
                added.append(record)
        self.log.extend(added)
        return added

    async def deliver(
        self, city: MedCity, records: Sequence[ReceivedRecord] | None = None
    ) -> BatchOutcome:
        """Apply ``records`` in ``city`` as one batch (default: every log record it has not
        read yet, in log order)."""
        if records is None:
            start = self.read.get(city.city, 0)
            records = self.log[start:]
            self.read[city.city] = len(self.log)
        return await city.inbox.process(list(records))

    async def settle(self) -> None:
        """Publish and deliver in log order until nothing new happens."""
        while True:
            for city in self.cities.values():
                await self.publish(city)
            pending = [c for c in self.cities.values() if self.read.get(c.city, 0) < len(self.log)]
            if not pending:
                return
            for city in pending:
                await self.deliver(city)

    def dead_reasons(self) -> list[str]:
        """The reason header of every dead letter."""
        return [(record.header(REASON) or b"").decode() for record in self.dead]


def payloads(records: Sequence[ReceivedRecord], model: type[E]) -> list[E]:
    """The payloads of ``model`` among ``records``, in order."""
    spec = REGISTRY.spec_for_model(model)
    found: list[E] = []
    for record in records:
        assert record.value is not None
        envelope = json.loads(record.value)
        if envelope["type"] == spec.type:
            found.append(model.model_validate(envelope["data"]))
    return found


def of_type(records: Sequence[ReceivedRecord], model: type[EventData]) -> list[ReceivedRecord]:
    """The records among ``records`` that carry a ``model`` event."""
    spec = REGISTRY.spec_for_model(model)
    return [r for r in records if r.value is not None and json.loads(r.value)["type"] == spec.type]


async def city_on(
    postgres: LocalPostgres, city: City, *, book: PolicyBook | None = None
) -> MedCity:
    """A city with a fresh, migrated database, its clock at ``NOW``."""
    name = f"iy_{city}_{secrets.token_hex(5)}"
    await postgres.ensure_database(name)
    pool = await migrated_pool(postgres.dsn(name))
    return MedCity(city, pool, FixedClock(NOW), book or default_policy_book())


async def two_cities(
    postgres: LocalPostgres, *, book: PolicyBook | None = None
) -> AsyncIterator[tuple[MedCity, MedCity, Bus]]:
    """Chongqing, Chengdu and the bus between them; pools closed after."""
    cq, cd = await city_on(postgres, "cq", book=book), await city_on(postgres, "cd", book=book)
    try:
        yield cq, cd, Bus({"cq": cq, "cd": cd})
    finally:
        for city in (cq, cd):
            await city.pool.close()
            city.crypto.close()
