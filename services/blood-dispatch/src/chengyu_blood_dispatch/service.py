"""blood-dispatch, declared: what the kit needs to build and run it."""

from __future__ import annotations

from chengyu_contracts.events.blood import CASE_TOPIC
from chengyu_kit.service import Service

from .api import blood_router
from .handlers import blood_handlers
from .policy import PolicyBook, default_policy_book

SERVICE: Service[PolicyBook] = Service(
    name="blood-dispatch",
    agency="blood",
    package=__package__ or "chengyu_blood_dispatch",
    policy=default_policy_book,
    topics=(CASE_TOPIC,),
    handlers=blood_handlers,
    routers=lambda book: [blood_router(book)],
)
