"""Reading old versions of an event type as its latest version.

A type ``cn.chengyu.<domain>.<event>`` has versions ``.v1``, ``.v2``, ... (a *family*).
When ``.vN+1`` is added, it is registered with an **upcaster**: a pure function turning
the ``data`` of a ``.vN`` event into the ``data`` of a ``.vN+1`` event (JSON dict in, JSON
dict out, no I/O, no clock). The registry chains them, so a record written as any version
is read as the family's latest one; services only ever handle the latest model.

Records on the log are never rewritten: the signature covers the bytes as written, and
``decode_event`` verifies it, and checks the data against the written version's model
(every old model stays registered), *before* it upcasts.

Registration rules (checked by :meth:`chengyu_contracts.registry.Registry.register`, so a
broken family cannot even be imported): a family starts at ``.v1``; ``.vN+1`` needs
``.vN`` registered first (no skipped numbers) and an upcaster from it; every version
keeps the topic (per-key order across versions) and the key field (the Kafka key of old
and new records is the same aggregate id).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

__all__ = ["Upcaster", "family_of", "previous_type", "type_of_version"]

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
"""Turns the ``data`` of ``<family>.vN`` into the ``data`` of ``<family>.vN+1``.

It receives a private deep copy (it may change and return it) of data already valid for
``.vN``; what it returns must be valid for ``.vN+1`` (decoding checks that too).
"""

_FAMILY_RE = re.compile(r"^(.*)\.v([1-9][0-9]*)$")


def family_of(event_type: str) -> str:
    """The type name without its ``.vN`` suffix; ``ValueError`` if there is none."""
    match = _FAMILY_RE.match(event_type)
    if match is None:
        raise ValueError(f"event type {event_type!r} does not end in .vN")
    return match.group(1)


def type_of_version(family: str, version: int) -> str:
    """``<family>.v<version>``."""
    return f"{family}.v{version}"


def previous_type(event_type: str) -> str | None:
    """The type one version older (``….v2`` -> ``….v1``), or None for a ``.v1``."""
    match = _FAMILY_RE.match(event_type)
    if match is None:
        raise ValueError(f"event type {event_type!r} does not end in .vN")
    version = int(match.group(2))
    return None if version == 1 else type_of_version(match.group(1), version - 1)


def apply_upcaster(upcaster: Upcaster, data: dict[str, Any]) -> Any:
    """Run one upcaster on a deep copy of ``data`` (the caller's dict is never changed)."""
    return upcaster(copy.deepcopy(data))
