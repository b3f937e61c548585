"""The consumer: each city records the cases the other city opened."""

from __future__ import annotations

from chengyu_contracts.events.blood import BloodCaseOpened
from chengyu_kit.handling import EventHandlers
from chengyu_kit.inbox import EventContext

from . import store
from .case import Case
from .policy import PolicyBook


def blood_handlers(book: PolicyBook) -> EventHandlers:
    """The handlers of this city's instance."""
    handlers = EventHandlers()

    @handlers.on(BloodCaseOpened, issued_by=lambda e: e.city, acts="other")
    async def on_blood_case_opened(event: BloodCaseOpened, unit: EventContext) -> None:
        case = Case(case_id=event.case_id, person_ref=event.person_ref, city=event.city)
        await store.save_case(unit.conn, case, unit.now)

    return handlers
