"""Routing of fund events: each city acts only on its turn, and only on events signed by
the city whose turn it was (the declared handlers' ``issued_by`` and ``acts``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from fund_transfer_http import NOW
from fund_transfer_saga import KEY, SagaCity, two_cities

from chengyu_contracts.decode import decode_event
from chengyu_contracts.encode import encode_event
from chengyu_contracts.envelope import to_kafka_record
from chengyu_contracts.events.fund import TransferRejected, TransferRequested
from chengyu_contracts.registry import REGISTRY, EventData
from chengyu_contracts.signing import KeyRegistry, SigningKey
from chengyu_fund_transfer.handlers import fund_handlers
from chengyu_fund_transfer.policy import default_policy_book
from chengyu_kit.dead_letter import ReceivedRecord
from chengyu_kit.inbox import EventContext, Rejected
from chengyu_kit.local.postgres import LocalPostgres

pytestmark = pytest.mark.integration

KEYS = {city: SigningKey.generate(f"{city}-hpf-1", f"/{city}/hpf") for city in ("cq", "cd")}
REGISTRY_OF_KEYS = KeyRegistry([key.public_entry() for key in KEYS.values()])

REQUEST = TransferRequested(
    transfer_id="tr-cd-1",
    person_ref="pr1_" + "cd" * 32,
    from_city="cq",
    to_city="cd",
    requested_at=NOW,
    deadline=NOW + timedelta(days=10),
)


@pytest.fixture
async def cities(postgres: LocalPostgres) -> AsyncIterator[tuple[SagaCity, SagaCity]]:
    async for pair in two_cities(postgres):
        yield pair


async def deliver(city: SagaCity, data: EventData, *, signed_by: str) -> EventContext:
    """Run ``city``'s handler for ``data`` as the consumer would, signed by ``signed_by``."""
    envelope = encode_event(
        data,
        source=f"/{signed_by}/hpf/fund-transfer",
        key=KEYS[signed_by],
        registry=REGISTRY,
    )
    record = to_kafka_record(envelope)
    verified = decode_event(record.value, record.key, REGISTRY, REGISTRY_OF_KEYS)
    handler = fund_handlers(default_policy_book()).by_type(REGISTRY)[verified.envelope.type]
    async with city.pool.acquire() as conn, conn.transaction():
        context = EventContext(
            conn=conn,
            now=city.clock.now(),
            city=city.city,
            person_ref_key=KEY,
            issuer=city.issuer,
            event=verified,
            record=ReceivedRecord("fund.transfer", 0, 0, record.key, record.value, ()),
        )
        await handler(context, verified.data)
    return context


async def test_the_sending_city_answers_a_request_signed_by_the_receiving_city(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    cq, _ = cities
    context = await deliver(cq, REQUEST, signed_by="cd")
    assert [type(p.data) for p in context.pending] == [TransferRejected]  # no account in cq


async def test_the_receiving_city_ignores_its_own_request_coming_back(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    _, cd = cities
    context = await deliver(cd, REQUEST, signed_by="cd")
    assert context.pending == []
    assert await cd.pool.fetchval("SELECT count(*) FROM transfer") == 0


async def test_a_step_signed_by_the_wrong_city_is_refused_for_the_dead_letter_topic(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    cq, _ = cities
    with pytest.raises(Rejected) as refused:
        await deliver(cq, REQUEST, signed_by="cq")  # Chongqing cannot request on Chengdu's behalf
    assert refused.value.reason == "wrong-issuing-city"
    assert await cq.pool.fetchval("SELECT count(*) FROM transfer") == 0


async def test_a_saga_step_the_city_cannot_take_is_refused_with_its_code(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    _, cd = cities
    rejection = TransferRejected(
        transfer_id="tr-cd-unknown",
        person_ref=REQUEST.person_ref,
        from_city="cq",
        to_city="cd",
        reason_code="no-such-account",
        reason="Chongqing has no provident-fund account for this person.",
    )
    with pytest.raises(Rejected) as refused:
        await deliver(cd, rejection, signed_by="cq")
    assert refused.value.reason == "unknown-transfer"
