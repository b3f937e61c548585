"""The clerks' HTTP API. Resident ID numbers are accepted only here, checked, turned into
``person_ref`` and never stored, returned or logged."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from chengyu_kit.web import UnitOfWork, service_router

from . import usecases
from .case import Case
from .policy import PolicyBook


class OpenCaseBody(BaseModel):
    """A clerk's request to open a case."""

    model_config = ConfigDict(extra="forbid")

    resident_id: Annotated[StrictStr, Field(max_length=64, description="18-character number")]


class CaseView(BaseModel):
    """A case as a clerk sees it."""

    case_id: str
    person_ref: str
    city: str
    opened_at: datetime


def _view(case: Case, opened_at: datetime) -> CaseView:
    return CaseView(
        case_id=case.case_id, person_ref=case.person_ref, city=case.city, opened_at=opened_at
    )


def blood_router(book: PolicyBook) -> APIRouter:
    """The clerks' routes."""
    router = service_router(tags=["cases"])

    @router.post("/cases", status_code=201)
    async def open_case(body: OpenCaseBody, unit: UnitOfWork) -> CaseView:
        """Open a case for a person in this city (the other city is told)."""
        case = await usecases.open_case_for(usecases.OpenCase(body.resident_id), unit, book)
        return _view(case, unit.now)

    @router.get("/cases/{case_id}")
    async def get_case(case_id: str, unit: UnitOfWork) -> CaseView:
        """A case opened here or in the other city."""
        return _view(*await usecases.get_case(case_id, unit))

    return router
