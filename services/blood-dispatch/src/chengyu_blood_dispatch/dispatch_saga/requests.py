"""Requests as both cities keep them: a new request (a clerk's, the other city's, or a
stock-low) saved once; a redelivered one changes nothing. Kept apart from the use cases so
that the levels area keeps its own stock-low's request in the unit that publishes it (the
offers answering it may arrive before the stock-low comes back on its own topic)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chengyu_contracts.cities import City
from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.events.blood import BloodStockLow
from chengyu_kit.unit import Unit

from .. import dispatch
from ..blood_groups import parse_group, parse_product
from ..dispatch import RequestBlood
from ..policy import URGENCIES, PolicyBook, Urgency
from . import store
from .store import Origin, StoredRequest


@dataclass(frozen=True)
class NewRequest:
    """A request as both cities keep it."""

    request_id: str
    requesting_city: City
    product: str
    abo: str
    rhd: str
    quantity: int
    urgency: str
    accepts_substitutes: bool
    origin: Origin
    at: datetime


def _urgency(text: str) -> Urgency:
    for urgency in URGENCIES:
        if text == urgency:
            return urgency
    raise DomainError("unknown-urgency", f"Urgency {text!r} is not one of {', '.join(URGENCIES)}.")


async def create_request(unit: Unit, new: NewRequest, book: PolicyBook) -> StoredRequest | None:
    """Keep the request (``None`` when it is already known: nothing changes)."""
    if await store.load_request(unit.conn, new.request_id, for_update=True) is not None:
        return None
    command = RequestBlood(
        request_id=new.request_id,
        requesting_city=new.requesting_city,
        product=parse_product(new.product),
        group=parse_group(new.abo, new.rhd),
        quantity=new.quantity,
        urgency=_urgency(new.urgency),
    )
    policy = book.policy_for(new.requesting_city, new.at.date())
    request = dispatch.request_blood(command, new.at, policy)
    stored = StoredRequest(request, new.origin, new.accepts_substitutes, version=1)
    await store.save_request(unit.conn, stored, unit.now)
    return stored


def stock_low_request(event: BloodStockLow) -> NewRequest:
    """The request a stock-low makes: the units to reach the target, urgent when red."""
    return NewRequest(
        request_id=event.request_id,
        requesting_city=event.city,
        product=event.product,
        abo=event.abo,
        rhd=event.rhd,
        quantity=event.units_needed,
        urgency="urgent" if event.level == "red" else "routine",
        accepts_substitutes=True,
        origin="stock-low",
        at=event.at,
    )


async def keep_stock_low(unit: Unit, event: BloodStockLow, book: PolicyBook) -> None:
    """The low city keeps its own stock-low's request (once)."""
    await create_request(unit, stock_low_request(event), book)
