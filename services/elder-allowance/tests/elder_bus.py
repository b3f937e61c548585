"""Both cities' elder-allowance services on real PostgreSQL and the kit's hand-kept log
(:mod:`chengyu_kit.testing.bus`), with each area's actions of a clerk (or a job) on a city
through the use cases; the one person_ref key both cities derive with, and synthetic
residents (``synthesize_resident_id``: nobody real).

Each area's tests start the cities on their own day: ``two_cities(postgres, now=NOW)``."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import asyncpg

import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
from chengyu_contracts.cities import City
from chengyu_contracts.months import Month
from chengyu_contracts.person_ref import PersonRefKey, person_ref
from chengyu_contracts.registry import REGISTRY, EventData
from chengyu_contracts.resident_id import Sex, synthesize_resident_id
from chengyu_elder_allowance.allowance import flow as allowance_flow
from chengyu_elder_allowance.allowance import run as allowance_run
from chengyu_elder_allowance.allowance import usecases as allowance
from chengyu_elder_allowance.applications import usecases as applications
from chengyu_elder_allowance.applications.application import Application
from chengyu_elder_allowance.assessments import usecases as assessments
from chengyu_elder_allowance.handlers import elder_handlers
from chengyu_elder_allowance.institutions import usecases as institutions
from chengyu_elder_allowance.institutions.institution import Institution
from chengyu_elder_allowance.institutions.query import MapPage, parse_query
from chengyu_elder_allowance.policy import PolicyBook, default_policy_book
from chengyu_elder_allowance.register import store as register_store
from chengyu_elder_allowance.register import usecases as register
from chengyu_elder_allowance.register.households import Registration
from chengyu_elder_allowance.register.rows import ImportRow
from chengyu_elder_allowance.service import SERVICE as ELDER
from chengyu_kit.clock import FixedClock
from chengyu_kit.dead_letter import ReceivedRecord
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.testing import bus

E = TypeVar("E", bound=EventData)

#: The inter-city person_ref key of the tests (hex, as the settings take it).
KEY_HEX = secrets.token_hex(32)
KEY = PersonRefKey.from_hex(KEY_HEX)
SERVICE = replace(bus.BusService.of(ELDER), person_ref_key=KEY)
#: A district of each city.
DISTRICT: dict[City, str] = {"cq": "500103", "cd": "510104"}
#: The register's tables, and the outbox.
REGISTER_TABLES = (
    "elder",
    "assistance_period",
    "household",
    "household_version",
    "duplicate_flag",
    "outbox",
)


def noon(day: date) -> datetime:
    """Noon in China on ``day``."""
    return datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC)


def resident(
    serial: int, born: date = date(1940, 5, 1), sex: Sex = "male", region: str = "500103"
) -> str:
    """A synthetic, valid resident ID number (nobody real), by default of a man of 86 in
    October 2026."""
    return synthesize_resident_id(region, born, serial, sex)


def ref(id_number: str) -> str:
    """The ``person_ref`` both cities derive for ``id_number``."""
    return person_ref(id_number, KEY)


def row(line: int = 2, **fields: Any) -> dict[str, Any]:
    """A good Chongqing register row as the API takes it; ``fields`` replace its values."""
    values: dict[str, Any] = {
        "line": line,
        "id_number": resident(line),
        "name": "王大爷",
        "district": "500103",
        "assistance": "none",
        "assistance_since": None,
        "bank_account_token": f"tok-{line:06d}",
        "phone": "13800138000",
    }
    values.update(fields)
    return values


async def register_state(pool: asyncpg.Pool) -> str:
    """Every row of the register's tables and the outbox, as text."""
    parts: list[str] = []
    for table in REGISTER_TABLES:
        rows = await pool.fetch(f"SELECT t::text AS row FROM {table} t ORDER BY 1")
        parts.extend(f"{table}: {r['row']}" for r in rows)
    return "\n".join(parts)


def payloads(records: Sequence[ReceivedRecord], model: type[E]) -> list[E]:
    """The payloads of ``model`` among ``records``, in order."""
    return bus.payloads(REGISTRY, records, model)


def assessment_command(
    id_number: str, assessed_on: date, fields: dict[str, int | bool]
) -> assessments.RecordAssessment:
    """An assessment command of routine reason with ``fields``."""
    return assessments.RecordAssessment(
        id_number=id_number,
        assessed_on=assessed_on.isoformat(),
        reason="routine",
        self_care=int(fields["self_care"]),
        basic_mobility=int(fields["basic_mobility"]),
        mental_state=int(fields["mental_state"]),
        perception_and_social=int(fields["perception_and_social"]),
        coma=bool(fields.get("coma", False)),
        dementia_or_mental_disorder=bool(fields.get("dementia_or_mental_disorder", False)),
        care_risk_events_30d=int(fields.get("care_risk_events_30d", 0)),
    )


@dataclass(kw_only=True)
class ElderCity(bus.BusCity):
    """One city's elder-allowance service without Kafka, with its policy book."""

    book: PolicyBook

    def set_day(self, day: date) -> None:
        """Move this city's clock to noon in China on ``day``."""
        self.clock.advance(noon(day) - self.clock.now())

    # The service's tables, as the tests compare them.

    async def state(self) -> str:
        """Every row of the register's tables and the outbox, as text."""
        return await register_state(self.pool)

    async def table(self, name: str) -> list[tuple[object, ...]]:
        """Every row of one of the service's tables, sorted, as tuples."""
        rows = await self.pool.fetch(f"SELECT * FROM {name}")
        return sorted((tuple(r.values()) for r in rows), key=repr)

    async def count(self, table: str) -> int:
        """Rows of one of the service's tables."""
        return int(await self.pool.fetchval(f"SELECT count(*) FROM {table}"))

    async def outbox_types(self) -> list[str]:
        """The CloudEvents types in this city's outbox, in order."""
        rows = await self.pool.fetch("SELECT value FROM outbox ORDER BY id")
        return [str(json.loads(bytes(row["value"]))["type"]) for row in rows]

    # The register.

    async def register(self, id_number: str, **fields: Any) -> register.ImportReport:
        """Import one row of this city's register for ``id_number``."""
        values = row(2, id_number=id_number, district=DISTRICT[self.city]) | fields
        async with self.unit() as unit:
            return await register.import_rows([ImportRow(**values)], unit, self.book)

    async def move_out(self, person_ref: str, month: str) -> None:
        """Record here the household's move to the other city."""
        to: City = "cd" if self.city == "cq" else "cq"
        async with self.unit() as unit:
            await register.move_out(person_ref, to, month, unit, self.book)

    async def withdraw(self, person_ref: str) -> None:
        """Withdraw this city's registration (made in error)."""
        async with self.unit() as unit:
            await register.withdraw(person_ref, "registered in error", unit, self.book)

    async def registrations(self, person_ref: str) -> dict[City, Registration]:
        """Both cities' registrations of the person as this city knows them."""
        async with self.unit() as unit:
            return await register_store.registrations_of(unit.conn, person_ref)

    async def flag(self, person_ref: str) -> register_store.DuplicateFlag | None:
        """The person's duplicate flag here."""
        async with self.unit() as unit:
            return await register_store.duplicate_flag(unit.conn, person_ref)

    # The allowance.

    async def run(self, month: str, **options: int) -> allowance_run.RunSummary | None:
        """Run (or continue) the payment run of ``month`` (on the 10th of that month)."""
        m = Month.parse(month)
        if self.clock.now() < noon(date(m.year, m.month, 10)):
            self.set_day(date(m.year, m.month, 10))
        return await allowance_run.run_month(self.unit, m, self.book, **options)

    async def runs(self, first: str, last: str) -> None:
        """Run every month from ``first`` through ``last``."""
        month = Month.parse(first)
        while month <= Month.parse(last):
            await self.run(str(month))
            month = month.next()

    async def registration_changed(self, ref: str) -> None:
        """What the register calls after a change of ``ref``'s registrations."""
        async with self.unit() as unit:
            await allowance_flow.registration_changed(unit, ref, self.book)

    async def verify(self, id_text: str, verified_on: date) -> allowance.RecordedVerification:
        """Record a verification here (the clerk's route)."""
        async with self.unit() as unit:
            return await allowance.record_verification(
                unit, id_text, verified_on.isoformat(), self.book
            )

    async def allowance(self, ref: str) -> allowance.AllowanceView:
        """The person's allowance as this city knows it."""
        async with self.unit() as unit:
            return await allowance.allowance_of(unit, ref)

    # Applications and assessments.

    async def apply(self, id_number: str, household_city: str) -> Application:
        """Accept an application here."""
        command = applications.SubmitApplication(id_number, household_city)
        async with self.unit() as unit:
            return await applications.submit_application(command, unit, self.book)

    async def decide(
        self, application_id: str, outcome: str, reason: str | None = None
    ) -> Application:
        """A clerk here decides an application."""
        command = applications.DecideApplication(application_id, outcome, reason)
        async with self.unit() as unit:
            return await applications.decide_application(command, unit, self.book)

    async def application(self, application_id: str) -> Application:
        """An application as this city knows it."""
        async with self.unit() as unit:
            return await applications.get_application(application_id, unit)

    async def sweep(self) -> int:
        """Run the overdue sweep once, on this city's clock."""
        return await applications.sweep_overdue(self)

    async def assess(self, id_number: str, assessed_on: date, **scores: int | bool) -> str:
        """Record an assessment here; its id."""
        fields: dict[str, int | bool] = {
            "self_care": 20,
            "basic_mobility": 10,
            "mental_state": 20,
            "perception_and_social": 10,
            **scores,
        }
        command = assessment_command(id_number, assessed_on, fields)
        async with self.unit() as unit:
            made = await assessments.record_assessment(command, unit, self.book)
        return made.assessment_id

    async def assessments(self, person: str) -> assessments.PersonAssessments:
        """A person's assessments known here."""
        async with self.unit() as unit:
            return await assessments.assessments_of_person(person, unit)

    # The institution map.

    async def publish(self, institution_id: str, body: dict[str, Any]) -> institutions.Published:
        """Save (and publish) one of this city's institutions."""
        command = institutions.PublishInstitution(institution_id=institution_id, **body)
        async with self.unit() as unit:
            return await institutions.publish_institution(command, unit)

    async def query(self, **parameters: str) -> MapPage:
        """The map query as this city answers it."""
        async with self.unit() as unit:
            return await institutions.map_page(parse_query(parameters), unit)

    async def institution(self, institution_id: str) -> Institution:
        """An institution as this city knows it."""
        async with self.unit() as unit:
            return await institutions.institution(institution_id, unit)


Bus = bus.Bus[ElderCity]


async def city_on(
    postgres: LocalPostgres, city: City, *, now: datetime, book: PolicyBook | None = None
) -> ElderCity:
    """A city with a fresh, migrated database and ``book`` (the default one unless
    given), its own clock at ``now``."""
    book = book or default_policy_book()
    return await bus.open_city(
        postgres,
        SERVICE,
        city,
        handlers=elder_handlers(book),
        clock=FixedClock(now),
        make=ElderCity,
        book=book,
    )


async def two_cities(
    postgres: LocalPostgres, *, now: datetime, book: PolicyBook | None = None
) -> AsyncIterator[tuple[ElderCity, ElderCity, Bus]]:
    """Chongqing, Chengdu and the bus between them, each city's clock at ``now``; closed
    after."""

    book = book or default_policy_book()

    async def open_one(city: City) -> ElderCity:
        return await city_on(postgres, city, now=now, book=book)

    async for trio in bus.two_cities(open_one):
        yield trio
