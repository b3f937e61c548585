"""Kafka topics as code: ``deploy/topics.yaml`` declares them, :func:`apply_topics` makes
the cluster match (create, alter configs, add partitions) and reports what it could not fix.

File format::

    defaults:                     # applies to every topic unless the topic says otherwise
      partitions: 6
      replication_factor: 1
      configs: {cleanup.policy: delete, retention.ms: -1, retention.bytes: -1}
    topics:
      - name: fund.transfer       # <domain>.<name>, lowercase, digits and '-'
        partitions: 12            # optional
        replication_factor: 1     # optional
        configs: {}               # optional, merged over defaults.configs
        dead_letter: true         # default true: also declares "fund.transfer.dlq";
                                  # or a mapping {partitions: 1, configs: {...}}

A dead-letter topic keeps events forever (``retention.ms`` and ``retention.bytes`` -1) and has
1 partition unless its mapping says otherwise.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from chengyu_kit.kafka_auth import KafkaCredentials, client_options

__all__ = [
    "TopicChange",
    "TopicSpec",
    "TopicSpecError",
    "apply_topics",
    "load_topic_specs",
    "parse_topic_specs",
    "with_overrides",
]

TOPIC_NAME = re.compile(r"^[a-z0-9-]+\.[a-z0-9-]+(\.dlq)?$")
DLQ_SUFFIX = ".dlq"
FOREVER = {"retention.ms": "-1", "retention.bytes": "-1"}

Action = Literal["created", "updated-config", "added-partitions", "unchanged", "problem"]

_TOPIC_KEYS = {"name", "partitions", "replication_factor", "configs", "dead_letter"}
_DEFAULT_KEYS = {"partitions", "replication_factor", "configs"}
_DLQ_KEYS = {"partitions", "configs"}
_DYNAMIC_TOPIC_CONFIG = 1  # DescribeConfigs config_source of a topic-level override
# UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE: metadata of a new topic still spreading
_NOT_YET_KNOWN = {3, 5}


class TopicSpecError(ValueError):
    """A topic file is invalid; the message names the file, the topic and the field."""


@dataclass(frozen=True)
class TopicSpec:
    """One topic as it should exist in the cluster."""

    name: str
    partitions: int
    replication_factor: int
    configs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TopicChange:
    """What :func:`apply_topics` did (or could not do) to one topic."""

    topic: str
    action: Action
    detail: str = ""


# --------------------------------------------------------------------------------------------
# loading


def _config_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise TypeError(f"must be a string, number or boolean, got {type(value).__name__}")


class _Where:
    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, where: str, message: str) -> TopicSpecError:
        return TopicSpecError(f"{self.source}: {where}: {message}")

    def positive_int(self, where: str, key: str, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.error(where, f"field '{key}' must be a positive integer, got {value!r}")
        return value

    def configs(self, where: str, key: str, value: object) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.error(where, f"field '{key}' must be a mapping of config names to values")
        result: dict[str, str] = {}
        for name, raw in value.items():
            if not isinstance(name, str) or not name:
                raise self.error(where, f"field '{key}' has a config name {name!r}")
            try:
                result[name] = _config_value(raw)
            except TypeError as exc:
                raise self.error(where, f"field '{key}.{name}' {exc}") from None
        return result

    def known_keys(self, where: str, entry: Mapping[str, Any], allowed: set[str]) -> None:
        unknown = sorted(str(k) for k in entry if k not in allowed)
        if unknown:
            raise self.error(
                where,
                f"unknown field(s) {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})",
            )


def parse_topic_specs(document: object, source: str = "<topics>") -> list[TopicSpec]:
    """Topic specs from a parsed YAML document (see the module docstring for the format)."""
    at = _Where(source)
    if document is None:
        document = {}
    if not isinstance(document, Mapping):
        raise at.error("top level", "must be a mapping with 'defaults' and 'topics'")
    at.known_keys("top level", document, {"defaults", "topics"})
    defaults = document.get("defaults") or {}
    if not isinstance(defaults, Mapping):
        raise at.error("defaults", "must be a mapping")
    at.known_keys("defaults", defaults, _DEFAULT_KEYS)
    default_partitions = at.positive_int("defaults", "partitions", defaults.get("partitions", 1))
    default_rf = at.positive_int(
        "defaults", "replication_factor", defaults.get("replication_factor", 1)
    )
    default_configs = at.configs("defaults", "configs", defaults.get("configs"))

    entries = document.get("topics") or []
    if not isinstance(entries, Sequence) or isinstance(entries, str):
        raise at.error("topics", "must be a list")
    specs: list[TopicSpec] = []
    seen: set[str] = set()

    def add(spec: TopicSpec, where: str) -> None:
        if not TOPIC_NAME.match(spec.name):
            raise at.error(
                where,
                f"field 'name': {spec.name!r} does not match {TOPIC_NAME.pattern} "
                "(<domain>.<name>, lowercase letters, digits and '-')",
            )
        if spec.name in seen:
            raise at.error(where, f"field 'name': topic {spec.name!r} is declared twice")
        seen.add(spec.name)
        specs.append(spec)

    for index, entry in enumerate(entries):
        where = f"topics[{index}]"
        if not isinstance(entry, Mapping):
            raise at.error(where, "must be a mapping with at least 'name'")
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise at.error(where, "field 'name' is missing or not a string")
        where = f"topics[{index}] ({name})"
        at.known_keys(where, entry, _TOPIC_KEYS)
        configs = {**default_configs, **at.configs(where, "configs", entry.get("configs"))}
        spec = TopicSpec(
            name=name,
            partitions=at.positive_int(
                where, "partitions", entry.get("partitions", default_partitions)
            ),
            replication_factor=at.positive_int(
                where, "replication_factor", entry.get("replication_factor", default_rf)
            ),
            configs=configs,
        )
        add(spec, where)

        dead_letter = entry.get("dead_letter", not name.endswith(DLQ_SUFFIX))
        if dead_letter is False:
            continue
        if name.endswith(DLQ_SUFFIX):
            raise at.error(where, "field 'dead_letter': a dead-letter topic has no dead letters")
        dlq: Mapping[str, Any] = {}
        if isinstance(dead_letter, Mapping):
            at.known_keys(f"{where} dead_letter", dead_letter, _DLQ_KEYS)
            dlq = dead_letter
        elif dead_letter is not True:
            raise at.error(
                where, f"field 'dead_letter' must be true, false or a mapping, got {dead_letter!r}"
            )
        add(
            TopicSpec(
                name=name + DLQ_SUFFIX,
                partitions=at.positive_int(
                    where, "dead_letter.partitions", dlq.get("partitions", 1)
                ),
                replication_factor=spec.replication_factor,
                configs={
                    **default_configs,
                    **FOREVER,
                    **at.configs(where, "dead_letter.configs", dlq.get("configs")),
                },
            ),
            f"{where} dead_letter",
        )
    return specs


def load_topic_specs(
    path: Path,
    *,
    replication_factor: int | None = None,
    min_insync_replicas: int | None = None,
) -> list[TopicSpec]:
    """Read and validate a topic file; optionally override the replication factor and
    ``min.insync.replicas`` of every topic (for instance 3 and 2 on a 3-node cluster)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise TopicSpecError(f"{path}: cannot read: {exc}") from exc
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TopicSpecError(f"{path}: invalid YAML: {exc}") from exc
    specs = parse_topic_specs(document, str(path))
    return with_overrides(
        specs, replication_factor=replication_factor, min_insync_replicas=min_insync_replicas
    )


def with_overrides(
    specs: list[TopicSpec],
    *,
    replication_factor: int | None = None,
    min_insync_replicas: int | None = None,
) -> list[TopicSpec]:
    """The same specs with another replication factor and/or ``min.insync.replicas``."""
    result = []
    for spec in specs:
        changed = spec
        if replication_factor is not None:
            changed = replace(changed, replication_factor=replication_factor)
        if min_insync_replicas is not None:
            configs = {**changed.configs, "min.insync.replicas": str(min_insync_replicas)}
            changed = replace(changed, configs=configs)
        result.append(changed)
    return result


# --------------------------------------------------------------------------------------------
# applying


async def apply_topics(
    bootstrap_servers: str,
    specs: list[TopicSpec],
    *,
    timeout_ms: int = 30000,
    credentials: KafkaCredentials | None = None,
) -> list[TopicChange]:
    """Make the cluster match `specs`; return what was done, topic by topic, in spec order.

    Missing topics are created. For existing ones, declared configs that differ are altered
    (other topic-level overrides are kept), partitions are added when more are declared. Fewer
    declared partitions or another replication factor are reported as ``problem`` and left
    as they are. Topics not in `specs` are never touched. A second run reports ``unchanged``.
    """
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers,
        request_timeout_ms=timeout_ms,
        **client_options(credentials),
    )
    await admin.start()
    try:
        return await _apply(admin, specs, timeout_ms)
    finally:
        await admin.close()


async def _apply(admin: Any, specs: list[TopicSpec], timeout_ms: int) -> list[TopicChange]:
    from aiokafka.admin import NewPartitions, NewTopic

    changes: dict[str, list[TopicChange]] = {spec.name: [] for spec in specs}
    existing = set(await admin.list_topics())
    missing = [spec for spec in specs if spec.name not in existing]
    if missing:
        response = await admin.create_topics(
            [
                NewTopic(s.name, s.partitions, s.replication_factor, topic_configs=s.configs)
                for s in missing
            ],
            timeout_ms=timeout_ms,
        )
        by_name = {s.name: s for s in missing}
        for entry in response.topic_errors:
            name, code = entry[0], entry[1]
            message = entry[2] if len(entry) > 2 else None
            spec = by_name[name]
            if code == 0:
                changes[name].append(
                    TopicChange(
                        name,
                        "created",
                        f"{spec.partitions} partition(s), replication factor "
                        f"{spec.replication_factor}",
                    )
                )
            elif code == 36:  # TOPIC_ALREADY_EXISTS: created concurrently, treat as existing
                existing.add(name)
            else:
                changes[name].append(
                    TopicChange(name, "problem", f"cannot create (error {code}): {message}")
                )

    present = [spec for spec in specs if spec.name in existing]
    if present:
        await _reconcile(admin, present, changes, timeout_ms, NewPartitions)
    result: list[TopicChange] = []
    for spec in specs:
        result.extend(changes[spec.name] or [TopicChange(spec.name, "unchanged", "")])
    return result


async def _describe(
    admin: Any, specs: list[TopicSpec], timeout_ms: int
) -> tuple[
    dict[str, dict[str, Any]],
    dict[str, tuple[int, str]],
    dict[str, dict[str, str]],
    dict[str, dict[str, str]],
]:
    """Topic metadata and configs of `specs`: (described, config errors, current configs,
    topic-level overrides).

    A topic created a moment ago (by this run or a concurrent one) may not have reached
    every broker's metadata yet, so "unknown topic" and "leader not available" are retried
    until `timeout_ms` has passed rather than reported as problems.
    """
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        described = {t["topic"]: t for t in await admin.describe_topics([s.name for s in specs])}
        config_responses = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, s.name) for s in specs]
        )
        errors: dict[str, tuple[int, str]] = {}
        current: dict[str, dict[str, str]] = {}
        overrides: dict[str, dict[str, str]] = {}
        for response in config_responses:
            for error_code, error_message, _rtype, name, entries in response.resources:
                if error_code:
                    errors[name] = (error_code, error_message or "")
                    continue
                current[name] = {e[0]: e[1] for e in entries if e[1] is not None}
                overrides[name] = {
                    e[0]: e[1]
                    for e in entries
                    if e[3] == _DYNAMIC_TOPIC_CONFIG and e[1] is not None
                }
        pending = {code for code, _ in errors.values()} | {
            t["error_code"] for t in described.values()
        }
        if not pending & _NOT_YET_KNOWN or time.monotonic() >= deadline:
            return described, errors, current, overrides
        await asyncio.sleep(0.2)


async def _reconcile(
    admin: Any,
    specs: list[TopicSpec],
    changes: dict[str, list[TopicChange]],
    timeout_ms: int,
    new_partitions: Any,
) -> None:
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    described, config_errors, current, overrides = await _describe(admin, specs, timeout_ms)
    for name, (error_code, error_message) in config_errors.items():
        changes[name].append(
            TopicChange(
                name, "problem", f"cannot read configs (error {error_code}): {error_message}"
            )
        )

    for spec in specs:
        name = spec.name
        topic = described.get(name)
        if topic is None or topic["error_code"] != 0:
            code = None if topic is None else topic["error_code"]
            changes[name].append(TopicChange(name, "problem", f"cannot describe (error {code})"))
            continue
        partitions = topic["partitions"]
        count = len(partitions)
        rf = max((len(p["replicas"]) for p in partitions), default=0)
        if rf != spec.replication_factor:
            changes[name].append(
                TopicChange(
                    name,
                    "problem",
                    f"replication factor is {rf} but {spec.replication_factor} is declared; "
                    "not changed automatically (reassign partitions by hand)",
                )
            )
        if spec.partitions < count:
            changes[name].append(
                TopicChange(
                    name,
                    "problem",
                    f"has {count} partitions but {spec.partitions} are declared; Kafka cannot "
                    "remove partitions (declare at least the existing number)",
                )
            )
        elif spec.partitions > count:
            try:
                await admin.create_partitions(
                    {name: new_partitions(spec.partitions)}, timeout_ms=timeout_ms
                )
            except Exception as exc:
                changes[name].append(TopicChange(name, "problem", f"cannot add partitions: {exc}"))
            else:
                changes[name].append(
                    TopicChange(name, "added-partitions", f"{count} -> {spec.partitions}")
                )

        if name not in current:
            continue
        differing = {
            key: value for key, value in spec.configs.items() if current[name].get(key) != value
        }
        if not differing:
            continue
        # AlterConfigs replaces all topic-level overrides: send the existing ones too.
        merged = {**overrides[name], **spec.configs}
        responses = await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name, merged)]
        )
        errors = [
            f"{r[1]} (error {r[0]})" for resp in responses for r in resp.resources if r[0] != 0
        ]
        if errors:
            changes[name].append(
                TopicChange(name, "problem", f"cannot alter configs: {'; '.join(errors)}")
            )
        else:
            detail = ", ".join(
                f"{key}: {current[name].get(key)!s} -> {value}"
                for key, value in sorted(differing.items())
            )
            changes[name].append(TopicChange(name, "updated-config", detail))
