"""Loans and loan queries in this city's PostgreSQL database: the loans granted here, the
other city's loans as its events report them, and the queries between the cities (互查)
with their signed answers. Explicit asyncpg SQL; rows to the domain here."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from chengyu_contracts.cities import CITIES, City
from chengyu_contracts.months import Month
from chengyu_kit.db import Connection, one_of

from .loan import Loan
from .money import Fen

__all__ = [
    "LoanQuery",
    "answer_query",
    "insert_query",
    "load_query",
    "loan_fields",
    "loan_of",
    "loans_of_person",
    "lock_person",
    "new_loan_id",
    "new_query_id",
    "save_loan",
]

_LOAN_COLUMNS = (
    "loan_id, person_ref, city, amount_fen, term_months, annual_rate_bp,"
    " monthly_instalment_fen, bank, start_month"
)
_QUERY_COLUMNS = (
    "query_id, person_ref, asking_city, asked_city, purpose, asked_at, answer_by, asked_by,"
    " answered_at, loans"
)


def new_loan_id(city: City) -> str:
    """A fresh loan id, prefixed with the lending city."""
    return f"loan-{city}-{uuid.uuid4().hex}"


def new_query_id(city: City) -> str:
    """A fresh loan query id, prefixed with the asking city."""
    return f"lq-{city}-{uuid.uuid4().hex}"


def loan_fields(loan: Loan) -> dict[str, Any]:
    """A loan's fields by name, as JSON holds them and a ``loan-recorded`` event carries
    them: what :func:`loan_of` reads back."""
    return {
        "loan_id": loan.loan_id,
        "person_ref": loan.person_ref,
        "city": loan.city,
        "amount_fen": loan.amount_fen,
        "term_months": loan.term_months,
        "annual_rate_bp": loan.annual_rate_bp,
        "monthly_instalment_fen": loan.monthly_instalment_fen,
        "bank": loan.bank,
        "start_month": str(loan.start_month),
    }


def loan_of(fields: Mapping[str, Any]) -> Loan:
    """A loan from its fields by name: a ``loan`` row, a loan kept as JSON, a
    ``loan-recorded`` event's data."""
    return Loan(
        loan_id=fields["loan_id"],
        person_ref=fields["person_ref"],
        city=one_of(fields["city"], CITIES, "city"),
        amount_fen=Fen(fields["amount_fen"]),
        term_months=fields["term_months"],
        annual_rate_bp=fields["annual_rate_bp"],
        monthly_instalment_fen=Fen(fields["monthly_instalment_fen"]),
        bank=fields["bank"],
        start_month=Month.parse(fields["start_month"]),
    )


async def lock_person(conn: Connection, person_ref: str) -> None:
    """Hold the person's loan lock until the transaction ends: two clerks granting loans to
    one person at once are decided one after the other, so the second sees the first."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", person_ref)


async def save_loan(
    conn: Connection,
    loan: Loan,
    *,
    at: datetime,
    granted_by: str | None = None,
    request_id: str | None = None,
) -> bool:
    """Keep ``loan`` (granted here, or reported by the other city); whether it was new (a
    report delivered again changes nothing)."""
    inserted = await conn.fetchval(
        f"INSERT INTO loan ({_LOAN_COLUMNS}, recorded_at, granted_by, granted_request)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        " ON CONFLICT (loan_id) DO NOTHING RETURNING true",
        loan.loan_id,
        loan.person_ref,
        loan.city,
        loan.amount_fen,
        loan.term_months,
        loan.annual_rate_bp,
        loan.monthly_instalment_fen,
        loan.bank,
        str(loan.start_month),
        at,
        granted_by,
        request_id,
    )
    return bool(inserted)


async def loans_of_person(
    conn: Connection, person_ref: str, *, city: City | None = None
) -> list[Loan]:
    """The person's loans known here (of ``city`` only, when given), oldest first."""
    rows = await conn.fetch(
        f"SELECT {_LOAN_COLUMNS} FROM loan WHERE person_ref = $1"
        " AND ($2::text IS NULL OR city = $2) ORDER BY recorded_at, loan_id",
        person_ref,
        city,
    )
    return [loan_of(dict(r)) for r in rows]


async def load_loan(conn: Connection, loan_id: str) -> Loan | None:
    """The loan ``loan_id`` known here, if any."""
    row = await conn.fetchrow(f"SELECT {_LOAN_COLUMNS} FROM loan WHERE loan_id = $1", loan_id)
    return None if row is None else loan_of(dict(row))


@dataclass(frozen=True)
class LoanQuery:
    """A loan query between the cities and, once answered, the asked city's statements
    (the answer event's ``loans``, as JSON objects)."""

    query_id: str
    person_ref: str
    asking_city: City
    asked_city: City
    purpose: str
    asked_at: datetime
    answer_by: datetime
    asked_by: str | None = None
    answered_at: datetime | None = None
    loans: tuple[dict[str, Any], ...] | None = None


def _query_from_row(row: asyncpg.Record) -> LoanQuery:
    loans = row["loans"]
    return LoanQuery(
        query_id=row["query_id"],
        person_ref=row["person_ref"],
        asking_city=one_of(row["asking_city"], CITIES, "city"),
        asked_city=one_of(row["asked_city"], CITIES, "city"),
        purpose=row["purpose"],
        asked_at=row["asked_at"],
        answer_by=row["answer_by"],
        asked_by=row["asked_by"],
        answered_at=row["answered_at"],
        loans=None if loans is None else tuple(json.loads(loans)),
    )


async def insert_query(conn: Connection, query: LoanQuery) -> bool:
    """Keep a query (asked here, or asked of this city); whether it was new."""
    inserted = await conn.fetchval(
        f"INSERT INTO loan_query ({_QUERY_COLUMNS}) VALUES"
        " ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL)"
        " ON CONFLICT (query_id) DO NOTHING RETURNING true",
        query.query_id,
        query.person_ref,
        query.asking_city,
        query.asked_city,
        query.purpose,
        query.asked_at,
        query.answer_by,
        query.asked_by,
    )
    return bool(inserted)


async def load_query(
    conn: Connection, query_id: str, *, for_update: bool = False
) -> LoanQuery | None:
    """The loan query ``query_id`` known here, if any."""
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT {_QUERY_COLUMNS} FROM loan_query WHERE query_id = $1{lock}", query_id
    )
    return None if row is None else _query_from_row(row)


async def answer_query(
    conn: Connection, query_id: str, answered_at: datetime, loans: list[dict[str, Any]]
) -> bool:
    """Record the answer to a query once; whether this was the first answer."""
    updated = await conn.fetchval(
        "UPDATE loan_query SET answered_at = $2, loans = $3::jsonb"
        " WHERE query_id = $1 AND answered_at IS NULL RETURNING true",
        query_id,
        answered_at,
        json.dumps(loans, ensure_ascii=False),
    )
    return bool(updated)
