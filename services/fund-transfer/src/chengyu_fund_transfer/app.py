"""Composition root of one city's fund-transfer service: runtime, consumers, overdue
sweep and the clerks' API."""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import Field

import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
from chengyu_contracts.events.fund import ACCOUNT_TOPIC, TRANSFER_TOPIC
from chengyu_contracts.registry import REGISTRY
from chengyu_kit.clock import Clock
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.settings import ServiceSettings

from .api import REFUSAL_STATUSES, fund_router
from .handlers import fund_handlers
from .migrations import fund_migrations
from .policy import PolicyBook, default_policy_book
from .sweep import sweep_overdue


class FundSettings(ServiceSettings):
    """The kit's settings plus this service's own (environment variables)."""

    overdue_sweep_seconds: float = Field(
        default=60.0, gt=0, description="how often transfers past their deadline are escalated"
    )


def build_app(
    settings: ServiceSettings,
    *,
    clock: Clock | None = None,
    policy_book: PolicyBook | None = None,
) -> FastAPI:
    """The service of ``settings.city``: consumes both fund topics, sweeps overdue
    transfers, serves the clerks' API (OpenAPI at ``/docs``)."""
    book = policy_book if policy_book is not None else default_policy_book()
    runtime = ServiceRuntime(settings, registry=REGISTRY, migrations=fund_migrations(), clock=clock)
    runtime.consume([TRANSFER_TOPIC, ACCOUNT_TOPIC], fund_handlers(settings.city, book))
    interval = settings.overdue_sweep_seconds if isinstance(settings, FundSettings) else 60.0

    async def sweep() -> int:
        return await sweep_overdue(runtime.pool, runtime.issuer, runtime.clock.now())

    runtime.every(interval, "overdue-sweep", sweep)
    return runtime.http_app(
        title=f"fund-transfer ({settings.city})",
        routers=[fund_router(policy_book=book)],
        refusal_statuses=REFUSAL_STATUSES,
    )
