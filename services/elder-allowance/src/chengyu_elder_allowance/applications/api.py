"""The clerks' routes of the applications area (异地受理): accept an application in either
city, the paying city's clerk decides it, both cities read it.

ID numbers come only in request bodies, are checked, turned into ``person_ref`` and never
returned, stored or logged.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from chengyu_kit.web import UnitOfWork, service_router

from ..policy import PolicyBook
from . import usecases
from .application import Application


class ApplicationBody(BaseModel):
    """A person applies for the allowance; their household is in ``household_city``."""

    model_config = ConfigDict(extra="forbid")

    id_number: Annotated[StrictStr, Field(max_length=64, description="18-character number")]
    household_city: Annotated[StrictStr, Field(max_length=16, description="cq or cd")]


class DecisionBody(BaseModel):
    """The paying city's clerk's decision; a refusal says why."""

    model_config = ConfigDict(extra="forbid")

    outcome: Annotated[StrictStr, Field(max_length=16, description="approved or refused")]
    reason: Annotated[StrictStr | None, Field(max_length=1000)] = None


class ApplicationView(BaseModel):
    """An application as this city knows it; ``status`` is ``overdue`` for a submitted one
    flagged overdue."""

    application_id: str
    person_ref: str
    accepted_in: str
    paying_city: str
    submitted_on: date
    decide_by: date
    status: str
    overdue_on: date | None
    decided_on: date | None
    reason_code: str | None
    reason: str | None


class ApplicationsView(BaseModel):
    """Applications known here, oldest first."""

    items: list[ApplicationView]


def _view(application: Application) -> ApplicationView:
    reason = application.reason
    return ApplicationView(
        application_id=application.application_id,
        person_ref=application.person_ref,
        accepted_in=application.accepted_in,
        paying_city=application.paying_city,
        submitted_on=application.submitted_on,
        decide_by=application.decide_by,
        status=application.status,
        overdue_on=application.overdue_on,
        decided_on=application.decided_on,
        reason_code=None if reason is None else reason.code,
        reason=None if reason is None else reason.sentence,
    )


def router(book: PolicyBook) -> APIRouter:
    """The applications routes, deciding by ``book``."""
    routes = service_router(tags=["applications"])

    @routes.post("/applications", status_code=201)
    async def submit(body: ApplicationBody, unit: UnitOfWork) -> ApplicationView:
        """Accept an application here (异地受理 when the household is in the other city);
        the paying city decides it by ``decide_by`` and answers on the bus."""
        command = usecases.SubmitApplication(body.id_number, body.household_city)
        return _view(await usecases.submit_application(command, unit, book))

    @routes.get("/applications")
    async def applications(
        unit: UnitOfWork,
        status: Annotated[
            str | None, Query(max_length=16, description="submitted|approved|refused|overdue")
        ] = None,
        limit: Annotated[int, Query()] = 100,
    ) -> ApplicationsView:
        """Applications known here (accepted here, or to be decided here), by status."""
        found = await usecases.find_applications(status, limit, unit)
        return ApplicationsView(items=[_view(a) for a in found])

    @routes.get("/applications/{application_id}")
    async def application(application_id: str, unit: UnitOfWork) -> ApplicationView:
        """One application and, once decided, the paying city's answer."""
        return _view(await usecases.get_application(application_id, unit))

    @routes.post("/applications/{application_id}/decision")
    async def decide(application_id: str, body: DecisionBody, unit: UnitOfWork) -> ApplicationView:
        """The paying city's clerk approves (the allowance is granted) or refuses."""
        command = usecases.DecideApplication(application_id, body.outcome, body.reason)
        return _view(await usecases.decide_application(command, unit, book))

    return routes
