"""Which event types exist: type name -> payload model, topic, key field and version."""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from chengyu_contracts.envelope import DATASCHEMA_PREFIX, TYPE_PATTERN
from chengyu_contracts.errors import UnknownEventType
from chengyu_contracts.upcasting import Upcaster, family_of, type_of_version

__all__ = [
    "REGISTRY",
    "EventData",
    "EventSpec",
    "Registry",
    "UnknownEventType",
    "Upcaster",
    "dead_letter_topic",
    "event",
    "version_of_type",
]

TOPIC_PATTERN = r"^[a-z0-9-]+\.[a-z0-9-]+$"
_TOPIC_RE = re.compile(TOPIC_PATTERN)
_TYPE_RE = re.compile(TYPE_PATTERN)
_VERSION_RE = re.compile(r"\.v([1-9][0-9]*)$")


class EventData(BaseModel):
    """Base of every event payload.

    Payloads hold no floats: money is integer fen, quantities are integers. A float
    has several JSON spellings and may not survive a parse/serialise round trip in
    every language, which would make the canonical (signed) bytes unstable and sums
    of money inexact. ``Registry.register`` rejects models whose schema has a number.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


M = TypeVar("M", bound=EventData)


@dataclass(frozen=True)
class EventSpec:
    """Everything the platform knows about one event type."""

    type: str
    model: builtins.type[EventData]
    topic: str
    key_field: str
    version: int

    @property
    def dataschema(self) -> str:
        """The URN of this type's JSON Schema, carried in the envelope's ``dataschema``."""
        return DATASCHEMA_PREFIX + self.type


def dead_letter_topic(topic: str) -> str:
    """Name of the dead-letter topic that receives rejected records of ``topic``."""
    return f"{topic}.dlq"


def version_of_type(event_type: str) -> int:
    """The N of a type name ending in ``.vN``; ``ValueError`` if there is none."""
    match = _VERSION_RE.search(event_type)
    if match is None:
        raise ValueError(f"event type {event_type!r} does not end in .vN")
    return int(match.group(1))


def _schema_has_number(schema: Any) -> bool:
    if isinstance(schema, dict):
        if schema.get("type") == "number":
            return True
        return any(_schema_has_number(value) for value in schema.values())
    if isinstance(schema, list):
        return any(_schema_has_number(item) for item in schema)
    return False


def _spec_problems(spec: EventSpec) -> list[str]:
    problems: list[str] = []
    if not _TYPE_RE.match(spec.type):
        problems.append("type must look like cn.chengyu.<domain>.<event>.v<N>")
    elif version_of_type(spec.type) != spec.version:
        problems.append(f"version {spec.version} does not match the .vN suffix of the type")
    if not _TOPIC_RE.match(spec.topic):
        problems.append("topic must look like <domain>.<aggregate>")
    if not (isinstance(spec.model, type) and issubclass(spec.model, EventData)):
        problems.append("model must be a subclass of EventData")
    elif spec.key_field not in spec.model.model_fields:
        problems.append(f"model {spec.model.__name__} has no key field {spec.key_field!r}")
    elif _schema_has_number(spec.model.model_json_schema()):
        problems.append(f"model {spec.model.__name__} has a float/decimal field; use integers")
    return problems


class Registry:
    """The set of known event types.

    Filled at import time by the ``events`` modules and only read afterwards, so it
    is safe to share between threads once imports are done.
    """

    def __init__(self) -> None:
        self._by_type: dict[str, EventSpec] = {}
        self._by_model: dict[builtins.type[EventData], EventSpec] = {}
        # family (type without .vN) -> its versions, oldest first (1, 2, ... without gaps)
        self._families: dict[str, list[EventSpec]] = {}
        # type of .vN -> the upcaster from .vN to .vN+1
        self._upcasters: dict[str, Upcaster] = {}

    def register(self, spec: EventSpec, *, upcaster: Upcaster | None = None) -> EventSpec:
        """Add ``spec``; ``ValueError`` on a duplicate type or model, or an inconsistent spec.

        A ``.vN`` with N > 1 needs ``upcaster``, turning the data of the registered ``.vN-1``
        into its own (see :mod:`chengyu_contracts.upcasting`), the same topic and key field
        as ``.vN-1``; so every old version of a family can always be read as its latest.
        """
        problems = _spec_problems(spec)
        if spec.type in self._by_type:
            problems.append("type is already registered")
        if spec.model in self._by_model:
            problems.append(f"model {spec.model.__name__} is already registered")
        if not problems:
            problems.extend(self._version_problems(spec, upcaster))
        if problems:
            raise ValueError(f"cannot register {spec.type!r}: " + "; ".join(problems))
        self._by_type[spec.type] = spec
        self._by_model[spec.model] = spec
        self._families.setdefault(family_of(spec.type), []).append(spec)
        if upcaster is not None:
            self._upcasters[type_of_version(family_of(spec.type), spec.version - 1)] = upcaster
        return spec

    def _version_problems(self, spec: EventSpec, upcaster: Upcaster | None) -> list[str]:
        family = family_of(spec.type)
        if spec.version == 1:
            if upcaster is not None:
                return ["a .v1 has no older version to upcast from; drop the upcaster"]
            return []
        previous = type_of_version(family, spec.version - 1)
        versions = self._families.get(family, [])
        if not versions or versions[-1].type != previous:
            return [
                f"version {spec.version} skips {previous}: register the versions of "
                f"{family} in order, from .v1, without gaps"
            ]
        older = versions[-1]
        problems: list[str] = []
        if upcaster is None:
            problems.append(
                f"no upcaster from {previous}: records written as {previous} could not be "
                f"read as {spec.type}; pass upcaster= turning {previous} data into this one's"
            )
        if spec.topic != older.topic:
            problems.append(
                f"topic {spec.topic!r} differs from {older.topic!r} of {previous}: every "
                "version of a type stays on one topic, so the events of a key stay in order"
            )
        if spec.key_field != older.key_field:
            problems.append(
                f"key field {spec.key_field!r} differs from {older.key_field!r} of {previous}: "
                "old and new records of one aggregate must keep the same Kafka key"
            )
        return problems

    def spec_for(self, type: str) -> EventSpec:
        """The spec of an event type; ``UnknownEventType`` if it is not registered."""
        try:
            return self._by_type[type]
        except KeyError:
            raise UnknownEventType(type) from None

    def spec_for_model(self, model: builtins.type[EventData]) -> EventSpec:
        """The spec a payload model was registered under; ``KeyError`` if none."""
        try:
            return self._by_model[model]
        except KeyError:
            raise KeyError(f"model {model.__name__} is not registered") from None

    def latest(self, type: str) -> EventSpec:
        """The newest registered version of ``type``'s family (``type``'s own spec when it is
        the newest); ``UnknownEventType`` if ``type`` is not registered."""
        spec = self.spec_for(type)
        return self._families[family_of(spec.type)][-1]

    def versions(self, type: str) -> list[EventSpec]:
        """Every registered version of ``type``'s family, oldest first."""
        spec = self.spec_for(type)
        return list(self._families[family_of(spec.type)])

    def upcaster_from(self, type: str) -> Upcaster | None:
        """The upcaster from ``type`` (a ``.vN``) to ``.vN+1``; None for the latest version."""
        return self._upcasters.get(type)

    def specs(self) -> list[EventSpec]:
        """All specs, sorted by type name."""
        return [self._by_type[name] for name in sorted(self._by_type)]

    def topics(self) -> list[str]:
        """Every topic an event type is published on, sorted and without repeats."""
        return sorted({spec.topic for spec in self._by_type.values()})

    def key_of(self, data: EventData) -> str:
        """The Kafka key (aggregate id) of a payload: its key field's value as text."""
        spec = self.spec_for_model(type(data))
        return str(getattr(data, spec.key_field))

    def __len__(self) -> int:
        return len(self._by_type)

    def __contains__(self, event_type: object) -> bool:
        return event_type in self._by_type


def event(
    registry: Registry, *, type: str, topic: str, key: str, upcaster: Upcaster | None = None
) -> Callable[[builtins.type[M]], builtins.type[M]]:
    """Class decorator registering a payload model under ``type`` on ``topic``.

    The version is taken from the ``.vN`` suffix of ``type``. For a ``.vN`` with N > 1,
    ``upcaster`` turns the data of ``.vN-1`` into this version's (see ``Registry.register``).
    """

    def register_model(model: builtins.type[M]) -> builtins.type[M]:
        registry.register(
            EventSpec(
                type=type, model=model, topic=topic, key_field=key, version=version_of_type(type)
            ),
            upcaster=upcaster,
        )
        return model

    return register_model


# Filled by chengyu_contracts.events.<domain> modules; import chengyu_contracts.events
# to get every event type.
REGISTRY = Registry()
