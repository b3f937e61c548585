"""Which city pays a person's month: the household registration (户籍) decides, and a month
both registers claim is paid by neither.

Each city's register says from which month (``registered_from``; open when the person was
registered there before any month either city pays) through which month
(``registered_until``; open while still registered) it holds the person. A household move
ends the old city's registration with the move month; the new city's registration starts
the month after, so the two spans meet without a gap or an overlap::

    cq: ......... 2026-05]            moved-out, registered_until = 2026-05
    cd:                  [2026-06 ...  registered, registered_from = 2026-06

Every city keeps both cities' latest registration versions of every person it knows
(its own, and the other's from ``ElderRegistrationChanged``), and decides each month from
them with :func:`payer_of`. Both cities therefore reach the same answer from the same
versions, and a city that has not yet heard of the other's registration can only err
towards paying a month the other city does not yet claim: once both registrations are
known, a month both claim is a duplicate (重复享受), paid by neither until a clerk ends one
registration (a move out, a withdrawal).

Pure rules: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from chengyu_contracts.cities import CITIES, City
from chengyu_contracts.months import Month

RegistrationStatus = Literal["registered", "moved-out", "deceased", "withdrawn"]
REGISTRATION_STATUSES: tuple[RegistrationStatus, ...] = (
    "registered",
    "moved-out",
    "deceased",
    "withdrawn",
)


@dataclass(frozen=True)
class Registration:
    """One city's latest registration version of one person."""

    city: City
    version: int
    status: RegistrationStatus
    registered_from: Month | None
    registered_until: Month | None

    def covers(self, month: Month) -> bool:
        """Whether this registration holds the person in ``month``. A withdrawn
        registration (made in error) holds no month at all."""
        if self.status == "withdrawn":
            return False
        if self.registered_from is not None and month < self.registered_from:
            return False
        return self.registered_until is None or month <= self.registered_until


@dataclass(frozen=True)
class Duplicate:
    """Both cities' registrations hold the month."""

    cities: tuple[City, City]


Payer = City | Duplicate | None


def payer_of(month: Month, registrations: Mapping[City, Registration]) -> Payer:
    """The city that pays ``month``: the only one whose registration holds it; a
    :class:`Duplicate` when both do; ``None`` when neither does."""
    holding = [c for c in CITIES if c in registrations and registrations[c].covers(month)]
    if len(holding) == 2:
        return Duplicate((holding[0], holding[1]))
    return holding[0] if holding else None


def first_duplicate_month(
    registrations: Mapping[City, Registration], *, not_before: Month
) -> Month | None:
    """The first month from ``not_before`` on that both registrations hold, or ``None``
    when they do not overlap from then on."""
    known = list(registrations.values())
    if len(known) < 2 or any(r.status == "withdrawn" for r in known):
        return None
    first = max([not_before, *(r.registered_from for r in known if r.registered_from)])
    ends = [r.registered_until for r in known if r.registered_until is not None]
    if ends and min(ends) < first:
        return None
    return first
