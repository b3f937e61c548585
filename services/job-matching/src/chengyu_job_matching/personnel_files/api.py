"""The clerks' routes of the personnel-files area: holdings and the lookup over both
cities, transfers step by step, certificates. ID numbers come only in request bodies and
are never answered: a person is shown by ``person_ref``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from chengyu_kit.web import UnitOfWork, reads, service_router

from ..policy import PolicyBook
from . import transfer, usecases
from .store import Certificate, Holding, Reminder, StoredTransfer

IdNumber = Annotated[StrictStr, Field(max_length=64, description="18-character ID number")]
Word = Annotated[StrictStr, Field(max_length=64)]
Text = Annotated[StrictStr, Field(max_length=500)]


class RegisterBody(BaseModel):
    """This city's centre holds a person's file."""

    model_config = ConfigDict(extra="forbid")

    id_number: IdNumber
    centre_id: Word
    centre_name: Annotated[StrictStr, Field(max_length=200)]
    held_since: date


class LookupBody(BaseModel):
    """Whose file to look for."""

    model_config = ConfigDict(extra="forbid")

    id_number: IdNumber


class TransferBody(BaseModel):
    """This city asks the other for a person's file, to one of its centres."""

    model_config = ConfigDict(extra="forbid")

    id_number: IdNumber
    to_centre_id: Word
    #: Only needed for a centre this city has not registered a file at yet.
    to_centre_name: Annotated[StrictStr, Field(max_length=200)] | None = None


class SendBody(BaseModel):
    """How the file (or its missing parts) went."""

    model_config = ConfigDict(extra="forbid")

    method: Word
    tracking_number: Word


class ReceiveBody(BaseModel):
    """The file as received."""

    model_config = ConfigDict(extra="forbid")

    complete: StrictBool
    missing_parts: Annotated[
        list[Annotated[StrictStr, Field(max_length=200)]], Field(max_length=100)
    ] = []


class CertificateBody(BaseModel):
    """A certificate based on a person's file."""

    model_config = ConfigDict(extra="forbid")

    id_number: IdNumber
    kind: Word
    purpose: Text


class AnswerBody(BaseModel):
    """The holder's answer to a certificate request."""

    model_config = ConfigDict(extra="forbid")

    issued: StrictBool
    certificate_number: Word | None = None
    document_text: Annotated[StrictStr, Field(max_length=usecases.MAX_DOCUMENT + 1000)] | None = (
        None
    )
    reason: Text | None = None


class HoldingView(BaseModel):
    """Where a city holds a person's file."""

    person_ref: str
    city: str
    version: int
    held: bool
    centre_id: str
    centre_name: str
    held_since: date


class PlaceView(BaseModel):
    """One city's holding in a lookup."""

    city: str
    centre_id: str
    centre_name: str
    held_since: date


class LookupView(BaseModel):
    """Where the person's file is held, over both cities."""

    person_ref: str
    holdings: list[PlaceView]


class ReminderView(BaseModel):
    """A late step's reminder."""

    step: str
    due_on: date
    flagged_on: date


class SendingView(BaseModel):
    """A dispatch of the file or of its missing parts."""

    method: str
    tracking_number: str
    at: datetime


class TransferView(BaseModel):
    """A transfer as this city knows it."""

    transfer_id: str
    person_ref: str
    holder_city: str
    to_city: str
    to_centre_id: str
    state: str
    requested_at: datetime
    dispatch_by: date
    dispatched: SendingView | None
    receive_by: date | None
    received_at: datetime | None
    missing_parts: list[str]
    supplement_by: date | None
    supplemented: SendingView | None
    completed_at: datetime | None
    #: The step the transfer waits for and its day; past it (in this city's today): overdue.
    waiting_for: str | None
    due_on: date | None
    overdue: bool
    reminders: list[ReminderView]
    version: int


class TransfersView(BaseModel):
    """Transfers known here, newest first."""

    transfers: list[TransferView]


class CertificateView(BaseModel):
    """A certificate request and its answer (the document's text only in the holding city)."""

    certificate_id: str
    person_ref: str
    holder_city: str
    requesting_city: str
    kind: str
    purpose: str
    state: str
    requested_at: datetime
    answer_by: date
    overdue: bool
    certificate_number: str | None
    document_sha256: str | None
    document_text: str | None
    reason: str | None
    answered_at: datetime | None
    reminders: list[ReminderView]


def holding_view(h: Holding) -> HoldingView:
    """The JSON form of a holding."""
    return HoldingView(
        person_ref=h.person_ref,
        city=h.city,
        version=h.version,
        held=h.held,
        centre_id=h.centre_id,
        centre_name=h.centre_name,
        held_since=h.held_since,
    )


def _reminders(reminders: tuple[Reminder, ...]) -> list[ReminderView]:
    return [ReminderView(step=r.step, due_on=r.due_on, flagged_on=r.flagged_on) for r in reminders]


def _sending(s: transfer.Sending | None) -> SendingView | None:
    return (
        None
        if s is None
        else SendingView(method=s.method, tracking_number=s.tracking_number, at=s.at)
    )


def transfer_view(stored: StoredTransfer, today: date) -> TransferView:
    """The JSON form of a transfer on ``today``."""
    t = stored.transfer
    due = transfer.pending(t)
    return TransferView(
        transfer_id=t.transfer_id,
        person_ref=t.person_ref,
        holder_city=t.holder_city,
        to_city=t.to_city,
        to_centre_id=t.to_centre_id,
        state=t.state,
        requested_at=t.requested_at,
        dispatch_by=t.dispatch_by,
        dispatched=_sending(t.dispatched),
        receive_by=t.receive_by,
        received_at=t.received_at,
        missing_parts=list(t.missing_parts),
        supplement_by=t.supplement_by,
        supplemented=_sending(t.supplemented),
        completed_at=t.completed_at,
        waiting_for=None if due is None else due.step,
        due_on=None if due is None else due.due_on,
        overdue=usecases.is_overdue(stored, today),
        reminders=_reminders(stored.reminders),
        version=stored.version,
    )


def certificate_view(c: Certificate, today: date) -> CertificateView:
    """The JSON form of a certificate request on ``today``."""
    return CertificateView(
        certificate_id=c.certificate_id,
        person_ref=c.person_ref,
        holder_city=c.holder_city,
        requesting_city=c.requesting_city,
        kind=c.kind,
        purpose=c.purpose,
        state=c.state,
        requested_at=c.requested_at,
        answer_by=c.answer_by,
        overdue=c.state == "requested" and today > c.answer_by,
        certificate_number=c.certificate_number,
        document_sha256=c.document_sha256,
        document_text=c.document_text,
        reason=c.reason,
        answered_at=c.answered_at,
        reminders=_reminders(c.reminders),
    )


def router(book: PolicyBook) -> APIRouter:
    """The area's routes, deciding by ``book``."""
    routes = service_router(tags=["personnel-files"])

    @routes.post("/personnel-files", status_code=201)
    async def register(body: RegisterBody, unit: UnitOfWork) -> HoldingView:
        """This city's centre holds the person's file (published to the other city)."""
        command = usecases.RegisterFile(
            body.id_number, body.centre_id, body.centre_name, body.held_since
        )
        return holding_view(await usecases.register_file(command, unit))

    @routes.post("/personnel-files/lookup")
    @reads  # a lookup by ID number, kept out of the URL: it changes nothing
    async def lookup(body: LookupBody, unit: UnitOfWork) -> LookupView:
        """Where the person's file is held, over both cities."""
        found = await usecases.lookup(body.id_number, unit)
        return LookupView(
            person_ref=found.person_ref,
            holdings=[
                PlaceView(
                    city=h.city,
                    centre_id=h.centre_id,
                    centre_name=h.centre_name,
                    held_since=h.held_since,
                )
                for h in found.holdings
            ],
        )

    @routes.post("/personnel-files/transfers", status_code=201)
    async def request_transfer(body: TransferBody, unit: UnitOfWork) -> TransferView:
        """Ask the other city for the person's file."""
        command = usecases.RequestTransfer(body.id_number, body.to_centre_id, body.to_centre_name)
        stored = await usecases.request_transfer(command, unit, book)
        return transfer_view(stored, unit.today)

    @routes.get("/personnel-files/transfers")
    async def transfers(
        unit: UnitOfWork,
        state: Annotated[str | None, Query(max_length=16)] = None,
        overdue: bool = False,
    ) -> TransfersView:
        """The transfers known here (by state; only the overdue ones)."""
        found = await usecases.list_transfers(state, overdue, unit)
        return TransfersView(transfers=[transfer_view(s, unit.today) for s in found])

    @routes.get("/personnel-files/transfers/{transfer_id}")
    async def one_transfer(transfer_id: str, unit: UnitOfWork) -> TransferView:
        """A transfer, its deadlines and reminders (in both cities)."""
        return transfer_view(await usecases.transfer_view(transfer_id, unit), unit.today)

    @routes.post("/personnel-files/transfers/{transfer_id}/dispatch")
    async def dispatch(transfer_id: str, body: SendBody, unit: UnitOfWork) -> TransferView:
        """The holder sent the file."""
        command = usecases.SendFile(transfer_id, body.method, body.tracking_number)
        return transfer_view(await usecases.dispatch_file(command, unit, book), unit.today)

    @routes.post("/personnel-files/transfers/{transfer_id}/receive")
    async def receive(transfer_id: str, body: ReceiveBody, unit: UnitOfWork) -> TransferView:
        """The receiving city received the file, complete or not."""
        command = usecases.ReceiveFile(transfer_id, body.complete, tuple(body.missing_parts))
        return transfer_view(await usecases.receive_file(command, unit, book), unit.today)

    @routes.post("/personnel-files/transfers/{transfer_id}/supplement")
    async def supplement(transfer_id: str, body: SendBody, unit: UnitOfWork) -> TransferView:
        """The holder sent the missing parts."""
        command = usecases.SendFile(transfer_id, body.method, body.tracking_number)
        return transfer_view(await usecases.supplement_file(command, unit, book), unit.today)

    @routes.post("/personnel-files/transfers/{transfer_id}/complete")
    async def complete(transfer_id: str, unit: UnitOfWork) -> TransferView:
        """The receiving city holds the supplemented file complete."""
        return transfer_view(await usecases.complete_transfer(transfer_id, unit, book), unit.today)

    @routes.post("/personnel-files/certificates", status_code=201)
    async def request_certificate(body: CertificateBody, unit: UnitOfWork) -> CertificateView:
        """Ask the holding city for a certificate based on the file."""
        command = usecases.RequestCertificate(body.id_number, body.kind, body.purpose)
        found = await usecases.request_certificate(command, unit, book)
        return certificate_view(found, unit.today)

    @routes.post("/personnel-files/certificates/{certificate_id}/answer")
    async def answer(certificate_id: str, body: AnswerBody, unit: UnitOfWork) -> CertificateView:
        """The holder issues or refuses the certificate."""
        command = usecases.AnswerCertificate(
            certificate_id, body.issued, body.certificate_number, body.document_text, body.reason
        )
        return certificate_view(await usecases.answer_certificate(command, unit), unit.today)

    @routes.get("/personnel-files/certificates/{certificate_id}")
    async def certificate(certificate_id: str, unit: UnitOfWork) -> CertificateView:
        """A certificate request and its answer."""
        return certificate_view(await usecases.certificate_view(certificate_id, unit), unit.today)

    return routes
