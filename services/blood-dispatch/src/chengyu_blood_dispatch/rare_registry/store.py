"""The rare-blood registry in this city's database: this city's donors (with the name and
phone that never leave it), the other city's donors as seen on the bus, and recalls.
Explicit asyncpg SQL; rows <-> domain here only.

Other areas may read :func:`own_donor`, :func:`seen_donor` and :func:`searchable_donors`;
the tables are ``rare_donor``, ``donor_seen`` and ``rare_recall``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

import asyncpg

from chengyu_contracts.cities import CITIES, City
from chengyu_kit.db import Connection, one_of

from ..blood_groups import ABOS, RHDS
from ..policy import DONATION_KINDS, URGENCIES, Urgency
from ..rare_donors import Consent, RareDonor, Recall, RecallState

CONSENTS: Final[tuple[Consent, ...]] = ("given", "withdrawn")
RECALL_STATES: Final[tuple[RecallState, ...]] = (
    "requested",
    "will-donate",
    "declined",
    "unreachable",
)

_DONOR_COLUMNS = (
    "donor_ref, name, phone, abo, rhd, phenotypes, consent, last_donation_on,"
    " last_donation_kind, version, updated_at, updated_by"
)
_SEEN_COLUMNS = (
    "donor_ref, city, version, consent, abo, rhd, phenotypes, last_donation_on, available_on"
)
_RECALL_COLUMNS = (
    "recall_id, donor_ref, donor_city, requesting_city, urgency, needed_by, state,"
    " reason_code, requested_at, requested_by, answered_at, answered_by"
)


@dataclass(frozen=True)
class Contact:
    """How this city's centre reaches one of its donors: kept here only."""

    name: str
    phone: str


@dataclass(frozen=True)
class OwnDonor:
    """One of this city's donors, its contact and its record's version."""

    donor: RareDonor
    contact: Contact
    version: int
    updated_at: datetime
    updated_by: str | None


def _own_from_row(row: asyncpg.Record, city: City) -> OwnDonor:
    donor = RareDonor(
        donor_ref=row["donor_ref"],
        city=city,
        abo=one_of(row["abo"], ABOS, "abo"),
        rhd=one_of(row["rhd"], RHDS, "rhd"),
        phenotypes=frozenset(row["phenotypes"]),
        consent=one_of(row["consent"], CONSENTS, "consent"),
        last_donation=row["last_donation_on"],
        last_donation_kind=one_of(row["last_donation_kind"], DONATION_KINDS, "donation kind"),
    )
    return OwnDonor(
        donor,
        Contact(row["name"], row["phone"]),
        row["version"],
        row["updated_at"],
        row["updated_by"],
    )


async def own_donor(
    conn: Connection, city: City, donor_ref: str, *, for_update: bool = False
) -> OwnDonor | None:
    """This city's donor ``donor_ref``, or None."""
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT {_DONOR_COLUMNS} FROM rare_donor WHERE donor_ref = $1{lock}", donor_ref
    )
    return None if row is None else _own_from_row(row, city)


@dataclass(frozen=True)
class DonorVersion:
    """A new version of one of this city's donors, who wrote it and when."""

    donor: RareDonor
    contact: Contact
    version: int
    at: datetime
    by: str | None


async def save_own_donor(conn: Connection, record: DonorVersion) -> None:
    """Insert or replace this city's donor with ``record`` (the caller checked the version)."""
    donor = record.donor
    await conn.execute(
        f"INSERT INTO rare_donor ({_DONOR_COLUMNS})"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        " ON CONFLICT (donor_ref) DO UPDATE SET name = EXCLUDED.name, phone = EXCLUDED.phone,"
        " abo = EXCLUDED.abo, rhd = EXCLUDED.rhd, phenotypes = EXCLUDED.phenotypes,"
        " consent = EXCLUDED.consent, last_donation_on = EXCLUDED.last_donation_on,"
        " last_donation_kind = EXCLUDED.last_donation_kind, version = EXCLUDED.version,"
        " updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by",
        donor.donor_ref,
        record.contact.name,
        record.contact.phone,
        donor.abo,
        donor.rhd,
        sorted(donor.phenotypes),
        donor.consent,
        donor.last_donation,
        donor.last_donation_kind,
        record.version,
        record.at,
        record.by,
    )


@dataclass(frozen=True)
class SeenDonor:
    """The other city's donor as its latest event described them; ``donor`` is None when
    only a consent withdrawal was seen (the group is then unknown here)."""

    donor_ref: str
    city: City
    version: int
    donor: RareDonor | None
    #: As the donor's city computed it; None when no donation is recorded.
    available_on: date | None

    @property
    def consenting(self) -> bool:
        """Whether the donor may be found and contacted."""
        return self.donor is not None and self.donor.consent == "given"


def _seen_from_row(row: asyncpg.Record) -> SeenDonor:
    city = one_of(row["city"], CITIES, "city")
    consent = one_of(row["consent"], CONSENTS, "consent")
    donor = None
    if row["abo"] is not None:
        donor = RareDonor(
            donor_ref=row["donor_ref"],
            city=city,
            abo=one_of(row["abo"], ABOS, "abo"),
            rhd=one_of(row["rhd"], RHDS, "rhd"),
            phenotypes=frozenset(row["phenotypes"]),
            consent=consent,
            last_donation=row["last_donation_on"],
        )
    return SeenDonor(row["donor_ref"], city, row["version"], donor, row["available_on"])


async def seen_donor(conn: Connection, donor_ref: str) -> SeenDonor | None:
    """The other city's donor ``donor_ref`` as seen here, or None."""
    row = await conn.fetchrow(
        f"SELECT {_SEEN_COLUMNS} FROM donor_seen WHERE donor_ref = $1", donor_ref
    )
    return None if row is None else _seen_from_row(row)


@dataclass(frozen=True)
class SeenVersion:
    """A version of the other city's donor read from its event."""

    donor: RareDonor
    version: int
    available_on: date | None
    at: datetime


async def see_donor(conn: Connection, seen: SeenVersion) -> bool:
    """Keep ``seen`` unless a version as high is known already; whether it was kept."""
    donor = seen.donor
    kept = await conn.fetchval(
        f"INSERT INTO donor_seen ({_SEEN_COLUMNS}, seen_at)"
        " VALUES ($1, $2, $3, 'given', $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (donor_ref) DO UPDATE SET city = EXCLUDED.city,"
        " version = EXCLUDED.version, consent = EXCLUDED.consent, abo = EXCLUDED.abo,"
        " rhd = EXCLUDED.rhd, phenotypes = EXCLUDED.phenotypes,"
        " last_donation_on = EXCLUDED.last_donation_on, available_on = EXCLUDED.available_on,"
        " seen_at = EXCLUDED.seen_at WHERE donor_seen.version < EXCLUDED.version"
        " RETURNING true",
        donor.donor_ref,
        donor.city,
        seen.version,
        donor.abo,
        donor.rhd,
        sorted(donor.phenotypes),
        donor.last_donation,
        seen.available_on,
        seen.at,
    )
    return bool(kept)


@dataclass(frozen=True)
class SeenWithdrawal:
    """The other city's donor withdrew consent, as of ``version``."""

    donor_ref: str
    city: City
    version: int
    at: datetime


async def see_withdrawal(conn: Connection, seen: SeenWithdrawal) -> bool:
    """Take the donor out of searches unless a version as high is known already (the group
    is kept if known); whether it changed anything."""
    kept = await conn.fetchval(
        "INSERT INTO donor_seen (donor_ref, city, version, consent, seen_at)"
        " VALUES ($1, $2, $3, 'withdrawn', $4)"
        " ON CONFLICT (donor_ref) DO UPDATE SET version = EXCLUDED.version,"
        " consent = 'withdrawn', seen_at = EXCLUDED.seen_at"
        " WHERE donor_seen.version < EXCLUDED.version RETURNING true",
        seen.donor_ref,
        seen.city,
        seen.version,
        seen.at,
    )
    return bool(kept)


@dataclass(frozen=True)
class Searchable:
    """Every consenting donor known here: this city's and the other city's with the
    availability the donor's city published."""

    own: list[RareDonor]
    seen: list[SeenDonor]


async def searchable_donors(conn: Connection, city: City) -> Searchable:
    """The consenting donors of both cities known here (withdrawn ones are never read)."""
    own = await conn.fetch(
        f"SELECT {_DONOR_COLUMNS} FROM rare_donor WHERE consent = 'given' ORDER BY donor_ref"
    )
    seen = await conn.fetch(
        f"SELECT {_SEEN_COLUMNS} FROM donor_seen WHERE consent = 'given' ORDER BY donor_ref"
    )
    return Searchable(
        [_own_from_row(r, city).donor for r in own], [_seen_from_row(r) for r in seen]
    )


@dataclass(frozen=True)
class StoredRecall:
    """A recall known here with what the pure :class:`Recall` does not hold."""

    recall: Recall
    urgency: Urgency
    needed_by: date
    reason_code: str | None
    requested_by: str | None
    answered_by: str | None


def _recall_from_row(row: asyncpg.Record) -> StoredRecall:
    recall = Recall(
        recall_id=row["recall_id"],
        donor_ref=row["donor_ref"],
        donor_city=one_of(row["donor_city"], CITIES, "city"),
        requesting_city=one_of(row["requesting_city"], CITIES, "city"),
        state=one_of(row["state"], RECALL_STATES, "recall state"),
        requested_at=row["requested_at"],
        answered_at=row["answered_at"],
    )
    return StoredRecall(
        recall,
        one_of(row["urgency"], URGENCIES, "urgency"),
        row["needed_by"],
        row["reason_code"],
        row["requested_by"],
        row["answered_by"],
    )


async def insert_recall(conn: Connection, stored: StoredRecall) -> bool:
    """Save a recall; ``False`` if one with its id is known already."""
    recall = stored.recall
    inserted = await conn.fetchval(
        f"INSERT INTO rare_recall ({_RECALL_COLUMNS})"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        " ON CONFLICT (recall_id) DO NOTHING RETURNING true",
        recall.recall_id,
        recall.donor_ref,
        recall.donor_city,
        recall.requesting_city,
        stored.urgency,
        stored.needed_by,
        recall.state,
        stored.reason_code,
        recall.requested_at,
        stored.requested_by,
        recall.answered_at,
        stored.answered_by,
    )
    return bool(inserted)


async def recall_of(
    conn: Connection, recall_id: str, *, for_update: bool = False
) -> StoredRecall | None:
    """The recall ``recall_id`` known here, or None."""
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT {_RECALL_COLUMNS} FROM rare_recall WHERE recall_id = $1{lock}", recall_id
    )
    return None if row is None else _recall_from_row(row)


@dataclass(frozen=True)
class AnsweredRecall:
    """A recall's answer to keep."""

    recall_id: str
    state: str
    reason_code: str | None
    at: datetime
    by: str | None


async def answer_recall(conn: Connection, answer: AnsweredRecall) -> bool:
    """Keep ``answer`` if the recall is still unanswered; whether it was kept."""
    kept = await conn.fetchval(
        "UPDATE rare_recall SET state = $2, reason_code = $3, answered_at = $4,"
        " answered_by = $5 WHERE recall_id = $1 AND state = 'requested' RETURNING true",
        answer.recall_id,
        answer.state,
        answer.reason_code,
        answer.at,
        answer.by,
    )
    return bool(kept)


async def recalls(conn: Connection, state: str | None) -> list[StoredRecall]:
    """The recalls known here (of ``state`` if given), oldest first."""
    where = "" if state is None else " WHERE state = $1"
    args = () if state is None else (state,)
    rows = await conn.fetch(
        f"SELECT {_RECALL_COLUMNS} FROM rare_recall{where} ORDER BY requested_at, recall_id",
        *args,
    )
    return [_recall_from_row(r) for r in rows]
