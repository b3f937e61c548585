"""The postings area's routes: this city's clerks publish, revise and close postings (one,
or a batch) and organise joint fairs; anyone reads both cities' postings and fairs (public
information: the GETs are ``@public``).

- ``POST /postings``, ``PUT /postings/{posting_id}``, ``POST /postings/{posting_id}/close``,
  ``POST /postings/batch``, ``GET /postings/{posting_id}``,
  ``GET /postings?city=&state=&occupation=&page=&per_page=``;
- ``POST /fairs``, ``PUT /fairs/{fair_id}``, ``POST /fairs/{fair_id}/cancel``,
  ``GET /fairs``, ``GET /fairs/{fair_id}``.

Coordinates are decimal degrees here and integer micro-degrees in the database and events.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
)

from chengyu_contracts.districts import DISTRICTS
from chengyu_contracts.domain_error import DomainError
from chengyu_kit.web import UnitOfWork, public, service_router

from ..occupations import occupations
from ..policy import PolicyBook
from . import usecases
from .rules import MAX_DESCRIPTION, MAX_SKILLS, FairFields, Posting, PostingFields
from .usecases import FairWithPostings

Degrees = Annotated[float, Field(allow_inf_nan=False, description="WGS 84 decimal degrees")]
Day = Annotated[StrictStr, Field(max_length=16, description="YYYY-MM-DD")]


class PostingBody(BaseModel):
    """An employer's posting of this city, as a clerk states it."""

    model_config = ConfigDict(extra="forbid")

    employer_name: Annotated[StrictStr, Field(max_length=1000)]
    title: Annotated[StrictStr, Field(max_length=1000)]
    description: Annotated[StrictStr, Field(max_length=MAX_DESCRIPTION + 1000)]
    occupation_code: Annotated[
        StrictStr, Field(max_length=32, description="2022 classification, e.g. 2-02-10-03")
    ]
    education: Annotated[
        StrictStr,
        Field(
            max_length=32,
            description="junior-middle, senior-middle, junior-college, bachelor, master, doctor",
        ),
    ]
    skills: Annotated[
        list[Annotated[StrictStr, Field(max_length=200)]], Field(max_length=MAX_SKILLS * 10)
    ] = []
    salary_min_yuan: Annotated[StrictInt | None, Field(description="per month; null: 面议")]
    salary_max_yuan: Annotated[StrictInt | None, Field(description="per month; null: 面议")]
    district: Annotated[StrictStr, Field(max_length=16, description="6-digit division code")]
    latitude: Degrees
    longitude: Degrees
    openings: StrictInt
    closing_on: Day


def _fields(body: PostingBody) -> PostingFields:
    return PostingFields(
        employer_name=body.employer_name,
        title=body.title,
        description=body.description,
        occupation_code=body.occupation_code,
        education=body.education,
        skills=tuple(body.skills),
        salary_min_yuan=body.salary_min_yuan,
        salary_max_yuan=body.salary_max_yuan,
        district=body.district,
        latitude=Decimal(repr(body.latitude)),
        longitude=Decimal(repr(body.longitude)),
        openings=body.openings,
        closing_on=body.closing_on,
    )


class BatchBody(BaseModel):
    """Postings of this city to publish together; each row is checked on its own."""

    model_config = ConfigDict(extra="forbid")

    postings: Annotated[list[dict[str, Any]], Field(max_length=usecases.MAX_BATCH)]


class ListParameters(BaseModel):
    """The listing's filters and page (checked by the use case, which names a bad one)."""

    city: str | None = Field(None, max_length=8, description="cq or cd; absent: both")
    state: str | None = Field(None, max_length=16, description="open or closed")
    occupation: str | None = Field(
        None, max_length=16, description="a code (2-02-10-03) or a group (2, 2-02, 2-02-10)"
    )
    page: int = Field(1, description="from 1")
    per_page: int = Field(50, description="1 to 200")


ListQuery = Annotated[ListParameters, Query()]


class CloseBody(BaseModel):
    """Why a posting closes."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[StrictStr, Field(max_length=32, description="filled or withdrawn")]


class FairBody(BaseModel):
    """A joint recruitment fair (专场招聘) of postings of both cities."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[StrictStr, Field(max_length=1000)]
    venue: Annotated[StrictStr, Field(max_length=1000)]
    starts_on: Day
    ends_on: Day
    posting_ids: Annotated[
        list[Annotated[StrictStr, Field(max_length=200)]], Field(max_length=5000)
    ]


class CancelBody(BaseModel):
    """Why a fair is called off."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[StrictStr, Field(max_length=2000)]


def posting_json(posting: Posting) -> dict[str, Any]:
    """A posting as the API answers it."""
    content = posting.content
    occupation = occupations().get(content.occupation_code)
    return {
        "posting_id": posting.posting_id,
        "city": posting.city,
        "version": posting.version,
        "state": posting.state,
        "closed_reason": posting.closed_reason,
        "employer_name": content.employer_name,
        "title": content.title,
        "description": content.description,
        "occupation_code": content.occupation_code,
        "occupation_name": None if occupation is None else occupation.name,
        "education": content.education,
        "skills": list(content.skills),
        "salary_min_yuan": content.salary_min_yuan,
        "salary_max_yuan": content.salary_max_yuan,
        "negotiable": content.negotiable,
        "district": content.district,
        "district_name": DISTRICTS[posting.city].get(content.district),
        "latitude": content.lat_e6 / 1_000_000,
        "longitude": content.lon_e6 / 1_000_000,
        "openings": content.openings,
        "closing_on": content.closing_on.isoformat(),
        "published_at": posting.published_at.isoformat(),
    }


def fair_json(found: FairWithPostings) -> dict[str, Any]:
    """A fair as the API answers it, with each posting's title, city, employer and state
    (null where the other city's posting is not known here yet)."""
    fair = found.fair
    items = []
    for posting_id in fair.content.posting_ids:
        posting = found.postings.get(posting_id)
        items.append(
            {
                "posting_id": posting_id,
                "city": None if posting is None else posting.city,
                "title": None if posting is None else posting.content.title,
                "employer_name": None if posting is None else posting.content.employer_name,
                "state": None if posting is None else posting.state,
            }
        )
    return {
        "fair_id": fair.fair_id,
        "city": fair.city,
        "version": fair.version,
        "state": fair.state,
        "title": fair.content.title,
        "venue": fair.content.venue,
        "starts_on": fair.content.starts_on.isoformat(),
        "ends_on": fair.content.ends_on.isoformat(),
        "posting_ids": list(fair.content.posting_ids),
        "postings": items,
        "cancel_reason": fair.cancel_reason,
        "updated_at": fair.at.isoformat(),
    }


def _fair_fields(body: FairBody) -> FairFields:
    return FairFields(body.title, body.venue, body.starts_on, body.ends_on, tuple(body.posting_ids))


def _row(raw: dict[str, Any]) -> PostingFields | DomainError:
    try:
        return _fields(PostingBody.model_validate(raw))
    except ValidationError as error:
        # Names the fields, never echoes the values.
        where = sorted({".".join(str(p) for p in e["loc"]) or "row" for e in error.errors()})
        return DomainError(
            "invalid-posting-row", f"The row is not a posting: check {', '.join(where)}."
        )


def router(book: PolicyBook) -> APIRouter:
    """The postings area's routes."""
    routes = service_router(tags=["postings"])

    @routes.post("/postings", status_code=201)
    async def publish(body: PostingBody, unit: UnitOfWork) -> dict[str, Any]:
        """Publish a posting of this city to both cities (version 1, open)."""
        return posting_json(await usecases.publish(_fields(body), unit))

    # Declared before /postings/{posting_id}.
    @routes.post("/postings/batch")
    async def publish_batch(body: BatchBody, unit: UnitOfWork) -> dict[str, Any]:
        """Publish up to 1,000 postings: good rows published, bad rows refused by index."""
        report = await usecases.publish_batch([_row(r) for r in body.postings], unit)
        return {
            "accepted": [{"index": i, "posting_id": p} for i, p in report.accepted],
            "refused": [
                {"index": r.index, "code": r.code, "message": r.message} for r in report.refused
            ],
        }

    @routes.put("/postings/{posting_id}")
    async def revise(posting_id: str, body: PostingBody, unit: UnitOfWork) -> dict[str, Any]:
        """Restate one of this city's open postings: its next version (unchanged: the same
        version, nothing written)."""
        command = usecases.RevisePosting(posting_id, _fields(body))
        return posting_json(await usecases.revise(command, unit))

    @routes.post("/postings/{posting_id}/close")
    async def close(posting_id: str, body: CloseBody, unit: UnitOfWork) -> dict[str, Any]:
        """Close one of this city's postings (filled or withdrawn)."""
        command = usecases.ClosePosting(posting_id, body.reason)
        return posting_json(await usecases.close(command, unit))

    @routes.get("/postings")
    @public  # postings are public information
    async def postings(parameters: ListQuery, unit: UnitOfWork) -> dict[str, Any]:
        """Both cities' postings, newest first: one page and how many match."""
        command = usecases.ListPostings(**parameters.model_dump())
        found, total = await usecases.list_postings(command, unit)
        return {
            "postings": [posting_json(p) for p in found],
            "total": total,
            "page": parameters.page,
            "per_page": parameters.per_page,
        }

    @routes.get("/postings/{posting_id}")
    @public  # postings are public information
    async def posting(posting_id: str, unit: UnitOfWork) -> dict[str, Any]:
        """A posting of either city at the highest version known here."""
        return posting_json(await usecases.posting(posting_id, unit))

    @routes.post("/fairs", status_code=201)
    async def schedule_fair(body: FairBody, unit: UnitOfWork) -> dict[str, Any]:
        """Schedule a joint fair of this city with open postings of both cities."""
        scheduled = await usecases.schedule_fair(_fair_fields(body), unit)
        return fair_json(await usecases.fair(scheduled.fair_id, unit))

    @routes.put("/fairs/{fair_id}")
    async def revise_fair(fair_id: str, body: FairBody, unit: UnitOfWork) -> dict[str, Any]:
        """Restate one of this city's fairs: its next version."""
        command = usecases.ReviseFair(fair_id, _fair_fields(body))
        revised = await usecases.revise_fair(command, unit)
        return fair_json(await usecases.fair(revised.fair_id, unit))

    @routes.post("/fairs/{fair_id}/cancel")
    async def cancel_fair(fair_id: str, body: CancelBody, unit: UnitOfWork) -> dict[str, Any]:
        """Call one of this city's fairs off."""
        cancelled = await usecases.cancel(usecases.CancelFair(fair_id, body.reason), unit)
        return fair_json(await usecases.fair(cancelled.fair_id, unit))

    @routes.get("/fairs")
    @public  # fairs are public information
    async def fairs(unit: UnitOfWork) -> dict[str, Any]:
        """Every fair of both cities known here, soonest first."""
        return {"fairs": [fair_json(f) for f in await usecases.fairs(unit)]}

    @routes.get("/fairs/{fair_id}")
    @public  # fairs are public information
    async def fair(fair_id: str, unit: UnitOfWork) -> dict[str, Any]:
        """A fair of either city with its postings."""
        return fair_json(await usecases.fair(fair_id, unit))

    return routes
