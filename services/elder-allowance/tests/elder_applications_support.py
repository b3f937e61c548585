"""Helpers of the applications and assessments tests: a fake of the allowance area's
``grant_on_application`` the tests control, both cities on the kit's bus harness with the
elder-allowance handlers, and synthetic applicants.

The allowance area's real ``grant_on_application`` is written by another helper; until it
lands, the tests replace it with :class:`FakeGrants` (one test keeps using the real one,
skipped while it is still the stub)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import TypeVar

import pytest

import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
from chengyu_contracts.cities import City
from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.person_ref import PersonRefKey, person_ref
from chengyu_contracts.registry import REGISTRY, EventData
from chengyu_contracts.resident_id import synthesize_resident_id
from chengyu_contracts.signing import SigningKey
from chengyu_elder_allowance.allowance import flow as allowance_flow
from chengyu_elder_allowance.allowance.flow import ApplicationGrant
from chengyu_elder_allowance.applications import usecases as applications
from chengyu_elder_allowance.applications.application import Application
from chengyu_elder_allowance.assessments import usecases as assessments
from chengyu_elder_allowance.handlers import elder_handlers
from chengyu_elder_allowance.policy import PolicyBook, default_policy_book
from chengyu_elder_allowance.service import SERVICE as ELDER
from chengyu_kit.clock import FixedClock
from chengyu_kit.dead_letter import ReceivedRecord
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.testing import bus
from chengyu_kit.unit import Unit

E = TypeVar("E", bound=EventData)

#: Thursday 15 October 2026, noon in China.
TODAY = date(2026, 10, 15)
NOW = datetime(2026, 10, 15, 4, 0, tzinfo=UTC)
KEY = PersonRefKey.from_hex(secrets.token_hex(32))
SIGNING = {city: SigningKey.generate(f"{city}-ca-test", f"/{city}/ca") for city in ("cq", "cd")}
SERVICE = replace(bus.BusService.of(ELDER), signing=SIGNING, person_ref_key=KEY)


def elder(serial: int, born: date = date(1940, 5, 20), region: str = "500103") -> str:
    """A synthetic, valid ID number (nobody real), by default of a person of 86."""
    return synthesize_resident_id(region, born, serial, "female" if serial % 2 else "male")


def ref(id_number: str) -> str:
    """The ``person_ref`` both cities derive for ``id_number``."""
    return person_ref(id_number, KEY)


@dataclass
class FakeGrants:
    """Stands in for ``allowance.flow.grant_on_application``: grants unless told to refuse
    a person with a code; remembers every call."""

    refusals: dict[str, str] = field(default_factory=dict)  # person_ref -> refusal code
    calls: list[tuple[City, str, str]] = field(default_factory=list)

    async def __call__(
        self, unit: Unit, person_ref: str, application_id: str, book: PolicyBook
    ) -> ApplicationGrant:
        self.calls.append((unit.city, person_ref, application_id))
        code = self.refusals.get(person_ref)
        if code is not None:
            raise DomainError(code, f"Refused by the fake allowance area ({code}).")
        return ApplicationGrant(already_granted=False, first_month="2026-11")


def install_fake_grants(monkeypatch: pytest.MonkeyPatch) -> FakeGrants:
    """A fake grant, in place of the allowance area's for the test."""
    fake = FakeGrants()
    monkeypatch.setattr(allowance_flow, "grant_on_application", fake)
    return fake


@dataclass(kw_only=True)
class ElderCity(bus.BusCity):
    """One city's elder-allowance service without Kafka, with its policy book."""

    book: PolicyBook

    def set_day(self, day: date) -> None:
        """Move this city's clock to noon in China on ``day``."""
        noon = datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC)
        self.clock.advance(noon - self.clock.now())

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
        command = applications_command(id_number, assessed_on, fields)
        async with self.unit() as unit:
            made = await assessments.record_assessment(command, unit, self.book)
        return made.assessment_id

    async def assessments(self, person: str) -> assessments.PersonAssessments:
        """A person's assessments known here."""
        async with self.unit() as unit:
            return await assessments.assessments_of_person(person, unit)

    async def table(self, name: str) -> list[tuple[object, ...]]:
        """Every row of one of the service's tables, sorted, as tuples."""
        rows = await self.pool.fetch(f"SELECT * FROM {name}")
        return sorted((tuple(r.values()) for r in rows), key=repr)


def applications_command(
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


Bus = bus.Bus[ElderCity]


def payloads(records: Sequence[ReceivedRecord], model: type[E]) -> list[E]:
    """The payloads of ``model`` among ``records``, in order."""
    return bus.payloads(REGISTRY, records, model)


async def two_cities(
    postgres: LocalPostgres, *, book: PolicyBook | None = None
) -> AsyncIterator[tuple[ElderCity, ElderCity, Bus]]:
    """Chongqing, Chengdu and the bus between them, clocks at ``NOW``; closed after."""
    book = book or default_policy_book()

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
