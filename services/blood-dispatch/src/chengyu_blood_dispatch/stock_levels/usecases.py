"""Levels of this city's stock lines: days of supply (:func:`..levels.supply_of`) and the
shown level with its hysteresis (:func:`..levels.next_level`), recomputed in the unit of
every movement that touches a line and by the periodic job (expiries and de-escalation
after the hold happen with no movement).

A change of the shown level publishes ``BloodStockLevelChanged``; entering orange or red
(or red from orange) publishes ``BloodStockLow`` with a new ``request_id``
(``low-<city>-<product>-<abo><rhd>-<n>``, n counting the line's stock-lows) that the other
city's offers answer; leaving orange/red publishes ``BloodStockRecovered``. A line never
computed before counts as green since the computation.

The other city's level events are kept in ``level_seen`` (the latest per line).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from fractions import Fraction
from typing import Protocol

from chengyu_contracts.events.blood import (
    BloodStockLevelChanged,
    BloodStockLow,
    BloodStockRecovered,
)
from chengyu_kit.logs import get_logger
from chengyu_kit.unit import Unit

from ..blood_groups import STOCK_KEYS, StockKey
from ..dispatch_saga.requests import keep_stock_low
from ..levels import Supply, next_level, supply_of
from ..policy import PolicyBook
from . import store
from .store import SeenLevel, StoredLevel

log = get_logger(__name__)


class UnitSource(Protocol):
    """Anything that opens units of work: the runtime, a test's city."""

    def unit(self) -> contextlib.AbstractAsyncContextManager[Unit]:
        """A unit of work, committed when the block ends."""
        ...


def centi_days(days: Fraction | None) -> int | None:
    """Days of supply in whole hundredths (rounded down), as events carry them."""
    return None if days is None else int(days * 100)


def low_request_id(city: str, key: StockKey, n: int) -> str:
    """The request id of the line's ``n``-th stock-low."""
    return f"low-{city}-{key.product}-{key.abo}{key.rhd}-{n}"


async def supply_now(unit: Unit, key: StockKey, book: PolicyBook) -> Supply:
    """The line's supply at the unit's instant under this city's policy."""
    policy = book.policy_for(unit.city, unit.today)
    usable = await store.usable_units(unit.conn, key, unit.now)
    issues = await store.issues_in_window(unit.conn, key, unit.now, policy.issue_window_days)
    return supply_of(key, usable, issues, policy)


async def recompute_line(unit: Unit, key: StockKey, book: PolicyBook) -> StoredLevel:
    """Compute the line now, move its shown level, save it and publish what changed."""
    policy = book.policy_for(unit.city, unit.today)
    stored = await store.lock_level(unit.conn, key, unit.now)
    supply = await supply_now(unit, key, book)
    previous = stored.state
    # Units of work started earlier may commit later: never compute backwards in time.
    at = max(unit.now, previous.since, previous.better_since or previous.since)
    change = next_level(previous, supply.level, at, policy.deescalation_hold)
    level = change.state.level
    centi = centi_days(supply.days)
    low_count = stored.low_count
    request_id = stored.low_request_id
    if change.changed:
        unit.emit(
            BloodStockLevelChanged(
                city=unit.city,
                product=key.product,
                abo=key.abo,
                rhd=key.rhd,
                level=level,
                previous_level=previous.level,
                usable_units=supply.usable,
                days_of_supply_centi=centi,
                changed_at=unit.now,
            )
        )
    if change.publish == "stock-low" and level in ("orange", "red"):
        low_count += 1
        request_id = low_request_id(unit.city, key, low_count)
        low = BloodStockLow(
            request_id=request_id,
            city=unit.city,
            product=key.product,
            abo=key.abo,
            rhd=key.rhd,
            level=level,
            usable_units=supply.usable,
            days_of_supply_centi=centi,
            units_needed=max(1, supply.needed),
            at=unit.now,
        )
        unit.emit(low)
        # The stock-low is a request of this city (the dispatch area's), kept at once.
        await keep_stock_low(unit, low, book)
        log.warning("blood stock low", line=str(key), level=level, request_id=request_id)
    elif change.publish == "stock-recovered" and level in ("green", "yellow"):
        request_id = None
        unit.emit(
            BloodStockRecovered(
                city=unit.city,
                product=key.product,
                abo=key.abo,
                rhd=key.rhd,
                level=level,
                days_of_supply_centi=centi,
                at=unit.now,
            )
        )
        log.info("blood stock recovered", line=str(key), level=level)
    saved = StoredLevel(
        key=key,
        state=change.state,
        computed_level=supply.level,
        usable_units=supply.usable,
        issues_in_window=round(supply.daily_issues * policy.issue_window_days),
        days_of_supply_centi=centi,
        units_needed=supply.needed,
        low_count=low_count,
        low_request_id=request_id,
        computed_at=unit.now,
    )
    await store.save_level(unit.conn, saved)
    return saved


async def recompute_lines(unit: Unit, keys: Iterable[StockKey], book: PolicyBook) -> None:
    """Recompute ``keys`` in this unit (in one order: locks never deadlock)."""
    for key in store.sorted_keys(keys):
        await recompute_line(unit, key, book)


async def recompute_all(units: UnitSource, book: PolicyBook) -> int:
    """The periodic job: recompute every line (usable units expire, issues leave the
    window, a better level that held is shown); how many shown levels changed."""
    async with units.unit() as unit:
        before = await store.own_levels(unit.conn)
        changed = 0
        for key in store.sorted_keys(STOCK_KEYS):
            saved = await recompute_line(unit, key, book)
            old = before.get(key)
            if (old.state.level if old is not None else "green") != saved.state.level:
                changed += 1
    return changed


# --------------------------------------------------------------------------------------------
# the other city's levels


async def receive_level_changed(event: BloodStockLevelChanged, unit: Unit) -> None:
    """Keep the other city's new shown level of a line."""
    seen = SeenLevel(
        city=event.city,
        key=StockKey(event.product, event.abo, event.rhd),
        level=event.level,
        usable_units=event.usable_units,
        days_of_supply_centi=event.days_of_supply_centi,
        low_request_id=None,
        at=event.changed_at,
    )
    await store.save_seen_level(unit.conn, seen, low=None)


async def receive_stock_low(event: BloodStockLow, unit: Unit) -> None:
    """Keep the other city's stock-low (its level and open request)."""
    seen = SeenLevel(
        city=event.city,
        key=StockKey(event.product, event.abo, event.rhd),
        level=event.level,
        usable_units=event.usable_units,
        days_of_supply_centi=event.days_of_supply_centi,
        low_request_id=event.request_id,
        at=event.at,
    )
    await store.save_seen_level(unit.conn, seen, low=True)


async def receive_stock_recovered(event: BloodStockRecovered, unit: Unit) -> None:
    """Keep the other city's recovery (its request closed)."""
    seen = SeenLevel(
        city=event.city,
        key=StockKey(event.product, event.abo, event.rhd),
        level=event.level,
        usable_units=None,
        days_of_supply_centi=event.days_of_supply_centi,
        low_request_id=None,
        at=event.at,
    )
    await store.save_seen_level(unit.conn, seen, low=False)
