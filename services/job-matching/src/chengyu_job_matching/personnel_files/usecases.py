"""The personnel-files use cases: each city's index of the files it holds, published so
either city answers "where is this person's file"; transfers on the pure machine of
:mod:`.transfer` (every step under the holder's policy, saved with the transfer's next
``version``; both cities keep every transfer they take part in); certificates requested in
either city and answered by the holder; the requesting city's overdue sweep.

A person is named by an ID number only in a clerk's request body: it is checked and turned
into the ``person_ref`` at once, and neither stored, logged nor answered. Each event is
applied once: a step a transfer already took (a redelivery, a replay) changes nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import uuid
from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol

import asyncpg

from chengyu_contracts.cities import CITY_NAMES, City
from chengyu_contracts.domain_error import Conflict, DomainError, Forbidden, NotFound
from chengyu_contracts.events.hr import (
    PersonnelFileCertificateAnswered,
    PersonnelFileCertificateRequested,
    PersonnelFileDispatched,
    PersonnelFileHeld,
    PersonnelFileOverdue,
    PersonnelFileReceived,
    PersonnelFileSupplemented,
    PersonnelFileTransferCompleted,
    PersonnelFileTransferRequested,
)
from chengyu_contracts.personal_text import refuse_personal_data
from chengyu_contracts.policy_book import policy_day
from chengyu_contracts.resident_id import checked_resident_id
from chengyu_kit.logs import get_logger
from chengyu_kit.unit import Unit

from ..policy import CityPolicy, PolicyBook
from . import store, transfer
from .store import (
    CERTIFICATE_KINDS,
    Certificate,
    CertificateKind,
    Holding,
    Reminder,
    StoredTransfer,
)
from .transfer import TRANSFER_STATES, Complete, Dispatch, Receive, Supplement, Transfer

log = get_logger(__name__)

_CENTRE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_CERTIFICATE_NUMBER = re.compile(r"^[A-Za-z0-9/_-]{1,64}$")
MAX_DOCUMENT = 20_000


class UnitSource(Protocol):
    """Anything that opens units of work: the runtime, a test's city."""

    def unit(self) -> contextlib.AbstractAsyncContextManager[Unit]:
        """A unit of work, committed when the block ends."""
        ...


def _other(city: City) -> City:
    return "cd" if city == "cq" else "cq"


def _person_ref(id_number: str, unit: Unit) -> str:
    return unit.person_ref(checked_resident_id(id_number, unit.today))


def _text(value: str, field: str, most: int) -> str:
    text = value.strip()
    if not 1 <= len(text) <= most:
        raise DomainError(f"bad-{field}", f"The {field} has 1 to {most} characters.")
    refuse_personal_data(field.replace("-", " "), text)
    return text


def _centre_id(value: str) -> str:
    if not _CENTRE_ID.fullmatch(value):
        raise DomainError(
            "bad-centre-id", "A centre id has 1 to 64 letters, digits, hyphens or underscores."
        )
    return value


def holder_policy(book: PolicyBook, t: Transfer, day: date) -> CityPolicy:
    """The holder's policy on ``day``: the transfer's deadlines are counted on it."""
    return book.policy_for(t.holder_city, day)


# --------------------------------------------------------------------------------------------
# holdings


@dataclass(frozen=True)
class RegisterFile:
    """This city's centre holds a person's file since ``held_since``."""

    id_number: str
    centre_id: str
    centre_name: str
    held_since: date


def _held_event(h: Holding) -> PersonnelFileHeld:
    return PersonnelFileHeld(
        person_ref=h.person_ref,
        city=h.city,
        version=h.version,
        held=h.held,
        centre_id=h.centre_id,
        centre_name=h.centre_name,
        held_since=h.held_since,
    )


async def _publish_holding(unit: Unit, holding: Holding) -> Holding:
    await store.save_holding(unit.conn, holding, unit.now)
    unit.emit(_held_event(holding))
    return holding


async def register_file(command: RegisterFile, unit: Unit) -> Holding:
    """Record (and publish) that this city holds the file: ``file-held-here`` when it does
    already, ``file-held-in-other-city`` when the other city does (a transfer moves it)."""
    person_ref = _person_ref(command.id_number, unit)
    centre_id = _centre_id(command.centre_id)
    name = _text(command.centre_name, "centre-name", 200)
    if command.held_since > unit.today:
        raise DomainError("held-since-in-future", "A file cannot be held from a future day.")
    own = await store.load_holding(unit.conn, person_ref, unit.city, for_update=True)
    if own is not None and own.held:
        raise Conflict(
            "file-held-here",
            f"{CITY_NAMES[unit.city]} holds this file already (centre {own.centre_id},"
            f" since {own.held_since.isoformat()}).",
        )
    other = await store.load_holding(unit.conn, person_ref, _other(unit.city))
    if other is not None and other.held:
        raise Conflict(
            "file-held-in-other-city",
            f"{CITY_NAMES[other.city]} holds this file (centre {other.centre_id}): request a"
            " transfer instead.",
        )
    if await store.open_transfer_of(unit.conn, person_ref) is not None:
        raise Conflict("transfer-open", "This file is being transferred.")
    holding = Holding(
        person_ref=person_ref,
        city=unit.city,
        version=1 if own is None else own.version + 1,
        held=True,
        centre_id=centre_id,
        centre_name=name,
        held_since=command.held_since,
    )
    return await _publish_holding(unit, holding)


@dataclass(frozen=True)
class Lookup:
    """Where both cities hold a person's file, as known here."""

    person_ref: str
    holdings: list[Holding]


async def lookup(id_number: str, unit: Unit) -> Lookup:
    """Both cities' holdings of the person's file (none: an empty list)."""
    person_ref = _person_ref(id_number, unit)
    return Lookup(person_ref, await store.holdings(unit.conn, person_ref))


async def receive_held(event: PersonnelFileHeld, unit: Unit) -> None:
    """Keep the other city's holding (the highest version wins)."""
    holding = Holding(
        person_ref=event.person_ref,
        city=event.city,
        version=event.version,
        held=event.held,
        centre_id=event.centre_id,
        centre_name=event.centre_name,
        held_since=event.held_since,
    )
    await store.save_holding(unit.conn, holding, unit.now)


async def _move_holding(unit: Unit, stored: StoredTransfer) -> StoredTransfer:
    """This city's side of a completed transfer, once: the receiving city holds the file
    at its centre from today, the holder no longer does."""
    t = stored.transfer
    if stored.holding_moved or t.state != "completed":
        return stored
    own = await store.load_holding(unit.conn, t.person_ref, unit.city, for_update=True)
    version = 1 if own is None else own.version + 1
    if unit.city == t.to_city:
        name = await store.centre_name(unit.conn, unit.city, t.to_centre_id)
        holding = Holding(
            t.person_ref,
            unit.city,
            version,
            True,
            t.to_centre_id,
            name or t.to_centre_id,
            unit.today,
        )
        await _publish_holding(unit, holding)
    elif own is not None and own.held:
        await _publish_holding(unit, replace(own, version=version, held=False))
    return replace(stored, holding_moved=True)


# --------------------------------------------------------------------------------------------
# transfers


@dataclass(frozen=True)
class RequestTransfer:
    """This (receiving) city asks the other city for a person's file, to ``to_centre_id``
    (named ``to_centre_name`` when not met here before)."""

    id_number: str
    to_centre_id: str
    to_centre_name: str | None = None


async def _save(unit: Unit, stored: StoredTransfer) -> StoredTransfer:
    due = transfer.pending(stored.transfer)
    try:
        await store.save_transfer(
            unit.conn, stored, None if due is None else (due.step, due.due_on), unit.now
        )
    except asyncpg.UniqueViolationError:
        raise Conflict("transfer-open", "This file is being transferred already.") from None
    return stored


async def request_transfer(
    command: RequestTransfer, unit: Unit, book: PolicyBook
) -> StoredTransfer:
    """A new transfer from the other city: ``no-file-in-other-city`` (404) when it holds no
    file of the person, ``transfer-open`` (409) when one is under way."""
    person_ref = _person_ref(command.id_number, unit)
    centre_id = _centre_id(command.to_centre_id)
    holder_city = _other(unit.city)
    held = await store.load_holding(unit.conn, person_ref, holder_city, for_update=True)
    if held is None or not held.held:
        raise NotFound(
            "no-file-in-other-city",
            f"{CITY_NAMES[holder_city]} holds no personnel file of this person.",
        )
    open_id = await store.open_transfer_of(unit.conn, person_ref)
    if open_id is not None:
        raise Conflict("transfer-open", f"Transfer {open_id} of this file is under way.")
    if command.to_centre_name is not None:
        name = _text(command.to_centre_name, "centre-name", 200)
        await store.save_centre(unit.conn, unit.city, centre_id, name)
    policy = book.policy_for(holder_city, unit.today)
    request = transfer.TransferRequest(
        f"pft-{uuid.uuid4()}", person_ref, unit.city, centre_id, unit.now
    )
    t = transfer.request_transfer(request, policy)
    stored = await _save(unit, StoredTransfer(t, 1))
    unit.emit(
        PersonnelFileTransferRequested(
            transfer_id=t.transfer_id,
            person_ref=person_ref,
            holder_city=t.holder_city,
            to_city=t.to_city,
            to_centre_id=t.to_centre_id,
            requested_at=t.requested_at,
            dispatch_by=t.dispatch_by,
        )
    )
    log.info("personnel file transfer requested", transfer_id=t.transfer_id)
    return stored


async def _load(unit: Unit, transfer_id: str) -> StoredTransfer:
    stored = await store.load_transfer(unit.conn, transfer_id, for_update=True)
    if stored is None:
        raise NotFound("unknown-transfer", f"No transfer {transfer_id} is known here.")
    return stored


def _taken_here(unit: Unit, t: Transfer, step: transfer.TransferStep) -> None:
    by = transfer.TAKEN_BY[step.name]
    city = t.holder_city if by == "holder" else t.to_city
    if city != unit.city:
        code = "not-the-holder" if by == "holder" else "not-the-receiving-city"
        raise Forbidden(
            code,
            f"Only {CITY_NAMES[city]} takes the step {step.name} of transfer {t.transfer_id}.",
        )


async def _step(
    unit: Unit, stored: StoredTransfer, step: transfer.TransferStep, book: PolicyBook
) -> StoredTransfer:
    t = stored.transfer
    after = transfer.apply(t, step, holder_policy(book, t, policy_day(step.at)))
    return replace(stored, transfer=after, version=stored.version + 1)


@dataclass(frozen=True)
class SendFile:
    """The holder sends the file (or its missing parts) by ``method``."""

    transfer_id: str
    method: str
    tracking_number: str


async def dispatch_file(command: SendFile, unit: Unit, book: PolicyBook) -> StoredTransfer:
    """The holder dispatched the file (``not-the-holder`` elsewhere)."""
    stored = await _load(unit, command.transfer_id)
    step = Dispatch(command.method, command.tracking_number, unit.now)
    _taken_here(unit, stored.transfer, step)
    own = await store.load_holding(unit.conn, stored.transfer.person_ref, unit.city)
    if own is None or not own.held:
        raise Conflict("file-not-held-here", f"{CITY_NAMES[unit.city]} holds no such file.")
    saved = await _save(unit, await _step(unit, stored, step, book))
    t = saved.transfer
    assert t.dispatched is not None and t.receive_by is not None
    unit.emit(
        PersonnelFileDispatched(
            transfer_id=t.transfer_id,
            person_ref=t.person_ref,
            holder_city=t.holder_city,
            to_city=t.to_city,
            method=t.dispatched.method,
            tracking_number=t.dispatched.tracking_number,
            dispatched_at=t.dispatched.at,
            receive_by=t.receive_by,
        )
    )
    return saved


@dataclass(frozen=True)
class ReceiveFile:
    """The receiving city checked the file: complete, or with the missing parts named."""

    transfer_id: str
    complete: bool
    missing_parts: tuple[str, ...] = ()


def _completed(t: Transfer) -> PersonnelFileTransferCompleted:
    assert t.completed_at is not None
    return PersonnelFileTransferCompleted(
        transfer_id=t.transfer_id,
        person_ref=t.person_ref,
        holder_city=t.holder_city,
        to_city=t.to_city,
        completed_at=t.completed_at,
    )


async def receive_file(command: ReceiveFile, unit: Unit, book: PolicyBook) -> StoredTransfer:
    """The receiving city received the file: completed (the holdings move), or incomplete
    (the holder owes the missing parts by ``supplement_by``)."""
    stored = await _load(unit, command.transfer_id)
    parts = tuple(command.missing_parts)
    for part in parts:
        refuse_personal_data("missing part", part)
    step = Receive(command.complete, parts, unit.now)
    _taken_here(unit, stored.transfer, step)
    stepped = await _step(unit, stored, step, book)
    saved = await _save(unit, await _move_holding(unit, stepped))
    t = saved.transfer
    assert t.received_at is not None
    unit.emit(
        PersonnelFileReceived(
            transfer_id=t.transfer_id,
            person_ref=t.person_ref,
            holder_city=t.holder_city,
            to_city=t.to_city,
            complete=command.complete,
            missing_parts=list(t.missing_parts),
            received_at=t.received_at,
            supplement_by=t.supplement_by,
        )
    )
    if t.state == "completed":
        unit.emit(_completed(t))
    return saved


async def supplement_file(command: SendFile, unit: Unit, book: PolicyBook) -> StoredTransfer:
    """The holder sent the missing parts (``not-the-holder`` elsewhere)."""
    stored = await _load(unit, command.transfer_id)
    step = Supplement(command.method, command.tracking_number, unit.now)
    _taken_here(unit, stored.transfer, step)
    saved = await _save(unit, await _step(unit, stored, step, book))
    t = saved.transfer
    assert t.supplemented is not None
    unit.emit(
        PersonnelFileSupplemented(
            transfer_id=t.transfer_id,
            person_ref=t.person_ref,
            holder_city=t.holder_city,
            to_city=t.to_city,
            method=t.supplemented.method,
            tracking_number=t.supplemented.tracking_number,
            supplemented_at=t.supplemented.at,
        )
    )
    return saved


async def complete_transfer(transfer_id: str, unit: Unit, book: PolicyBook) -> StoredTransfer:
    """The receiving city holds the supplemented file complete: the holdings move."""
    stored = await _load(unit, transfer_id)
    step = Complete(unit.now)
    _taken_here(unit, stored.transfer, step)
    stepped = await _step(unit, stored, step, book)
    saved = await _save(unit, await _move_holding(unit, stepped))
    unit.emit(_completed(saved.transfer))
    return saved


# The other city's steps, applied here once.


async def receive_requested(event: PersonnelFileTransferRequested, unit: Unit) -> None:
    """The holder keeps the request (once), with the deadline it carries."""
    if await store.load_transfer(unit.conn, event.transfer_id) is not None:
        return
    t = Transfer(
        transfer_id=event.transfer_id,
        person_ref=event.person_ref,
        holder_city=event.holder_city,
        to_city=event.to_city,
        to_centre_id=event.to_centre_id,
        state="requested",
        requested_at=event.requested_at,
        dispatch_by=event.dispatch_by,
    )
    await _save(unit, StoredTransfer(t, 1))


async def _apply_event(
    unit: Unit,
    transfer_id: str,
    step: transfer.TransferStep,
    book: PolicyBook,
    carried: dict[str, date | None],
) -> StoredTransfer | None:
    """``step`` of the other city applied to the transfer kept here, its deadlines as the
    event carries them; None when the transfer took it already."""
    stored = await _load(unit, transfer_id)
    if not transfer.legal(stored.transfer, step):
        return None
    stepped = await _step(unit, stored, step, book)
    return replace(stepped, transfer=replace(stepped.transfer, **carried))  # type: ignore[arg-type]


async def receive_dispatched(event: PersonnelFileDispatched, unit: Unit, book: PolicyBook) -> None:
    """The receiving city learns of the dispatch (once)."""
    step = Dispatch(event.method, event.tracking_number, event.dispatched_at)
    stepped = await _apply_event(
        unit, event.transfer_id, step, book, {"receive_by": event.receive_by}
    )
    if stepped is not None:
        await _save(unit, stepped)


async def receive_received(event: PersonnelFileReceived, unit: Unit, book: PolicyBook) -> None:
    """The holder learns of the receipt (once)."""
    step = Receive(event.complete, tuple(event.missing_parts), event.received_at)
    stepped = await _apply_event(
        unit, event.transfer_id, step, book, {"supplement_by": event.supplement_by}
    )
    if stepped is not None:
        await _save(unit, stepped)


async def receive_supplemented(
    event: PersonnelFileSupplemented, unit: Unit, book: PolicyBook
) -> None:
    """The receiving city learns of the supplement (once)."""
    step = Supplement(event.method, event.tracking_number, event.supplemented_at)
    stepped = await _apply_event(unit, event.transfer_id, step, book, {})
    if stepped is not None:
        await _save(unit, stepped)


async def receive_completed(
    event: PersonnelFileTransferCompleted, unit: Unit, book: PolicyBook
) -> None:
    """The holder learns the transfer completed and releases its holding (once)."""
    stepped = await _apply_event(unit, event.transfer_id, Complete(event.completed_at), book, {})
    stored = stepped or await _load(unit, event.transfer_id)
    if stored.transfer.state != "completed":
        raise Conflict(
            "transfer-not-completed",
            f"Transfer {event.transfer_id} cannot complete from {stored.transfer.state}.",
        )
    moved = await _move_holding(unit, stored)
    if stepped is not None or moved is not stored:
        await _save(unit, moved)


# --------------------------------------------------------------------------------------------
# certificates


@dataclass(frozen=True)
class RequestCertificate:
    """A certificate based on the person's file, asked in this city."""

    id_number: str
    kind: str
    purpose: str


def _kind(value: str) -> CertificateKind:
    for kind in CERTIFICATE_KINDS:
        if value == kind:
            return kind
    raise DomainError("unknown-kind", f"The kind is one of {', '.join(CERTIFICATE_KINDS)}.")


async def request_certificate(
    command: RequestCertificate, unit: Unit, book: PolicyBook
) -> Certificate:
    """Ask the city holding the file for a certificate (``no-file``, 404, when neither
    city is known to hold it)."""
    person_ref = _person_ref(command.id_number, unit)
    kind = _kind(command.kind)
    purpose = _text(command.purpose, "purpose", 500)
    held = await store.holdings(unit.conn, person_ref)
    if not held:
        raise NotFound("no-file", "Neither city is known to hold a personnel file of this person.")
    # During a move both may show it held for a moment: the newer holding is the holder.
    holder = max(held, key=lambda h: (h.held_since, h.city == unit.city)).city
    policy = book.policy_for(holder, unit.today)
    certificate = Certificate(
        certificate_id=f"pfc-{uuid.uuid4()}",
        person_ref=person_ref,
        holder_city=holder,
        requesting_city=unit.city,
        kind=kind,
        purpose=purpose,
        state="requested",
        requested_at=unit.now,
        answer_by=transfer.answer_by(policy, unit.today),
    )
    await store.save_certificate(unit.conn, certificate, unit.now)
    unit.emit(
        PersonnelFileCertificateRequested(
            certificate_id=certificate.certificate_id,
            person_ref=person_ref,
            holder_city=holder,
            requesting_city=unit.city,
            kind=kind,
            purpose=purpose,
            requested_at=certificate.requested_at,
            answer_by=certificate.answer_by,
        )
    )
    return certificate


@dataclass(frozen=True)
class AnswerCertificate:
    """The holder issues the certificate (its number and document) or refuses it."""

    certificate_id: str
    issued: bool
    certificate_number: str | None = None
    document_text: str | None = None
    reason: str | None = None


def _answer(command: AnswerCertificate, unit: Unit, found: Certificate) -> Certificate:
    if command.issued:
        number = command.certificate_number or ""
        if not _CERTIFICATE_NUMBER.fullmatch(number):
            raise DomainError(
                "bad-certificate-number",
                "An issued certificate has a number of 1 to 64 letters, digits, / - or _.",
            )
        text = (command.document_text or "").strip()
        if not 1 <= len(text) <= MAX_DOCUMENT:
            raise DomainError(
                "bad-document-text",
                f"An issued certificate has its document text, 1 to {MAX_DOCUMENT} characters.",
            )
        refuse_personal_data("document text", text)
        reason = None if command.reason is None else _text(command.reason, "reason", 500)
        return replace(
            found,
            state="issued",
            certificate_number=number,
            document_text=text,
            document_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            reason=reason,
            answered_at=unit.now,
        )
    if command.certificate_number or command.document_text:
        raise DomainError(
            "refused-with-document", "A refused certificate has no number and no document."
        )
    if command.reason is None:
        raise DomainError("reason-required", "A refused certificate says why.")
    return replace(
        found, state="refused", reason=_text(command.reason, "reason", 500), answered_at=unit.now
    )


async def answer_certificate(command: AnswerCertificate, unit: Unit) -> Certificate:
    """The holder's answer (``not-the-holder`` elsewhere, ``already-answered`` once done)."""
    found = await store.load_certificate(unit.conn, command.certificate_id, for_update=True)
    if found is None:
        raise NotFound(
            "unknown-certificate", f"No certificate request {command.certificate_id} is known."
        )
    if found.holder_city != unit.city:
        raise Forbidden(
            "not-the-holder",
            f"Only {CITY_NAMES[found.holder_city]}, which holds the file, answers.",
        )
    if found.state != "requested":
        raise Conflict("already-answered", f"The request was answered: {found.state}.")
    answered = _answer(command, unit, found)
    await store.save_certificate(unit.conn, answered, unit.now)
    assert answered.answered_at is not None
    unit.emit(
        PersonnelFileCertificateAnswered(
            certificate_id=answered.certificate_id,
            person_ref=answered.person_ref,
            holder_city=answered.holder_city,
            requesting_city=answered.requesting_city,
            issued=answered.state == "issued",
            certificate_number=answered.certificate_number,
            document_sha256=answered.document_sha256,
            reason=answered.reason,
            answered_at=answered.answered_at,
        )
    )
    return answered


async def receive_certificate_requested(
    event: PersonnelFileCertificateRequested, unit: Unit
) -> None:
    """Keep the other city's certificate request (once)."""
    if await store.load_certificate(unit.conn, event.certificate_id) is not None:
        return
    certificate = Certificate(
        certificate_id=event.certificate_id,
        person_ref=event.person_ref,
        holder_city=event.holder_city,
        requesting_city=event.requesting_city,
        kind=event.kind,
        purpose=event.purpose,
        state="requested",
        requested_at=event.requested_at,
        answer_by=event.answer_by,
    )
    await store.save_certificate(unit.conn, certificate, unit.now)


async def receive_certificate_answered(event: PersonnelFileCertificateAnswered, unit: Unit) -> None:
    """Keep the holder's answer (its document's sha256, never the text; once)."""
    found = await store.load_certificate(unit.conn, event.certificate_id, for_update=True)
    if found is None:
        raise NotFound("unknown-certificate", f"No request {event.certificate_id} is known.")
    if found.state != "requested":
        return
    answered = replace(
        found,
        state="issued" if event.issued else "refused",
        certificate_number=event.certificate_number,
        document_sha256=event.document_sha256,
        reason=event.reason,
        answered_at=event.answered_at,
    )
    await store.save_certificate(unit.conn, answered, unit.now)


async def certificate_view(certificate_id: str, unit: Unit) -> Certificate:
    """A certificate request known here (``unknown-certificate``)."""
    found = await store.load_certificate(unit.conn, certificate_id)
    if found is None:
        raise NotFound("unknown-certificate", f"No certificate request {certificate_id} is known.")
    return found


# --------------------------------------------------------------------------------------------
# reading transfers


async def transfer_view(transfer_id: str, unit: Unit) -> StoredTransfer:
    """A transfer known here (``unknown-transfer``)."""
    stored = await store.load_transfer(unit.conn, transfer_id)
    if stored is None:
        raise NotFound("unknown-transfer", f"No transfer {transfer_id} is known here.")
    return stored


async def list_transfers(state: str | None, overdue: bool, unit: Unit) -> list[StoredTransfer]:
    """Transfers known here by ``state``; only those past a deadline with ``overdue``."""
    if state is not None and state not in TRANSFER_STATES:
        raise DomainError("unknown-state", f"The state is one of {', '.join(TRANSFER_STATES)}.")
    return await store.transfers(unit.conn, state, unit.today if overdue else None)


def is_overdue(stored: StoredTransfer, today: date) -> bool:
    """Whether the step the transfer waits for is past its day."""
    due = transfer.pending(stored.transfer)
    return due is not None and today > due.due_on


# --------------------------------------------------------------------------------------------
# the overdue sweep


def _overdue_event(reminder: Reminder, transfer_id: str | None) -> PersonnelFileOverdue:
    return PersonnelFileOverdue(
        person_ref=reminder.person_ref,
        holder_city=reminder.holder_city,
        to_city=reminder.to_city,
        transfer_id=transfer_id,
        certificate_id=None if transfer_id is not None else reminder.subject_id,
        step=reminder.step,
        due_on=reminder.due_on,
        flagged_on=reminder.flagged_on,
    )


async def remind_due(units: UnitSource, book: PolicyBook) -> int:
    """The requesting city's sweep: one ``PersonnelFileOverdue`` per late step and
    deadline of its transfers and certificate requests, from the first working day after
    the deadline on the holder's calendar; how many were sent."""
    sent = 0
    async with units.unit() as unit:
        for stored in await store.due_transfers(unit.conn, unit.city, unit.today):
            t = stored.transfer
            late = transfer.reminder(
                transfer.pending(t), holder_policy(book, t, unit.today), unit.today
            )
            if late is None:
                continue
            reminder = Reminder(
                t.transfer_id, late.step, late.due_on, unit.today, t.person_ref,
                t.holder_city, t.to_city,
            )  # fmt: skip
            if await store.save_reminder(unit.conn, reminder):
                unit.emit(_overdue_event(reminder, t.transfer_id))
                log.warning(
                    "personnel file step overdue", transfer_id=t.transfer_id, step=late.step
                )
                sent += 1
        for c in await store.due_certificates(unit.conn, unit.city, unit.today):
            policy = book.policy_for(c.holder_city, unit.today)
            late = transfer.reminder(transfer.Due("certificate", c.answer_by), policy, unit.today)
            if late is None:
                continue
            reminder = Reminder(
                c.certificate_id, "certificate", late.due_on, unit.today, c.person_ref,
                c.holder_city, c.requesting_city,
            )  # fmt: skip
            if await store.save_reminder(unit.conn, reminder):
                unit.emit(_overdue_event(reminder, None))
                log.warning("personnel file certificate overdue", certificate_id=c.certificate_id)
                sent += 1
    return sent


async def receive_overdue(event: PersonnelFileOverdue, unit: Unit) -> None:
    """Keep the requesting city's reminder (once)."""
    subject = event.transfer_id or event.certificate_id
    if subject is None:
        raise DomainError("overdue-without-subject", "A reminder names a transfer or certificate.")
    reminder = Reminder(
        subject, event.step, event.due_on, event.flagged_on, event.person_ref,
        event.holder_city, event.to_city,
    )  # fmt: skip
    await store.save_reminder(unit.conn, reminder)
