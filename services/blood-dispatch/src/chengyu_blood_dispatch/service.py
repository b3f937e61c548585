"""blood-dispatch, declared: what the kit needs to build and run it.

WORK IN PROGRESS (issue 10): the pure rules are written (blood_groups, din, unit, levels,
compatibility, offers, dispatch, rare_donors, policy) and the events are in
``chengyu_contracts.events.blood``; each area adds its topics, handlers (``handlers.py``)
and routers here.
"""

from __future__ import annotations

from chengyu_contracts.events.blood import RARE_DONOR_TOPIC
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.service import Service

from .handlers import AREAS, blood_handlers
from .policy import PolicyBook, default_policy_book
from .rare_registry import api as rare_registry_api

TOPICS = (RARE_DONOR_TOPIC,)


def schedule(runtime: ServiceRuntime, book: PolicyBook) -> None:
    """Every area's background work."""
    for area in AREAS:
        area.schedule(runtime, book)


SERVICE: Service[PolicyBook] = Service(
    name="blood-dispatch",
    agency="blood",
    package=__package__ or "chengyu_blood_dispatch",
    policy=default_policy_book,
    topics=TOPICS,
    handlers=blood_handlers,
    routers=lambda book: [
        rare_registry_api.router(book),
    ],
    background=schedule,
)
