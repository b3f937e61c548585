"""The register in this city's database: elders (with their personal data), their 低保 /
特困 periods, both cities' registration versions (``household``) and duplicate flags.
Explicit asyncpg SQL; rows <-> domain here only.

Other areas read the register through the functions marked *for other areas*: one
person's registrations (:func:`registrations_of`), everyone's in bulk
(:func:`registrations_by_person`), the register as the allowance rules see it
(:func:`register_elders`), payees for the bank file (:func:`payees`) and the open
duplicates (:func:`open_duplicates`, :func:`duplicate_flag`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from chengyu_contracts.cities import CITIES, City
from chengyu_contracts.months import Month
from chengyu_kit.db import Connection, one_of

from ..policy import ASSISTANCE
from .elder import AssistancePeriod, Elder
from .households import REGISTRATION_STATUSES, Registration

# --------------------------------------------------------------------------------------------
# months as SQL dates (the first day of the month)


def month_day(month: Month | None) -> date | None:
    """``month`` as SQL stores it: its first day."""
    return None if month is None else date(month.year, month.month, 1)


def day_month(day: date | None) -> Month | None:
    """A stored month (its first day) back as a :class:`Month`."""
    return None if day is None else Month.of(day)


# --------------------------------------------------------------------------------------------
# registration versions


@dataclass(frozen=True)
class HouseholdVersion:
    """One city's latest registration version of a person as kept here, with what the
    households rule does not need (where the household moved to, the day it changed)."""

    person_ref: str
    registration: Registration
    moved_to: City | None
    changed_on: date

    @property
    def city(self) -> City:
        """The city whose registration this is."""
        return self.registration.city


def _version_from_row(row: asyncpg.Record) -> HouseholdVersion:
    return HouseholdVersion(
        person_ref=row["person_ref"],
        registration=Registration(
            city=one_of(row["city"], CITIES, "city"),
            version=row["version"],
            status=one_of(row["status"], REGISTRATION_STATUSES, "registration status"),
            registered_from=day_month(row["registered_from"]),
            registered_until=day_month(row["registered_until"]),
        ),
        moved_to=None if row["moved_to"] is None else one_of(row["moved_to"], CITIES, "city"),
        changed_on=row["changed_on"],
    )


_HOUSEHOLD_COLUMNS = (
    "person_ref, city, version, status, registered_from, registered_until, moved_to, changed_on"
)


async def household_versions(conn: Connection, person_ref: str) -> dict[City, HouseholdVersion]:
    """Both cities' latest registration versions of the person known here."""
    rows = await conn.fetch(
        f"SELECT {_HOUSEHOLD_COLUMNS} FROM household WHERE person_ref = $1", person_ref
    )
    versions = [_version_from_row(row) for row in rows]
    return {v.city: v for v in versions}


async def household_versions_of(
    conn: Connection, person_refs: Sequence[str]
) -> dict[str, dict[City, HouseholdVersion]]:
    """:func:`household_versions` of many persons in one query (absent: none known)."""
    rows = await conn.fetch(
        f"SELECT {_HOUSEHOLD_COLUMNS} FROM household WHERE person_ref = ANY($1::text[])",
        list(person_refs),
    )
    found: dict[str, dict[City, HouseholdVersion]] = {}
    for row in rows:
        version = _version_from_row(row)
        found.setdefault(version.person_ref, {})[version.city] = version
    return found


async def registrations_of(conn: Connection, person_ref: str) -> dict[City, Registration]:
    """*For other areas*: both cities' registrations of the person known here (as
    :func:`~.households.payer_of` takes them); empty for a person unknown here."""
    return {c: v.registration for c, v in (await household_versions(conn, person_ref)).items()}


async def registrations_by_person(
    conn: Connection, person_refs: Sequence[str] | None = None
) -> dict[str, dict[City, Registration]]:
    """*For other areas*: the registrations of every person known here (or of
    ``person_refs``), by person, in one query: for a payment run's payer of each month."""
    if person_refs is None:
        rows = await conn.fetch(f"SELECT {_HOUSEHOLD_COLUMNS} FROM household")
    else:
        rows = await conn.fetch(
            f"SELECT {_HOUSEHOLD_COLUMNS} FROM household WHERE person_ref = ANY($1::text[])",
            list(person_refs),
        )
    found: dict[str, dict[City, Registration]] = {}
    for row in rows:
        version = _version_from_row(row)
        found.setdefault(version.person_ref, {})[version.city] = version.registration
    return found


@dataclass(frozen=True)
class VersionRecord:
    """Who wrote a version of this city's registration, and why (for the history)."""

    recorded_at: datetime
    recorded_by: str | None
    request_id: str | None
    reason: str | None = None


def _version_args(v: HouseholdVersion) -> tuple[object, ...]:
    r = v.registration
    return (
        v.person_ref,
        r.city,
        r.version,
        r.status,
        month_day(r.registered_from),
        month_day(r.registered_until),
        v.moved_to,
        v.changed_on,
    )


_SAVE_VERSION = (
    "INSERT INTO household (person_ref, city, version, status, registered_from,"
    " registered_until, moved_to, changed_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    " ON CONFLICT (person_ref, city) DO UPDATE SET version = EXCLUDED.version,"
    " status = EXCLUDED.status, registered_from = EXCLUDED.registered_from,"
    " registered_until = EXCLUDED.registered_until, moved_to = EXCLUDED.moved_to,"
    " changed_on = EXCLUDED.changed_on WHERE household.version < EXCLUDED.version"
    " RETURNING true"
)
_SAVE_HISTORY = (
    "INSERT INTO household_version (person_ref, city, version, status, registered_from,"
    " registered_until, moved_to, changed_on, reason, recorded_at, recorded_by, request_id)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    " ON CONFLICT (person_ref, city, version) DO NOTHING"
)


async def save_versions(
    conn: Connection, versions: Sequence[HouseholdVersion], record: VersionRecord
) -> None:
    """Save new versions (of this city's registrations) and their history rows, in bulk."""
    if not versions:
        return
    await conn.executemany(_SAVE_VERSION, [_version_args(v) for v in versions])
    await conn.executemany(
        _SAVE_HISTORY,
        [
            (
                *_version_args(v),
                record.reason,
                record.recorded_at,
                record.recorded_by,
                record.request_id,
            )
            for v in versions
        ],
    )


async def keep_if_newer(conn: Connection, version: HouseholdVersion, record: VersionRecord) -> bool:
    """Keep ``version`` if it is newer than the one kept for its person and city; ``False``
    (nothing written) for an older or equal one: redelivery and replay change nothing."""
    kept = await conn.fetchval(_SAVE_VERSION, *_version_args(version))
    if kept:
        await conn.execute(
            _SAVE_HISTORY,
            *_version_args(version),
            record.reason,
            record.recorded_at,
            record.recorded_by,
            record.request_id,
        )
    return bool(kept)


# --------------------------------------------------------------------------------------------
# elders and their assistance periods


@dataclass(frozen=True)
class Personal:
    """What a register row says of a person that may change from one import to the next."""

    name: str
    district: str
    bank_account_token: str
    phone: str


@dataclass(frozen=True)
class StoredElder:
    """A person of this city's register with their personal data (never for the bus)."""

    person_ref: str
    id_number: str
    birth_date: date
    sex: str
    personal: Personal
    died_on: date | None
    assistance: tuple[AssistancePeriod, ...]


_ELDER_COLUMNS = (
    "person_ref, id_number, name, birth_date, sex, district, bank_account_token, phone, died_on"
)


def _periods_by_person(rows: Iterable[asyncpg.Record]) -> dict[str, list[AssistancePeriod]]:
    found: dict[str, list[AssistancePeriod]] = {}
    for row in rows:
        found.setdefault(row["person_ref"], []).append(
            AssistancePeriod(
                status=one_of(row["status"], ASSISTANCE, "assistance status"),
                start_on=row["start_on"],
                end_on=row["end_on"],
            )
        )
    return found


def _elder_from_row(row: asyncpg.Record, periods: Sequence[AssistancePeriod]) -> StoredElder:
    return StoredElder(
        person_ref=row["person_ref"],
        id_number=row["id_number"],
        birth_date=row["birth_date"],
        sex=row["sex"],
        personal=Personal(
            name=row["name"],
            district=row["district"],
            bank_account_token=row["bank_account_token"],
            phone=row["phone"],
        ),
        died_on=row["died_on"],
        assistance=tuple(sorted(periods, key=lambda p: (p.start_on, p.status))),
    )


async def load_elders(conn: Connection, person_refs: Sequence[str]) -> dict[str, StoredElder]:
    """The persons of ``person_refs`` in this city's register, with their periods, by ref."""
    refs = list(person_refs)
    rows = await conn.fetch(
        f"SELECT {_ELDER_COLUMNS} FROM elder WHERE person_ref = ANY($1::text[])", refs
    )
    periods = _periods_by_person(
        await conn.fetch(
            "SELECT person_ref, status, start_on, end_on FROM assistance_period"
            " WHERE person_ref = ANY($1::text[])",
            refs,
        )
    )
    return {
        row["person_ref"]: _elder_from_row(row, periods.get(row["person_ref"], [])) for row in rows
    }


async def load_elder(
    conn: Connection, person_ref: str, *, for_update: bool = False
) -> StoredElder | None:
    """The person ``person_ref`` of this city's register (locked for a change when
    ``for_update``), or ``None``."""
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT {_ELDER_COLUMNS} FROM elder WHERE person_ref = $1{lock}", person_ref
    )
    if row is None:
        return None
    periods = _periods_by_person(
        await conn.fetch(
            "SELECT person_ref, status, start_on, end_on FROM assistance_period"
            " WHERE person_ref = $1",
            person_ref,
        )
    )
    return _elder_from_row(row, periods.get(person_ref, []))


async def lock_persons(conn: Connection, person_refs: Iterable[str]) -> None:
    """Hold each person's register lock until the transaction ends: every change of this
    city's registration of a person (an import, a clerk's change, the other city's version
    received) holds it, whether or not the person is in the register yet.

    A row lock would not do: an import that registers a person and the other city's
    move-out received at the same moment would not see each other's uncommitted work, and
    the late move would never start the new registration after the move month. Taken in
    sorted order, so two batches never wait for each other in a cycle.
    """
    for person_ref in sorted(set(person_refs)):
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('elder-register:' || $1, 0))",
            person_ref,
        )


@dataclass(frozen=True)
class Written:
    """When and by whom a row of the register was written."""

    at: datetime
    by: str | None
    request_id: str | None


async def insert_elders(conn: Connection, elders: Sequence[StoredElder], written: Written) -> None:
    """Add new persons to the register (their periods with :func:`replace_assistance`)."""
    await conn.executemany(
        "INSERT INTO elder (person_ref, id_number, name, birth_date, sex, district,"
        " bank_account_token, phone, died_on, created_at, updated_at, updated_by, request_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12)",
        [
            (
                e.person_ref,
                e.id_number,
                e.personal.name,
                e.birth_date,
                e.sex,
                e.personal.district,
                e.personal.bank_account_token,
                e.personal.phone,
                e.died_on,
                written.at,
                written.by,
                written.request_id,
            )
            for e in elders
        ],
    )


async def update_personal(
    conn: Connection, changes: Sequence[tuple[str, Personal]], written: Written
) -> None:
    """Write the personal data of persons already in the register."""
    await conn.executemany(
        "UPDATE elder SET name = $2, district = $3, bank_account_token = $4, phone = $5,"
        " updated_at = $6, updated_by = $7, request_id = $8 WHERE person_ref = $1",
        [
            (
                ref,
                p.name,
                p.district,
                p.bank_account_token,
                p.phone,
                written.at,
                written.by,
                written.request_id,
            )
            for ref, p in changes
        ],
    )


async def record_died_on(
    conn: Connection, person_ref: str, died_on: date, written: Written
) -> None:
    """Record the person's day of death."""
    await conn.execute(
        "UPDATE elder SET died_on = $2, updated_at = $3, updated_by = $4, request_id = $5"
        " WHERE person_ref = $1",
        person_ref,
        died_on,
        written.at,
        written.by,
        written.request_id,
    )


async def replace_assistance(
    conn: Connection, periods: Sequence[tuple[str, Sequence[AssistancePeriod]]]
) -> None:
    """Replace the 低保 / 特困 periods of each person named with the ones given."""
    if not periods:
        return
    await conn.execute(
        "DELETE FROM assistance_period WHERE person_ref = ANY($1::text[])",
        [ref for ref, _ in periods],
    )
    await conn.executemany(
        "INSERT INTO assistance_period (person_ref, status, start_on, end_on)"
        " VALUES ($1, $2, $3, $4)",
        [(ref, p.status, p.start_on, p.end_on) for ref, ps in periods for p in ps],
    )


async def touch_elder(conn: Connection, person_ref: str, written: Written) -> None:
    """Note a change of the person's record (their periods) on the elder row."""
    await conn.execute(
        "UPDATE elder SET updated_at = $2, updated_by = $3, request_id = $4 WHERE person_ref = $1",
        person_ref,
        written.at,
        written.by,
        written.request_id,
    )


async def register_elders(
    conn: Connection, city: City, person_refs: Sequence[str] | None = None
) -> list[Elder]:
    """*For other areas*: every person of this city's register (or those of
    ``person_refs``) as the allowance rules see them — birth date, district, death, this
    city's registration and the assistance periods, no personal data — in two queries,
    ordered by ``person_ref``."""
    where = "" if person_refs is None else " WHERE e.person_ref = ANY($2::text[])"
    args: list[object] = [city] if person_refs is None else [city, list(person_refs)]
    rows = await conn.fetch(
        "SELECT e.person_ref, e.birth_date, e.district, e.died_on, h.city, h.version,"
        " h.status, h.registered_from, h.registered_until, h.moved_to, h.changed_on"
        " FROM elder e JOIN household h ON h.person_ref = e.person_ref AND h.city = $1"
        f"{where} ORDER BY e.person_ref",
        *args,
    )
    period_where = "" if person_refs is None else " WHERE person_ref = ANY($1::text[])"
    period_args: list[object] = [] if person_refs is None else [list(person_refs)]
    periods = _periods_by_person(
        await conn.fetch(
            f"SELECT person_ref, status, start_on, end_on FROM assistance_period{period_where}",
            *period_args,
        )
    )
    return [
        Elder(
            person_ref=row["person_ref"],
            birth_date=row["birth_date"],
            district=row["district"],
            died_on=row["died_on"],
            registration=_version_from_row(row).registration,
            assistance=tuple(
                sorted(periods.get(row["person_ref"], []), key=lambda p: (p.start_on, p.status))
            ),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class Payee:
    """Whom the bank pays for a person (the paying city's bank file only)."""

    person_ref: str
    name: str
    bank_account_token: str


async def payees(conn: Connection, person_refs: Sequence[str]) -> dict[str, Payee]:
    """*For other areas*: the name and bank account token of each person named, by ref."""
    rows = await conn.fetch(
        "SELECT person_ref, name, bank_account_token FROM elder WHERE person_ref = ANY($1::text[])",
        list(person_refs),
    )
    return {
        row["person_ref"]: Payee(row["person_ref"], row["name"], row["bank_account_token"])
        for row in rows
    }


# --------------------------------------------------------------------------------------------
# duplicate flags (重复享受)


@dataclass(frozen=True)
class DuplicateFlag:
    """Both registers claim the person from ``first_month``; open while ``cleared_on`` is
    ``None``."""

    person_ref: str
    first_month: Month
    flagged_on: date
    cleared_on: date | None


def _flag_from_row(row: asyncpg.Record) -> DuplicateFlag:
    return DuplicateFlag(
        person_ref=row["person_ref"],
        first_month=Month.of(row["first_month"]),
        flagged_on=row["flagged_on"],
        cleared_on=row["cleared_on"],
    )


async def duplicate_flag(conn: Connection, person_ref: str) -> DuplicateFlag | None:
    """*For other areas*: the person's duplicate flag (open or cleared), if ever raised."""
    row = await conn.fetchrow(
        "SELECT person_ref, first_month, flagged_on, cleared_on FROM duplicate_flag"
        " WHERE person_ref = $1",
        person_ref,
    )
    return None if row is None else _flag_from_row(row)


async def open_duplicates(conn: Connection) -> list[DuplicateFlag]:
    """*For other areas*: every open duplicate flag, oldest first."""
    rows = await conn.fetch(
        "SELECT person_ref, first_month, flagged_on, cleared_on FROM duplicate_flag"
        " WHERE cleared_on IS NULL ORDER BY flagged_on, person_ref"
    )
    return [_flag_from_row(row) for row in rows]


async def raise_flag(conn: Connection, person_ref: str, first_month: Month, on: date) -> None:
    """Open (or re-open, or move the first month of) the person's duplicate flag."""
    await conn.execute(
        "INSERT INTO duplicate_flag (person_ref, first_month, flagged_on) VALUES ($1, $2, $3)"
        " ON CONFLICT (person_ref) DO UPDATE SET first_month = EXCLUDED.first_month,"
        " flagged_on = CASE WHEN duplicate_flag.cleared_on IS NULL"
        " THEN duplicate_flag.flagged_on ELSE EXCLUDED.flagged_on END, cleared_on = NULL",
        person_ref,
        month_day(first_month),
        on,
    )


async def clear_flag(conn: Connection, person_ref: str, on: date) -> None:
    """Close the person's open duplicate flag."""
    await conn.execute(
        "UPDATE duplicate_flag SET cleared_on = $2 WHERE person_ref = $1 AND cleared_on IS NULL",
        person_ref,
        on,
    )
