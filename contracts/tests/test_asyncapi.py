from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chengyu_contracts.asyncapi import generate_asyncapi, write_asyncapi
from chengyu_contracts.compat import check_contracts
from chengyu_contracts.registry import Registry
from chengyu_contracts.schemas import write_schemas

from .conftest import SAMPLE_TOPIC, SAMPLE_TYPE


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/")
    target: Any = document
    for part in ref[2:].split("/"):
        target = target[part]
    return target


def test_document_is_asyncapi_3(registry: Registry) -> None:
    assert generate_asyncapi(registry)["asyncapi"] == "3.0.0"


def test_each_topic_and_its_dead_letter_topic_have_a_channel(registry: Registry) -> None:
    channels = generate_asyncapi(registry)["channels"]
    assert {c["address"] for c in channels.values()} == {SAMPLE_TOPIC, SAMPLE_TOPIC + ".dlq"}


def test_each_event_type_has_a_message_on_its_topic(registry: Registry) -> None:
    channel = generate_asyncapi(registry)["channels"][SAMPLE_TOPIC]
    assert list(channel["messages"]) == [SAMPLE_TYPE]


def test_every_message_referenced_by_a_channel_exists(registry: Registry) -> None:
    document = generate_asyncapi(registry)
    for channel in document["channels"].values():
        for reference in channel["messages"].values():
            assert "payload" in resolve(document, reference["$ref"])


def test_every_operation_references_existing_channels_and_messages(registry: Registry) -> None:
    document = generate_asyncapi(registry)
    for operation in document["operations"].values():
        resolve(document, operation["channel"]["$ref"])
        for message in operation["messages"]:
            resolve(document, message["$ref"])


def test_message_payload_points_at_the_committed_schema_file(registry: Registry) -> None:
    message = generate_asyncapi(registry)["components"]["messages"][SAMPLE_TYPE]
    data = message["payload"]["allOf"][1]["properties"]["data"]
    assert data == {"$ref": f"schemas/{SAMPLE_TYPE}.json"}


def test_message_describes_the_kafka_key(registry: Registry) -> None:
    message = generate_asyncapi(registry)["components"]["messages"][SAMPLE_TYPE]
    assert "transfer_id" in message["bindings"]["kafka"]["key"]["description"]


def test_written_document_is_json_and_passes_the_check(tmp_path: Path, registry: Registry) -> None:
    write_schemas(registry, tmp_path / "schemas")
    path = write_asyncapi(registry, tmp_path)
    assert json.loads(path.read_text(encoding="utf-8")) == generate_asyncapi(registry)
    assert check_contracts(registry, tmp_path / "schemas", asyncapi_file=path) == []
