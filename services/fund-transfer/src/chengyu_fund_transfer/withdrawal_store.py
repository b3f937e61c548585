"""Withdrawals in this city's PostgreSQL database, and the withdrawals the other city
reported: explicit asyncpg SQL, rows to the domain's :class:`Withdrawal` and back here.

A withdrawal's application (proof references, the purchase, the confirmed loan) and its
history are JSON columns: they are read back whole, never queried into.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from chengyu_contracts.cities import CITIES, City
from chengyu_contracts.months import Month
from chengyu_kit.db import Connection, one_of

from .eligibility import RuleResult
from .loan_store import loan_fields, loan_of
from .money import Fen
from .policy import WITHDRAWAL_KINDS
from .transfer import Reason
from .withdrawal import (
    Application,
    HistoryEntry,
    Proof,
    Purchase,
    Withdrawal,
    WithdrawalState,
)

__all__ = [
    "ReportedWithdrawal",
    "StoredWithdrawal",
    "insert_withdrawal",
    "load_withdrawal",
    "new_withdrawal_id",
    "save_decision",
    "save_reported_withdrawal",
    "withdrawals_of_person",
]

_STATES: tuple[WithdrawalState, ...] = ("applied", "paid", "refused")
_COLUMNS = (
    "withdrawal_id, account_id, person_ref, city, kind, amount_fen, state, applied_on,"
    " applied_at, application, rules, history, reason_code, reason, applied_by,"
    " applied_request, decided_at, decided_by, decided_request"
)


@dataclass(frozen=True)
class StoredWithdrawal:
    """A withdrawal as this city keeps it: the domain's, its account, the rules the clerk
    saw when applying, and who did each step."""

    account_id: str
    withdrawal: Withdrawal
    rules: tuple[RuleResult, ...]
    applied_by: str | None = None
    decided_by: str | None = None


def new_withdrawal_id(city: City) -> str:
    """A fresh withdrawal id, prefixed with the city that pays it."""
    return f"wd-{city}-{uuid.uuid4().hex}"


def _application_json(application: Application) -> str:
    purchase = application.purchase
    return json.dumps(
        {
            "kind": application.kind,
            "amount_fen": application.amount_fen,
            "proofs": [{"kind": p.kind, "reference": p.reference} for p in application.proofs],
            "day": application.day.isoformat(),
            "purchase": None
            if purchase is None
            else {"price_fen": purchase.price_fen, "day": purchase.day.isoformat()},
            "loan": None if application.loan is None else loan_fields(application.loan),
        },
        ensure_ascii=False,
    )


def _application_from(raw: dict[str, Any]) -> Application:
    purchase = raw["purchase"]
    return Application(
        kind=one_of(raw["kind"], WITHDRAWAL_KINDS, "kind"),
        amount_fen=raw["amount_fen"],
        proofs=tuple(Proof(p["kind"], p["reference"]) for p in raw["proofs"]),
        day=date.fromisoformat(raw["day"]),
        purchase=None
        if purchase is None
        else Purchase(purchase["price_fen"], date.fromisoformat(purchase["day"])),
        loan=None if raw["loan"] is None else loan_of(raw["loan"]),
    )


def _history_json(history: tuple[HistoryEntry, ...]) -> str:
    return json.dumps(
        [{"state": h.state, "at": h.at.isoformat(), "detail": h.detail} for h in history],
        ensure_ascii=False,
    )


def _from_row(row: asyncpg.Record) -> StoredWithdrawal:
    reason = None if row["reason_code"] is None else Reason(row["reason_code"], row["reason"] or "")
    withdrawal = Withdrawal(
        withdrawal_id=row["withdrawal_id"],
        person_ref=row["person_ref"],
        city=one_of(row["city"], CITIES, "city"),
        application=_application_from(json.loads(row["application"])),
        amount_fen=Fen(row["amount_fen"]),
        state=one_of(row["state"], _STATES, "state"),
        applied_at=row["applied_at"],
        history=tuple(
            HistoryEntry(
                one_of(h["state"], _STATES, "state"), datetime.fromisoformat(h["at"]), h["detail"]
            )
            for h in json.loads(row["history"])
        ),
        reason=reason,
    )
    rules = tuple(RuleResult(**r) for r in json.loads(row["rules"]))
    return StoredWithdrawal(
        row["account_id"], withdrawal, rules, row["applied_by"], row["decided_by"]
    )


async def insert_withdrawal(
    conn: Connection,
    stored: StoredWithdrawal,
    *,
    request_id: str | None,
) -> None:
    """Insert a withdrawal just applied for. Raises ``asyncpg.UniqueViolationError`` when
    its account already has one undecided (the hold, backed by an index)."""
    w = stored.withdrawal
    await conn.execute(
        f"INSERT INTO withdrawal ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
        " $10::jsonb, $11::jsonb, $12::jsonb, $13, $14, $15, $16, NULL, NULL, NULL)",
        w.withdrawal_id,
        stored.account_id,
        w.person_ref,
        w.city,
        w.kind,
        w.amount_fen,
        w.state,
        w.application.day,
        w.applied_at,
        _application_json(w.application),
        json.dumps([r.__dict__ for r in stored.rules], ensure_ascii=False),
        _history_json(w.history),
        None,
        None,
        stored.applied_by,
        request_id,
    )


async def load_withdrawal(
    conn: Connection, withdrawal_id: str, *, for_update: bool = False
) -> StoredWithdrawal | None:
    """The withdrawal ``withdrawal_id`` paid (or to be paid) here, if any."""
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM withdrawal WHERE withdrawal_id = $1{lock}", withdrawal_id
    )
    return None if row is None else _from_row(row)


async def withdrawals_of_person(conn: Connection, person_ref: str) -> list[StoredWithdrawal]:
    """Every withdrawal of the person here, oldest first (caps and frequency count them)."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM withdrawal WHERE person_ref = $1 ORDER BY applied_at",
        person_ref,
    )
    return [_from_row(r) for r in rows]


async def save_decision(
    conn: Connection,
    withdrawal: Withdrawal,
    *,
    at: datetime,
    decided_by: str | None,
    request_id: str | None,
) -> None:
    """Save the clerk's decision (paid or refused) of an applied withdrawal."""
    reason = withdrawal.reason
    await conn.execute(
        "UPDATE withdrawal SET state = $2, history = $3::jsonb, reason_code = $4, reason = $5,"
        " decided_at = $6, decided_by = $7, decided_request = $8"
        " WHERE withdrawal_id = $1 AND state = 'applied'",
        withdrawal.withdrawal_id,
        withdrawal.state,
        _history_json(withdrawal.history),
        None if reason is None else reason.code,
        None if reason is None else reason.sentence,
        at,
        decided_by,
        request_id,
    )


@dataclass(frozen=True)
class ReportedWithdrawal:
    """A withdrawal the other city paid, and its account's balance after it."""

    withdrawal_id: str
    account_id: str
    person_ref: str
    city: City
    kind: str
    month: Month
    amount_fen: Fen
    balance_after_fen: Fen
    account_closed: bool
    account_version: int


async def save_reported_withdrawal(conn: Connection, report: ReportedWithdrawal) -> None:
    """Record a withdrawal the other city reported and its account's balance if newer than
    what is known (reports may arrive out of order); a retirement closes the account."""
    await conn.execute(
        "INSERT INTO reported_withdrawal (withdrawal_id, account_id, person_ref, city, kind,"
        " month, amount_fen) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (withdrawal_id) DO NOTHING",
        report.withdrawal_id,
        report.account_id,
        report.person_ref,
        report.city,
        report.kind,
        str(report.month),
        report.amount_fen,
    )
    await conn.execute(
        "INSERT INTO reported_account (account_id, person_ref, city, balance_fen, version,"
        " closed) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (account_id) DO UPDATE SET balance_fen = excluded.balance_fen,"
        " version = excluded.version, closed = reported_account.closed OR excluded.closed"
        " WHERE reported_account.version < excluded.version AND NOT reported_account.closed",
        report.account_id,
        report.person_ref,
        report.city,
        report.balance_after_fen,
        report.account_version,
        report.account_closed,
    )
