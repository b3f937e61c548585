"""The clerks' routes of the register: the import batch, lookups, and the changes of one
person's registration (death, move out, assistance status, withdrawal), and the open
duplicates. ID numbers travel in bodies only, never in paths; answers carry them masked.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from chengyu_contracts.cities import CITIES, City
from chengyu_contracts.districts import DISTRICTS
from chengyu_kit.web import UnitOfWork, reads, service_router

from ..policy import PolicyBook
from . import usecases
from .rows import ImportRow
from .store import DuplicateFlag, HouseholdVersion

#: The most rows one batch may carry (the import command sends 1,000).
MAX_ROWS = 5_000

# Row fields are loose strings: a bad value is a row's rejection, reported by its line,
# not a refusal of the whole batch.
RowText = Annotated[StrictStr, Field(max_length=200)]
DayText = Annotated[StrictStr, Field(max_length=16, description="YYYY-MM-DD")]


class RowBody(BaseModel):
    """One row of the civil-affairs export and its line in the file (header: line 1)."""

    model_config = ConfigDict(extra="forbid")

    line: Annotated[StrictInt, Field(ge=1)]
    id_number: RowText = ""
    name: RowText = ""
    district: RowText = ""
    assistance: RowText = "none"
    assistance_since: RowText | None = None
    bank_account_token: RowText = ""
    phone: RowText = ""


class RowsBody(BaseModel):
    """A batch of register rows."""

    model_config = ConfigDict(extra="forbid")

    rows: Annotated[list[RowBody], Field(max_length=MAX_ROWS)]


class LookupBody(BaseModel):
    """A person, by resident ID number (kept out of URLs and logs)."""

    model_config = ConfigDict(extra="forbid")

    id_number: Annotated[StrictStr, Field(max_length=64)]


class DeathBody(BaseModel):
    """The person's day of death."""

    model_config = ConfigDict(extra="forbid")

    died_on: DayText


class MoveOutBody(BaseModel):
    """The household's move to the other city and the last month registered here."""

    model_config = ConfigDict(extra="forbid")

    to_city: Annotated[StrictStr, Field(max_length=16, description="cq or cd")]
    move_month: Annotated[StrictStr, Field(max_length=16, description="YYYY-MM")]


class AssistanceBody(BaseModel):
    """A 低保 / 特困 status from a day (``none`` ends the current one the day before)."""

    model_config = ConfigDict(extra="forbid")

    status: Annotated[StrictStr, Field(max_length=16, description="none, dibao or tekun")]
    since: DayText


class WithdrawBody(BaseModel):
    """Why the registration was made in error."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[StrictStr, Field(max_length=usecases.REASON_MAX)]


class RejectedRowView(BaseModel):
    """A refused row: its line and the rule it broke."""

    line: int
    error: str
    message: str


class ImportView(BaseModel):
    """What a batch did."""

    received: int
    registered: int
    updated: int
    unchanged: int
    rejected: list[RejectedRowView]


class AssistanceView(BaseModel):
    """A 低保 / 特困 period."""

    status: str
    start_on: date
    end_on: date | None


class RegistrationView(BaseModel):
    """One city's latest registration version of the person known here."""

    version: int
    status: str
    registered_from: str | None
    registered_until: str | None
    moved_to: str | None
    changed_on: date


class DuplicateView(BaseModel):
    """Both registers claim the person from ``first_month`` (flagged here on ``flagged_on``)."""

    first_month: str
    flagged_on: date


class PersonDuplicateView(DuplicateView):
    """An open duplicate flag, with its person."""

    person_ref: str


class DuplicatesView(BaseModel):
    """Every open duplicate flag of this city."""

    items: list[PersonDuplicateView]


class RegisterPersonView(BaseModel):
    """A person of this city's register."""

    person_ref: str
    name: str
    id_number_masked: str
    birth_date: date
    sex: str
    district: str
    district_name: str
    status: str
    died_on: date | None
    assistance: list[AssistanceView]
    registrations: dict[str, RegistrationView | None]
    duplicate: DuplicateView | None


def masked(id_number: str) -> str:
    """An ID number as answers show it: the region and the last four characters."""
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def _registration_view(version: HouseholdVersion | None) -> RegistrationView | None:
    if version is None:
        return None
    r = version.registration
    return RegistrationView(
        version=r.version,
        status=r.status,
        registered_from=None if r.registered_from is None else str(r.registered_from),
        registered_until=None if r.registered_until is None else str(r.registered_until),
        moved_to=version.moved_to,
        changed_on=version.changed_on,
    )


def person_view(view: usecases.RegisterView, city: City) -> RegisterPersonView:
    """The clerk's view of a person of this city's register."""
    elder = view.elder
    own = view.registrations.get(city)
    district = elder.personal.district
    return RegisterPersonView(
        person_ref=elder.person_ref,
        name=elder.personal.name,
        id_number_masked=masked(elder.id_number),
        birth_date=elder.birth_date,
        sex=elder.sex,
        district=district,
        district_name=DISTRICTS[city].get(district, ""),
        status="unknown" if own is None else own.registration.status,
        died_on=elder.died_on,
        assistance=[
            AssistanceView(status=p.status, start_on=p.start_on, end_on=p.end_on)
            for p in elder.assistance
        ],
        registrations={c: _registration_view(view.registrations.get(c)) for c in CITIES},
        duplicate=None
        if view.duplicate is None
        else DuplicateView(
            first_month=str(view.duplicate.first_month), flagged_on=view.duplicate.flagged_on
        ),
    )


def _duplicate_view(flag: DuplicateFlag) -> PersonDuplicateView:
    return PersonDuplicateView(
        person_ref=flag.person_ref, first_month=str(flag.first_month), flagged_on=flag.flagged_on
    )


def router(book: PolicyBook) -> APIRouter:
    """The register routes, deciding by ``book``."""
    routes = service_router(tags=["register"])

    @routes.post("/register/rows")
    async def import_rows(body: RowsBody, unit: UnitOfWork) -> ImportView:
        """Import a batch of register rows: good rows are written, bad rows reported by
        line; rows the register already holds change nothing."""
        rows = [
            ImportRow(
                line=r.line,
                id_number=r.id_number,
                name=r.name,
                district=r.district,
                assistance=r.assistance,
                assistance_since=r.assistance_since,
                bank_account_token=r.bank_account_token,
                phone=r.phone,
            )
            for r in body.rows
        ]
        report = await usecases.import_rows(rows, unit, book)
        return ImportView(
            received=report.received,
            registered=report.registered,
            updated=report.updated,
            unchanged=report.unchanged,
            rejected=[
                RejectedRowView(line=e.line, error=e.code, message=e.message)
                for e in report.rejected
            ],
        )

    @routes.post("/register/lookup")
    @reads  # a lookup by resident ID in the body (kept out of URLs and logs)
    async def lookup(body: LookupBody, unit: UnitOfWork) -> RegisterPersonView:
        """A person of this city's register, by resident ID number."""
        return person_view(await usecases.lookup(body.id_number, unit), unit.city)

    # Declared before /register/{person_ref}, which would otherwise take the path.
    @routes.get("/register/duplicates")
    async def duplicates(unit: UnitOfWork) -> DuplicatesView:
        """Every person both registers claim (重复享受), paid by neither until resolved."""
        return DuplicatesView(
            items=[_duplicate_view(f) for f in await usecases.open_duplicates(unit)]
        )

    @routes.get("/register/{person_ref}")
    async def person(person_ref: str, unit: UnitOfWork) -> RegisterPersonView:
        """A person of this city's register, with both cities' registrations known here."""
        return person_view(await usecases.view_of(person_ref, unit), unit.city)

    @routes.post("/register/{person_ref}/death")
    async def death(person_ref: str, body: DeathBody, unit: UnitOfWork) -> RegisterPersonView:
        """Record the person's death; the registration ends with the death month."""
        view = await usecases.record_death(person_ref, body.died_on, unit, book)
        return person_view(view, unit.city)

    @routes.post("/register/{person_ref}/move-out")
    async def move_out(person_ref: str, body: MoveOutBody, unit: UnitOfWork) -> RegisterPersonView:
        """Record the household's move to the other city; this city holds the person
        through the move month."""
        view = await usecases.move_out(person_ref, body.to_city, body.move_month, unit, book)
        return person_view(view, unit.city)

    @routes.post("/register/{person_ref}/assistance")
    async def assistance(
        person_ref: str, body: AssistanceBody, unit: UnitOfWork
    ) -> RegisterPersonView:
        """Record the person's 低保 / 特困 status from a day."""
        view = await usecases.change_assistance(person_ref, body.status, body.since, unit, book)
        return person_view(view, unit.city)

    @routes.post("/register/{person_ref}/withdraw")
    async def withdraw(person_ref: str, body: WithdrawBody, unit: UnitOfWork) -> RegisterPersonView:
        """Withdraw a registration made in error (it holds no month; resolves a duplicate)."""
        view = await usecases.withdraw(person_ref, body.reason, unit, book)
        return person_view(view, unit.city)

    return routes
