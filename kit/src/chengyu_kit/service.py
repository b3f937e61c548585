"""A service is declared, not wired: its package says what it is, the kit builds it.

Each service package has a module ``service.py`` with one :class:`Service`::

    SERVICE = Service(
        name="fund-transfer",
        agency="hpf",
        package=__package__,
        policy=default_policy_book,
        topics=(TRANSFER_TOPIC, ACCOUNT_TOPIC),
        handlers=fund_handlers,
        routers=lambda book: [fund_router(book)],
        settings=FundSettings,
        background=schedule_overdue_sweep,
    )

From it the kit builds the app (:func:`build_app`: runtime, migrations found in the
package's ``migrations/`` folder, consumers, periodic jobs, HTTP API) and runs it
(``python -m chengyu_kit.run chengyu_fund_transfer``). The policy, the service's dated
per-city parameters, is built once and handed to its handlers and routers; tests pass
their own.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Generic, TypeVar

from fastapi import APIRouter, FastAPI

import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
from chengyu_contracts.registry import REGISTRY
from chengyu_kit.clock import Clock
from chengyu_kit.handling import EventHandlers
from chengyu_kit.migrations import Migration, load_migrations
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.settings import ServiceSettings

P = TypeVar("P")


def _no_routers(_: Any) -> Sequence[APIRouter]:
    return ()


@dataclass(frozen=True)
class Service(Generic[P]):
    """What one service is; everything else about running it is the kit's."""

    #: ``SERVICE_NAME``: the consumer group ``<name>.<city>``, the migrations' namespace,
    #: the last part of the CloudEvents source ``/<city>/<agency>/<name>``.
    name: str
    #: The issuing agency whose key signs the service's events (``hpf``, ``mi``, ...).
    agency: str
    #: The Python package (``chengyu_fund_transfer``); its ``migrations/*.sql`` are applied.
    package: str
    #: The default policy: dated per-city parameters, given to handlers and routers.
    policy: Callable[[], P]
    #: Topics consumed, and the handlers of their events (built with the policy).
    topics: Sequence[str] = ()
    handlers: Callable[[P], EventHandlers] | None = None
    #: The HTTP routers (built with the policy), made with ``chengyu_kit.web.service_router``.
    routers: Callable[[P], Sequence[APIRouter]] = _no_routers
    #: The settings class (the kit's or a subclass adding the service's own variables).
    settings: type[ServiceSettings] = ServiceSettings
    #: Registers background work with ``runtime.every`` (sweeps, escalations).
    background: Callable[[ServiceRuntime, P], None] | None = None
    #: Extra keyword arguments for the runtime (e.g. ``relay_poll_interval``).
    runtime_options: dict[str, Any] = field(default_factory=dict)

    def migrations(self) -> list[Migration]:
        """The service's migrations (namespace: its name), from ``<package>/migrations``."""
        directory = Path(str(resources.files(self.package) / "migrations"))
        return load_migrations(self.name, directory) if directory.is_dir() else []

    def runtime(
        self, settings: ServiceSettings, *, clock: Clock | None = None, policy: P | None = None
    ) -> ServiceRuntime:
        """The service's runtime for ``settings``: consumers and background work registered,
        nothing started."""
        chosen = policy if policy is not None else self.policy()
        runtime = ServiceRuntime(
            settings,
            registry=REGISTRY,
            migrations=self.migrations(),
            clock=clock,
            **self.runtime_options,
        )
        runtime.policy = chosen
        if self.handlers is not None:
            runtime.consume(self.topics, self.handlers(chosen))
        if self.background is not None:
            self.background(runtime, chosen)
        return runtime

    def build_app(
        self, settings: ServiceSettings, *, clock: Clock | None = None, policy: P | None = None
    ) -> FastAPI:
        """The service's app for ``settings``: its lifespan starts and stops the runtime."""
        runtime = self.runtime(settings, clock=clock, policy=policy)
        return runtime.http_app(
            title=f"{self.name} ({settings.city})",
            routers=self.routers(runtime.policy),
        )


def load_service(package: str) -> Service[Any]:
    """The ``SERVICE`` declared in ``<package>.service``."""
    module = importlib.import_module(f"{package}.service")
    service = getattr(module, "SERVICE", None)
    if not isinstance(service, Service):
        raise SystemExit(f"{package}.service declares no SERVICE = Service(...)")
    return service
