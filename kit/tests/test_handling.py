"""Declared handlers: the issuing rule is checked before the body runs, the acting rule
decides which city's instance runs it, and a rule's refusal becomes a dead letter."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest

from chengyu_contracts.decode import decode_event
from chengyu_contracts.domain_error import Conflict
from chengyu_contracts.encode import encode_event
from chengyu_contracts.envelope import to_kafka_record
from chengyu_contracts.person_ref import PersonRefKey
from chengyu_contracts.registry import EventData, EventSpec, Registry
from chengyu_contracts.signing import KeyRegistry, SigningKey
from chengyu_kit.clock import FixedClock
from chengyu_kit.dead_letter import ReceivedRecord
from chengyu_kit.handling import Acting, EventHandlers, issuing_city
from chengyu_kit.inbox import EventContext, Rejected
from chengyu_kit.issuer import EventIssuer

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


class Noted(EventData):
    """A test event naming the city that notes it."""

    note_id: str
    city: str


REGISTRY = Registry()
REGISTRY.register(EventSpec("cn.chengyu.test.noted.v1", Noted, "test.notes", "note_id", 1))
KEYS = {city: SigningKey.generate(f"{city}-test-1", f"/{city}/test") for city in ("cq", "cd")}


def delivered(event: Noted, *, signed_by: str, to: str) -> EventContext:
    """The context the instance of city ``to`` gets for ``event`` signed by ``signed_by``."""
    envelope = encode_event(
        event, source=f"/{signed_by}/test/notes", key=KEYS[signed_by], registry=REGISTRY
    )
    record = to_kafka_record(envelope)
    verified = decode_event(
        record.value, record.key, REGISTRY, KeyRegistry([k.public_entry() for k in KEYS.values()])
    )
    clock = FixedClock(NOW)
    issuer = EventIssuer(
        source=f"/{to}/test/notes", signing_key=KEYS[to], registry=REGISTRY, clock=clock
    )
    return EventContext(
        conn=cast(Any, None),  # these handlers never touch the database
        now=NOW,
        city=cast(Any, to),
        person_ref_key=PersonRefKey.from_hex("00" * 32),
        issuer=issuer,
        event=verified,
        record=ReceivedRecord("test.notes", 0, 0, record.key, record.value, ()),
    )


def noting(acts: Acting, ran: list[str]) -> EventHandlers:
    """Handlers whose body records that it ran and emits a copy of the event."""
    handlers = EventHandlers()

    @handlers.on(Noted, issued_by=lambda e: e.city, acts=acts)
    async def on_noted(event: Noted, unit: EventContext) -> None:
        ran.append(unit.city)
        unit.emit(Noted(note_id=f"{event.note_id}-copy", city=unit.city))

    return handlers


async def handle(handlers: EventHandlers, context: EventContext) -> None:
    handler = handlers.by_type(REGISTRY)["cn.chengyu.test.noted.v1"]
    await handler(context, context.event.data)


def test_the_issuing_city_is_read_from_the_signed_source() -> None:
    context = delivered(Noted(note_id="n1", city="cq"), signed_by="cq", to="cd")
    assert issuing_city(context) == "cq"


async def test_an_event_signed_by_another_city_than_its_issuer_is_refused() -> None:
    context = delivered(Noted(note_id="n1", city="cd"), signed_by="cq", to="cd")
    with pytest.raises(Rejected) as refused:
        await handle(noting("both", []), context)
    assert refused.value.reason == "wrong-issuing-city"
    assert "must come from cd, not from cq" in refused.value.detail


@pytest.mark.parametrize(
    ("acts", "runs_in"),
    [("both", ["cq", "cd"]), ("other", ["cd"]), ("issuer", ["cq"])],
)
async def test_the_acting_rule_picks_the_cities_that_run_the_body(
    acts: Acting, runs_in: list[str]
) -> None:
    ran: list[str] = []
    for city in ("cq", "cd"):
        await handle(
            noting(acts, ran), delivered(Noted(note_id="n1", city="cq"), signed_by="cq", to=city)
        )
    assert ran == runs_in


async def test_events_the_body_emits_are_pending_in_its_unit() -> None:
    context = delivered(Noted(note_id="n1", city="cq"), signed_by="cq", to="cd")
    await handle(noting("other", []), context)
    assert [p.data for p in context.pending] == [Noted(note_id="n1-copy", city="cd")]


async def test_a_rule_refusal_becomes_a_dead_letter_with_the_rules_code() -> None:
    handlers = EventHandlers()

    @handlers.on(Noted, issued_by=lambda e: e.city)
    async def on_noted(event: Noted, unit: EventContext) -> None:
        raise Conflict("illegal-transition", "A completed transfer takes no more steps.")

    context = delivered(Noted(note_id="n1", city="cq"), signed_by="cq", to="cd")
    with pytest.raises(Rejected) as refused:
        await handle(handlers, context)
    assert (refused.value.reason, refused.value.detail) == (
        "illegal-transition",
        "A completed transfer takes no more steps.",
    )


def test_an_event_type_gets_one_handler() -> None:
    handlers = noting("both", [])
    with pytest.raises(ValueError, match="already has a handler"):
        handlers.on(Noted, issued_by=None)(noting("both", []).declared[0].body)


def test_a_handler_of_an_unregistered_model_is_refused_when_wired() -> None:
    class Stray(EventData):
        stray_id: str

    handlers = EventHandlers()
    handlers.on(Stray, issued_by=None)(noting("both", []).declared[0].body)
    with pytest.raises(ValueError, match="not a registered event model"):
        handlers.by_type(REGISTRY)
