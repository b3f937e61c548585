"""A Kafka record's leaf: every byte and coordinate of the record changes it, and the
framing keeps two different records from sharing an encoding."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chengyu_contracts.log_record import LogRecord

RECORD: dict[str, Any] = {
    "topic": "fund.transfer",
    "partition": 3,
    "offset": 41,
    "timestamp_ms": 1_764_000_000_000,
    "key": b"tr-cq-1",
    "value": b'{"type": "x"}',
    "headers": [("content-type", b"application/json")],
}


@pytest.mark.parametrize(
    "change",
    [
        {"topic": "fund.account"},
        {"partition": 4},
        {"offset": 42},
        {"timestamp_ms": 1_764_000_000_001},
        {"key": b"tr-cq-2"},
        {"key": None},
        {"value": b'{"type": "y"}'},
        {"value": None},
        {"headers": []},
        {"headers": [("content-type", None)]},
        {"headers": [("content-type", b"application/json"), ("x", b"")]},
    ],
)
def test_every_coordinate_and_byte_of_a_record_changes_its_leaf(change: dict[str, Any]) -> None:
    assert LogRecord(**RECORD).leaf() != LogRecord(**{**RECORD, **change}).leaf()


def test_an_absent_key_is_not_an_empty_one() -> None:
    assert LogRecord(**{**RECORD, "key": None}).leaf() != LogRecord(**{**RECORD, "key": b""}).leaf()


_BYTES = st.one_of(st.none(), st.binary(max_size=6))


@given(_BYTES, _BYTES, _BYTES, _BYTES)
def test_moving_bytes_between_key_and_value_changes_the_encoding(
    key_a: bytes | None, value_a: bytes | None, key_b: bytes | None, value_b: bytes | None
) -> None:
    first = LogRecord(**{**RECORD, "key": key_a, "value": value_a}).encode()
    second = LogRecord(**{**RECORD, "key": key_b, "value": value_b}).encode()
    assert (first == second) == ((key_a, value_a) == (key_b, value_b))
