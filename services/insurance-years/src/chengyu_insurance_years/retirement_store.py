"""Retirement-city claims, the person's one determination and review flags in this city's
database. Explicit asyncpg SQL; rows <-> domain here only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import asyncpg

from chengyu_contracts.cities import CITIES, City
from chengyu_kit.db import Connection, one_of

from .policy import SEXES, Sex
from .retirement import Figures, RetirementDetermination, RetirementRequest
from .review import ReviewFlag
from .wire import figures_from_json, figures_json

ClaimState = Literal["submitted", "pending", "determined", "refused"]
_STATES: tuple[ClaimState, ...] = ("submitted", "pending", "determined", "refused")

_CLAIM_COLUMNS = (
    "request_id, person_ref, requested_in, chosen_city, sex, retirement_date, requested_at,"
    " seq, state, code, reason, figures, shortfalls, alternative_city, determined_city,"
    " decided_at"
)


@dataclass(frozen=True)
class Claim:
    """A retirement-city claim as this city knows it, with its outcome once decided.

    ``seq`` is the claim's place among the claims this city consumed (the log order of the
    person's partition); ``None`` while a claim requested here is not back from the bus.
    """

    request_id: str
    person_ref: str
    requested_in: City
    chosen_city: City
    sex: Sex
    retirement_date: date
    requested_at: datetime
    seq: int | None
    state: ClaimState
    code: str | None = None
    reason: str | None = None
    figures: dict[str, Any] | None = None
    shortfalls: list[dict[str, Any]] | None = None
    alternative_city: City | None = None
    determined_city: City | None = None
    decided_at: datetime | None = None

    @property
    def request(self) -> RetirementRequest:
        """The claim as the domain's request."""
        return RetirementRequest(self.person_ref, self.sex, self.retirement_date, self.chosen_city)


@dataclass(frozen=True)
class Outcome:
    """How a claim was decided, to save on its row."""

    state: Literal["determined", "refused"]
    decided_at: datetime
    code: str | None = None
    reason: str | None = None
    figures: dict[str, Any] | None = None
    shortfalls: list[dict[str, Any]] | None = None
    alternative_city: City | None = None
    determined_city: City | None = None


def _city_or_none(value: str | None) -> City | None:
    return None if value is None else one_of(value, CITIES, "city")


def _json_or_none(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def _claim_from_row(row: asyncpg.Record) -> Claim:
    return Claim(
        request_id=row["request_id"],
        person_ref=row["person_ref"],
        requested_in=one_of(row["requested_in"], CITIES, "city"),
        chosen_city=one_of(row["chosen_city"], CITIES, "city"),
        sex=one_of(row["sex"], SEXES, "sex"),
        retirement_date=row["retirement_date"],
        requested_at=row["requested_at"],
        seq=row["seq"],
        state=one_of(row["state"], _STATES, "state"),
        code=row["code"],
        reason=row["reason"],
        figures=_json_or_none(row["figures"]),
        shortfalls=_json_or_none(row["shortfalls"]),
        alternative_city=_city_or_none(row["alternative_city"]),
        determined_city=_city_or_none(row["determined_city"]),
        decided_at=row["decided_at"],
    )


async def insert_submitted(conn: Connection, claim: Claim) -> bool:
    """Save a claim requested here before it goes on the bus; ``False`` if the id exists."""
    inserted = await conn.fetchval(
        "INSERT INTO retirement_claim (request_id, person_ref, requested_in, chosen_city, sex,"
        " retirement_date, requested_at, state) VALUES ($1, $2, $3, $4, $5, $6, $7, 'submitted')"
        " ON CONFLICT (request_id) DO NOTHING RETURNING true",
        claim.request_id,
        claim.person_ref,
        claim.requested_in,
        claim.chosen_city,
        claim.sex,
        claim.retirement_date,
        claim.requested_at,
    )
    return bool(inserted)


async def load_claim(conn: Connection, request_id: str) -> Claim | None:
    """The claim ``request_id``, if this city knows it."""
    row = await conn.fetchrow(
        f"SELECT {_CLAIM_COLUMNS} FROM retirement_claim WHERE request_id = $1", request_id
    )
    return None if row is None else _claim_from_row(row)


async def enqueue_claim(conn: Connection, claim: Claim) -> Claim | None:
    """Give a claim consumed from the bus its place in the person's order (inserting it if
    it was requested in the other city); the claim as queued, ``pending``.

    ``None`` if the claim already has its place: a second copy of it changes nothing.
    """
    row = await conn.fetchrow(
        "INSERT INTO retirement_claim (request_id, person_ref, requested_in, chosen_city, sex,"
        " retirement_date, requested_at, seq, state)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, nextval('retirement_claim_seq'), 'pending')"
        " ON CONFLICT (request_id) DO UPDATE"
        " SET seq = nextval('retirement_claim_seq'), state = 'pending'"
        " WHERE retirement_claim.seq IS NULL"
        f" RETURNING {_CLAIM_COLUMNS}",
        claim.request_id,
        claim.person_ref,
        claim.requested_in,
        claim.chosen_city,
        claim.sex,
        claim.retirement_date,
        claim.requested_at,
    )
    return None if row is None else _claim_from_row(row)


async def pending_claims(conn: Connection, person_ref: str) -> list[Claim]:
    """The person's undecided claims that this city has consumed, in log order."""
    rows = await conn.fetch(
        f"SELECT {_CLAIM_COLUMNS} FROM retirement_claim"
        " WHERE person_ref = $1 AND state = 'pending' ORDER BY seq",
        person_ref,
    )
    return [_claim_from_row(row) for row in rows]


async def decide_claim(conn: Connection, request_id: str, outcome: Outcome) -> bool:
    """Save the outcome of a pending claim; ``False`` if it was not pending (decided already,
    or not consumed yet)."""
    updated = await conn.fetchval(
        "UPDATE retirement_claim SET state = $2, decided_at = $3, code = $4, reason = $5,"
        " figures = $6::jsonb, shortfalls = $7::jsonb, alternative_city = $8,"
        " determined_city = $9"
        " WHERE request_id = $1 AND state = 'pending' RETURNING true",
        request_id,
        outcome.state,
        outcome.decided_at,
        outcome.code,
        outcome.reason,
        None if outcome.figures is None else json.dumps(outcome.figures),
        None if outcome.shortfalls is None else json.dumps(outcome.shortfalls),
        outcome.alternative_city,
        outcome.determined_city,
    )
    return bool(updated)


@dataclass(frozen=True)
class StoredDetermination:
    """The person's retirement city as this city knows it, and the claim that made it."""

    request_id: str
    determination: RetirementDetermination
    determined_at: datetime


async def load_determination(conn: Connection, person_ref: str) -> StoredDetermination | None:
    """The person's determination, made by either city, if this city knows one."""
    row = await conn.fetchrow(
        "SELECT request_id, person_ref, city, sex, retirement_date, figures, determined_at"
        " FROM retirement_determination WHERE person_ref = $1",
        person_ref,
    )
    if row is None:
        return None
    return StoredDetermination(
        request_id=row["request_id"],
        determination=RetirementDetermination(
            person_ref=row["person_ref"],
            city=one_of(row["city"], CITIES, "city"),
            sex=one_of(row["sex"], SEXES, "sex"),
            retirement_date=row["retirement_date"],
            figures=figures_from_json(json.loads(row["figures"])),
        ),
        determined_at=row["determined_at"],
    )


async def insert_determination(
    conn: Connection, request_id: str, determination: RetirementDetermination, at: datetime
) -> None:
    """Save the person's one determination. Raises ``asyncpg.UniqueViolationError`` if the
    person already has one: the table refuses a second retirement city."""
    await conn.execute(
        "INSERT INTO retirement_determination (person_ref, request_id, city, sex,"
        " retirement_date, figures, determined_at) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)",
        determination.person_ref,
        request_id,
        determination.city,
        determination.sex,
        determination.retirement_date,
        json.dumps(figures_json(determination.figures)),
        at,
    )


@dataclass(frozen=True)
class StoredFlag:
    """A review flag: which change of which period, on which determination, and why."""

    request_id: str
    period_version: int
    flag: ReviewFlag
    flagged_at: datetime


async def save_flag(
    conn: Connection, request_id: str, flag: ReviewFlag, period_version: int, at: datetime
) -> bool:
    """Save a review flag; ``False`` if this change of this period was flagged already."""
    inserted = await conn.fetchval(
        "INSERT INTO retirement_review_flag (person_ref, period_id, period_version, request_id,"
        " city, code, reason, figures_before, figures_after, flagged_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10)"
        " ON CONFLICT (person_ref, period_id, period_version) DO NOTHING RETURNING true",
        flag.person_ref,
        flag.period_id,
        period_version,
        request_id,
        flag.city,
        flag.code,
        flag.sentence,
        json.dumps(figures_json(flag.figures_before)),
        json.dumps(figures_json(flag.figures_after)),
        at,
    )
    return bool(inserted)


async def flags_of(conn: Connection, person_ref: str) -> list[StoredFlag]:
    """The person's review flags, oldest first."""
    rows = await conn.fetch(
        "SELECT person_ref, period_id, period_version, request_id, city, code, reason,"
        " figures_before, figures_after, flagged_at FROM retirement_review_flag"
        " WHERE person_ref = $1 ORDER BY flagged_at, period_id, period_version",
        person_ref,
    )
    return [
        StoredFlag(
            request_id=row["request_id"],
            period_version=row["period_version"],
            flag=ReviewFlag(
                person_ref=row["person_ref"],
                city=one_of(row["city"], CITIES, "city"),
                period_id=row["period_id"],
                code=row["code"],
                sentence=row["reason"],
                figures_before=_figures(row["figures_before"]),
                figures_after=_figures(row["figures_after"]),
            ),
            flagged_at=row["flagged_at"],
        )
        for row in rows
    ]


def _figures(value: str) -> Figures:
    return figures_from_json(json.loads(value))
