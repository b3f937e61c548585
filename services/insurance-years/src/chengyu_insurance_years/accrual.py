"""One version of a contribution period entering this city's ledger, whoever recorded it.

Used by the clerks' use cases (a period recorded or corrected here) and by the consumer
(a version published by either city): the same rules, the same review, so a period
recorded here and the copy of it that comes back from the bus have one effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.registry import EventData
from chengyu_kit.db import Connection

from .cities import City
from .ledger import Ledger, apply
from .periods import ContributionPeriod
from .policy import PolicyBook
from .retirement_store import load_determination, save_flag
from .review import review_after_correction
from .store import lock_and_load, save_version
from .wire import review_event


@dataclass(frozen=True)
class Applied:
    """What a period version did to the ledger: ``changed`` is ``False`` for a duplicate or
    a version older than the one known; ``events`` are review flags to publish."""

    ledger: Ledger
    changed: bool
    events: tuple[EventData, ...] = ()


async def apply_period(
    conn: Connection,
    period: ContributionPeriod,
    *,
    me: City,
    book: PolicyBook,
    now: datetime,
) -> Applied:
    """Apply ``period`` to its person's ledger here, under the person's lock.

    The highest version of a period wins; duplicates and late older versions change
    nothing (they are still kept in the period's history). If this city determined the
    person's retirement city and the change alters the figures it rests on, the change is
    flagged for review (saved, and returned as an event to publish).

    Raises ``conflicting-version`` when the version contradicts one known here (same
    number, other content; or another city).
    """
    before, determined_city = await lock_and_load(conn, period.person_ref)
    after = apply(before, period)  # conflicting-version before anything is written
    if before.period(period.period_id) == period:
        # The current version again (a city's own event back from the bus, a second copy):
        # it is in the history since it became current. Nothing to write.
        return Applied(before, changed=False)
    changed = after != before
    if await save_version(conn, period, current=changed) == "conflict":
        raise DomainError(
            "conflicting-version",
            f"Period {period.period_id}: two different versions numbered {period.version}.",
        )
    # Only the determined city reviews: it answers for the determination, and one flag per
    # change is what a clerk needs. The other city copies the flag from its event.
    if not changed or determined_city != me:
        return Applied(after, changed=changed)
    stored = await load_determination(conn, period.person_ref)
    assert stored is not None  # seen a moment ago under the person's lock
    flag = review_after_correction(stored.determination, before, period, book)
    if flag is None or not await save_flag(conn, stored.request_id, flag, period.version, now):
        return Applied(after, changed=True)
    event = review_event(stored.request_id, flag, period.version, now)
    return Applied(after, changed=True, events=(event,))
