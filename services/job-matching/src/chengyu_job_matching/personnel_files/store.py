"""Holdings, transfers, certificates and reminders of personnel files (explicit asyncpg SQL;
rows <-> the pure :mod:`.transfer` values here only)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import asyncpg

from chengyu_contracts.cities import CITIES, City
from chengyu_kit.db import Connection, one_of

from .transfer import METHODS, TRANSFER_STATES, Sending, Transfer

CertificateKind = Literal[
    "file-held", "employment-history", "cadre-status", "political-review", "other"
]
CERTIFICATE_KINDS: tuple[CertificateKind, ...] = (
    "file-held",
    "employment-history",
    "cadre-status",
    "political-review",
    "other",
)
CertificateState = Literal["requested", "issued", "refused"]
CERTIFICATE_STATES: tuple[CertificateState, ...] = ("requested", "issued", "refused")
OverdueStep = Literal["dispatch", "receive", "supplement", "certificate"]
OVERDUE_STEPS: tuple[OverdueStep, ...] = ("dispatch", "receive", "supplement", "certificate")


# --------------------------------------------------------------------------------------------
# holdings


@dataclass(frozen=True)
class Holding:
    """Where ``city`` holds (or held) a person's file, at its ``version``."""

    person_ref: str
    city: City
    version: int
    held: bool
    centre_id: str
    centre_name: str
    held_since: date


def _holding(row: asyncpg.Record) -> Holding:
    return Holding(
        person_ref=row["person_ref"],
        city=one_of(row["city"], CITIES, "city"),
        version=row["version"],
        held=row["held"],
        centre_id=row["centre_id"],
        centre_name=row["centre_name"],
        held_since=row["held_since"],
    )


async def load_holding(
    conn: Connection, person_ref: str, city: City, *, for_update: bool = False
) -> Holding | None:
    """``city``'s holding of the person's file as known here."""
    row = await conn.fetchrow(
        "SELECT * FROM file_holding WHERE person_ref = $1 AND city = $2"
        + (" FOR UPDATE" if for_update else ""),
        person_ref,
        city,
    )
    return None if row is None else _holding(row)


async def holdings(conn: Connection, person_ref: str) -> list[Holding]:
    """Both cities' current holdings of the person's file (held only)."""
    rows = await conn.fetch(
        "SELECT * FROM file_holding WHERE person_ref = $1 AND held ORDER BY city", person_ref
    )
    return [_holding(r) for r in rows]


async def save_holding(conn: Connection, holding: Holding, at: datetime) -> bool:
    """Keep ``holding`` unless a version at least as high is kept; whether it was kept."""
    status = await conn.execute(
        "INSERT INTO file_holding (person_ref, city, version, held, centre_id, centre_name,"
        " held_since, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT (person_ref, city) DO UPDATE SET version = EXCLUDED.version,"
        " held = EXCLUDED.held, centre_id = EXCLUDED.centre_id,"
        " centre_name = EXCLUDED.centre_name, held_since = EXCLUDED.held_since,"
        " updated_at = EXCLUDED.updated_at WHERE file_holding.version < EXCLUDED.version",
        holding.person_ref,
        holding.city,
        holding.version,
        holding.held,
        holding.centre_id,
        holding.centre_name,
        holding.held_since,
        at,
    )
    await conn.execute(
        "INSERT INTO file_centre (city, centre_id, centre_name) VALUES ($1, $2, $3)"
        " ON CONFLICT (city, centre_id) DO NOTHING",
        holding.city,
        holding.centre_id,
        holding.centre_name,
    )
    return bool(status.endswith(" 1"))


async def centre_name(conn: Connection, city: City, centre_id: str) -> str | None:
    """The name of ``city``'s centre ``centre_id``, when met here."""
    found = await conn.fetchval(
        "SELECT centre_name FROM file_centre WHERE city = $1 AND centre_id = $2", city, centre_id
    )
    return None if found is None else str(found)


async def save_centre(conn: Connection, city: City, centre_id: str, name: str) -> None:
    """Remember ``city``'s centre ``centre_id`` by ``name``."""
    await conn.execute(
        "INSERT INTO file_centre (city, centre_id, centre_name) VALUES ($1, $2, $3)"
        " ON CONFLICT (city, centre_id) DO NOTHING",
        city,
        centre_id,
        name,
    )


# --------------------------------------------------------------------------------------------
# reminders


@dataclass(frozen=True)
class Reminder:
    """A late step's reminder (one per step and deadline)."""

    subject_id: str
    step: OverdueStep
    due_on: date
    flagged_on: date
    person_ref: str
    holder_city: City
    to_city: City


def _reminder(row: asyncpg.Record) -> Reminder:
    return Reminder(
        subject_id=row["subject_id"],
        step=one_of(row["step"], OVERDUE_STEPS, "step"),
        due_on=row["due_on"],
        flagged_on=row["flagged_on"],
        person_ref=row["person_ref"],
        holder_city=one_of(row["holder_city"], CITIES, "holder_city"),
        to_city=one_of(row["to_city"], CITIES, "to_city"),
    )


async def save_reminder(conn: Connection, reminder: Reminder) -> bool:
    """Record a reminder once; whether it is new."""
    status = await conn.execute(
        "INSERT INTO file_overdue (subject_id, step, due_on, flagged_on, person_ref,"
        " holder_city, to_city) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        reminder.subject_id,
        reminder.step,
        reminder.due_on,
        reminder.flagged_on,
        reminder.person_ref,
        reminder.holder_city,
        reminder.to_city,
    )
    return bool(status.endswith(" 1"))


async def reminders_of(conn: Connection, subject_ids: Sequence[str]) -> dict[str, list[Reminder]]:
    """The reminders of each of ``subject_ids``, oldest deadline first."""
    rows = await conn.fetch(
        "SELECT * FROM file_overdue WHERE subject_id = ANY($1::text[])"
        " ORDER BY subject_id, due_on, step",
        list(subject_ids),
    )
    found: dict[str, list[Reminder]] = {}
    for row in rows:
        found.setdefault(row["subject_id"], []).append(_reminder(row))
    return found


# --------------------------------------------------------------------------------------------
# transfers


@dataclass(frozen=True)
class StoredTransfer:
    """A transfer as this city keeps it: the pure value, the steps applied (``version``),
    whether this city published its side of the move, and the reminders sent."""

    transfer: Transfer
    version: int
    holding_moved: bool = False
    reminders: tuple[Reminder, ...] = ()


def _sending(method: str | None, tracking: str | None, at: datetime | None) -> Sending | None:
    if method is None or tracking is None or at is None:
        return None
    return Sending(one_of(method, METHODS, "method"), tracking, at)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _transfer(row: asyncpg.Record, reminders: Sequence[Reminder]) -> StoredTransfer:
    transfer = Transfer(
        transfer_id=row["transfer_id"],
        person_ref=row["person_ref"],
        holder_city=one_of(row["holder_city"], CITIES, "holder_city"),
        to_city=one_of(row["to_city"], CITIES, "to_city"),
        to_centre_id=row["to_centre_id"],
        state=one_of(row["state"], TRANSFER_STATES, "state"),
        requested_at=row["requested_at"],
        dispatch_by=row["dispatch_by"],
        dispatched=_sending(row["dispatch_method"], row["dispatch_tracking"], row["dispatched_at"]),
        receive_by=row["receive_by"],
        received_at=row["received_at"],
        missing_parts=tuple(_json(row["missing_parts"])),
        supplement_by=row["supplement_by"],
        supplemented=_sending(
            row["supplement_method"], row["supplement_tracking"], row["supplemented_at"]
        ),
        completed_at=row["completed_at"],
    )
    return StoredTransfer(transfer, row["version"], row["holding_moved"], tuple(reminders))


async def _complete(conn: Connection, rows: Sequence[asyncpg.Record]) -> list[StoredTransfer]:
    reminders = await reminders_of(conn, [r["transfer_id"] for r in rows])
    return [_transfer(r, reminders.get(r["transfer_id"], [])) for r in rows]


async def load_transfer(
    conn: Connection, transfer_id: str, *, for_update: bool = False
) -> StoredTransfer | None:
    """The transfer ``transfer_id`` (locked with ``for_update``)."""
    row = await conn.fetchrow(
        "SELECT * FROM file_transfer WHERE transfer_id = $1"
        + (" FOR UPDATE" if for_update else ""),
        transfer_id,
    )
    return None if row is None else (await _complete(conn, [row]))[0]


async def open_transfer_of(conn: Connection, person_ref: str) -> str | None:
    """The id of the person's open transfer, if any."""
    found = await conn.fetchval(
        "SELECT transfer_id FROM file_transfer WHERE person_ref = $1 AND state <> 'completed'",
        person_ref,
    )
    return None if found is None else str(found)


async def transfers(
    conn: Connection, state: str | None, overdue_on: date | None, limit: int = 500
) -> list[StoredTransfer]:
    """Transfers known here in ``state`` (all when None); only those with a step past its
    day on ``overdue_on`` when given; newest first."""
    rows = await conn.fetch(
        "SELECT * FROM file_transfer WHERE ($1::text IS NULL OR state = $1)"
        " AND ($2::date IS NULL OR due_on < $2) ORDER BY requested_at DESC, transfer_id"
        " LIMIT $3",
        state,
        overdue_on,
        limit,
    )
    return await _complete(conn, rows)


async def due_transfers(conn: Connection, city: City, before: date) -> list[StoredTransfer]:
    """Open transfers requested by ``city`` with a step due before ``before`` (for the
    sweep; locked, skipping those another transaction holds)."""
    rows = await conn.fetch(
        "SELECT * FROM file_transfer WHERE to_city = $1 AND due_on < $2"
        " ORDER BY due_on, transfer_id FOR UPDATE SKIP LOCKED",
        city,
        before,
    )
    return await _complete(conn, rows)


async def save_transfer(
    conn: Connection, stored: StoredTransfer, due: tuple[str, date] | None, at: datetime
) -> None:
    """Insert or replace the transfer (version as given), with its pending ``due`` step."""
    t = stored.transfer
    d, s = t.dispatched, t.supplemented
    await conn.execute(
        "INSERT INTO file_transfer (transfer_id, person_ref, holder_city, to_city, to_centre_id,"
        " state, requested_at, dispatch_by, dispatch_method, dispatch_tracking, dispatched_at,"
        " receive_by, received_at, missing_parts, supplement_by, supplement_method,"
        " supplement_tracking, supplemented_at, completed_at, due_step, due_on, holding_moved,"
        " version, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
        " $13, $14::jsonb, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)"
        " ON CONFLICT (transfer_id) DO UPDATE SET state = EXCLUDED.state,"
        " dispatch_method = EXCLUDED.dispatch_method,"
        " dispatch_tracking = EXCLUDED.dispatch_tracking,"
        " dispatched_at = EXCLUDED.dispatched_at, receive_by = EXCLUDED.receive_by,"
        " received_at = EXCLUDED.received_at, missing_parts = EXCLUDED.missing_parts,"
        " supplement_by = EXCLUDED.supplement_by,"
        " supplement_method = EXCLUDED.supplement_method,"
        " supplement_tracking = EXCLUDED.supplement_tracking,"
        " supplemented_at = EXCLUDED.supplemented_at, completed_at = EXCLUDED.completed_at,"
        " due_step = EXCLUDED.due_step, due_on = EXCLUDED.due_on,"
        " holding_moved = EXCLUDED.holding_moved, version = EXCLUDED.version,"
        " updated_at = EXCLUDED.updated_at",
        t.transfer_id,
        t.person_ref,
        t.holder_city,
        t.to_city,
        t.to_centre_id,
        t.state,
        t.requested_at,
        t.dispatch_by,
        None if d is None else d.method,
        None if d is None else d.tracking_number,
        None if d is None else d.at,
        t.receive_by,
        t.received_at,
        json.dumps(list(t.missing_parts), ensure_ascii=False),
        t.supplement_by,
        None if s is None else s.method,
        None if s is None else s.tracking_number,
        None if s is None else s.at,
        t.completed_at,
        None if due is None else due[0],
        None if due is None else due[1],
        stored.holding_moved,
        stored.version,
        at,
    )


# --------------------------------------------------------------------------------------------
# certificates


@dataclass(frozen=True)
class Certificate:
    """A certificate request and, once answered, its answer."""

    certificate_id: str
    person_ref: str
    holder_city: City
    requesting_city: City
    kind: CertificateKind
    purpose: str
    state: CertificateState
    requested_at: datetime
    answer_by: date
    certificate_number: str | None = None
    document_sha256: str | None = None
    document_text: str | None = None
    reason: str | None = None
    answered_at: datetime | None = None
    reminders: tuple[Reminder, ...] = ()


def _certificate(row: asyncpg.Record, reminders: Sequence[Reminder]) -> Certificate:
    return Certificate(
        certificate_id=row["certificate_id"],
        person_ref=row["person_ref"],
        holder_city=one_of(row["holder_city"], CITIES, "holder_city"),
        requesting_city=one_of(row["requesting_city"], CITIES, "requesting_city"),
        kind=one_of(row["kind"], CERTIFICATE_KINDS, "kind"),
        purpose=row["purpose"],
        state=one_of(row["state"], CERTIFICATE_STATES, "state"),
        requested_at=row["requested_at"],
        answer_by=row["answer_by"],
        certificate_number=row["certificate_number"],
        document_sha256=row["document_sha256"],
        document_text=row["document_text"],
        reason=row["reason"],
        answered_at=row["answered_at"],
        reminders=tuple(reminders),
    )


async def load_certificate(
    conn: Connection, certificate_id: str, *, for_update: bool = False
) -> Certificate | None:
    """The certificate request ``certificate_id``."""
    row = await conn.fetchrow(
        "SELECT * FROM file_certificate WHERE certificate_id = $1"
        + (" FOR UPDATE" if for_update else ""),
        certificate_id,
    )
    if row is None:
        return None
    reminders = await reminders_of(conn, [certificate_id])
    return _certificate(row, reminders.get(certificate_id, []))


async def due_certificates(conn: Connection, city: City, before: date) -> list[Certificate]:
    """Unanswered certificate requests of ``city`` due before ``before`` (for the sweep)."""
    rows = await conn.fetch(
        "SELECT * FROM file_certificate WHERE requesting_city = $1 AND state = 'requested'"
        " AND answer_by < $2 ORDER BY answer_by, certificate_id FOR UPDATE SKIP LOCKED",
        city,
        before,
    )
    return [_certificate(r, ()) for r in rows]


async def save_certificate(conn: Connection, c: Certificate, at: datetime) -> None:
    """Insert the request, or record its answer (once: an answered request stays)."""
    await conn.execute(
        "INSERT INTO file_certificate (certificate_id, person_ref, holder_city,"
        " requesting_city, kind, purpose, state, requested_at, answer_by, certificate_number,"
        " document_sha256, document_text, reason, answered_at, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        " ON CONFLICT (certificate_id) DO UPDATE SET state = EXCLUDED.state,"
        " certificate_number = EXCLUDED.certificate_number,"
        " document_sha256 = EXCLUDED.document_sha256,"
        " document_text = EXCLUDED.document_text, reason = EXCLUDED.reason,"
        " answered_at = EXCLUDED.answered_at, updated_at = EXCLUDED.updated_at"
        " WHERE file_certificate.state = 'requested'",
        c.certificate_id,
        c.person_ref,
        c.holder_city,
        c.requesting_city,
        c.kind,
        c.purpose,
        c.state,
        c.requested_at,
        c.answer_by,
        c.certificate_number,
        c.document_sha256,
        c.document_text,
        c.reason,
        c.answered_at,
        at,
    )
