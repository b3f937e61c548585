"""What every service's event handlers do around their domain step: check which city
signed the event, and turn the step's outcome into emitted events or a dead letter."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence

from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.registry import EventData
from chengyu_kit.inbox import EventContext, Rejected


def issuing_city(context: EventContext) -> str:
    """The city in the event's signed source (``/cq/hpf/fund-transfer`` -> ``cq``)."""
    return context.event.envelope.source.split("/")[1]


def require_issuer(context: EventContext, expected: str, event: EventData) -> None:
    """Refuse (dead-letter, ``wrong-issuing-city``) an event that ``expected`` must have
    issued but another city signed: one city cannot play the other's part."""
    actual = issuing_city(context)
    if actual != expected:
        raise Rejected(
            "wrong-issuing-city",
            f"{type(event).__name__} must come from {expected}, not from {actual}",
        )


async def run_step(context: EventContext, step: Awaitable[Sequence[EventData] | None]) -> None:
    """Await a domain step and emit the events it returns; a rule's refusal
    (:class:`DomainError`) dead-letters the event with the rule's code."""
    try:
        emitted = await step
    except DomainError as error:
        raise Rejected(error.code, error.sentence) from error
    for data in emitted or ():
        context.emit(data)
