"""blood-dispatch, declared: what the kit needs to build and run it.

WORK IN PROGRESS (issue 10): the pure rules are written (blood_groups, din, unit, levels,
compatibility, offers, dispatch, rare_donors, policy) and the events are in
``chengyu_contracts.events.blood``. Areas served: ``stock`` (units and where each is),
``stock_levels`` (levels with hysteresis, stock-low / stock-recovered), ``dashboard``
(``GET /stock``, ``GET /dashboard``) and ``rare_registry`` (the rare-blood registry and
recalls); the dispatch saga, the end-to-end tests, the demo and the benchmarks are not
written yet.
"""

from __future__ import annotations

from chengyu_contracts.events.blood import (
    DISPATCH_TOPIC,
    LEVEL_TOPIC,
    RARE_DONOR_TOPIC,
    UNIT_TOPIC,
)
from chengyu_kit.service import Service

from .dashboard import api as dashboard_api
from .dispatch_saga import api as dispatch_api
from .handlers import blood_handlers, schedule
from .policy import PolicyBook, default_policy_book
from .rare_registry import api as rare_registry_api
from .stock import api as stock_api

TOPICS = (UNIT_TOPIC, LEVEL_TOPIC, RARE_DONOR_TOPIC, DISPATCH_TOPIC)

SERVICE: Service[PolicyBook] = Service(
    name="blood-dispatch",
    agency="blood",
    package=__package__ or "chengyu_blood_dispatch",
    policy=default_policy_book,
    topics=TOPICS,
    handlers=blood_handlers,
    routers=lambda book: [
        stock_api.router(book),
        dashboard_api.router(book),
        rare_registry_api.router(book),
        dispatch_api.router(book),
    ],
    background=schedule,
)
