from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from chengyu_contracts.compat import check_contracts
from chengyu_contracts.registry import EventData, EventSpec, Registry
from chengyu_contracts.schemas import generate_schemas, write_schemas

from .conftest import SAMPLE_TOPIC, SAMPLE_TYPE, SampleTransferRequested, make_registry


def test_schema_carries_id_title_topic_and_key(registry: Registry) -> None:
    schema = generate_schemas(registry)[SAMPLE_TYPE]
    assert schema["$id"] == "urn:chengyu:schema:" + SAMPLE_TYPE
    assert schema["title"] == SAMPLE_TYPE
    assert (schema["x-chengyu-topic"], schema["x-chengyu-key"]) == (SAMPLE_TOPIC, "transfer_id")


def test_schema_is_the_models_json_schema(registry: Registry) -> None:
    schema = generate_schemas(registry)[SAMPLE_TYPE]
    assert schema["properties"] == SampleTransferRequested.model_json_schema()["properties"]


def test_write_schemas_writes_sorted_indented_files_with_newline(
    tmp_path: Path, registry: Registry
) -> None:
    (path,) = write_schemas(registry, tmp_path)
    text = path.read_text(encoding="utf-8")
    assert path.name == SAMPLE_TYPE + ".json"
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_freshly_written_schemas_have_no_problems(tmp_path: Path, registry: Registry) -> None:
    write_schemas(registry, tmp_path)
    assert check_contracts(registry, tmp_path) == []


def test_missing_schema_file_is_reported(tmp_path: Path, registry: Registry) -> None:
    assert [p.kind for p in check_contracts(registry, tmp_path)] == ["missing"]


def test_orphan_schema_file_is_reported(tmp_path: Path, registry: Registry) -> None:
    write_schemas(registry, tmp_path)
    (tmp_path / "cn.chengyu.sample.gone.v1.json").write_text("{}\n", encoding="utf-8")
    problems = check_contracts(registry, tmp_path)
    assert [(p.type, p.kind) for p in problems] == [("cn.chengyu.sample.gone.v1", "orphan")]


def test_unreadable_schema_file_is_reported(tmp_path: Path, registry: Registry) -> None:
    (tmp_path / f"{SAMPLE_TYPE}.json").write_text("{", encoding="utf-8")
    assert [p.kind for p in check_contracts(registry, tmp_path)] == ["unreadable"]


def test_new_optional_field_is_only_stale(tmp_path: Path, registry: Registry) -> None:
    write_schemas(registry, tmp_path)

    class Grown(EventData):
        transfer_id: str
        person_ref: str
        amount_fen: int
        kind: Literal["full", "partial"] = "full"
        note: str | None = None

    grown = Registry()
    grown.register(EventSpec(SAMPLE_TYPE, Grown, SAMPLE_TOPIC, "transfer_id", 1))
    problems = check_contracts(grown, tmp_path)
    assert [p.kind for p in problems] == ["stale"]


def test_breaking_change_against_committed_file_is_reported(tmp_path: Path) -> None:
    write_schemas(make_registry(), tmp_path)

    class Shrunk(EventData):
        transfer_id: str
        person_ref: str

    shrunk = Registry()
    shrunk.register(EventSpec(SAMPLE_TYPE, Shrunk, SAMPLE_TOPIC, "transfer_id", 1))
    problems = check_contracts(shrunk, tmp_path)
    assert {(p.field, p.kind) for p in problems} >= {
        ("amount_fen", "removed-field"),
        ("kind", "removed-field"),
        ("", "stale"),
    }


def test_stale_asyncapi_file_is_reported(tmp_path: Path, registry: Registry) -> None:
    write_schemas(registry, tmp_path)
    problems = check_contracts(registry, tmp_path, asyncapi_file=tmp_path / "asyncapi.json")
    assert [(p.field, p.kind) for p in problems] == [("", "stale")]
