"""The clerks' routes of the rare-blood registry (特殊稀有血型库): register this city's
donors, withdraw consent, record donations, search both cities' consenting donors, request
recalls and answer those of this city's donors.

ID numbers come only in request bodies, are checked, turned into the donor's reference and
never returned, stored or logged. Names and phones are shown only to this city's clerks,
on this city's own donors (``GET /rare-donors/{donor_ref}``); searches and recalls answer
pseudonymous references only.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from chengyu_kit.web import UnitOfWork, service_router

from ..policy import PolicyBook
from ..rare_donors import DonorMatch
from . import usecases
from .store import StoredRecall

Text = Annotated[StrictStr, Field(max_length=128)]
Day = Annotated[StrictStr, Field(max_length=16, description="YYYY-MM-DD")]


class DonorBody(BaseModel):
    """A rare donor of this city, as the clerk registers (or restates) them."""

    model_config = ConfigDict(extra="forbid")

    id_number: Annotated[StrictStr, Field(max_length=64, description="18-character number")]
    name: Text
    phone: Annotated[StrictStr, Field(max_length=32)]
    abo: Annotated[StrictStr, Field(max_length=8, description="O, A, B or AB")]
    rhd: Annotated[StrictStr, Field(max_length=8, description="pos or neg")]
    phenotypes: Annotated[list[Annotated[StrictStr, Field(max_length=40)]], Field(max_length=20)]
    consent_given: StrictBool
    last_donation_on: Day | None = None
    last_donation_kind: Annotated[
        StrictStr, Field(max_length=16, description="whole-blood or apheresis")
    ] = "whole-blood"


class DonationBody(BaseModel):
    """A donation of this city's donor."""

    model_config = ConfigDict(extra="forbid")

    donated_on: Day
    kind: Annotated[StrictStr, Field(max_length=16)] = "whole-blood"


class RecallBody(BaseModel):
    """A request to the donor's city to contact a donor."""

    model_config = ConfigDict(extra="forbid")

    donor_ref: Text
    urgency: Annotated[StrictStr, Field(max_length=16, description="urgent or routine")]
    needed_by: Day


class AnswerBody(BaseModel):
    """The donor's city's answer to a recall."""

    model_config = ConfigDict(extra="forbid")

    answer: Annotated[
        StrictStr, Field(max_length=16, description="will-donate, declined or unreachable")
    ]
    reason_code: Annotated[StrictStr, Field(max_length=64)] | None = None


class ContactView(BaseModel):
    """How this city's centre reaches its own donor."""

    name: str
    phone: str


class DonorView(BaseModel):
    """A donor known here; ``contact`` only on this city's own donors."""

    donor_ref: str
    city: str
    version: int
    abo: str
    rhd: str
    phenotypes: list[str]
    consent: str
    last_donation_on: date | None
    available_on: date | None
    contact: ContactView | None = None


class RegisteredView(DonorView):
    """A donor after a write; ``changed``: whether a new version was written."""

    changed: bool


class MatchView(BaseModel):
    """A donor found by a search: pseudonymous."""

    donor_ref: str
    city: str
    abo: str
    rhd: str
    phenotypes: list[str]
    available_on: date | None
    available_now: bool


class SearchView(BaseModel):
    """A search's consenting donors of both cities, available ones first."""

    phenotype: str
    abo: str | None
    rhd: str | None
    today: date
    items: list[MatchView]


class RecallView(BaseModel):
    """A recall and, once the donor's city answered, its answer."""

    recall_id: str
    donor_ref: str
    donor_city: str
    requesting_city: str
    urgency: str
    needed_by: date
    state: str
    answer: str | None
    reason_code: str | None
    requested_at: datetime
    answered_at: datetime | None


class RecallsView(BaseModel):
    """Recalls known here, oldest first."""

    items: list[RecallView]


def _donor_view(view: usecases.DonorView) -> DonorView:
    donor = view.donor
    contact = None
    if view.contact is not None:
        contact = ContactView(name=view.contact.name, phone=view.contact.phone)
    return DonorView(
        donor_ref=donor.donor_ref,
        city=donor.city,
        version=view.version,
        abo=donor.abo,
        rhd=donor.rhd,
        phenotypes=sorted(donor.all_phenotypes),
        consent=donor.consent,
        last_donation_on=donor.last_donation,
        available_on=view.available_on,
        contact=contact,
    )


def _registered_view(done: usecases.Registered) -> RegisteredView:
    # The clerk's own city's donor: the contact they just gave is not echoed back.
    view = usecases.DonorView(done.own.donor, done.own.version, done.available_on, None)
    return RegisteredView(**_donor_view(view).model_dump(), changed=done.changed)


def _match_view(match: DonorMatch) -> MatchView:
    return MatchView(
        donor_ref=match.donor_ref,
        city=match.city,
        abo=match.abo,
        rhd=match.rhd,
        phenotypes=sorted(match.phenotypes),
        available_on=match.available_on,
        available_now=match.available_now,
    )


def _recall_view(stored: StoredRecall) -> RecallView:
    recall = stored.recall
    return RecallView(
        recall_id=recall.recall_id,
        donor_ref=recall.donor_ref,
        donor_city=recall.donor_city,
        requesting_city=recall.requesting_city,
        urgency=stored.urgency,
        needed_by=stored.needed_by,
        state=recall.state,
        answer=None if recall.state == "requested" else recall.state,
        reason_code=stored.reason_code,
        requested_at=recall.requested_at,
        answered_at=recall.answered_at,
    )


def router(book: PolicyBook) -> APIRouter:
    """The rare-blood registry's routes, deciding by ``book``."""
    routes = service_router(tags=["rare-donors"])

    @routes.post("/rare-donors", status_code=201)
    async def register(body: DonorBody, unit: UnitOfWork) -> RegisteredView:
        """Register this city's rare donor, or restate them (a new version when anything
        changed; ``changed`` false when nothing did and nothing was written)."""
        fields = body.model_dump()
        fields["phenotypes"] = tuple(body.phenotypes)
        command = usecases.RegisterDonor(**fields)
        return _registered_view(await usecases.register(command, unit, book))

    @routes.get("/rare-donors/search")
    async def search(
        unit: UnitOfWork,
        phenotype: Annotated[str, Query(max_length=40)],
        abo: Annotated[str | None, Query(max_length=8)] = None,
        rhd: Annotated[str | None, Query(max_length=8)] = None,
    ) -> SearchView:
        """Both cities' consenting donors with ``phenotype`` (and ``abo``, ``rhd``):
        pseudonymous references, the donor's city and availability."""
        query = usecases.DonorSearch(phenotype, abo, rhd)
        matches = await usecases.search_donors(query, unit, book)
        return SearchView(
            phenotype=phenotype,
            abo=abo,
            rhd=rhd,
            today=unit.today,
            items=[_match_view(m) for m in matches],
        )

    @routes.get("/rare-donors/{donor_ref}")
    async def donor(donor_ref: str, unit: UnitOfWork) -> DonorView:
        """A donor known here: this city's own with their contact, the other city's
        pseudonymous."""
        return _donor_view(await usecases.donor(donor_ref, unit, book))

    @routes.post("/rare-donors/{donor_ref}/consent-withdrawal")
    async def withdraw(donor_ref: str, unit: UnitOfWork) -> RegisteredView:
        """The donor withdrew consent: out of every search at once."""
        return _registered_view(await usecases.withdraw(donor_ref, unit, book))

    @routes.post("/rare-donors/{donor_ref}/donations", status_code=201)
    async def donate(donor_ref: str, body: DonationBody, unit: UnitOfWork) -> RegisteredView:
        """A donation of this city's donor: their availability moves."""
        command = usecases.RecordDonation(donor_ref, body.donated_on, body.kind)
        return _registered_view(await usecases.donate(command, unit, book))

    @routes.post("/recalls", status_code=201)
    async def request(body: RecallBody, unit: UnitOfWork) -> RecallView:
        """Ask the donor's city to contact a consenting donor."""
        command = usecases.RequestRecall(body.donor_ref, body.urgency, body.needed_by)
        return _recall_view(await usecases.request(command, unit))

    @routes.get("/recalls")
    async def recalls(
        unit: UnitOfWork, state: Annotated[str | None, Query(max_length=16)] = None
    ) -> RecallsView:
        """The recalls known here: asked by this city, or of this city's donors."""
        return RecallsView(items=[_recall_view(r) for r in await usecases.recalls(state, unit)])

    @routes.get("/recalls/{recall_id}")
    async def recall(recall_id: str, unit: UnitOfWork) -> RecallView:
        """A recall and its answer, in the requesting city and the donor's."""
        return _recall_view(await usecases.recall(recall_id, unit))

    @routes.post("/recalls/{recall_id}/answer")
    async def answer(recall_id: str, body: AnswerBody, unit: UnitOfWork) -> RecallView:
        """The donor's city answers a recall of its donor, once."""
        command = usecases.AnswerRecall(recall_id, body.answer, body.reason_code)
        return _recall_view(await usecases.answer(command, unit))

    return routes
