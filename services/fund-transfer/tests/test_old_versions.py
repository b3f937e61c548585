"""Old versions on the log: a ``transfer-overdue.v1`` record, written and signed before
``.v2`` existed, is still applied by the sending city's consumer (the kit's real inbox,
signature checked as written), its handler seeing the ``.v2`` payload."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Literal

import pytest
from fund_transfer_saga import KEY, SagaCity, resident, two_cities

from chengyu_contracts.encode import encode_event
from chengyu_contracts.envelope import to_kafka_record
from chengyu_contracts.events.fund import TransferOverdue, TransferOverdueV1, TransferRequested
from chengyu_contracts.keys import KeyRegistry, SigningKey
from chengyu_contracts.registry import REGISTRY
from chengyu_fund_transfer import saga
from chengyu_fund_transfer.handlers import fund_handlers
from chengyu_kit.crypto_pool import ThreadCryptoPool
from chengyu_kit.dead_letter import ReceivedRecord
from chengyu_kit.inbox import Inbox
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.metrics import KitMetrics

pytestmark = pytest.mark.integration

ALICE = resident(12)
OVERDUE_V1 = "cn.chengyu.fund.transfer-overdue.v1"
# Chengdu's provident-fund centre, which wrote the v1 record.
CD_KEY = SigningKey.generate("cd-hpf-2025", "/cd/hpf")


@pytest.fixture
async def cities(postgres: LocalPostgres) -> AsyncIterator[tuple[SagaCity, SagaCity]]:
    async for pair in two_cities(postgres):
        yield pair


async def sent_from_cq(cq: SagaCity, cd: SagaCity) -> TransferRequested:
    """Alice asks Chengdu for her Chongqing account; Chongqing sends the funds."""
    account = await cq.open_account(ALICE)
    await cq.deposit(account.account_id, "2026-01")
    await cd.request_transfer(ALICE, "cq")
    request = await cd.last(TransferRequested)
    await cq.run(lambda unit: saga.handle_request(unit, request, cq.book))
    return request


def v1_record(
    request: TransferRequested, waiting_in: Literal["requested", "funds_sent", "credited"]
) -> ReceivedRecord:
    """Chengdu's escalation as a v1 producer wrote it, signed as written."""
    notice = TransferOverdueV1(
        transfer_id=request.transfer_id,
        person_ref=request.person_ref,
        from_city=request.from_city,
        to_city=request.to_city,
        waiting_in=waiting_in,
        deadline=request.deadline,
        detected_at=request.deadline + timedelta(hours=1),
    )
    record = to_kafka_record(
        encode_event(notice, source="/cd/hpf/fund-transfer", key=CD_KEY, registry=REGISTRY)
    )
    return ReceivedRecord("fund.transfer", 0, 7, record.key, record.value, tuple(record.headers))


async def test_the_sending_city_applies_a_v1_overdue_record_read_as_v2(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    cq, cd = cities
    request = await sent_from_cq(cq, cd)
    record = v1_record(request, "requested")
    assert record.value is not None and json.loads(record.value)["type"] == OVERDUE_V1

    seen: list[TransferOverdue] = []
    handlers = fund_handlers(cq.book)
    by_type = dict(handlers.by_type(REGISTRY))
    on_overdue = by_type[REGISTRY.spec_for_model(TransferOverdue).type]

    async def watching(context: object, event: TransferOverdue) -> None:
        seen.append(event)
        await on_overdue(context, event)  # type: ignore[arg-type]

    by_type[REGISTRY.spec_for_model(TransferOverdue).type] = watching
    crypto = ThreadCryptoPool(REGISTRY, KeyRegistry([CD_KEY.public_entry()]), cq.issuer)
    inbox = Inbox(
        consumer="fund-transfer.cq",
        pool=cq.pool,
        handlers=by_type,
        metrics=KitMetrics(),
        crypto=crypto,
        city="cq",
        person_ref_key=KEY,
        issuer=cq.issuer,
        clock=cq.clock,
    )
    try:
        outcome = await inbox.process([record])
        assert (outcome.applied, outcome.dead_lettered) == (1, 0)
        assert [e.awaiting for e in seen] == ["answer"]  # v1's waiting_in "requested"
        assert (await cq.transfer(request.transfer_id)).transfer.state == "overdue"
        # The inbox names the record by the type it was written as.
        rows = await cq.pool.fetch("SELECT event_type, outcome FROM inbox")
        assert [(r["event_type"], r["outcome"]) for r in rows] == [(OVERDUE_V1, "applied")]
        # Replayed, it is the same event: a duplicate, applied once.
        again = await inbox.process([record])
        assert (again.applied, again.duplicates) == (0, 1)
    finally:
        crypto.close()


async def test_a_tampered_v1_overdue_record_is_dead_lettered_not_applied(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    cq, cd = cities
    request = await sent_from_cq(cq, cd)
    record = v1_record(request, "requested")
    assert record.value is not None
    wire = json.loads(record.value)
    wire["data"]["waiting_in"] = "credited"
    tampered = ReceivedRecord(
        record.topic, 0, 8, record.key, json.dumps(wire).encode(), record.headers
    )
    crypto = ThreadCryptoPool(REGISTRY, KeyRegistry([CD_KEY.public_entry()]), cq.issuer)
    inbox = Inbox(
        consumer="fund-transfer.cq",
        pool=cq.pool,
        handlers=fund_handlers(cq.book).by_type(REGISTRY),
        metrics=KitMetrics(),
        crypto=crypto,
        city="cq",
        person_ref_key=KEY,
        issuer=cq.issuer,
        clock=cq.clock,
    )
    try:
        outcome = await inbox.process([tampered])
        assert (outcome.applied, outcome.dead_letter_reasons) == (
            0,
            [("fund.transfer", "bad-signature")],
        )
        assert (await cq.transfer(request.transfer_id)).transfer.state == "funds_sent"
    finally:
        crypto.close()
