"""The clerks' routes of the seekers area: register this city's key-group seekers (one, or
a batch), restate them, record their consent to be matched in the other city, deregister
them, show one seeker and list the profiles of both cities.

The ID number comes only in the registration's body: it is checked, turned into the
person's reference and never returned, stored or logged. The name and phone are returned
masked, to this city's clerks, on this city's own seekers only; lists and the other city's
seekers are profiles only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.masking import mask_name, mask_phone
from chengyu_kit.unit import Unit
from chengyu_kit.web import UnitOfWork, service_router

from ..policy import PolicyBook
from . import usecases
from .profile import ProfileDraft
from .seeker import Seeker

#: The most rows one batch may carry (the import command sends 1,000).
MAX_ROWS = 1_000

Word = Annotated[StrictStr, Field(max_length=100)]
Code = Annotated[StrictStr, Field(max_length=16)]


class ProfileBody(BaseModel):
    """A seeker's matching profile and contact as the clerk states them."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[StrictStr, Field(max_length=128)]
    phone: Annotated[StrictStr, Field(max_length=32)]
    groups: Annotated[list[Annotated[StrictStr, Field(max_length=40)]], Field(max_length=20)]
    graduation_year: StrictInt | None = None
    occupation_codes: Annotated[list[Code], Field(max_length=20)]
    skills: Annotated[list[Word], Field(max_length=100)] = []
    interests: Annotated[list[Word], Field(max_length=100)] = []
    education: Annotated[StrictStr, Field(max_length=32)]
    desired_cities: Annotated[list[Code], Field(max_length=10)]
    desired_districts: Annotated[list[Code], Field(max_length=100)] = []
    home_district: Code
    salary_floor_yuan: StrictInt | None = None
    willing_to_move: StrictBool
    commute_radius_km: StrictInt
    consent_other_city: StrictBool

    def draft(self) -> ProfileDraft:
        """The profile part, unchecked."""
        return ProfileDraft(
            groups=self.groups,
            graduation_year=self.graduation_year,
            occupation_codes=self.occupation_codes,
            skills=self.skills,
            interests=self.interests,
            education=self.education,
            desired_cities=self.desired_cities,
            desired_districts=self.desired_districts,
            home_district=self.home_district,
            salary_floor_yuan=self.salary_floor_yuan,
            willing_to_move=self.willing_to_move,
            commute_radius_km=self.commute_radius_km,
        )


class SeekerBody(ProfileBody):
    """A person of this city registering as a key-group seeker."""

    id_number: Annotated[StrictStr, Field(max_length=64, description="18-character number")]

    def command(self) -> usecases.RegisterSeeker:
        """The registration."""
        return usecases.RegisterSeeker(
            self.id_number, self.name, self.phone, self.draft(), self.consent_other_city
        )


class BatchBody(BaseModel):
    """Registrations, each as ``POST /seekers`` takes it; a row that cannot be read is
    refused by its index, the others are registered."""

    model_config = ConfigDict(extra="forbid")

    seekers: Annotated[list[dict[str, Any]], Field(max_length=MAX_ROWS)]


class ConsentBody(BaseModel):
    """The seeker's consent to be matched in the other city."""

    model_config = ConfigDict(extra="forbid")

    given: StrictBool


class ContactView(BaseModel):
    """How this city reaches its own seeker, masked."""

    name: str
    phone: str


class SeekerView(BaseModel):
    """A seeker's profile; ``contact`` (masked) only for this city's clerks on this city's
    own seekers."""

    seeker_ref: str
    city: str
    version: int
    shared: bool
    active: bool
    groups: list[str]
    graduation_year: int | None
    occupation_codes: list[str]
    skills: list[str]
    interests: list[str]
    education: str
    desired_cities: list[str]
    desired_districts: list[str]
    home_district: str
    salary_floor_yuan: int | None
    willing_to_move: bool
    commute_radius_km: int
    contact: ContactView | None = None


class SeekersView(BaseModel):
    """A page of profiles and how many there are."""

    seekers: list[SeekerView]
    total: int
    page: int
    per_page: int


class AcceptedView(BaseModel):
    """A row registered."""

    index: int
    seeker_ref: str


class RefusedView(BaseModel):
    """A row refused and the rule it broke."""

    index: int
    code: str
    message: str


class BatchView(BaseModel):
    """What a batch did."""

    accepted: list[AcceptedView]
    refused: list[RefusedView]


def _view(seeker: Seeker, contact: ContactView | None = None) -> SeekerView:
    p = seeker.profile
    return SeekerView(
        seeker_ref=seeker.seeker_ref,
        city=seeker.city,
        version=seeker.version,
        shared=seeker.shared,
        active=seeker.active,
        groups=list(p.groups),
        graduation_year=p.graduation_year,
        occupation_codes=list(p.occupation_codes),
        skills=list(p.skills),
        interests=list(p.interests),
        education=p.education,
        desired_cities=list(p.desired_cities),
        desired_districts=list(p.desired_districts),
        home_district=p.home_district,
        salary_floor_yuan=p.salary_floor_yuan,
        willing_to_move=p.willing_to_move,
        commute_radius_km=p.commute_radius_km,
        contact=contact,
    )


def _masked(unit: Unit, seeker: Seeker, name: str, phone: str) -> ContactView | None:
    """The masked contact, for a clerk of the seeker's own city only."""
    actor = unit.actor
    if actor is None or actor.kind != "clerk" or actor.city != unit.city:
        return None
    if seeker.city != unit.city:
        return None
    return ContactView(name=mask_name(name), phone=mask_phone(phone))


def _written(unit: Unit, done: usecases.Written) -> SeekerView:
    contact = _masked(unit, done.seeker, done.contact.name, done.contact.phone)
    return _view(done.seeker, contact)


def _row(index: int, raw: dict[str, Any]) -> usecases.BatchRow:
    try:
        return usecases.BatchRow(index, SeekerBody.model_validate(raw).command())
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the row"
        # The field and the kind of problem, never the value (it may be personal).
        return usecases.BatchRow(index, DomainError("invalid-request", f"{where}: {first['msg']}."))


def router(book: PolicyBook) -> APIRouter:
    """The seekers' routes."""
    routes = service_router(tags=["seekers"])

    @routes.post("/seekers", status_code=201)
    async def register(body: SeekerBody, unit: UnitOfWork) -> SeekerView:
        """Register a person of this city as a key-group seeker (with consent, the profile
        is shared with the other city); 409 ``seeker-exists`` when the person is registered
        already."""
        return _written(unit, await usecases.register(body.command(), unit))

    @routes.post("/seekers/batch")
    async def register_batch(body: BatchBody, unit: UnitOfWork) -> BatchView:
        """Register many seekers: good rows registered, bad rows refused by index; a row
        registered exactly so already is accepted unchanged (a file sent again changes
        nothing)."""
        rows = [_row(index, raw) for index, raw in enumerate(body.seekers)]
        report = await usecases.register_batch(rows, unit)
        return BatchView(
            accepted=[
                AcceptedView(index=a.index, seeker_ref=a.seeker_ref) for a in report.accepted
            ],
            refused=[
                RefusedView(index=r.index, code=r.code, message=r.message) for r in report.refused
            ],
        )

    @routes.get("/seekers")
    async def list_seekers(
        unit: UnitOfWork,
        city: Annotated[str | None, Query(max_length=8)] = None,
        group: Annotated[str | None, Query(max_length=40)] = None,
        page: Annotated[int, Query()] = 1,
        per_page: Annotated[int, Query()] = 50,
    ) -> SeekersView:
        """Active profiles of both cities (this city's seekers, the other city's consenting
        ones), by city and key group: no personal data."""
        query = usecases.ListSeekers(city, group, page, per_page)
        found, total = await usecases.seekers(query, unit)
        return SeekersView(
            seekers=[_view(s) for s in found], total=total, page=page, per_page=per_page
        )

    @routes.get("/seekers/{seeker_ref}")
    async def show(seeker_ref: str, unit: UnitOfWork) -> SeekerView:
        """This city's seeker (with the masked contact for its clerks), or the other city's
        consenting seeker (the profile only)."""
        found = await usecases.seeker(seeker_ref, unit)
        contact = None
        if found.contact is not None:
            contact = _masked(unit, found.seeker, found.contact.name, found.contact.phone)
        return _view(found.seeker, contact)

    @routes.put("/seekers/{seeker_ref}")
    async def restate(seeker_ref: str, body: ProfileBody, unit: UnitOfWork) -> SeekerView:
        """Restate this city's seeker: the next version when anything of the profile or
        consent changed (shared again with consent)."""
        command = usecases.UpdateSeeker(
            seeker_ref, body.name, body.phone, body.draft(), body.consent_other_city
        )
        return _written(unit, await usecases.update(command, unit))

    @routes.post("/seekers/{seeker_ref}/consent")
    async def consent(seeker_ref: str, body: ConsentBody, unit: UnitOfWork) -> SeekerView:
        """The seeker gives or withdraws consent to be matched in the other city; a
        withdrawal deletes the profile there at once."""
        command = usecases.SetConsent(seeker_ref, body.given)
        return _written(unit, await usecases.set_consent(command, unit))

    @routes.post("/seekers/{seeker_ref}/deregister")
    async def deregister(seeker_ref: str, unit: UnitOfWork) -> SeekerView:
        """Deregister this city's seeker: inactive, and withdrawn from the other city."""
        return _written(unit, await usecases.deregister_seeker(seeker_ref, unit))

    return routes
