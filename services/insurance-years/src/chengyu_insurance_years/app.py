"""Composition root of one city's insurance-years service: runtime, consumers of the three
``medins`` topics and the clerks' API."""

from __future__ import annotations

from fastapi import FastAPI

import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
from chengyu_contracts.events.medins import CARE_TOPIC, CONTRIBUTION_TOPIC, RETIREMENT_TOPIC
from chengyu_contracts.registry import REGISTRY
from chengyu_kit.clock import Clock
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.settings import ServiceSettings

from .api import REFUSAL_STATUSES, insurance_router
from .handlers import insurance_handlers
from .migrations import insurance_migrations
from .policy import PolicyBook, default_policy_book

TOPICS = (CONTRIBUTION_TOPIC, RETIREMENT_TOPIC, CARE_TOPIC)


def build_runtime(
    settings: ServiceSettings,
    *,
    clock: Clock | None = None,
    policy_book: PolicyBook | None = None,
) -> ServiceRuntime:
    """The runtime of ``settings.city``, consuming both cities' events of every ``medins``
    topic (its own come back too, and change nothing)."""
    book = policy_book if policy_book is not None else default_policy_book()
    runtime = ServiceRuntime(
        settings, registry=REGISTRY, migrations=insurance_migrations(), clock=clock
    )
    runtime.consume(list(TOPICS), insurance_handlers(settings.city, book))
    return runtime


def build_app(
    settings: ServiceSettings,
    *,
    clock: Clock | None = None,
    policy_book: PolicyBook | None = None,
) -> FastAPI:
    """The service of ``settings.city``: consumes the ``medins`` topics, serves the clerks'
    API (OpenAPI at ``/docs``)."""
    book = policy_book if policy_book is not None else default_policy_book()
    runtime = build_runtime(settings, clock=clock, policy_book=book)
    return runtime.http_app(
        title=f"insurance-years ({settings.city})",
        routers=[insurance_router(policy_book=book)],
        refusal_statuses=REFUSAL_STATUSES,
    )
