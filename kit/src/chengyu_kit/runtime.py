"""Composition of one service instance: database, relay, consumers, HTTP; and its lifecycle.

Nothing happens at import. A service's ``app.py`` builds a :class:`ServiceRuntime` from
its settings, registers its consumers and routers, and hands the FastAPI app to uvicorn,
whose SIGTERM handling runs :meth:`ServiceRuntime.stop`: consumers finish the batch in
flight and commit, the relay publishes what is committed, then connections close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

import asyncpg
from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaBroker
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

from chengyu_contracts.registry import Registry
from chengyu_contracts.signing import KeyRegistry, SigningKey
from chengyu_kit import idempotency
from chengyu_kit.clock import Clock, ShiftedClock, SystemClock
from chengyu_kit.consumer import EventConsumer
from chengyu_kit.crypto_pool import CryptoPool, ProcessCryptoPool, ThreadCryptoPool
from chengyu_kit.db import create_pool, ping
from chengyu_kit.handling import EventHandlers
from chengyu_kit.health import Readiness
from chengyu_kit.http import add_platform_routes
from chengyu_kit.inbox import Handler, Inbox
from chengyu_kit.issuer import EventIssuer
from chengyu_kit.kafka_auth import check_access, describe_kafka_failure
from chengyu_kit.logs import get_logger
from chengyu_kit.metrics import KitMetrics
from chengyu_kit.migrations import Migration, apply_migrations, kit_migrations
from chengyu_kit.periodic import Job, PeriodicTask
from chengyu_kit.relay import OutboxRelay
from chengyu_kit.settings import ServiceSettings
from chengyu_kit.unit import Actor, Unit, open_unit
from chengyu_kit.web import install_token_verifier

log = get_logger(__name__)
_STOP_TIMEOUT = 40.0  # FastStream's graceful timeout (30 s) plus leaving the group


class KafkaAccessError(RuntimeError):
    """The service cannot log in to Kafka; the message is the one line that says why."""


def _clock_of(settings: ServiceSettings) -> Clock:
    """The real clock, or (``CLOCK_START`` set: rehearsals and tests) the real clock shifted to
    start at that instant."""
    if settings.clock_start is None:
        return SystemClock()
    log.warning("clock.shifted", start=settings.clock_start.isoformat())
    return ShiftedClock(settings.clock_start)


class ServiceRuntime:
    """Owns the long-lived parts of one service instance and starts and stops them."""

    def __init__(
        self,
        settings: ServiceSettings,
        *,
        registry: Registry,
        migrations: Sequence[Migration] = (),
        clock: Clock | None = None,
        relay_poll_interval: float = 1.0,
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.clock = clock or _clock_of(settings)
        self.metrics = KitMetrics()
        self.readiness = Readiness()
        self.keys = KeyRegistry.from_json_file(settings.key_registry_file)
        self.signing_key = SigningKey.from_json_file(settings.signing_key_file)
        self.issuer = EventIssuer(
            source=settings.source,
            signing_key=self.signing_key,
            registry=registry,
            clock=self.clock,
        )
        self._migrations = [*kit_migrations(), *migrations]
        credentials = settings.kafka_credentials
        self.broker = KafkaBroker(
            settings.kafka_bootstrap,
            security=credentials.faststream_security() if credentials else None,
            client_id=f"{settings.service_name}-{settings.city}",
            graceful_timeout=30.0,
            # FastStream's per-batch "Received/Processed" lines go through the JSON
            # root handler, and only at debug level: the kit logs what matters.
            logger=logging.getLogger("chengyu.faststream"),
            log_level=logging.DEBUG,
        )
        self.relay = OutboxRelay(
            settings.database_url,
            settings.kafka_bootstrap,
            metrics=self.metrics,
            readiness=self.readiness,
            client_id=f"{settings.service_name}-{settings.city}-relay",
            poll_interval=relay_poll_interval,
            credentials=credentials,
        )
        self._crypto: CryptoPool | None = None
        self._pool: asyncpg.Pool | None = None
        self._pending: list[tuple[list[str], Mapping[str, Handler], str | None]] = []
        self.consumers: list[EventConsumer] = []
        self._periodic: list[PeriodicTask] = []
        self._stop_hooks: list[Callable[[], Awaitable[object]]] = []
        # The service's dated per-city parameters, when it was built from a declaration.
        self.policy: Any = None
        self.every(3600.0, "idempotency-key-purge", self._purge_idempotency_keys)

    @property
    def pool(self) -> asyncpg.Pool:
        """The database pool (available once started)."""
        if self._pool is None:
            raise RuntimeError("the service runtime is not started")
        return self._pool

    def consume(
        self,
        topics: Sequence[str],
        handlers: EventHandlers,
        *,
        group_id: str | None = None,
    ) -> None:
        """Apply events of ``topics`` with the declared ``handlers`` once started."""
        self._pending.append((list(topics), handlers.by_type(self.registry), group_id))

    def unit(self, actor: Actor | None = None) -> contextlib.AbstractAsyncContextManager[Unit]:
        """A unit of work on this runtime's database, clock, city and issuer (for periodic
        jobs and commands; routes and handlers are given theirs)."""
        return open_unit(
            self.pool,
            clock=self.clock,
            city=self.settings.city,
            person_ref_key=self.settings.person_ref_hmac_key(),
            issuer=self.issuer,
            actor=actor,
        )

    def every(self, interval: float, name: str, job: Job) -> None:
        """Run ``job`` every ``interval`` seconds while the service runs (after start,
        stopped first on stop)."""
        self._periodic.append(PeriodicTask(name, interval, job))

    def on_stop(self, hook: Callable[[], Awaitable[object]]) -> None:
        """Run ``hook`` when the service stops, after its periodic work (to close a client a
        periodic job keeps open between rounds)."""
        self._stop_hooks.append(hook)

    async def open_database(self) -> asyncpg.Pool:
        """Open the pool and apply the migrations (the first step of :meth:`start`; alone,
        it serves HTTP without Kafka, as the tests' stand-in app does)."""
        self._pool = await create_pool(self.settings.database_url)
        await apply_migrations(self._pool, self._migrations)
        self.readiness.set("database", True, "reachable")
        return self._pool

    async def close_database(self) -> None:
        """Close the pool (the last step of :meth:`stop`)."""
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def start(self) -> None:
        """Open the pool, migrate, start the relay and the consumers."""
        await self.open_database()
        self._crypto = self._crypto_pool()
        for topics, handlers, group_id in self._pending:
            group = group_id or self.settings.consumer_group
            inbox = Inbox(
                consumer=group,
                pool=self.pool,
                handlers=handlers,
                metrics=self.metrics,
                crypto=self._crypto,
                city=self.settings.city,
                person_ref_key=self.settings.person_ref_hmac_key(),
                issuer=self.issuer,
                clock=self.clock,
            )
            consumer = EventConsumer(
                inbox,
                topics=topics,
                group_id=group,
                metrics=self.metrics,
                readiness=self.readiness,
                max_batch=self.settings.consumer_max_batch,
            )
            consumer.attach(self.broker)
            self.consumers.append(consumer)
        self._pending.clear()
        await self._check_kafka_access()
        await self.relay.start()
        await self.broker.start()
        for task in self._periodic:
            task.start()
        log.info("service started", source=self.settings.source)

    async def stop(self) -> None:
        """Finish in-flight batches and commit, publish what is committed, close.

        Each step is bounded in time, so that a SIGTERM during a broker outage still ends
        the process: an unfinished batch is not committed and is redelivered later.
        """
        for task in self._periodic:
            await task.stop()
        for hook in self._stop_hooks:
            try:
                await asyncio.wait_for(hook(), _STOP_TIMEOUT)
            except Exception:
                log.exception("a stop hook failed")
        try:
            await asyncio.wait_for(self.broker.stop(), _STOP_TIMEOUT)
        except TimeoutError:
            log.warning("consumers did not stop in time; uncommitted batches will be redelivered")
        await self.relay.stop()
        await self.close_database()
        if self._crypto is not None:
            self._crypto.close()
        log.info("service stopped")

    async def _check_kafka_access(self) -> None:
        """Log in once and ask for what the consumers need, so that a wrong password or a
        missing ACL is reported in one line naming principal, broker and ACL (aiokafka
        itself says only "Unable to bootstrap", or fails inside a background task)."""
        settings = self.settings
        credentials = settings.kafka_credentials
        try:
            missing = await check_access(
                settings.kafka_bootstrap,
                credentials,
                reads=sorted({topic for c in self.consumers for topic in c.topics}),
                groups=sorted({c.group_id for c in self.consumers}),
            )
        except Exception as error:
            line = describe_kafka_failure(error, credentials, settings.kafka_bootstrap)
            self.readiness.set("kafka", False, line)
            log.error(line)
            raise KafkaAccessError(line) from None
        if missing:
            # Readiness stays red: the consumers cannot work until the ACLs are applied.
            self.readiness.set("kafka", False, "; ".join(missing))
            for line in missing:
                log.error(line)
        else:
            self.readiness.set("kafka", True, "logged in")

    async def _purge_idempotency_keys(self) -> int:
        keep = timedelta(hours=self.settings.idempotency_key_hours)
        async with self.pool.acquire() as conn:
            return await idempotency.purge(conn, self.clock.now(), keep)

    def _crypto_pool(self) -> CryptoPool:
        if self.settings.verify_processes > 0:
            return ProcessCryptoPool(
                self.registry,
                self.keys,
                self.issuer,
                self.signing_key,
                workers=self.settings.verify_processes,
            )
        return ThreadCryptoPool(self.registry, self.keys, self.issuer)

    def http_app(
        self,
        *,
        title: str,
        routers: Sequence[APIRouter] = (),
    ) -> FastAPI:
        """The service's HTTP app; its lifespan starts and stops the runtime."""

        @contextlib.asynccontextmanager
        async def lifespan(app: FastAPI) -> AsyncIterator[None]:
            await self.start()
            try:
                yield
            finally:
                await self.stop()

        app = FastAPI(title=title, lifespan=lifespan)
        app.state.runtime = self
        verifier = install_token_verifier(app, self.settings)
        probes: dict[str, Callable[[], Awaitable[bool]]] = {
            "database": lambda: ping(self.pool),
            # Red while the city's identity provider's keys cannot be had: no clerk of the
            # city could be served (one log line names the issuer).
            "identity-provider": lambda: verifier.keys_available(self.settings.city),
        }
        add_platform_routes(app, readiness=self.readiness, metrics=self.metrics, probes=probes)
        for router in routers:
            app.include_router(router)
        app.add_middleware(OpenTelemetryMiddleware)
        return app
