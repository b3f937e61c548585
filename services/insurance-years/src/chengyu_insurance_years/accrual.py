"""One version of a contribution period entering this city's ledger, whoever recorded it.

Used by the clerks' use cases (a period recorded or corrected here) and by the consumer
(a version published by either city): the same rules, the same review, so a period
recorded here and the copy of it that comes back from the bus have one effect.
"""

from __future__ import annotations

from dataclasses import dataclass

from chengyu_contracts.cities import City
from chengyu_contracts.domain_error import Conflict
from chengyu_kit.inbox import EventContext
from chengyu_kit.unit import Unit

from .ledger import Ledger, apply
from .periods import ContributionPeriod
from .policy import PolicyBook
from .retirement_store import load_determination, save_flag
from .review import review_after_correction
from .store import KEEP_NEW_VERSION, lock_and_load, save_current, save_version, version_row
from .wire import review_event


@dataclass(frozen=True)
class Applied:
    """What a period version did to the ledger: ``changed`` is ``False`` for a duplicate or
    a version older than the one known; ``flagged`` when it raised a review flag (whose
    event was emitted)."""

    ledger: Ledger
    changed: bool
    flagged: bool = False


async def apply_period(unit: Unit, period: ContributionPeriod, book: PolicyBook) -> Applied:
    """Apply ``period`` to its person's ledger in ``unit.city``, under the person's lock.

    The highest version of a period wins; duplicates and late older versions change
    nothing (they are still kept in the period's history). If this city determined the
    person's retirement city and the change alters the figures it rests on, the change is
    flagged for review (saved, and its event emitted).

    Raises ``conflicting-version`` when the version contradicts one known here (same
    number, other content; or another city).
    """
    me: City = unit.city
    before, determined_city = await lock_and_load(unit.conn, period.person_ref)
    after = apply(before, period)  # conflicting-version before anything is written
    if before.period(period.period_id) == period:
        # The current version again (a city's own event back from the bus, a second copy):
        # it is in the history since it became current. Nothing to write.
        return Applied(before, changed=False)
    changed = after != before
    recorded = (unit.acted_by(), unit.request_id)
    if changed and isinstance(unit, EventContext):
        # In a consumer batch only the current row is written at once: a later event of
        # this person in the batch reads it. The history row waits for the batch's
        # deferred writes (one pipelined executemany): nothing in the batch reads it, and
        # it cannot conflict, since a version that becomes current is higher than every
        # version received. (Its received_at is then taken after the batch's handlers.)
        await save_current(unit.conn, period)
        unit.defer(KEEP_NEW_VERSION, *version_row(period), *recorded)
    elif await save_version(unit.conn, period, current=changed, recorded=recorded) == "conflict":
        raise Conflict(
            "conflicting-version",
            f"Period {period.period_id}: two different versions numbered {period.version}.",
        )
    # Only the determined city reviews: it answers for the determination, and one flag per
    # change is what a clerk needs. The other city copies the flag from its event.
    if not changed or determined_city != me:
        return Applied(after, changed=changed)
    stored = await load_determination(unit.conn, period.person_ref)
    assert stored is not None  # seen a moment ago under the person's lock
    flag = review_after_correction(stored.determination, before, period, book)
    if flag is None or not await save_flag(
        unit.conn, stored.request_id, flag, period.version, unit.now
    ):
        return Applied(after, changed=True)
    unit.emit(review_event(stored.request_id, flag, period.version, unit.now))
    return Applied(after, changed=True, flagged=True)
