"""Is the code's contract still the committed one, and would a change break consumers?

Compatibility rule: the current model of a type must accept every event ever
written under that type (auditors replay from offset 0), and consumers of the
committed schema must still understand new events. So within one version a field
may be added only if it is optional; anything else needs a new type version.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chengyu_contracts.asyncapi import generate_asyncapi
from chengyu_contracts.registry import Registry
from chengyu_contracts.schemas import generate_schemas, render_json, schema_file

__all__ = ["ContractProblem", "breaking_changes", "check_contracts"]

_MAX_DEPTH = 32
_COMBINATORS = ("anyOf", "oneOf", "allOf")


@dataclass(frozen=True)
class ContractProblem:
    """One way the code disagrees with the committed contracts.

    ``kind`` is one of: stale, missing, orphan, unreadable (files); removed-field,
    type-changed, became-required, new-required, enum-narrowed (breaking changes).
    """

    type: str
    field: str
    kind: str
    message: str


def _next_version(event_type: str) -> str:
    match = re.fullmatch(r"(.*\.v)([1-9][0-9]*)", event_type)
    if match is None:
        return "a new type version (.vN+1)"
    return f"a new version {match.group(1)}{int(match.group(2)) + 1}"


def _resolve(schema: Any, root: dict[str, Any]) -> dict[str, Any]:
    """Follow local ``#/...`` references to the schema they name."""
    current = schema
    for _ in range(_MAX_DEPTH):
        if not isinstance(current, dict):
            return {}
        ref = current.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return current
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        current = target
    return {}


def _shape(schema: Any, root: dict[str, Any], depth: int = 0) -> Any:
    """What a value of this schema looks like, ignoring titles, docs and enum values.

    Objects are shallow ("type": "object"): their properties are compared one by one
    so that a new optional nested field is not mistaken for a type change.
    """
    resolved = _resolve(schema, root)
    if depth > _MAX_DEPTH:
        return "deep"
    for combinator in _COMBINATORS:
        if isinstance(resolved.get(combinator), list):
            members = [_shape(m, root, depth + 1) for m in resolved[combinator]]
            return {combinator: sorted(json.dumps(m, sort_keys=True) for m in members)}
    shape: dict[str, Any] = {k: resolved[k] for k in ("type", "format") if k in resolved}
    if "enum" in resolved or "const" in resolved:
        shape["enum"] = True  # values are compared separately: adding one is fine
    if "items" in resolved:
        shape["items"] = _shape(resolved["items"], root, depth + 1)
    if isinstance(resolved.get("additionalProperties"), dict):
        shape["additionalProperties"] = _shape(resolved["additionalProperties"], root, depth + 1)
    return shape


def _enum_values(schema: dict[str, Any]) -> set[str] | None:
    if "enum" in schema and isinstance(schema["enum"], list):
        return {json.dumps(v, sort_keys=True, ensure_ascii=False) for v in schema["enum"]}
    if "const" in schema:
        return {json.dumps(schema["const"], sort_keys=True, ensure_ascii=False)}
    return None


class _Comparison:
    """Walks two schemas of one event type side by side, collecting problems."""

    def __init__(self, event_type: str, old_root: dict[str, Any], new_root: dict[str, Any]):
        self.event_type = event_type
        self.old_root = old_root
        self.new_root = new_root
        self.problems: list[ContractProblem] = []
        self.instead = _next_version(event_type)

    def report(self, field: str, kind: str, why: str) -> None:
        self.problems.append(ContractProblem(self.event_type, field, kind, why))

    def objects(self, old: dict[str, Any], new: dict[str, Any], path: str, depth: int) -> None:
        old_props: dict[str, Any] = old.get("properties", {}) or {}
        new_props: dict[str, Any] = new.get("properties", {}) or {}
        for name in sorted(old_props):
            field = f"{path}.{name}" if path else name
            if name not in new_props:
                self.report(
                    field,
                    "removed-field",
                    f"property {field} was removed: consumers that read it break, and events "
                    "already written carry it, which the model now rejects. Keep it (mark it "
                    f"deprecated in its description) or add {self.instead}.",
                )
            else:
                self.values(old_props[name], new_props[name], field, depth + 1)
        old_required = set(old.get("required", []) or [])
        for name in sorted(set(new.get("required", []) or []) - old_required):
            field = f"{path}.{name}" if path else name
            if name in old_props:
                self.report(
                    field,
                    "became-required",
                    f"property {field} became required: events already written without it "
                    "no longer validate, so replay and late consumers break. Keep it optional "
                    f"with a default, or add {self.instead}.",
                )
            else:
                self.report(
                    field,
                    "new-required",
                    f"new property {field} is required: events already written lack it and no "
                    "longer validate. Add it as optional with a default, or add "
                    f"{self.instead}.",
                )

    def values(self, old_schema: Any, new_schema: Any, field: str, depth: int) -> None:
        if depth > _MAX_DEPTH:
            return
        old = _resolve(old_schema, self.old_root)
        new = _resolve(new_schema, self.new_root)
        old_shape = _shape(old, self.old_root)
        if old_shape != _shape(new, self.new_root):
            self.report(
                field,
                "type-changed",
                f"property {field} changed type: events already written no longer validate "
                f"and consumers parse it the old way. Keep the type, or add {self.instead}.",
            )
            return
        old_enum, new_enum = _enum_values(old), _enum_values(new)
        if old_enum is not None and new_enum is not None and old_enum - new_enum:
            lost = ", ".join(sorted(old_enum - new_enum))
            self.report(
                field,
                "enum-narrowed",
                f"property {field} lost allowed value(s) {lost}: events already written with "
                f"them no longer validate. Keep the values, or add {self.instead}.",
            )
        if "properties" in old or "properties" in new:
            self.objects(old, new, field, depth)
        if "items" in old and "items" in new:
            self.values(old["items"], new["items"], f"{field}[]", depth + 1)
        if isinstance(old.get("additionalProperties"), dict) and isinstance(
            new.get("additionalProperties"), dict
        ):
            self.values(
                old["additionalProperties"], new["additionalProperties"], f"{field}.*", depth + 1
            )
        for combinator in _COMBINATORS:
            if isinstance(old.get(combinator), list) and isinstance(new.get(combinator), list):
                self.members(old[combinator], new[combinator], field, depth)

    def members(self, old: list[Any], new: list[Any], field: str, depth: int) -> None:
        # Shapes already match as multisets, so pair each old member with a new one
        # of the same shape and compare inside (nested objects, enums).
        unmatched = list(new)
        for old_member in old:
            old_shape = _shape(old_member, self.old_root)
            for candidate in unmatched:
                if _shape(candidate, self.new_root) == old_shape:
                    unmatched.remove(candidate)
                    self.values(old_member, candidate, field, depth + 1)
                    break


def breaking_changes(
    old: dict[str, Any], new: dict[str, Any], *, event_type: str | None = None
) -> list[ContractProblem]:
    """Changes from the ``old`` to the ``new`` JSON Schema that would break consumers.

    Pure. ``event_type`` names the type in the problems (default: ``new``'s title).
    Reports removed properties, changed types (type, format, enum-ness, anyOf
    members, array items; ``$ref`` is followed, so renaming a nested model is fine),
    properties that became required, new required properties and lost enum values.
    """
    name = event_type or str(new.get("title") or old.get("title") or "")
    comparison = _Comparison(name, old, new)
    comparison.objects(_resolve(old, old), _resolve(new, new), "", 0)
    return comparison.problems


def _file_problems(event_type: str, path: Path, expected: dict[str, Any]) -> list[ContractProblem]:
    if not path.is_file():
        return [
            ContractProblem(
                event_type,
                "",
                "missing",
                f"no committed schema {path.name}: regenerate with write_schemas and commit it.",
            )
        ]
    text = path.read_text(encoding="utf-8")
    try:
        committed = json.loads(text)
    except ValueError:
        return [
            ContractProblem(
                event_type, "", "unreadable", f"{path.name} is not JSON: restore it from git."
            )
        ]
    problems = breaking_changes(committed, expected, event_type=event_type)
    if text != render_json(expected):
        problems.append(
            ContractProblem(
                event_type,
                "",
                "stale",
                f"{path.name} differs from the code: if no breaking change is reported, "
                "regenerate with write_schemas and commit it.",
            )
        )
    return problems


def check_contracts(
    registry: Registry, directory: Path, *, asyncapi_file: Path | None = None
) -> list[ContractProblem]:
    """Compare the registry with the schemas committed in ``directory``.

    Reports missing, stale and orphan files and every breaking change (see
    :func:`breaking_changes`). With ``asyncapi_file``, also reports that document
    as missing or stale. Returns problems sorted by type, field and kind; no output.
    """
    expected = generate_schemas(registry)
    problems: list[ContractProblem] = []
    for event_type, schema in expected.items():
        problems.extend(_file_problems(event_type, schema_file(directory, event_type), schema))
    for path in sorted(directory.glob("*.json")):
        if path.stem not in expected:
            problems.append(
                ContractProblem(
                    path.stem,
                    "",
                    "orphan",
                    f"{path.name} has no event type in the code: removing a published type "
                    "breaks its consumers. Restore the model, or delete the file deliberately "
                    "once no producer or stored event uses it.",
                )
            )
    if asyncapi_file is not None:
        rendered = render_json(generate_asyncapi(registry))
        if not asyncapi_file.is_file() or asyncapi_file.read_text(encoding="utf-8") != rendered:
            problems.append(
                ContractProblem(
                    "",
                    "",
                    "stale",
                    f"{asyncapi_file.name} is missing or differs from the code: regenerate "
                    "with write_asyncapi and commit it.",
                )
            )
    return sorted(problems, key=lambda p: (p.type, p.field, p.kind))
