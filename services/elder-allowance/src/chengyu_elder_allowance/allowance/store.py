"""SQL of the allowance area on ``unit.conn``: allowances, payments, payment runs, recovery
claims, verifications, and what the other city's events say (``allowance_seen``).

Months are ``date`` (the first day) in SQL and :class:`Month` here. Chunks of the payment run
are read by ``person_ref`` range with a handful of queries (one per table) and written in
bulk (one ``unnest`` statement per table), so a run costs a few round trips per thousand
persons.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

import asyncpg

from chengyu_contracts.cities import CITIES, City
from chengyu_contracts.events.elder import ElderAllowancePaymentRunCompleted
from chengyu_contracts.months import Month
from chengyu_kit.db import Connection, one_of

from ..policy import ASSISTANCE, BANDS, Assistance, Band
from ..register.elder import AssistancePeriod
from ..register.households import REGISTRATION_STATUSES, Registration
from .allowance import ALLOWANCE_STATES, TERMINATION_REASONS, Allowance, AllowanceState

PaymentStatus = Literal["issued", "confirmed", "failed"]
PAYMENT_STATUSES: tuple[PaymentStatus, ...] = ("issued", "confirmed", "failed")
PaymentKind = Literal["regular", "back-pay", "retry"]
PAYMENT_KINDS: tuple[PaymentKind, ...] = ("regular", "back-pay", "retry")
Via = Literal["automatic", "application"]


def day_of(month: Month) -> date:
    """The first day of ``month``: how SQL stores a month."""
    return date(month.year, month.month, 1)


def month_of(day: date | None) -> Month | None:
    """The month a stored first day stands for (``None`` stays ``None``)."""
    return None if day is None else Month(day.year, day.month)


def _month(day: date) -> Month:
    return Month(day.year, day.month)


# --------------------------------------------------------------------------------------------
# allowances


@dataclass(frozen=True)
class StoredAllowance:
    """An allowance as this city keeps it, with how and when it was granted."""

    allowance: Allowance
    granted_on: date
    via: Via
    application_id: str | None
    version: int


_ALLOWANCE_COLUMNS = (
    "person_ref, paying_city, state, band, first_month, verification_due, suspended_from,"
    " resume_by, last_month, end_reason, granted_on, via, application_id, version"
)


def _allowance(row: asyncpg.Record) -> StoredAllowance:
    allowance = Allowance(
        person_ref=str(row["person_ref"]),
        paying_city=one_of(str(row["paying_city"]), CITIES, "city"),
        state=one_of(str(row["state"]), ALLOWANCE_STATES, "allowance state"),
        band=one_of(str(row["band"]), BANDS, "band"),
        first_month=_month(row["first_month"]),
        verification_due=_month(row["verification_due"]),
        suspended_from=month_of(row["suspended_from"]),
        resume_by=month_of(row["resume_by"]),
        last_month=month_of(row["last_month"]),
        end_reason=(
            None
            if row["end_reason"] is None
            else one_of(str(row["end_reason"]), TERMINATION_REASONS, "end reason")
        ),
    )
    via: Via = one_of(str(row["via"]), ("automatic", "application"), "grant route")
    application_id = row["application_id"]
    return StoredAllowance(
        allowance=allowance,
        granted_on=row["granted_on"],
        via=via,
        application_id=None if application_id is None else str(application_id),
        version=int(row["version"]),
    )


async def load_allowance(
    conn: Connection, person_ref: str, *, for_update: bool = False
) -> StoredAllowance | None:
    """The allowance this city keeps for ``person_ref``, if any (locked with ``for_update``)."""
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT {_ALLOWANCE_COLUMNS} FROM allowance WHERE person_ref = $1{lock}", person_ref
    )
    return None if row is None else _allowance(row)


@dataclass(frozen=True)
class AllowanceWrite:
    """A new or changed allowance to save (grant fields are kept on an update)."""

    allowance: Allowance
    granted_on: date
    via: Via = "automatic"
    application_id: str | None = None


async def save_allowances(
    conn: Connection, writes: Sequence[AllowanceWrite], now: datetime
) -> None:
    """Insert new allowances and update changed ones, in one statement."""
    if not writes:
        return
    a = [w.allowance for w in writes]
    await conn.execute(
        """
        INSERT INTO allowance (person_ref, paying_city, state, band, first_month,
                               verification_due, suspended_from, resume_by, last_month,
                               end_reason, granted_on, via, application_id, version, updated_at)
        SELECT r, c, s, b, f, v, sf, rb, lm, er, g, via, app, 1, $14
          FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::date[], $6::date[],
                      $7::date[], $8::date[], $9::date[], $10::text[], $11::date[],
                      $12::text[], $13::text[])
               AS t(r, c, s, b, f, v, sf, rb, lm, er, g, via, app)
        ON CONFLICT (person_ref) DO UPDATE SET
            state = EXCLUDED.state, band = EXCLUDED.band, first_month = EXCLUDED.first_month,
            verification_due = EXCLUDED.verification_due,
            suspended_from = EXCLUDED.suspended_from, resume_by = EXCLUDED.resume_by,
            last_month = EXCLUDED.last_month, end_reason = EXCLUDED.end_reason,
            version = allowance.version + 1, updated_at = EXCLUDED.updated_at
        """,
        [x.person_ref for x in a],
        [x.paying_city for x in a],
        [x.state for x in a],
        [x.band for x in a],
        [day_of(x.first_month) for x in a],
        [day_of(x.verification_due) for x in a],
        [None if x.suspended_from is None else day_of(x.suspended_from) for x in a],
        [None if x.resume_by is None else day_of(x.resume_by) for x in a],
        [None if x.last_month is None else day_of(x.last_month) for x in a],
        [x.end_reason for x in a],
        [w.granted_on for w in writes],
        [w.via for w in writes],
        [w.application_id for w in writes],
        now,
    )


# --------------------------------------------------------------------------------------------
# the register, as the allowance needs it


@dataclass(frozen=True)
class RegisteredElder:
    """What the allowance needs of one registered person (no personal data)."""

    person_ref: str
    birth_date: date
    died_on: date | None


async def load_elder(conn: Connection, person_ref: str) -> RegisteredElder | None:
    """One person of this city's register."""
    row = await conn.fetchrow(
        "SELECT person_ref, birth_date, died_on FROM elder WHERE person_ref = $1", person_ref
    )
    if row is None:
        return None
    return RegisteredElder(row["person_ref"], row["birth_date"], row["died_on"])


def _registration(row: asyncpg.Record) -> Registration:
    return Registration(
        city=one_of(str(row["city"]), CITIES, "city"),
        version=int(row["version"]),
        status=one_of(str(row["status"]), REGISTRATION_STATUSES, "registration status"),
        registered_from=month_of(row["registered_from"]),
        registered_until=month_of(row["registered_until"]),
    )


async def load_registrations(conn: Connection, person_ref: str) -> dict[City, Registration]:
    """Both cities' latest registrations of ``person_ref`` known here."""
    rows = await conn.fetch(
        "SELECT city, version, status, registered_from, registered_until"
        " FROM household WHERE person_ref = $1",
        person_ref,
    )
    return {r.city: r for r in map(_registration, rows)}


async def duplicate_from(conn: Connection, person_ref: str) -> Month | None:
    """The first month of an unresolved duplicate flag (重复享受), if any."""
    day = await conn.fetchval(
        "SELECT first_month FROM duplicate_flag WHERE person_ref = $1 AND cleared_on IS NULL",
        person_ref,
    )
    return month_of(day)


# --------------------------------------------------------------------------------------------
# one chunk of the payment run


@dataclass(frozen=True)
class PaymentRow:
    """One stored payment of a month."""

    month: Month
    amount_fen: int
    status: PaymentStatus
    attempts: int


@dataclass
class ChunkPerson:
    """Everything the run decides one person's month from."""

    person_ref: str
    birth_date: date
    died_on: date | None
    assistance: list[AssistancePeriod] = field(default_factory=list)
    registrations: dict[City, Registration] = field(default_factory=dict)
    duplicate_from: Month | None = None
    allowance: StoredAllowance | None = None
    payments: dict[Month, PaymentRow] = field(default_factory=dict)


async def load_chunk(
    conn: Connection, *, after: str | None, limit: int, payments_from: Month
) -> list[ChunkPerson]:
    """The next ``limit`` persons of the register after ``after`` (by ``person_ref``), with
    their assistance, both registrations, duplicate flag, allowance (locked: a concurrent
    death or verification waits for the chunk) and payments from ``payments_from`` on."""
    rows = await conn.fetch(
        "SELECT person_ref, birth_date, died_on FROM elder"
        " WHERE ($1::text IS NULL OR person_ref > $1) ORDER BY person_ref LIMIT $2",
        after,
        limit,
    )
    if not rows:
        return []
    people = {
        r["person_ref"]: ChunkPerson(r["person_ref"], r["birth_date"], r["died_on"]) for r in rows
    }
    low, high = rows[0]["person_ref"], rows[-1]["person_ref"]
    between = "person_ref >= $1 AND person_ref <= $2"
    for row in await conn.fetch(
        f"SELECT {_ALLOWANCE_COLUMNS} FROM allowance WHERE {between} FOR UPDATE", low, high
    ):
        if row["person_ref"] in people:
            people[row["person_ref"]].allowance = _allowance(row)
    for row in await conn.fetch(
        f"SELECT person_ref, status, start_on, end_on FROM assistance_period WHERE {between}",
        low,
        high,
    ):
        if row["person_ref"] in people:
            status = one_of(row["status"], ASSISTANCE, "assistance")
            people[row["person_ref"]].assistance.append(
                AssistancePeriod(status, row["start_on"], row["end_on"])
            )
    for row in await conn.fetch(
        "SELECT person_ref, city, version, status, registered_from, registered_until"
        f" FROM household WHERE {between}",
        low,
        high,
    ):
        if row["person_ref"] in people:
            registration = _registration(row)
            people[row["person_ref"]].registrations[registration.city] = registration
    for row in await conn.fetch(
        f"SELECT person_ref, first_month FROM duplicate_flag WHERE {between}"
        " AND cleared_on IS NULL",
        low,
        high,
    ):
        if row["person_ref"] in people:
            people[row["person_ref"]].duplicate_from = month_of(row["first_month"])
    for row in await conn.fetch(
        "SELECT person_ref, month, amount_fen, status, attempts FROM payment"
        f" WHERE {between} AND month >= $3",
        low,
        high,
        day_of(payments_from),
    ):
        if row["person_ref"] in people:
            month = _month(row["month"])
            people[row["person_ref"]].payments[month] = PaymentRow(
                month,
                row["amount_fen"],
                one_of(row["status"], PAYMENT_STATUSES, "payment status"),
                row["attempts"],
            )
    return list(people.values())


# --------------------------------------------------------------------------------------------
# payments


@dataclass(frozen=True)
class NewPayment:
    """A payment of one person's month, issued by the run of ``run_month``."""

    person_ref: str
    month: Month
    amount_fen: int
    band: Band
    assistance: Assistance
    kind: PaymentKind
    run_month: Month
    reference: str
    attempts: int = 1


async def insert_payments(conn: Connection, payments: Sequence[NewPayment]) -> list[NewPayment]:
    """Insert new payments; a month already paid is skipped (the primary key). Returns
    those inserted."""
    if not payments:
        return []
    rows = await conn.fetch(
        """
        INSERT INTO payment (person_ref, month, amount_fen, band, assistance, kind, run_month,
                             reference, status, attempts)
        SELECT r, m, a, b, s, k, $7, ref, 'issued', 1
          FROM unnest($1::text[], $2::date[], $3::int[], $4::text[], $5::text[], $6::text[],
                      $8::text[]) AS t(r, m, a, b, s, k, ref)
        ON CONFLICT (person_ref, month) DO NOTHING
        RETURNING reference
        """,
        [p.person_ref for p in payments],
        [day_of(p.month) for p in payments],
        [p.amount_fen for p in payments],
        [p.band for p in payments],
        [p.assistance for p in payments],
        [p.kind for p in payments],
        day_of(payments[0].run_month),
        [p.reference for p in payments],
    )
    inserted = {r["reference"] for r in rows}
    return [p for p in payments if p.reference in inserted]


async def retry_payments(conn: Connection, retries: Sequence[NewPayment]) -> list[NewPayment]:
    """Issue failed payments again on their own rows (attempts + 1, a new reference, this
    run's month); a row no longer failed is left alone. Returns those re-issued."""
    if not retries:
        return []
    rows = await conn.fetch(
        """
        UPDATE payment p
           SET amount_fen = t.a, band = t.b, assistance = t.s, kind = 'retry',
               run_month = $6, reference = t.ref, status = 'issued',
               attempts = p.attempts + 1, failure_reason = NULL
          FROM unnest($1::text[], $2::date[], $3::int[], $4::text[], $5::text[], $7::text[])
               AS t(r, m, a, b, s, ref)
         WHERE p.person_ref = t.r AND p.month = t.m AND p.status = 'failed'
        RETURNING p.reference
        """,
        [p.person_ref for p in retries],
        [day_of(p.month) for p in retries],
        [p.amount_fen for p in retries],
        [p.band for p in retries],
        [p.assistance for p in retries],
        day_of(retries[0].run_month),
        [p.reference for p in retries],
    )
    done = {r["reference"] for r in rows}
    return [p for p in retries if p.reference in done]


@dataclass(frozen=True)
class PaymentView:
    """One payment as the clerks see it."""

    month: Month
    amount_fen: int
    run_month: Month
    status: PaymentStatus
    kind: PaymentKind
    reference: str


async def payments_of(conn: Connection, person_ref: str) -> list[PaymentView]:
    """Every payment of ``person_ref`` by this city, by month."""
    rows = await conn.fetch(
        "SELECT month, amount_fen, run_month, status, kind, reference FROM payment"
        " WHERE person_ref = $1 ORDER BY month",
        person_ref,
    )
    return [
        PaymentView(
            _month(r["month"]),
            r["amount_fen"],
            _month(r["run_month"]),
            one_of(r["status"], PAYMENT_STATUSES, "payment status"),
            one_of(r["kind"], PAYMENT_KINDS, "payment kind"),
            r["reference"],
        )
        for r in rows
    ]


async def known_references(
    conn: Connection, run_month: Month, references: Iterable[str]
) -> set[str]:
    """Which of ``references`` are payments issued by the run of ``run_month``."""
    rows = await conn.fetch(
        "SELECT reference FROM payment WHERE reference = ANY($1::text[]) AND run_month = $2",
        list(references),
        day_of(run_month),
    )
    return {r["reference"] for r in rows}


async def mark_failed(conn: Connection, failed: Mapping[str, str]) -> int:
    """Mark payments failed by reference with the bank's reason; how many rows."""
    if not failed:
        return 0
    rows = await conn.fetch(
        """
        UPDATE payment p SET status = 'failed', failure_reason = t.reason
          FROM unnest($1::text[], $2::text[]) AS t(ref, reason)
         WHERE p.reference = t.ref AND p.status <> 'confirmed'
        RETURNING p.reference
        """,
        list(failed),
        list(failed.values()),
    )
    return len(rows)


@dataclass(frozen=True)
class BankLine:
    """One line of a run's bank file (personal data: only into the file, never logged)."""

    reference: str
    person_ref: str
    name: str
    bank_account_token: str
    month: Month
    amount_fen: int


async def bank_lines(conn: Connection, run_month: Month) -> list[BankLine]:
    """The payments the run of ``run_month`` issued, by person and month."""
    rows = await conn.fetch(
        """
        SELECT p.reference, p.person_ref, e.name, e.bank_account_token, p.month, p.amount_fen
          FROM payment p JOIN elder e USING (person_ref)
         WHERE p.run_month = $1
         ORDER BY p.person_ref, p.month
        """,
        day_of(run_month),
    )
    return [
        BankLine(
            r["reference"],
            r["person_ref"],
            r["name"],
            r["bank_account_token"],
            _month(r["month"]),
            r["amount_fen"],
        )
        for r in rows
    ]


# --------------------------------------------------------------------------------------------
# payment runs


@dataclass(frozen=True)
class RunCounts:
    """What a chunk (or the whole run) did."""

    granted: int = 0
    payments: int = 0
    amount_fen: int = 0
    back_payments: int = 0
    retried: int = 0
    suspended: int = 0
    resumed: int = 0
    terminated: int = 0

    def __add__(self, other: RunCounts) -> RunCounts:
        return RunCounts(
            *(getattr(self, f) + getattr(other, f) for f in RunCounts.__dataclass_fields__)
        )


@dataclass(frozen=True)
class StoredRun:
    """A payment run of one month."""

    month: Month
    run_id: str
    status: Literal["running", "completed"]
    checkpoint: str | None
    counts: RunCounts
    bank_file_sha256: str | None
    completed_at: datetime | None


_RUN_COLUMNS = (
    "month, run_id, status, checkpoint, granted, payments, amount_fen, back_payments, retried,"
    " suspended, resumed, terminated, bank_file_sha256, completed_at"
)


def _run(row: asyncpg.Record) -> StoredRun:
    counts = RunCounts(*(int(row[f]) for f in RunCounts.__dataclass_fields__))
    return StoredRun(
        month=_month(row["month"]),
        run_id=str(row["run_id"]),
        status=one_of(str(row["status"]), ("running", "completed"), "run status"),
        checkpoint=None if row["checkpoint"] is None else str(row["checkpoint"]),
        counts=counts,
        bank_file_sha256=None if row["bank_file_sha256"] is None else str(row["bank_file_sha256"]),
        completed_at=row["completed_at"],
    )


async def lock_run(conn: Connection, month: Month, run_id: str, now: datetime) -> StoredRun:
    """The run of ``month``, started if it was not, locked for this transaction (two runners
    of one month take turns, chunk by chunk)."""
    await conn.execute(
        "INSERT INTO payment_run (month, run_id, status, started_at) VALUES ($1, $2, 'running', $3)"
        " ON CONFLICT (month) DO NOTHING",
        day_of(month),
        run_id,
        now,
    )
    row = await conn.fetchrow(
        f"SELECT {_RUN_COLUMNS} FROM payment_run WHERE month = $1 FOR UPDATE", day_of(month)
    )
    assert row is not None
    return _run(row)


async def load_run(conn: Connection, month: Month) -> StoredRun | None:
    """The run of ``month``, if it was started."""
    row = await conn.fetchrow(
        f"SELECT {_RUN_COLUMNS} FROM payment_run WHERE month = $1", day_of(month)
    )
    return None if row is None else _run(row)


async def advance_run(conn: Connection, month: Month, checkpoint: str, counts: RunCounts) -> None:
    """Record a chunk: its last person and what it did, added to the run's counts."""
    await conn.execute(
        """
        UPDATE payment_run SET checkpoint = $2, granted = granted + $3, payments = payments + $4,
               amount_fen = amount_fen + $5, back_payments = back_payments + $6,
               retried = retried + $7, suspended = suspended + $8, resumed = resumed + $9,
               terminated = terminated + $10
         WHERE month = $1
        """,
        day_of(month),
        checkpoint,
        counts.granted,
        counts.payments,
        counts.amount_fen,
        counts.back_payments,
        counts.retried,
        counts.suspended,
        counts.resumed,
        counts.terminated,
    )


async def complete_run(
    conn: Connection, month: Month, bank_file: bytes, sha256: str, now: datetime
) -> None:
    """Close the run with its bank file."""
    await conn.execute(
        "UPDATE payment_run SET status = 'completed', bank_file = $2, bank_file_sha256 = $3,"
        " completed_at = $4 WHERE month = $1",
        day_of(month),
        bank_file,
        sha256,
        now,
    )


async def bank_file_of(conn: Connection, month: Month) -> bytes | None:
    """The bank file of a completed run."""
    value = await conn.fetchval(
        "SELECT bank_file FROM payment_run WHERE month = $1 AND status = 'completed'",
        day_of(month),
    )
    return None if value is None else bytes(value)


# --------------------------------------------------------------------------------------------
# recovery claims


@dataclass(frozen=True)
class RecoveryClaim:
    """Months paid after the allowance ended, to recover (追缴)."""

    claim_id: str
    person_ref: str
    months: tuple[Month, ...]
    amount_fen: int
    reason: str
    claimed_on: date


async def settled_payments(conn: Connection, person_ref: str) -> dict[Month, int]:
    """The months of ``person_ref`` paid (issued or confirmed) and their amounts."""
    rows = await conn.fetch(
        "SELECT month, amount_fen FROM payment WHERE person_ref = $1"
        " AND status IN ('issued', 'confirmed')",
        person_ref,
    )
    return {_month(r["month"]): r["amount_fen"] for r in rows}


async def insert_claim(conn: Connection, claim: RecoveryClaim) -> None:
    """Record a recovery claim."""
    await conn.execute(
        "INSERT INTO recovery_claim (claim_id, person_ref, months, amount_fen, reason, claimed_on)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        claim.claim_id,
        claim.person_ref,
        [day_of(m) for m in claim.months],
        claim.amount_fen,
        claim.reason,
        claim.claimed_on,
    )


def _claim(row: asyncpg.Record) -> RecoveryClaim:
    return RecoveryClaim(
        claim_id=str(row["claim_id"]),
        person_ref=str(row["person_ref"]),
        months=tuple(_month(d) for d in row["months"]),
        amount_fen=int(row["amount_fen"]),
        reason=str(row["reason"]),
        claimed_on=row["claimed_on"],
    )


async def claims_of(
    conn: Connection, person_ref: str, *, seen: bool = False
) -> list[RecoveryClaim]:
    """This city's recovery claims of ``person_ref`` (or, with ``seen``, the other city's)."""
    table = "recovery_claim_seen" if seen else "recovery_claim"
    rows = await conn.fetch(
        f"SELECT claim_id, person_ref, months, amount_fen, reason, claimed_on FROM {table}"
        " WHERE person_ref = $1 ORDER BY claimed_on, claim_id",
        person_ref,
    )
    return [_claim(r) for r in rows]


# --------------------------------------------------------------------------------------------
# verifications


@dataclass(frozen=True)
class Verification:
    """A verification (审验) recorded in ``recorded_in`` for the allowance ``paying_city``
    pays."""

    verification_id: str
    person_ref: str
    recorded_in: City
    paying_city: City
    verified_on: date


async def insert_verification(conn: Connection, verification: Verification) -> bool:
    """Record a verification once; whether it was new."""
    v = verification
    status = await conn.execute(
        "INSERT INTO verification (verification_id, person_ref, recorded_in, paying_city,"
        " verified_on) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        v.verification_id,
        v.person_ref,
        v.recorded_in,
        v.paying_city,
        v.verified_on,
    )
    return bool(status.endswith(" 1"))


async def claim_verification(conn: Connection, verification_id: str) -> bool:
    """Mark a verification applied; False when it already was (apply each once)."""
    status = await conn.execute(
        "UPDATE verification SET applied = true WHERE verification_id = $1 AND NOT applied",
        verification_id,
    )
    return bool(status.endswith(" 1"))


# --------------------------------------------------------------------------------------------
# the other city's allowances, as its events tell


@dataclass(frozen=True)
class SeenAllowance:
    """The other city's allowance of a person."""

    person_ref: str
    paying_city: City
    state: AllowanceState
    band: Band
    first_month: Month
    verification_due: Month | None
    last_month: Month | None


async def seen_granted(conn: Connection, seen: SeenAllowance, on: date) -> None:
    """The other city granted an allowance."""
    await conn.execute(
        """
        INSERT INTO allowance_seen (person_ref, paying_city, state, band, first_month,
                                    verification_due, last_month, updated_on)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (person_ref) DO UPDATE SET paying_city = EXCLUDED.paying_city,
            state = EXCLUDED.state, band = EXCLUDED.band, first_month = EXCLUDED.first_month,
            verification_due = EXCLUDED.verification_due, last_month = EXCLUDED.last_month,
            updated_on = EXCLUDED.updated_on
        """,
        seen.person_ref,
        seen.paying_city,
        seen.state,
        seen.band,
        day_of(seen.first_month),
        None if seen.verification_due is None else day_of(seen.verification_due),
        None if seen.last_month is None else day_of(seen.last_month),
        on,
    )


@dataclass(frozen=True)
class SeenChange:
    """A change of the other city's allowance (fields left None stay as they were)."""

    person_ref: str
    paying_city: City
    on: date
    state: AllowanceState | None = None
    band: Band | None = None
    verification_due: Month | None = None
    last_month: Month | None = None


async def seen_changed(conn: Connection, change: SeenChange) -> None:
    """Apply a change of the other city's allowance."""
    c = change
    await conn.execute(
        """
        UPDATE allowance_seen SET state = coalesce($3, state), band = coalesce($4, band),
               verification_due = coalesce($5, verification_due),
               last_month = coalesce($6, last_month), updated_on = $7
         WHERE person_ref = $1 AND paying_city = $2
        """,
        c.person_ref,
        c.paying_city,
        c.state,
        c.band,
        None if c.verification_due is None else day_of(c.verification_due),
        None if c.last_month is None else day_of(c.last_month),
        c.on,
    )


async def load_seen(conn: Connection, person_ref: str) -> SeenAllowance | None:
    """The other city's allowance of ``person_ref`` as its events told."""
    row = await conn.fetchrow(
        "SELECT person_ref, paying_city, state, band, first_month, verification_due, last_month"
        " FROM allowance_seen WHERE person_ref = $1",
        person_ref,
    )
    if row is None:
        return None
    return SeenAllowance(
        person_ref=row["person_ref"],
        paying_city=one_of(row["paying_city"], CITIES, "city"),
        state=one_of(row["state"], ALLOWANCE_STATES, "allowance state"),
        band=one_of(row["band"], BANDS, "band"),
        first_month=_month(row["first_month"]),
        verification_due=month_of(row["verification_due"]),
        last_month=month_of(row["last_month"]),
    )


async def seen_claim(conn: Connection, claim: RecoveryClaim, paying_city: City) -> None:
    """The other city's recovery claim (kept once)."""
    await conn.execute(
        "INSERT INTO recovery_claim_seen (claim_id, person_ref, paying_city, months, amount_fen,"
        " reason, claimed_on) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        claim.claim_id,
        claim.person_ref,
        paying_city,
        [day_of(m) for m in claim.months],
        claim.amount_fen,
        claim.reason,
        claim.claimed_on,
    )


async def seen_run(conn: Connection, run: ElderAllowancePaymentRunCompleted) -> None:
    """The other city's completed payment run (kept once)."""
    await conn.execute(
        "INSERT INTO payment_run_seen (city, month, run_id, payments, amount_fen,"
        " bank_file_sha256) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        run.city,
        day_of(Month.parse(run.month)),
        run.run_id,
        run.payments,
        run.amount_fen,
        run.bank_file_sha256,
    )
