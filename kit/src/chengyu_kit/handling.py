"""Declared event handlers: each handler is registered with its event type and the rule of
who issues that event and which city acts on it; its body is only the domain step.

    handlers = EventHandlers()

    @handlers.on(TransferFundsSent, issued_by=lambda e: e.from_city, acts="other")
    async def on_transfer_funds_sent(event: TransferFundsSent, unit: EventContext) -> None:
        await saga.credit(unit, event)

Around every body the kit keeps the same guarantees:
- the event's signed source must be the city ``issued_by`` names, else it is dead-lettered
  ``wrong-issuing-city`` (one city cannot play the other's part);
- ``acts`` says which city's instance runs the body: ``"both"`` (every instance, e.g. a
  ledger both cities keep), ``"other"`` (only the city that did not issue it: the other
  side's turn in a saga), ``"issuer"`` (only the issuing city); elsewhere the event is
  recorded in the inbox and changes nothing;
- a rule's refusal (:class:`~chengyu_contracts.domain_error.DomainError`) dead-letters the
  event with the rule's code and sentence; events the body emitted are discarded with it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.registry import EventData, Registry
from chengyu_kit.inbox import EventContext, Handler, Rejected

E = TypeVar("E", bound=EventData)

Acting = Literal["both", "other", "issuer"]
EventHandler = Callable[[E, EventContext], Awaitable[None]]


def issuing_city(context: EventContext) -> str:
    """The city in the event's signed source (``/cq/hpf/fund-transfer`` -> ``cq``)."""
    return context.event.envelope.source.split("/")[1]


@dataclass(frozen=True)
class Declared:
    """One registered handler and its issuing rule."""

    model: type[EventData]
    issued_by: Callable[[Any], str] | None
    acts: Acting
    body: EventHandler[Any]

    async def __call__(self, context: EventContext, event: EventData) -> None:
        actual = issuing_city(context)
        expected = actual if self.issued_by is None else self.issued_by(event)
        if actual != expected:
            raise Rejected(
                "wrong-issuing-city",
                f"{type(event).__name__} must come from {expected}, not from {actual}",
            )
        if self.acts == "other" and context.city == expected:
            return
        if self.acts == "issuer" and context.city != expected:
            return
        try:
            await self.body(event, context)
        except DomainError as error:
            raise Rejected(error.code, error.sentence) from error


class EventHandlers:
    """The handlers of one consumer, each declared once with :meth:`on`."""

    def __init__(self) -> None:
        self._declared: dict[type[EventData], Declared] = {}

    def on(
        self,
        model: type[E],
        *,
        issued_by: Callable[[E], str] | None,
        acts: Acting = "both",
    ) -> Callable[[EventHandler[E]], EventHandler[E]]:
        """Register the decorated ``async def on_<event>(event, unit)`` for ``model``.

        ``issued_by`` names the city whose signed source the event must carry (from the
        event's own fields, e.g. ``lambda e: e.from_city``), or is None when either city
        may issue it (the signature still names the agency); ``acts`` which city's
        instance runs the body (see the module docstring).
        """

        def register(body: EventHandler[E]) -> EventHandler[E]:
            if model in self._declared:
                raise ValueError(f"{model.__name__} already has a handler")
            self._declared[model] = Declared(model, issued_by, acts, body)
            return body

        return register

    @property
    def declared(self) -> tuple[Declared, ...]:
        """Every registered handler, in registration order."""
        return tuple(self._declared.values())

    def by_type(self, registry: Registry) -> Mapping[str, Handler]:
        """The handlers keyed by CloudEvents type, as the inbox looks them up."""
        by_type: dict[str, Handler] = {}
        for model, declared in self._declared.items():
            try:
                by_type[registry.spec_for_model(model).type] = declared
            except KeyError:
                raise ValueError(f"{model.__name__} is not a registered event model") from None
        return by_type
