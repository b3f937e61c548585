"""The blood-dispatch service as the kit runs it (``python -m chengyu_kit.run
chengyu_blood_dispatch``): both cities' blood centres consume every ``blood`` topic and
serve their clerks and duty officers. Areas: ``stock`` (units and where each is),
``stock_levels`` (levels with hysteresis, stock-low / stock-recovered),
``dispatch_saga`` (requests, offers, shipments, escalations), ``rare_registry`` (the
rare-blood registry and recalls) and ``dashboard`` (``GET /stock``, ``GET /dashboard``);
the pure rules they use are the modules beside them."""

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
