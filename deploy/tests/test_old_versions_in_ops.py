"""What ops tools show of an old version on the log: ``chengyu events tail`` reads it as the
latest version and names the type it was written as; ``chengyu contracts check`` passes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from aiokafka import ConsumerRecord
from typer.testing import CliRunner

from chengyu_contracts.encode import encode_event
from chengyu_contracts.envelope import to_kafka_record
from chengyu_contracts.events.fund import TransferOverdueV1
from chengyu_contracts.keys import KeyRegistry, SigningKey
from chengyu_ops.cli_contracts import app as contracts_app
from chengyu_ops.cli_contracts import load_event_registry
from chengyu_ops.cli_events import describe, render

KEY = SigningKey.generate("cd-hpf-2025", "/cd/hpf")
AT = datetime(2026, 10, 15, 4, 0, tzinfo=UTC)


def consumer_record(value: bytes, key: bytes) -> ConsumerRecord[bytes, bytes]:
    fields: dict[str, Any] = {
        "topic": "fund.transfer",
        "partition": 0,
        "offset": 3,
        "timestamp": 0,
        "timestamp_type": 0,
        "key": key,
        "value": value,
        "checksum": None,
        "serialized_key_size": len(key),
        "serialized_value_size": len(value),
        "headers": (),
    }
    return cast("ConsumerRecord[bytes, bytes]", ConsumerRecord(**fields))


def test_events_tail_shows_a_v1_record_as_v2_and_the_type_it_was_written_as() -> None:
    registry = load_event_registry()
    notice = TransferOverdueV1(
        transfer_id="tr-1",
        person_ref="pr1_" + "ab" * 32,
        from_city="cq",
        to_city="cd",
        waiting_in="credited",
        deadline=AT,
        detected_at=AT,
    )
    record = to_kafka_record(
        encode_event(notice, source="/cd/hpf/fund-transfer", key=KEY, registry=registry, time=AT)
    )
    assert record.key is not None
    line = describe(
        consumer_record(record.value, record.key), registry, KeyRegistry([KEY.public_entry()])
    )
    assert line["verified"] is True
    assert (line["type"], line["written_type"]) == (
        "cn.chengyu.fund.transfer-overdue.v2",
        "cn.chengyu.fund.transfer-overdue.v1",
    )
    assert line["data"]["awaiting"] == "completion" and "waiting_in" not in line["data"]
    assert "transfer-overdue.v2 (written as cn.chengyu.fund.transfer-overdue.v1)" in render(line)


def test_contracts_check_passes_with_both_versions_committed() -> None:
    result = CliRunner().invoke(contracts_app, ["check"])
    assert result.exit_code == 0, result.output
    assert "contracts match the code" in result.output
