"""The unit of work: what every use case, event handler and periodic job acts through.

A :class:`Unit` is one database transaction plus what a rule needs besides its input: the
instant it happens at (from the runtime's clock, so tests move it), this service's city,
the inter-city person_ref key, who acts (once the security layer names a clerk), and
:meth:`Unit.emit`, the one way any code path writes an event. Events emitted in a unit are
written to the outbox in the unit's transaction, so they leave exactly when the state
change commits.

HTTP routes get a unit from :data:`chengyu_kit.web.UnitOfWork`, consumers hand one to each
handler (:class:`chengyu_kit.inbox.EventContext` is a unit plus the event),
and anything else (a periodic sweep, an import command, a test) opens one with
:func:`open_unit`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime

import asyncpg

from chengyu_contracts.actor import actor_reference
from chengyu_contracts.cities import City
from chengyu_contracts.person_ref import PersonRefKey, person_ref
from chengyu_contracts.policy_book import policy_day
from chengyu_contracts.registry import EventData
from chengyu_contracts.resident_id import ResidentId
from chengyu_kit.clock import Clock
from chengyu_kit.db import Connection
from chengyu_kit.issuer import EventIssuer, PendingEvent
from chengyu_kit.outbox import add_to_outbox


@dataclass(frozen=True)
class Actor:
    """Who acts in a unit: the authenticated caller (its role in ``kind``: ``clerk``,
    ``reader``, ``auditor``), from its token. ``subject`` is the token's ``sub`` at
    city's provider (a token's city is its issuer's); it is kept in this city's database and
    never leaves it."""

    kind: str
    subject: str
    agency: str
    city: City

    def reference(self, key: PersonRefKey) -> str:
        """The non-personal reference events carry (``city/agency/c<opaque>``)."""
        return actor_reference(self.city, self.agency, self.subject, key)


@dataclass
class Unit:
    """One transaction of one service instance and what its rules need besides the input.

    ``conn`` is inside the transaction; read and write through it. ``now`` is fixed for
    the whole unit, so every row and event of one decision carries the same instant.
    """

    conn: Connection
    now: datetime
    city: City
    person_ref_key: PersonRefKey
    issuer: EventIssuer | None
    actor: Actor | None = None
    #: The HTTP request this unit serves (``X-Request-ID``), recorded with its writes.
    request_id: str | None = None
    pending: list[PendingEvent] = field(default_factory=list)

    @property
    def today(self) -> date:
        """The day in China at :attr:`now`: the day whose policies apply."""
        return policy_day(self.now)

    def person_ref(self, resident: ResidentId) -> str:
        """The ``person_ref`` of a checked resident ID number (both cities derive the same)."""
        return person_ref(resident, self.person_ref_key)

    def acted_by(self) -> str | None:
        """Who a record written in this unit should name for the clerks who read it later:
        this city's clerk as ``<city>/<agency>/<subject>`` (the subject stays in this
        city's database); None when the service acts on its own (a sweep)."""
        if self.actor is None:
            return None
        return f"{self.actor.city}/{self.actor.agency}/{self.actor.subject}"

    def emit(self, data: EventData) -> None:
        """Issue a new event; it is written to the outbox in this unit's transaction."""
        if self.issuer is None:
            raise RuntimeError("this unit was opened without an EventIssuer")
        actor = None if self.actor is None else self.actor.reference(self.person_ref_key)
        self.pending.append(self.issuer.prepare(data, actor=actor))


async def write_emitted(unit: Unit) -> None:
    """Sign the unit's emitted events and add them to the outbox in its transaction.

    Consumers do not call this: the inbox signs a whole batch's events in its worker pool.
    """
    if not unit.pending:
        return
    assert unit.issuer is not None  # emit() refuses events without one
    await add_to_outbox(unit.conn, [unit.issuer.sign(pending) for pending in unit.pending])
    unit.pending.clear()


@contextlib.asynccontextmanager
async def open_unit(
    pool: asyncpg.Pool,
    *,
    clock: Clock,
    city: City,
    person_ref_key: PersonRefKey,
    issuer: EventIssuer | None,
    actor: Actor | None = None,
    request_id: str | None = None,
) -> AsyncIterator[Unit]:
    """A unit on a connection of ``pool``: commits its state changes and emitted events
    together when the block ends, rolls both back when it raises."""
    async with pool.acquire() as conn, conn.transaction():
        unit = Unit(
            conn=conn,
            now=clock.now(),
            city=city,
            person_ref_key=person_ref_key,
            issuer=issuer,
            actor=actor,
            request_id=request_id,
        )
        yield unit
        await write_emitted(unit)
