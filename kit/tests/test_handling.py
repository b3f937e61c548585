"""Around a handler's domain step: who signed the event, and what the step's outcome
becomes (emitted events, or a dead letter with the rule's code)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest

from chengyu_contracts.decode import decode_event
from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.encode import encode_event
from chengyu_contracts.envelope import to_kafka_record
from chengyu_contracts.registry import EventData, EventSpec, Registry
from chengyu_contracts.signing import KeyRegistry, SigningKey
from chengyu_kit.clock import FixedClock
from chengyu_kit.dead_letter import ReceivedRecord
from chengyu_kit.handling import issuing_city, require_issuer, run_step
from chengyu_kit.inbox import EventContext, Rejected
from chengyu_kit.issuer import EventIssuer

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


class Noted(EventData):
    """A test event."""

    note_id: str


REGISTRY = Registry()
REGISTRY.register(EventSpec("cn.chengyu.test.noted.v1", Noted, "test.notes", "note_id", 1))
KEYS = {city: SigningKey.generate(f"{city}-test-1", f"/{city}/test") for city in ("cq", "cd")}


def context_signed_by(city: str) -> EventContext:
    envelope = encode_event(
        Noted(note_id="n1"), source=f"/{city}/test/notes", key=KEYS[city], registry=REGISTRY
    )
    record = to_kafka_record(envelope)
    verified = decode_event(
        record.value, record.key, REGISTRY, KeyRegistry([k.public_entry() for k in KEYS.values()])
    )
    clock = FixedClock(NOW)
    issuer = EventIssuer(
        source="/cd/test/notes", signing_key=KEYS["cd"], registry=REGISTRY, clock=clock
    )
    return EventContext(
        conn=cast(Any, None),  # these helpers never touch the database
        event=verified,
        record=ReceivedRecord("test.notes", 0, 0, record.key, record.value, ()),
        clock=clock,
        issuer=issuer,
    )


def test_the_issuing_city_is_read_from_the_signed_source() -> None:
    assert issuing_city(context_signed_by("cq")) == "cq"


def test_an_event_signed_by_the_expected_city_passes() -> None:
    context = context_signed_by("cd")
    require_issuer(context, "cd", context.event.data)


def test_an_event_signed_by_the_other_city_is_refused_as_wrong_issuing_city() -> None:
    context = context_signed_by("cq")
    with pytest.raises(Rejected) as refused:
        require_issuer(context, "cd", context.event.data)
    assert refused.value.reason == "wrong-issuing-city"
    assert "must come from cd, not from cq" in refused.value.detail


async def test_a_steps_events_are_emitted() -> None:
    context = context_signed_by("cq")

    async def step() -> list[EventData]:
        return [Noted(note_id="n2"), Noted(note_id="n3")]

    await run_step(context, step())
    assert [p.data for p in context.pending] == [Noted(note_id="n2"), Noted(note_id="n3")]


async def test_a_step_returning_nothing_emits_nothing() -> None:
    context = context_signed_by("cq")

    async def step() -> None:
        return None

    await run_step(context, step())
    assert context.pending == []


async def test_a_rule_refusal_becomes_a_dead_letter_with_the_rules_code() -> None:
    context = context_signed_by("cq")

    async def step() -> list[EventData]:
        raise DomainError("illegal-transition", "A completed transfer takes no more steps.")

    with pytest.raises(Rejected) as refused:
        await run_step(context, step())
    assert (refused.value.reason, refused.value.detail) == (
        "illegal-transition",
        "A completed transfer takes no more steps.",
    )
    assert context.pending == []
