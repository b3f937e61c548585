"""Seekers in this city's database: this city's seekers (profile in ``seeker_profile``, the
name and phone in ``seeker_identity``, which never leaves this city), the other city's
consenting seekers' profiles as read from the bus (``seeker_profile`` rows of the other
city, deleted on withdrawal) and the tombstones of those withdrawals (``seeker_withdrawn``).
Explicit asyncpg SQL; rows <-> domain here only.

Other areas read ``seeker_profile`` directly (matching): a row of this city is matched when
``active``; a row of the other city exists only while the seeker consents. Education is
stored as its rank (1 初中 .. 6 博士).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

import asyncpg

from chengyu_contracts.cities import CITIES, City
from chengyu_kit.db import Connection, one_of

from ..education import EDUCATION_LEVELS, rank
from .profile import KEY_GROUPS, Contact, Profile
from .seeker import Seeker

_PROFILE_COLUMNS: Final = (
    "seeker_ref, city, version, shared, active, groups, graduation_year, occupation_codes,"
    " skills, interests, education, desired_cities, desired_districts, home_district,"
    " salary_floor_yuan, willing_to_move, commute_radius_km, updated_at"
)
_PROFILE_VALUES: Final = (
    "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18"
)
_PROFILE_UPDATE: Final = (
    "city = EXCLUDED.city, version = EXCLUDED.version, shared = EXCLUDED.shared,"
    " active = EXCLUDED.active, groups = EXCLUDED.groups,"
    " graduation_year = EXCLUDED.graduation_year,"
    " occupation_codes = EXCLUDED.occupation_codes, skills = EXCLUDED.skills,"
    " interests = EXCLUDED.interests, education = EXCLUDED.education,"
    " desired_cities = EXCLUDED.desired_cities,"
    " desired_districts = EXCLUDED.desired_districts,"
    " home_district = EXCLUDED.home_district, salary_floor_yuan = EXCLUDED.salary_floor_yuan,"
    " willing_to_move = EXCLUDED.willing_to_move,"
    " commute_radius_km = EXCLUDED.commute_radius_km, updated_at = EXCLUDED.updated_at"
)


def _education(value: int) -> str:
    if not 1 <= value <= len(EDUCATION_LEVELS):
        raise ValueError(f"education rank {value} is off the scale")
    return EDUCATION_LEVELS[value - 1]


def _seeker_from_row(row: asyncpg.Record) -> Seeker:
    profile = Profile(
        groups=tuple(one_of(g, KEY_GROUPS, "key group") for g in row["groups"]),
        graduation_year=row["graduation_year"],
        occupation_codes=tuple(row["occupation_codes"]),
        skills=tuple(row["skills"]),
        interests=tuple(row["interests"]),
        education=one_of(_education(row["education"]), EDUCATION_LEVELS, "education"),
        desired_cities=tuple(one_of(c, CITIES, "city") for c in row["desired_cities"]),
        desired_districts=tuple(row["desired_districts"]),
        home_district=row["home_district"],
        salary_floor_yuan=row["salary_floor_yuan"],
        willing_to_move=row["willing_to_move"],
        commute_radius_km=row["commute_radius_km"],
    )
    return Seeker(
        seeker_ref=row["seeker_ref"],
        city=one_of(row["city"], CITIES, "city"),
        version=row["version"],
        profile=profile,
        shared=row["shared"],
        active=row["active"],
    )


def _profile_args(seeker: Seeker, at: datetime) -> tuple[object, ...]:
    p = seeker.profile
    return (
        seeker.seeker_ref,
        seeker.city,
        seeker.version,
        seeker.shared,
        seeker.active,
        list(p.groups),
        p.graduation_year,
        list(p.occupation_codes),
        list(p.skills),
        list(p.interests),
        rank(p.education),
        list(p.desired_cities),
        list(p.desired_districts),
        p.home_district,
        p.salary_floor_yuan,
        p.willing_to_move,
        p.commute_radius_km,
        at,
    )


@dataclass(frozen=True)
class OwnSeeker:
    """One of this city's seekers and how to reach them (kept here only)."""

    seeker: Seeker
    contact: Contact


async def own_seeker(
    conn: Connection, seeker_ref: str, *, for_update: bool = False
) -> OwnSeeker | None:
    """This city's seeker ``seeker_ref`` (any with an identity here), or None."""
    lock = " FOR UPDATE OF p, i" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT p.*, i.name, i.phone FROM seeker_profile p"
        f" JOIN seeker_identity i USING (seeker_ref) WHERE p.seeker_ref = $1{lock}",
        seeker_ref,
    )
    return (
        None
        if row is None
        else OwnSeeker(_seeker_from_row(row), Contact(row["name"], row["phone"]))
    )


async def seeker_of_person(
    conn: Connection, person_ref: str, *, for_update: bool = False
) -> OwnSeeker | None:
    """This city's seeker registered for ``person_ref``, or None."""
    lock = " FOR UPDATE OF p, i" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT p.*, i.name, i.phone FROM seeker_identity i"
        f" JOIN seeker_profile p USING (seeker_ref) WHERE i.person_ref = $1{lock}",
        person_ref,
    )
    return (
        None
        if row is None
        else OwnSeeker(_seeker_from_row(row), Contact(row["name"], row["phone"]))
    )


@dataclass(frozen=True)
class NewIdentity:
    """A person registering as this city's seeker ``seeker_ref``."""

    seeker_ref: str
    person_ref: str
    contact: Contact
    at: datetime
    by: str | None


async def claim_person(conn: Connection, identity: NewIdentity) -> bool:
    """Record ``identity`` unless the person is registered already (then nothing is
    written); whether it was recorded. Two registrations of one person at once: the second
    waits for the first and finds it."""
    inserted = await conn.fetchval(
        "INSERT INTO seeker_identity (seeker_ref, person_ref, name, phone, registered_at,"
        " registered_by, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $5, $6)"
        " ON CONFLICT (person_ref) DO NOTHING RETURNING true",
        identity.seeker_ref,
        identity.person_ref,
        identity.contact.name,
        identity.contact.phone,
        identity.at,
        identity.by,
    )
    return bool(inserted)


@dataclass(frozen=True)
class ContactChange:
    """New contact details of this city's seeker."""

    seeker_ref: str
    contact: Contact
    at: datetime
    by: str | None


async def change_contact(conn: Connection, change: ContactChange) -> None:
    """Keep the seeker's new name and phone."""
    await conn.execute(
        "UPDATE seeker_identity SET name = $2, phone = $3, updated_at = $4, updated_by = $5"
        " WHERE seeker_ref = $1",
        change.seeker_ref,
        change.contact.name,
        change.contact.phone,
        change.at,
        change.by,
    )


async def save_own(conn: Connection, seeker: Seeker, at: datetime) -> None:
    """Insert or replace this city's seeker's profile row (the caller checked the
    version)."""
    await conn.execute(
        f"INSERT INTO seeker_profile ({_PROFILE_COLUMNS}) VALUES ({_PROFILE_VALUES})"
        f" ON CONFLICT (seeker_ref) DO UPDATE SET {_PROFILE_UPDATE}",
        *_profile_args(seeker, at),
    )


async def profile_of(conn: Connection, seeker_ref: str) -> Seeker | None:
    """The profile row of ``seeker_ref`` (either city's), or None."""
    row = await conn.fetchrow(
        f"SELECT {_PROFILE_COLUMNS} FROM seeker_profile WHERE seeker_ref = $1", seeker_ref
    )
    return None if row is None else _seeker_from_row(row)


async def see_profile(conn: Connection, seeker: Seeker, at: datetime) -> bool:
    """Keep the other city's consenting seeker at ``seeker.version`` unless a version as
    high is held, or withdrawn, here; whether it was kept."""
    withdrawn = await conn.fetchval(
        "SELECT version FROM seeker_withdrawn WHERE seeker_ref = $1", seeker.seeker_ref
    )
    if withdrawn is not None and withdrawn >= seeker.version:
        return False
    kept = await conn.fetchval(
        f"INSERT INTO seeker_profile AS p ({_PROFILE_COLUMNS}) VALUES ({_PROFILE_VALUES})"
        f" ON CONFLICT (seeker_ref) DO UPDATE SET {_PROFILE_UPDATE}"
        " WHERE p.version < EXCLUDED.version AND p.city = EXCLUDED.city RETURNING true",
        *_profile_args(seeker, at),
    )
    return bool(kept)


@dataclass(frozen=True)
class Withdrawal:
    """The other city's seeker withdrew consent as of ``version``."""

    seeker_ref: str
    city: City
    version: int
    at: datetime


async def see_withdrawal(conn: Connection, withdrawal: Withdrawal) -> None:
    """Delete the seeker's profile at once and keep the withdrawal's tombstone (the highest
    version); nothing when a profile of a higher version is held (consent given again,
    read first: the withdrawal is stale)."""
    held = await conn.fetchval(
        "SELECT version FROM seeker_profile WHERE seeker_ref = $1", withdrawal.seeker_ref
    )
    if held is not None and held > withdrawal.version:
        return
    await conn.execute(
        "INSERT INTO seeker_withdrawn (seeker_ref, city, version, withdrawn_at)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (seeker_ref) DO UPDATE"
        " SET version = EXCLUDED.version, withdrawn_at = EXCLUDED.withdrawn_at"
        " WHERE seeker_withdrawn.version < EXCLUDED.version",
        withdrawal.seeker_ref,
        withdrawal.city,
        withdrawal.version,
        withdrawal.at,
    )
    await conn.execute(
        "DELETE FROM seeker_profile WHERE seeker_ref = $1 AND city = $2 AND version < $3",
        withdrawal.seeker_ref,
        withdrawal.city,
        withdrawal.version,
    )


@dataclass(frozen=True)
class ProfileQuery:
    """A page of the active profiles known here, of one city and key group if given."""

    city: City | None
    group: str | None
    page: int
    per_page: int


async def profiles(conn: Connection, query: ProfileQuery) -> tuple[list[Seeker], int]:
    """A page of the active profiles (this city's and the other city's consenting ones)
    and how many there are in all."""
    where = ["active"]
    args: list[object] = []
    if query.city is not None:
        args.append(query.city)
        where.append(f"city = ${len(args)}")
    if query.group is not None:
        args.append([query.group])
        where.append(f"groups @> ${len(args)}::text[]")
    condition = " AND ".join(where)
    total = await conn.fetchval(f"SELECT count(*) FROM seeker_profile WHERE {condition}", *args)
    args.extend([query.per_page, (query.page - 1) * query.per_page])
    rows = await conn.fetch(
        f"SELECT {_PROFILE_COLUMNS} FROM seeker_profile WHERE {condition}"
        f" ORDER BY city, seeker_ref LIMIT ${len(args) - 1} OFFSET ${len(args)}",
        *args,
    )
    return [_seeker_from_row(r) for r in rows], int(total)
