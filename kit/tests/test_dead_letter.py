"""A dead-letter record keeps the original bytes and says why and where from."""

from chengyu_kit.dead_letter import (
    CONSUMER,
    DETAIL,
    ORIGINAL_OFFSET,
    ORIGINAL_PARTITION,
    ORIGINAL_TOPIC,
    REASON,
    REDRIVEN_FROM,
    DeadLetterReason,
    ReceivedRecord,
    dead_letter_info,
    dead_letter_record,
    redrive_headers,
)

RECORD = ReceivedRecord(
    topic="fund.transfer",
    partition=2,
    offset=41,
    key=b"tr-1",
    value=b'{"id":"x"}',
    headers=(("content-type", b"application/cloudevents+json"), ("traceparent", b"00-ab")),
)


def park() -> tuple[str, dict[str, str]]:
    parked = dead_letter_record(
        RECORD,
        DeadLetterReason("bad-signature", "the signature does not verify"),
        consumer="fund-transfer.cd",
        time="2026-11-29T08:00:00.000000Z",
    )
    return parked.topic, dead_letter_info(parked.headers)


def test_goes_to_the_topics_dead_letter_topic() -> None:
    topic, _ = park()
    assert topic == "fund.transfer.dlq"


def test_keeps_key_value_and_original_headers() -> None:
    parked = dead_letter_record(
        RECORD, DeadLetterReason("x", "y"), consumer="c", time="2026-11-29T08:00:00.000000Z"
    )
    assert (parked.key, parked.value) == (RECORD.key, RECORD.value)
    assert set(RECORD.headers) <= set(parked.headers)


def test_headers_say_why_and_where_from() -> None:
    _, info = park()
    assert info[REASON] == "bad-signature"
    assert info[DETAIL] == "the signature does not verify"
    assert (info[ORIGINAL_TOPIC], info[ORIGINAL_PARTITION], info[ORIGINAL_OFFSET]) == (
        "fund.transfer",
        "2",
        "41",
    )
    assert info[CONSUMER] == "fund-transfer.cd"


def test_redrive_drops_dead_letter_headers_and_marks_the_origin() -> None:
    parked = dead_letter_record(
        RECORD, DeadLetterReason("x", "y"), consumer="c", time="2026-11-29T08:00:00.000000Z"
    )
    headers = dict(redrive_headers(parked.headers, "fund.transfer.dlq/0/7"))
    assert REASON not in headers
    assert headers[REDRIVEN_FROM] == b"fund.transfer.dlq/0/7"
    assert headers["traceparent"] == b"00-ab"
