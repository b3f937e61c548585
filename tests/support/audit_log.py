"""Logs for audit tests: signed events of two cities on the project's topics, checkpoints
of every partition signed and witnessed as the checkpointers sign them, and copies of a
cluster's topics onto another cluster, byte for byte or altered.

A copy keeps every coordinate: each record goes to the same partition of an empty topic of
the same name, in order, with its timestamp, key, value and headers, so its offset is its
position and an unaltered copy has the very leaves of the original.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from chengyu_contracts.checkpoint import Checkpoint, add_signature, sign_note
from chengyu_contracts.encode import encode_event
from chengyu_contracts.envelope import to_kafka_record
from chengyu_contracts.events.audit import (
    CheckpointPublished,
    CheckpointWitnessed,
)
from chengyu_contracts.events.medins import ContributionYearsAccrued
from chengyu_contracts.keys import KeyRegistry, SigningKey
from chengyu_contracts.merkle import root
from chengyu_contracts.registry import REGISTRY, EventData
from chengyu_kit.local.kafka import admin_credentials_for
from chengyu_kit.testing import kafka_options
from chengyu_ops.audit.partition_check import RawRecord
from chengyu_ops.reading import topic_partitions
from tests.support.kafka_io import apply_project_topics


@dataclass(frozen=True)
class AuditKeys:
    """The signing keys of a scenario: each city's insurance bureau and checkpointer, and
    one key of another agency (valid, but for another source)."""

    mi: dict[str, SigningKey]
    audit: dict[str, SigningKey]
    other_agency: SigningKey

    @classmethod
    def generate(cls) -> AuditKeys:
        """Fresh keys."""
        return cls(
            mi={c: SigningKey.generate(f"{c}-mi-audit-test", f"/{c}/mi") for c in ("cq", "cd")},
            audit={c: SigningKey.generate(f"{c}-audit-test", f"/{c}/audit") for c in ("cq", "cd")},
            other_agency=SigningKey.generate("cq-hpf-audit-test", "/cq/hpf"),
        )

    def registry(self) -> KeyRegistry:
        """The public keys of all of them."""
        keys = [*self.mi.values(), *self.audit.values(), self.other_agency]
        return KeyRegistry(key.public_entry() for key in keys)


Record = tuple[bytes | None, bytes, Sequence[tuple[str, bytes]]]


def signed(data: EventData, key: SigningKey, source: str, time: datetime) -> Record:
    """``data`` as the Kafka record a service of ``source`` would publish."""
    record = to_kafka_record(
        encode_event(data, source=source, key=key, registry=REGISTRY, time=time)
    )
    return record.key, record.value, list(record.headers)


def contribution(index: int, city: str, keys: AuditKeys, time: datetime) -> Record:
    """The ``index``-th contribution period of the scenario, recorded in ``city``."""
    data = ContributionYearsAccrued(
        period_id=f"period-{index}",
        person_ref=f"person-{index % 17}",
        city=city,
        start_month="2020-01",
        end_month="2020-12",
        kind="actual",
        version=1,
        cancelled=False,
    )
    return signed(data, keys.mi[city], f"/{city}/mi/insurance-years", time)


async def publish(
    bootstrap: str, topic: str, records: Sequence[Record], timestamps: Sequence[int] = ()
) -> None:
    """Publish records in order (partitioned by key, as the relay does), with the given
    Kafka timestamps (ms) or the producer's clock."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", **kafka_options(bootstrap))
    await producer.start()
    try:
        for index, (key, value, headers) in enumerate(records):
            at = timestamps[index] if timestamps else None
            await producer.send_and_wait(
                topic, value, key=key, headers=list(headers), timestamp_ms=at
            )
    finally:
        await producer.stop()


async def read_partitions(bootstrap: str, topic: str) -> dict[int, list[RawRecord]]:
    """Every record of every partition of ``topic``, in offset order."""
    partitions = await topic_partitions(bootstrap, [topic], admin_credentials_for(bootstrap))
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        **kafka_options(bootstrap),
    )
    await consumer.start()
    found: dict[int, list[RawRecord]] = {tp.partition: [] for tp in partitions}
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        # An explicit seek: position() right after seek_to_beginning() may still answer
        # the end offset (seen with aiokafka 0.13), ending the read before it began.
        for tp, first in (await consumer.beginning_offsets(partitions)).items():
            consumer.seek(tp, first)
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            batch = await consumer.getmany(timeout_ms=1000)
            for tp, records in batch.items():
                found[tp.partition].extend(
                    RawRecord(
                        r.topic,
                        r.partition,
                        r.offset,
                        r.timestamp,
                        r.key,
                        r.value,
                        tuple(r.headers),
                    )
                    for r in records
                )
    finally:
        await consumer.stop()
    return found


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def checkpoint_records(
    topic: str,
    partition: int,
    records: Sequence[RawRecord],
    sizes: Sequence[int],
    keys: AuditKeys,
    *,
    checkpointer: str = "cq",
    signer: SigningKey | None = None,
    time: datetime | None = None,
) -> list[Record]:
    """``checkpointer``'s checkpoints of the log at ``sizes`` and the other city's witness
    records, as the checkpointers publish them (``signer`` replaces both cities' keys, to
    forge)."""
    witness = "cd" if checkpointer == "cq" else "cq"
    when = time or datetime.now(UTC)
    leaves = [record.leaf() for record in records]
    out: list[Record] = []
    log = f"{topic}/{partition}"
    origin = f"chengyu/log/{log}"
    for size in sizes:
        tree_root = root(leaves[:size])
        body = Checkpoint(origin, size, tree_root).body()
        own = signer or keys.audit[checkpointer]
        other = signer or keys.audit[witness]
        note = sign_note(body, own.key_id, own)
        published = CheckpointPublished(
            log=log,
            topic=topic,
            partition=partition,
            origin=origin,
            tree_size=size,
            root_hash=_b64(tree_root),
            last_offset=records[size - 1].offset if size else -1,
            checkpointer_city=checkpointer,
            note=note.text(),
        )
        witnessed = CheckpointWitnessed(
            log=log,
            topic=topic,
            partition=partition,
            origin=origin,
            tree_size=size,
            root_hash=_b64(tree_root),
            checkpointer_city=checkpointer,
            witness_city=witness,
            note=add_signature(note, other.key_id, other).text(),
        )
        # A forger's key signs for its own agency's source: the events verify, the notes
        # are what must give it away.
        own_source = (
            f"{own.agency}/checkpointer" if signer else f"/{checkpointer}/audit/checkpointer"
        )
        other_source = (
            f"{other.agency}/checkpointer" if signer else f"/{witness}/audit/checkpointer"
        )
        out.append(signed(published, own, own_source, when))
        out.append(signed(witnessed, other, other_source, when))
    return out


Alter = Callable[[list[RawRecord]], list[RawRecord]]


async def copy_topic(
    source: str, target: str, topic: str, alter: dict[int, Alter] | None = None
) -> None:
    """Copy ``topic`` from cluster ``source`` to the empty topic of the same name on
    ``target``, each partition's records in order (``alter`` may change a partition's list
    first); a copied record keeps its timestamp, key, value and headers."""
    partitions = await read_partitions(source, topic)
    producer = AIOKafkaProducer(
        bootstrap_servers=target, acks="all", enable_idempotence=True, **kafka_options(target)
    )
    await producer.start()
    try:
        for partition, records in sorted(partitions.items()):
            change = (alter or {}).get(partition)
            for record in change(records) if change else records:
                await producer.send_and_wait(
                    topic,
                    record.value,
                    key=record.key,
                    partition=partition,
                    timestamp_ms=record.timestamp_ms,
                    headers=list(record.headers),
                )
    finally:
        await producer.stop()


async def reset_topics(bootstrap: str) -> None:
    """Delete every topic of ``bootstrap`` and create the project's topics again, empty."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_options(bootstrap))
    await admin.start()
    try:
        names = [n for n in await admin.list_topics() if not n.startswith("__")]
        if names:
            await admin.delete_topics(names)
        for _ in range(100):
            if not [n for n in await admin.list_topics() if not n.startswith("__")]:
                break
            await asyncio.sleep(0.2)
    finally:
        await admin.close()
    for attempt in range(50):
        try:
            await apply_project_topics(bootstrap)
            return
        except Exception:  # a name still marked for deletion: try again shortly
            if attempt == 49:
                raise
            await asyncio.sleep(0.3)


def later(record: RawRecord, by: timedelta) -> RawRecord:
    """``record`` published again ``by`` later (its Kafka timestamp moved on)."""
    return replace(record, timestamp_ms=record.timestamp_ms + int(by.total_seconds() * 1000))
