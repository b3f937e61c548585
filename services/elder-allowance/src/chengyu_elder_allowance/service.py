"""The elder-allowance service as the kit runs it (``python -m chengyu_kit.run
chengyu_elder_allowance``): both cities' instances consume every ``elder`` topic, run the
monthly grant and payment run and the deadline sweeps, and serve the clerks' API."""

from __future__ import annotations

from chengyu_contracts.events.elder import (
    ALLOWANCE_TOPIC,
    ASSESSMENT_TOPIC,
    INSTITUTION_TOPIC,
    PAYMENT_TOPIC,
)
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.service import Service

from .allowance import api as allowance_api
from .applications import api as applications_api
from .assessments import api as assessments_api
from .handlers import AREAS, elder_handlers
from .institutions import api as institutions_api
from .policy import PolicyBook, default_policy_book
from .register import api as register_api

TOPICS = (ALLOWANCE_TOPIC, PAYMENT_TOPIC, ASSESSMENT_TOPIC, INSTITUTION_TOPIC)


def schedule(runtime: ServiceRuntime, book: PolicyBook) -> None:
    """Every area's background work (the monthly run, deadline sweeps)."""
    for area in AREAS:
        area.schedule(runtime, book)


SERVICE: Service[PolicyBook] = Service(
    name="elder-allowance",
    agency="ca",
    package=__package__ or "chengyu_elder_allowance",
    policy=default_policy_book,
    topics=TOPICS,
    handlers=elder_handlers,
    routers=lambda book: [
        register_api.router(book),
        allowance_api.router(book),
        applications_api.router(book),
        assessments_api.router(book),
        institutions_api.router(book),
    ],
    background=schedule,
)
