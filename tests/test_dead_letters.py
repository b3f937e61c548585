"""Poison events land in the dead-letter topic with their reason; the next good one applies."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest

from chengyu_contracts.keys import SigningKey
from chengyu_contracts.registry import EventData, EventSpec, Registry, dead_letter_topic
from chengyu_contracts.signing import sign_event, signing_input
from chengyu_kit import dead_letter
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.testing import KeyFiles
from tests.conftest import service_settings, tally_runtime
from tests.support.kafka_io import publish_raw, read_all
from tests.support.tally import TALLY_TYPE, TallyIncremented, tally_of
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def new_id() -> str:
    """A fresh event id."""
    return str(uuid.uuid4())


HEADERS = [("content-type", b"application/cloudevents+json; charset=utf-8")]


def wire(event: dict[str, Any]) -> bytes:
    """The JSON bytes of an event as a producer would write them."""
    return json.dumps(event, separators=(",", ":")).encode()


def tally_event(tally_id: str, amount: object, *, event_id: str) -> dict[str, Any]:
    """An unsigned tally event from Chengdu's test agency, data as given."""
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "/cd/test/tally",
        "type": TALLY_TYPE,
        "subject": tally_id,
        "time": "2026-11-29T08:00:00.000000Z",
        "datacontenttype": "application/json",
        "dataschema": f"urn:chengyu:schema:{TALLY_TYPE}",
        "partitionkey": tally_id,
        "data": {"tally_id": tally_id, "amount": amount},
    }


def forge(event: dict[str, Any], key: SigningKey) -> dict[str, Any]:
    """Sign ``event`` with ``key`` whether or not that key may sign for its source."""
    signed = {**event, "chengyukeyid": key.key_id}
    signature = key.sign(signing_input(signed))
    signed["chengyusig"] = base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
    return signed


class Other(EventData):
    """An event type the consumer's registry does not know."""

    tally_id: str


def poison_records(keys: KeyFiles, topic: str) -> dict[str, tuple[bytes, bytes]]:
    """One (key, value) record per rejection reason, each for its own tally id."""
    good = keys.cd
    stranger = SigningKey.generate("nobody-1", "/cd/test")
    tampered = sign_event(tally_event("t-tampered", 1, event_id=new_id()), good)
    tampered["data"]["amount"] = 1000
    unknown = Registry()
    unknown.register(
        EventSpec(
            type="cn.chengyu.test.other-thing.v1",
            model=Other,
            topic=topic,
            key_field="tally_id",
            version=1,
        )
    )
    unknown_event = {
        **tally_event("t-unknown", 1, event_id=new_id()),
        "type": "cn.chengyu.test.other-thing.v1",
        "dataschema": "urn:chengyu:schema:cn.chengyu.test.other-thing.v1",
        "data": {"tally_id": "t-unknown"},
    }
    return {
        "invalid-json": (b"t-json", b"{not json"),
        "invalid-envelope": (b"t-envelope", wire({"specversion": "1.0", "id": new_id()})),
        "unknown-type": (b"t-unknown", wire(sign_event(unknown_event, good))),
        "missing-signature": (b"t-unsigned", wire(tally_event("t-unsigned", 1, event_id=new_id()))),
        "bad-signature": (b"t-tampered", wire(tampered)),
        "unknown-key": (
            b"t-stranger",
            wire(sign_event(tally_event("t-stranger", 1, event_id=new_id()), stranger)),
        ),
        "key-not-authorised": (
            b"t-cq-forged",
            wire(forge(tally_event("t-cq-forged", 1, event_id=new_id()), keys.cq)),
        ),
        "schema-invalid": (
            b"t-schema",
            wire(sign_event(tally_event("t-schema", "lots", event_id=new_id()), good)),
        ),
        "key-mismatch": (
            b"t-other-key",
            wire(sign_event(tally_event("t-mismatch", 1, event_id=new_id()), good)),
        ),
        "negative-amount": (
            b"t-negative",
            wire(sign_event(tally_event("t-negative", -5, event_id=new_id()), good)),
        ),
    }


async def test_each_kind_of_poison_event_is_dead_lettered_with_its_reason(
    cd_service: ServiceRuntime, tally_topic: str, kafka: str, key_files: KeyFiles
) -> None:
    poison = poison_records(key_files, tally_topic)
    good = cd_service.issuer.issue(TallyIncremented(tally_id="t-good", amount=3))
    await publish_raw(
        kafka,
        tally_topic,
        [(key, value, HEADERS) for key, value in poison.values()]
        + [(good.key, good.value, good.headers)],
    )

    assert await wait_for(lambda: tally_of(cd_service.pool, "t-good"), bool) == (3, 1)
    parked = await wait_for(
        lambda: read_all(kafka, dead_letter_topic(tally_topic)),
        lambda records: len(records) >= len(poison),
    )
    reasons = {}
    for record in parked:
        info = dead_letter.dead_letter_info(record.headers)
        reasons[info[dead_letter.REASON]] = (record, info)
    assert sorted(reasons) == sorted(poison)
    for reason, (key, value) in poison.items():
        record, info = reasons[reason]
        assert (record.key, record.value) == (key, value), f"{reason}: original bytes kept"
        assert info[dead_letter.ORIGINAL_TOPIC] == tally_topic
        assert info[dead_letter.CONSUMER] == "tally.cd"
        assert info[dead_letter.DETAIL]
        assert int(info[dead_letter.ORIGINAL_OFFSET]) >= 0
        assert info[dead_letter.TIME].endswith("Z")


async def test_a_forged_or_tampered_event_is_never_applied(
    cd_service: ServiceRuntime, tally_topic: str, kafka: str, key_files: KeyFiles
) -> None:
    poison = poison_records(key_files, tally_topic)
    forged = [poison[r] for r in ("bad-signature", "unknown-key", "key-not-authorised")]
    marker = cd_service.issuer.issue(TallyIncremented(tally_id="t-marker", amount=1))
    await publish_raw(
        kafka,
        tally_topic,
        [(k, v, HEADERS) for k, v in forged] + [(marker.key, marker.value, marker.headers)],
    )

    await wait_for(lambda: tally_of(cd_service.pool, "t-marker"), bool)
    for tally_id in ("t-tampered", "t-stranger", "t-cq-forged"):
        assert await tally_of(cd_service.pool, tally_id) is None
    applied = await cd_service.pool.fetchval("SELECT count(*) FROM inbox WHERE outcome = 'applied'")
    assert applied == 1


async def test_a_replayed_dead_letter_is_skipped_but_a_redriven_one_is_retried(
    cd_service: ServiceRuntime, tally_topic: str, kafka: str
) -> None:
    # The handler still refuses the event, so the re-drive parks it again; the plain
    # replay in between is recognised as already dealt with and parks nothing.
    event = cd_service.issuer.issue(TallyIncremented(tally_id="t-redrive", amount=-1))
    await publish_raw(kafka, tally_topic, [(event.key, event.value, event.headers)])
    parked = await wait_for(
        lambda: read_all(kafka, dead_letter_topic(tally_topic)), lambda r: len(r) == 1
    )

    await publish_raw(kafka, tally_topic, [(event.key, event.value, event.headers)])
    redriven = dead_letter.redrive_headers(parked[0].headers, "x.dlq/0/0")
    await publish_raw(kafka, tally_topic, [(parked[0].key, parked[0].value, redriven)])

    records = await wait_for(
        lambda: read_all(kafka, dead_letter_topic(tally_topic)), lambda r: len(r) == 2
    )
    reasons = [dead_letter.dead_letter_info(r.headers)[dead_letter.REASON] for r in records]
    assert reasons == ["negative-amount", "negative-amount"]


async def test_a_deferred_write_that_fails_parks_only_its_own_event(
    cd_service: ServiceRuntime, tally_topic: str, kafka: str
) -> None:
    # The tally table refuses totals above 10**9: the second event's deferred write
    # fails inside the batch; the batch is redone event by event to find it.
    events = [
        cd_service.issuer.issue(TallyIncremented(tally_id=tally_id, amount=amount))
        for tally_id, amount in (("t-ok-1", 1), ("t-huge", 2 * 10**9), ("t-ok-2", 2))
    ]
    await publish_raw(kafka, tally_topic, [(e.key, e.value, e.headers) for e in events])

    assert await wait_for(lambda: tally_of(cd_service.pool, "t-ok-2"), bool) == (2, 1)
    assert await tally_of(cd_service.pool, "t-ok-1") == (1, 1)
    assert await tally_of(cd_service.pool, "t-huge") is None
    parked = await wait_for(
        lambda: read_all(kafka, dead_letter_topic(tally_topic)), lambda r: len(r) == 1
    )
    info = dead_letter.dead_letter_info(parked[0].headers)
    assert info[dead_letter.REASON] == "handler-error"
    assert parked[0].key == b"t-huge"


async def test_worker_processes_verify_and_sign_like_threads(
    kafka: str, cd_database: str, key_files: KeyFiles, tally_topic: str, tally_reg: Registry
) -> None:
    settings = service_settings(
        "cd", kafka=kafka, database_url=cd_database, keys=key_files, verify_processes=2
    )
    runtime = tally_runtime(settings, tally_reg)
    await runtime.start()
    try:
        poison = poison_records(key_files, tally_topic)
        good = runtime.issuer.issue(TallyIncremented(tally_id="t-proc", amount=8))
        await publish_raw(
            kafka,
            tally_topic,
            [(k, v, HEADERS) for k, v in poison.values()] + [(good.key, good.value, good.headers)],
        )
        assert await wait_for(lambda: tally_of(runtime.pool, "t-proc"), bool) == (8, 1)
        parked = await wait_for(
            lambda: read_all(kafka, dead_letter_topic(tally_topic)),
            lambda records: len(records) >= len(poison),
        )
        reasons = sorted(
            dead_letter.dead_letter_info(r.headers)[dead_letter.REASON] for r in parked
        )
        assert reasons == sorted(poison)
    finally:
        await runtime.stop()
