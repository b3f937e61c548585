"""Two cities of one service on real PostgreSQL and a log kept by hand between them.

Each city has its own database, clock, issuer and the kit's real :class:`Inbox` with the
service's handlers (signatures verified, inbox table, outbox, dead letters), exactly as its
consumer would run them; only Kafka is replaced by a list. A test moves what a city wrote
to its outbox onto the log (:meth:`Bus.publish`) and hands log records to a city
(:meth:`Bus.deliver`) in any order it likes, so each interleaving of the two cities' events
can be played on purpose.

A service describes itself once (:class:`BusService`) and opens its cities with
:func:`open_city`; a subclass of :class:`BusCity` can add the service's own actions.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import asyncpg

from chengyu_contracts.cities import CITIES, City
from chengyu_contracts.keys import KeyRegistry, SigningKey
from chengyu_contracts.person_ref import PersonRefKey
from chengyu_contracts.registry import REGISTRY, EventData, Registry
from chengyu_kit.clock import FixedClock
from chengyu_kit.crypto_pool import ThreadCryptoPool
from chengyu_kit.db import create_pool
from chengyu_kit.dead_letter import REASON, ReceivedRecord
from chengyu_kit.handling import EventHandlers
from chengyu_kit.inbox import BatchOutcome, Handler, Inbox
from chengyu_kit.issuer import EventIssuer
from chengyu_kit.metrics import KitMetrics
from chengyu_kit.migrations import Migration, apply_migrations, kit_migrations
from chengyu_kit.service import Service
from chengyu_kit.unit import Actor, Unit, open_unit

if TYPE_CHECKING:
    from chengyu_kit.local.postgres import LocalPostgres

__all__ = [
    "Bus",
    "BusCity",
    "BusService",
    "ServiceHandlers",
    "inbox_handlers",
    "migrated_pool",
    "of_type",
    "open_city",
    "payloads",
    "two_cities",
]

E = TypeVar("E", bound=EventData)
C = TypeVar("C", bound="BusCity")

#: A service's handlers in the form it gives ``ServiceRuntime.consume``.
ServiceHandlers = EventHandlers


def inbox_handlers(registry: Registry, handlers: ServiceHandlers) -> Mapping[str, Handler]:
    """``handlers`` as :class:`Inbox` takes them (by event type).

    The only place that knows the form of a service's handlers: when it changes, only this
    function does.
    """
    return handlers.by_type(registry)


async def migrated_pool(database_url: str, migrations: Sequence[Migration]) -> asyncpg.Pool:
    """A pool on ``database_url`` with the kit's tables and then ``migrations``."""
    pool = await create_pool(database_url)
    await apply_migrations(pool, [*kit_migrations(), *migrations])
    return pool


@dataclass(frozen=True)
class BusService:
    """What the bus needs to know of a service to run its instances of both cities."""

    name: str  # e.g. "insurance-years": consumer name ``<name>.<city>``
    agency: str  # the city's agency that runs it: events come from ``/<city>/<agency>/<name>``
    registry: Registry
    signing: Mapping[str, SigningKey]  # each city's signing key
    migrations: Sequence[Migration]  # the service's own, applied after the kit's
    # The inter-city key both cities derive person_refs with.
    person_ref_key: PersonRefKey = field(
        default_factory=lambda: PersonRefKey.from_hex(secrets.token_hex(32))
    )

    @classmethod
    def of(cls, service: Service[Any], registry: Registry | None = None) -> BusService:
        """The bus's view of a declared service, with a fresh signing key per city."""
        return cls(
            name=service.name,
            agency=service.agency,
            registry=registry or REGISTRY,
            signing={
                city: SigningKey.generate(
                    f"{city}-{service.agency}-test", f"/{city}/{service.agency}"
                )
                for city in CITIES
            },
            migrations=service.migrations(),
        )

    @property
    def keys(self) -> KeyRegistry:
        """The public keys of every city's signing key."""
        return KeyRegistry([key.public_entry() for key in self.signing.values()])

    def issuer(self, city: str, clock: FixedClock) -> EventIssuer:
        """The signing issuer of ``city``'s instance."""
        return EventIssuer(
            source=f"/{city}/{self.agency}/{self.name}",
            signing_key=self.signing[city],
            registry=self.registry,
            clock=clock,
        )


@dataclass
class BusCity:
    """One city's service instance without Kafka: database, clock, issuer and inbox."""

    city: City
    pool: asyncpg.Pool
    clock: FixedClock
    issuer: EventIssuer
    crypto: ThreadCryptoPool
    inbox: Inbox
    person_ref_key: PersonRefKey

    def unit(
        self, actor: Actor | None = None, request_id: str | None = None
    ) -> contextlib.AbstractAsyncContextManager[Unit]:
        """A unit of work of this city (e.g. for a use case a clerk would run, ``actor``
        acting in request ``request_id``), committed with its emitted events when the
        block ends."""
        return open_unit(
            self.pool,
            clock=self.clock,
            city=self.city,
            person_ref_key=self.person_ref_key,
            issuer=self.issuer,
            actor=actor,
            request_id=request_id,
        )

    async def close(self) -> None:
        """Close the pool and the verifying threads."""
        await self.pool.close()
        self.crypto.close()


async def open_city(
    postgres: LocalPostgres,
    service: BusService,
    city: City,
    *,
    handlers: ServiceHandlers,
    clock: FixedClock,
    make: Callable[..., C] = BusCity,  # type: ignore[assignment]
    **extra: Any,
) -> C:
    """``city``'s instance of ``service`` on a fresh, migrated database of ``postgres``,
    applying events with ``handlers``; built by ``make`` (a :class:`BusCity` or subclass,
    given ``extra`` fields too)."""
    name = f"{service.name.replace('-', '_')}_{city}_{secrets.token_hex(5)}"
    await postgres.ensure_database(name)
    pool = await migrated_pool(postgres.dsn(name), service.migrations)
    issuer = service.issuer(city, clock)
    crypto = ThreadCryptoPool(service.registry, service.keys, issuer)
    inbox = Inbox(
        consumer=f"{service.name}.{city}",
        pool=pool,
        handlers=inbox_handlers(service.registry, handlers),
        metrics=KitMetrics(),
        crypto=crypto,
        city=city,
        person_ref_key=service.person_ref_key,
        issuer=issuer,
        clock=clock,
    )
    return make(
        city=city,
        pool=pool,
        clock=clock,
        issuer=issuer,
        crypto=crypto,
        inbox=inbox,
        person_ref_key=service.person_ref_key,
        **extra,
    )


@dataclass
class Bus(Generic[C]):
    """The log all cities read, in publication order; dead letters kept apart."""

    cities: dict[str, C]
    log: list[ReceivedRecord] = field(default_factory=list)
    dead: list[ReceivedRecord] = field(default_factory=list)
    read: dict[str, int] = field(default_factory=dict)  # log records each city was given

    async def publish(self, city: BusCity) -> list[ReceivedRecord]:
        """Move ``city``'s unpublished outbox rows onto the log (as its relay would); the
        records appended."""
        rows = await city.pool.fetch(
            "UPDATE outbox SET published_at = clock_timestamp() WHERE published_at IS NULL"
            " RETURNING id, topic, key, value, header_names, header_values"
        )
        added: list[ReceivedRecord] = []
        for row in sorted(rows, key=lambda r: r["id"]):
            record = ReceivedRecord(
                topic=row["topic"],
                partition=0,
                offset=len(self.log) + len(self.dead) + len(added),
                key=row["key"],
                value=row["value"],
                headers=tuple(zip(row["header_names"], row["header_values"], strict=True)),
            )
            if record.topic.endswith(".dlq"):
                self.dead.append(record)
            else:
                added.append(record)
        self.log.extend(added)
        return added

    async def deliver(
        self, city: BusCity, records: Sequence[ReceivedRecord] | None = None
    ) -> BatchOutcome:
        """Apply ``records`` in ``city`` as one batch (default: every log record it has not
        read yet, in log order)."""
        if records is None:
            start = self.read.get(city.city, 0)
            records = self.log[start:]
            self.read[city.city] = len(self.log)
        return await city.inbox.process(list(records))

    async def settle(self) -> None:
        """Publish and deliver in log order until nothing new happens."""
        while True:
            for city in self.cities.values():
                await self.publish(city)
            pending = [c for c in self.cities.values() if self.read.get(c.city, 0) < len(self.log)]
            if not pending:
                return
            for city in pending:
                await self.deliver(city)

    def dead_reasons(self) -> list[str]:
        """The reason header of every dead letter."""
        return [(record.header(REASON) or b"").decode() for record in self.dead]


async def two_cities(
    open_one: Callable[[City], Awaitable[C]],
) -> AsyncIterator[tuple[C, C, Bus[C]]]:
    """Chongqing and Chengdu (each from ``open_one(city)``) and the bus between them;
    both closed after."""
    cq = await open_one("cq")
    try:
        cd = await open_one("cd")
    except BaseException:
        await cq.close()
        raise
    try:
        yield cq, cd, Bus({"cq": cq, "cd": cd})
    finally:
        for city in (cq, cd):
            await city.close()


def payloads(registry: Registry, records: Sequence[ReceivedRecord], model: type[E]) -> list[E]:
    """The payloads of ``model`` among ``records``, in order."""
    spec = registry.spec_for_model(model)
    found: list[E] = []
    for record in records:
        assert record.value is not None
        envelope = json.loads(record.value)
        if envelope["type"] == spec.type:
            found.append(model.model_validate(envelope["data"]))
    return found


def of_type(
    registry: Registry, records: Sequence[ReceivedRecord], model: type[EventData]
) -> list[ReceivedRecord]:
    """The records among ``records`` that carry a ``model`` event."""
    spec = registry.spec_for_model(model)
    return [r for r in records if r.value is not None and json.loads(r.value)["type"] == spec.type]
