"""Helpers of the allowance tests: register rows inserted directly with SQL (so the
allowance tests do not depend on the register's API) and the payments as the tests compare
them (both cities and their allowance actions are :mod:`elder_bus`'s).

Every person is synthetic (``synthesize_resident_id``): nobody real.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import asyncpg
from elder_bus import DISTRICT, noon, ref, resident

from chengyu_contracts.cities import City
from chengyu_contracts.months import Month
from chengyu_elder_allowance.allowance import store

NOW = noon(date(2026, 3, 10))


def first_day(month: str | None) -> date | None:
    """A ``YYYY-MM`` as SQL stores a month."""
    return None if month is None else store.day_of(Month.parse(month))


@dataclass(frozen=True)
class Elder:
    """A person inserted into a city's register."""

    person_ref: str
    id_number: str
    birth: date


async def add_elder(
    pool: asyncpg.Pool,
    birth: date,
    serial: int,
    *,
    city: City = "cq",
    registered_from: str | None = None,
    assistance: Sequence[tuple[str, date, date | None]] = (),
    died_on: date | None = None,
    same_as: Elder | None = None,
) -> Elder:
    """Insert a registered person into ``city``'s register (elder, its own household row,
    assistance periods), as the register area would; ``same_as``: the person another
    city's register holds (the same ID number)."""
    id_text = (
        same_as.id_number
        if same_as is not None
        else resident(serial, birth, "female", DISTRICT[city])
    )
    person = ref(id_text)
    await pool.execute(
        """
        INSERT INTO elder (person_ref, id_number, name, birth_date, sex, district,
                           bank_account_token, phone, died_on, created_at, updated_at)
        VALUES ($1, $2, $3, $4, 'female', $5, $6, '13800000000', $7, $8, $8)
        """,
        person,
        id_text,
        f"Elder {serial}",
        birth,
        DISTRICT[city],
        f"tok-{serial}",
        died_on,
        NOW,
    )
    await set_household(pool, person, city, registered_from=registered_from)
    for status, start, end in assistance:
        await pool.execute(
            "INSERT INTO assistance_period (person_ref, status, start_on, end_on)"
            " VALUES ($1, $2, $3, $4)",
            person,
            status,
            start,
            end,
        )
    return Elder(person, id_text, birth)


async def set_household(
    pool: asyncpg.Pool,
    ref: str,
    city: City,
    *,
    status: str = "registered",
    registered_from: str | None = None,
    registered_until: str | None = None,
    changed_on: date = date(2026, 3, 1),
) -> None:
    """Write (or replace with the next version) a city's registration of ``ref``."""
    await pool.execute(
        """
        INSERT INTO household (person_ref, city, version, status, registered_from,
                               registered_until, changed_on)
        VALUES ($1, $2, 1, $3, $4, $5, $6)
        ON CONFLICT (person_ref, city) DO UPDATE SET version = household.version + 1,
            status = EXCLUDED.status, registered_from = EXCLUDED.registered_from,
            registered_until = EXCLUDED.registered_until, changed_on = EXCLUDED.changed_on
        """,
        ref,
        city,
        status,
        first_day(registered_from),
        first_day(registered_until),
        changed_on,
    )


async def flag_duplicate(pool: asyncpg.Pool, ref: str, first_month: str) -> None:
    """Flag ``ref`` as held by both registers (重复享受) from ``first_month``."""
    await pool.execute(
        "INSERT INTO duplicate_flag (person_ref, first_month, flagged_on) VALUES ($1, $2, $3)",
        ref,
        first_day(first_month),
        date(2026, 3, 1),
    )


@dataclass(frozen=True)
class Paid:
    """One payment row, as the tests compare them."""

    month: str
    amount_fen: int
    kind: str
    status: str
    attempts: int
    run_month: str


async def payments(pool: asyncpg.Pool, ref: str) -> list[Paid]:
    """Every payment of ``ref`` in this city's database, by month."""
    rows = await pool.fetch(
        "SELECT month, amount_fen, kind, status, attempts, run_month FROM payment"
        " WHERE person_ref = $1 ORDER BY month",
        ref,
    )
    return [
        Paid(
            str(Month.of(r["month"])),
            r["amount_fen"],
            r["kind"],
            r["status"],
            r["attempts"],
            str(Month.of(r["run_month"])),
        )
        for r in rows
    ]
