"""Evidence of one case or one person, from the log: the records byte for byte with their
coordinates, the key registry, witnessed checkpoints and inclusion proofs, in a zip with
the standalone verifier (:mod:`chengyu_ops.audit.bundle_verifier`, copied as
``verify.py``). Also the case's history as a timeline (:func:`case_events`).

Which records belong to a case: those whose event data has a field named ``*_id`` (or
``*_ref``) equal to the case id, e.g. ``transfer_id``, ``request_id``, ``claim_id``.
Which belong to a person: those whose ``person_ref`` (or ``caller_ref``) is the person's.
The raw resident ID number is only ever turned into its ``person_ref`` here; it is written
nowhere.

Only records a witnessed checkpoint covers go into a bundle, each with its inclusion
proof; the others (written after the last checkpoint both cities signed) are counted in
:class:`Bundle` and named by the command, to be bundled after the next checkpoint.

Layout of the zip::

    manifest.json      format, what was asked (case id or person_ref), the records
                       (coordinates, key and headers in base64, value file, type, time,
                       inclusion proof), the checkpoints (note file, size, root), and the
                       SHA-256 of every other member
    keys.json          the key registry used (public keys, agencies, validity windows)
    records/NNNN.value each record's value, the bytes the broker served
    notes/<log>@<size>.note  each witnessed checkpoint note (both cities' signatures)
    verify.py          the standalone verifier
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from aiokafka import ConsumerRecord, TopicPartition

from chengyu_contracts.checkpointers import checkpointer_keys, signed_checkpoint
from chengyu_contracts.decode import EventRejected, VerifiedEvent, decode_event
from chengyu_contracts.events.audit import CHECKPOINT_TOPIC, CheckpointWitnessed, log_name
from chengyu_contracts.keys import KeyRegistry
from chengyu_contracts.log_record import LogRecord
from chengyu_contracts.merkle import inclusion_proof
from chengyu_contracts.registry import REGISTRY, EventData
from chengyu_contracts.timefmt import parse_rfc3339
from chengyu_kit.kafka_auth import KafkaCredentials
from chengyu_ops.audit.bundle_verifier import FORMAT, manifest_bytes
from chengyu_ops.reading import list_topics, read_to_end

__all__ = [
    "FORMAT",
    "Bundle",
    "CaseEvent",
    "Selector",
    "case_events",
    "case_selector",
    "person_selector",
    "write_bundle",
]

_PERSON_FIELDS = ("person_ref", "caller_ref")

Selector = Callable[[EventData], bool]


def case_selector(case_id: str) -> Selector:
    """Events of the case ``case_id``: an ``*_id`` or ``*_ref`` field holds it."""

    def matches(data: EventData) -> bool:
        return any(
            value == case_id
            for name, value in data.model_dump().items()
            if name.endswith(("_id", "_ref"))
        )

    return matches


def person_selector(person: str) -> Selector:
    """Events of the person whose ``person_ref`` is ``person``."""

    def matches(data: EventData) -> bool:
        return any(getattr(data, name, None) == person for name in _PERSON_FIELDS)

    return matches


@dataclass(frozen=True)
class CaseEvent:
    """One record of the case, verified, where it sits and what it says."""

    record: ConsumerRecord
    index: int  # its position in its partition's tree (records from offset 0)
    event: VerifiedEvent

    @property
    def city(self) -> str:
        """The city whose service signed it."""
        return self.event.envelope.source.split("/")[1]

    @property
    def time(self) -> datetime:
        """The event's own time."""
        return parse_rfc3339(self.event.envelope.time)


@dataclass(frozen=True)
class _Witnessed:
    size: int
    root: bytes
    note: str


@dataclass(frozen=True)
class Bundle:
    """What a written bundle holds, and the case's records it could not hold yet."""

    path: Path
    records: int
    checkpoints: int
    not_yet_covered: list[str]  # coordinates of records after the last witnessed checkpoint


async def _logs(
    bootstrap: str, credentials: KafkaCredentials | None
) -> dict[TopicPartition, list[ConsumerRecord]]:
    topics = [
        name
        for name in await list_topics(bootstrap, credentials)
        if not name.endswith(".dlq") and name != CHECKPOINT_TOPIC
    ]
    return await read_to_end(bootstrap, topics, credentials)


async def case_events(
    bootstrap: str, credentials: KafkaCredentials | None, keys: KeyRegistry, selector: Selector
) -> list[CaseEvent]:
    """Every verified record of the domain topics the selector picks, by the event's time
    (then coordinates). Records that do not verify are the audit's business, not a case's."""
    found: list[CaseEvent] = []
    for records in (await _logs(bootstrap, credentials)).values():
        for index, record in enumerate(records):
            try:
                event = decode_event(record.value, record.key, REGISTRY, keys)
            except EventRejected:
                continue
            if selector(event.data):
                found.append(CaseEvent(record, index, event))
    found.sort(key=lambda e: (e.time, e.record.topic, e.record.partition, e.record.offset))
    return found


async def _witnessed(
    bootstrap: str, credentials: KafkaCredentials | None, keys: KeyRegistry
) -> dict[tuple[str, int], list[_Witnessed]]:
    """The checkpoints both cities signed, per log, smallest first."""
    found: dict[tuple[str, int], list[_Witnessed]] = {}
    records = await read_to_end(bootstrap, [CHECKPOINT_TOPIC], credentials)
    for record in (r for partition in records.values() for r in partition):
        try:
            event = decode_event(record.value, record.key, REGISTRY, keys)
        except EventRejected:
            continue
        data = event.data
        if not isinstance(data, CheckpointWitnessed):
            continue
        at = parse_rfc3339(event.envelope.time)
        signed = [
            signed_checkpoint(data.note, checkpointer_keys(keys, city, at))
            for city in (data.checkpointer_city, data.witness_city)
        ]
        first = signed[0]
        if first is None or signed[1] != first or first.size != data.tree_size:
            continue
        found.setdefault((data.topic, data.partition), []).append(
            _Witnessed(first.size, first.root_hash, data.note)
        )
    for checkpoints in found.values():
        checkpoints.sort(key=lambda c: c.size)
    return found


def _b64(raw: bytes | None) -> str | None:
    return None if raw is None else base64.b64encode(raw).decode()


def _leaf(record: ConsumerRecord) -> bytes:
    return LogRecord(
        record.topic,
        record.partition,
        record.offset,
        record.timestamp,
        record.key,
        record.value,
        tuple(record.headers or ()),
    ).leaf()


async def write_bundle(
    bootstrap: str,
    credentials: KafkaCredentials | None,
    keys_file: Path,
    selector: Selector,
    asked: dict[str, str],
    out: Path,
) -> Bundle:
    """Write the bundle of the records ``selector`` picks to ``out`` (a ``.zip``)."""
    keys = KeyRegistry.from_json_file(keys_file)
    logs = await _logs(bootstrap, credentials)
    events = await case_events(bootstrap, credentials, keys, selector)
    witnessed = await _witnessed(bootstrap, credentials, keys)
    records: list[dict[str, Any]] = []
    checkpoints: dict[str, dict[str, Any]] = {}
    members: dict[str, bytes] = {"keys.json": keys.to_json().encode()}
    not_yet: list[str] = []
    for case in events:
        record = case.record
        log = (record.topic, record.partition)
        covering = [c for c in witnessed.get(log, []) if c.size > case.index]
        if not covering:
            not_yet.append(f"{log_name(*log)}@{record.offset}")
            continue
        checkpoint = covering[0]
        name = f"{log_name(*log)}@{checkpoint.size}"
        note_file = f"notes/{name.replace('/', '_')}.note"
        leaves = [_leaf(r) for r in logs[TopicPartition(*log)][: checkpoint.size]]
        value_file = f"records/{len(records) + 1:04d}.value"
        records.append(
            {
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "timestamp_ms": record.timestamp,
                "key": _b64(record.key),
                "headers": [[name, _b64(value)] for name, value in record.headers or ()],
                "value": value_file,
                "type": case.event.written.type,
                "time": case.event.envelope.time,
                "inclusion": {
                    "checkpoint": name,
                    "index": case.index,
                    "path": [_b64(h) for h in inclusion_proof(leaves, case.index)],
                },
            }
        )
        members[value_file] = record.value or b""
        checkpoints[name] = {
            "note": note_file,
            "size": checkpoint.size,
            "root": _b64(checkpoint.root),
        }
        members[note_file] = checkpoint.note.encode()
    members["verify.py"] = (
        resources.files("chengyu_ops.audit").joinpath("bundle_verifier.py").read_bytes()
    )
    manifest = {
        "format": FORMAT,
        "asked": asked,
        "records": records,
        "checkpoints": checkpoints,
        "members": {name: hashlib.sha256(data).hexdigest() for name, data in members.items()},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(_member("manifest.json"), manifest_bytes(manifest))
        for name, data in sorted(members.items()):
            bundle.writestr(_member(name), data)
    return Bundle(out, len(records), len(checkpoints), not_yet)


def _member(name: str) -> zipfile.ZipInfo:
    # A fixed date: the same case and log give the same bundle, byte for byte.
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info
