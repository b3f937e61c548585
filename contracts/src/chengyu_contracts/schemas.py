"""JSON Schemas of event payloads, generated from the models and committed as files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chengyu_contracts.registry import EventSpec, Registry

__all__ = [
    "JSON_SCHEMA_DIALECT",
    "generate_schemas",
    "render_json",
    "schema_file",
    "schema_for",
    "write_schemas",
]

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_for(spec: EventSpec) -> dict[str, Any]:
    """The JSON Schema of one event type's ``data``, with Chengyu annotations."""
    schema = spec.model.model_json_schema()
    schema["$schema"] = JSON_SCHEMA_DIALECT
    schema["$id"] = spec.dataschema
    schema["title"] = spec.type
    schema["x-chengyu-topic"] = spec.topic
    schema["x-chengyu-key"] = spec.key_field
    return schema


def generate_schemas(registry: Registry) -> dict[str, dict[str, Any]]:
    """Map every registered type to its JSON Schema."""
    return {spec.type: schema_for(spec) for spec in registry.specs()}


def render_json(document: dict[str, Any]) -> str:
    """The committed file text: sorted keys, 2-space indent, UTF-8, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema_file(directory: Path, event_type: str) -> Path:
    """Where the schema of ``event_type`` is committed."""
    return directory / f"{event_type}.json"


def write_schemas(registry: Registry, directory: Path) -> list[Path]:
    """Write one ``<type>.json`` per registered type into ``directory``; return the paths.

    Files of types no longer in the code are left alone on purpose: removing a
    published contract is a deliberate act (``check_contracts`` reports them).
    """
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for event_type, schema in generate_schemas(registry).items():
        path = schema_file(directory, event_type)
        path.write_text(render_json(schema), encoding="utf-8")
        written.append(path)
    return written
