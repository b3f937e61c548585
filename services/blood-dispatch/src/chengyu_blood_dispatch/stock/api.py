"""The clerks' routes of the stock: record collected units (one, or a batch by lines),
issue, expire, discard, and read a unit (this city's record or the other city's as seen).
Row fields are loose strings: a bad value is the row's rejection (batch) or a 4xx naming
the problem (one unit), never a write."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from chengyu_kit.web import UnitOfWork, service_router

from ..policy import PolicyBook
from . import usecases
from .store import StoredUnit

#: The most rows one batch may carry (the import command sends 1,000).
MAX_ROWS = 5_000

Text = Annotated[StrictStr, Field(max_length=64)]


class UnitBody(BaseModel):
    """A collected unit released into stock: DIN (13 characters, or 14 with its check
    character), product code, ABO, RhD, collection and expiry (RFC 3339 with an offset)."""

    model_config = ConfigDict(extra="forbid")

    din: Text
    product: Text
    abo: Text
    rhd: Text
    collected_at: Text
    expires_at: Text
    #: When it was released into stock (RFC 3339; absent: now).
    at: Text | None = None


class RowBody(UnitBody):
    """A unit of a batch and its line in the file (header: line 1)."""

    line: Annotated[StrictInt, Field(ge=1)]


class RowsBody(BaseModel):
    """A batch of collected units."""

    model_config = ConfigDict(extra="forbid")

    rows: Annotated[list[RowBody], Field(max_length=MAX_ROWS)]


class NoteBody(BaseModel):
    """An optional note: the hospital a unit is issued to, why it is discarded."""

    model_config = ConfigDict(extra="forbid")

    note: Annotated[StrictStr, Field(max_length=usecases.NOTE_MAX)] | None = None
    #: When it happened (RFC 3339 with an offset; absent: now), within the policy's report
    #: window and not before the unit's previous movement.
    at: Text | None = None


class RejectedRowView(BaseModel):
    """A refused row: its line and the rule it broke."""

    line: int
    error: str
    message: str


class ImportView(BaseModel):
    """What a batch did."""

    received: int
    recorded: int
    unchanged: int
    rejected: list[RejectedRowView]


class UnitView(BaseModel):
    """A unit of this city's records."""

    din: str
    product: str
    abo: str
    rhd: str
    collected_at: datetime
    expires_at: datetime
    collected_in: str
    state: str
    reserved_for: str | None
    shipment_id: str | None
    sequence: int
    updated_at: datetime


class MovementView(BaseModel):
    """A movement of the unit recorded here."""

    sequence: int
    movement: str
    state: str
    at: datetime
    note: str | None


class SeenView(BaseModel):
    """The other city's unit as its latest movement shows it."""

    city: str
    sequence: int
    movement: str
    state: str
    product: str
    abo: str
    rhd: str
    expires_at: datetime
    moved_at: datetime


class ConflictView(BaseModel):
    """A city's flag of the DIN as held in both stocks."""

    city: str
    flagged_at: datetime


class UnitLookupView(BaseModel):
    """A DIN here: this city's record and history, the other city's as seen, conflicts."""

    din: str
    own: UnitView | None
    history: list[MovementView]
    other: SeenView | None
    conflicts: list[ConflictView]


def unit_view(stored: StoredUnit) -> UnitView:
    """The answer for a unit of this city's records."""
    u, loc = stored.unit, stored.location
    return UnitView(
        din=u.din.text,
        product=u.product,
        abo=u.abo,
        rhd=u.rhd,
        collected_at=u.collected_at,
        expires_at=u.expires_at,
        collected_in=stored.collected_in,
        state=loc.state,
        reserved_for=loc.reservation,
        shipment_id=loc.shipment_id,
        sequence=stored.sequence,
        updated_at=stored.updated_at,
    )


def _row(body: UnitBody, line: int) -> usecases.UnitRow:
    return usecases.UnitRow(
        line=line,
        din=body.din,
        product=body.product,
        abo=body.abo,
        rhd=body.rhd,
        collected_at=body.collected_at,
        expires_at=body.expires_at,
        at=body.at,
    )


def _move(din: str, body: NoteBody | None) -> usecases.MoveUnit:
    if body is None:
        return usecases.MoveUnit(din)
    return usecases.MoveUnit(din, body.note, body.at)


def router(book: PolicyBook) -> APIRouter:
    """The stock routes, deciding by ``book``."""
    routes = service_router(tags=["stock"])

    @routes.post("/units", status_code=201)
    async def record_unit(body: UnitBody, unit: UnitOfWork) -> UnitView:
        """Record one collected unit released into this city's stock."""
        return unit_view(await usecases.record_unit(_row(body, 0), unit, book))

    @routes.post("/units/batch")
    async def import_units(body: RowsBody, unit: UnitOfWork) -> ImportView:
        """Record a batch: good rows recorded, bad rows reported by line; rows already
        recorded as they are change nothing."""
        report = await usecases.import_rows([_row(r, r.line) for r in body.rows], unit, book)
        return ImportView(
            received=report.received,
            recorded=report.recorded,
            unchanged=report.unchanged,
            rejected=[
                RejectedRowView(line=e.line, error=e.code, message=e.message)
                for e in report.rejected
            ],
        )

    @routes.post("/units/{din}/issue")
    async def issue(din: str, unit: UnitOfWork, body: NoteBody | None = None) -> UnitView:
        """Issue an available unit to a hospital (the note may name it)."""
        command = _move(din, body)
        return unit_view(await usecases.issue_unit(command, unit, book))

    @routes.post("/units/{din}/expire")
    async def expire(din: str, unit: UnitOfWork, body: NoteBody | None = None) -> UnitView:
        """Record that a unit in stock reached its expiry."""
        command = _move(din, body)
        return unit_view(await usecases.expire_unit(command, unit, book))

    @routes.post("/units/{din}/discard")
    async def discard(din: str, unit: UnitOfWork, body: NoteBody | None = None) -> UnitView:
        """Discard a unit in stock (the note may say why)."""
        command = _move(din, body)
        return unit_view(await usecases.discard_unit(command, unit, book))

    @routes.get("/units/{din}")
    async def lookup(din: str, unit: UnitOfWork) -> UnitLookupView:
        """A DIN: this city's record and history, the other city's as seen, conflicts."""
        found = await usecases.unit_view(din, unit)
        seen = found.seen
        return UnitLookupView(
            din=(found.own or seen).unit.din.text,  # type: ignore[union-attr]
            own=None if found.own is None else unit_view(found.own),
            history=[
                MovementView(
                    sequence=m.sequence, movement=m.movement, state=m.state, at=m.at, note=m.note
                )
                for m in found.history
            ],
            other=None
            if seen is None
            else SeenView(
                city=seen.city,
                sequence=seen.sequence,
                movement=seen.movement,
                state=seen.state,
                product=seen.unit.product,
                abo=seen.unit.abo,
                rhd=seen.unit.rhd,
                expires_at=seen.unit.expires_at,
                moved_at=seen.moved_at,
            ),
            conflicts=[ConflictView(city=c.city, flagged_at=c.flagged_at) for c in found.conflicts],
        )

    return routes
