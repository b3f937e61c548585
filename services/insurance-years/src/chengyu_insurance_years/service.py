"""The insurance-years service as the kit runs it (``python -m chengyu_kit.run
chengyu_insurance_years``): both cities' instances consume every ``medins`` topic (their
own events come back too, and change nothing) and serve the clerks' API."""

from __future__ import annotations

from chengyu_contracts.events.medins import CARE_TOPIC, CONTRIBUTION_TOPIC, RETIREMENT_TOPIC
from chengyu_kit.service import Service

from .api import insurance_router
from .handlers import insurance_handlers
from .policy import PolicyBook, default_policy_book

TOPICS = (CONTRIBUTION_TOPIC, RETIREMENT_TOPIC, CARE_TOPIC)

SERVICE: Service[PolicyBook] = Service(
    name="insurance-years",
    agency="mi",
    package=__package__,
    policy=default_policy_book,
    topics=TOPICS,
    handlers=insurance_handlers,
    routers=lambda book: [insurance_router(book)],
)
