"""Kafka for tests: a broker of a scenario's own with the project's topics, publishing exact
bytes, reading a topic from the beginning, waiting until a scenario's bus is quiet, and
what its dead-letter topics hold."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from chengyu_contracts.registry import dead_letter_topic
from chengyu_kit.local.kafka import (
    KafkaCluster,
    admin_credentials_for,
    ensure_kafka_jars,
    free_port_block,
)
from chengyu_kit.testing import kafka_options, settings_login
from chengyu_ops.acls import AclChange, KafkaPrincipals, apply_acls, desired_rules, load_acls_file
from chengyu_ops.keys import AGENCIES
from chengyu_ops.services import discover_services
from chengyu_ops.topics import apply_topics, load_topic_specs
from tests.conftest import PROJECT_ROOT


async def publish_raw(
    bootstrap: str,
    topic: str,
    records: Sequence[tuple[bytes | None, bytes, Sequence[tuple[str, bytes]]]],
) -> None:
    """Publish (key, value, headers) records in order, bypassing the outbox."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", **kafka_options(bootstrap))
    await producer.start()
    try:
        for key, value, headers in records:
            await producer.send_and_wait(topic, value, key=key, headers=list(headers))
    finally:
        await producer.stop()


async def read_all(bootstrap: str, topic: str, *, idle_ms: int = 1500) -> list[ConsumerRecord]:
    """Every record of ``topic`` from offset 0, read with a throwaway consumer group."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"reader-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **kafka_options(bootstrap),
    )
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=idle_ms)
            if not batch:
                return records
            for partition_records in batch.values():
                records.extend(partition_records)
    finally:
        await consumer.stop()


@contextlib.contextmanager
def fresh_kafka(folder: Path) -> Iterator[KafkaCluster]:
    """A Kafka of its own: domain topics have fixed names, so each scenario gets a clean log
    instead of replaying another test's events."""
    cluster = KafkaCluster(folder, port=free_port_block(2), jars=ensure_kafka_jars(PROJECT_ROOT))
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


# The principals of the clusters the project's ACLs were applied to, by bootstrap servers.
_PRINCIPALS: dict[str, KafkaPrincipals] = {}


def apply_project_acls(bootstrap: str, principals: KafkaPrincipals) -> list[AclChange]:
    """What ``chengyu acls apply`` does, on ``bootstrap`` with passwords in ``principals``:
    the principals and ACLs of ``deploy/acls.yaml`` for the workspace's services."""
    services = discover_services(PROJECT_ROOT)
    names, rules = desired_rules(
        load_acls_file(PROJECT_ROOT / "deploy" / "acls.yaml"),
        load_topic_specs(PROJECT_ROOT / "deploy" / "topics.yaml"),
        agencies={*AGENCIES, *(s.agency for s in services)},
        services={(s.name, s.agency) for s in services},
    )
    new = principals.ensure(names)
    changes = apply_acls(
        bootstrap,
        admin_credentials_for(bootstrap),
        names,
        rules,
        principals,
        new_passwords=new,
    )
    _PRINCIPALS[bootstrap] = principals
    return changes


async def apply_project_topics(bootstrap: str) -> None:
    """Create the topics of ``deploy/topics.yaml`` on ``bootstrap`` and, on a secured
    cluster, the principals and ACLs of ``deploy/acls.yaml``: the services of a scenario
    then run as their agency's principal, as on the stack (:func:`service_login`)."""
    specs = load_topic_specs(PROJECT_ROOT / "deploy" / "topics.yaml")
    admin = admin_credentials_for(bootstrap)
    await apply_topics(bootstrap, specs, credentials=admin)
    if admin is not None:
        principals = KafkaPrincipals(admin.password_file.parent / "kafka-users")
        changes = await asyncio.to_thread(apply_project_acls, bootstrap, principals)
        problems = [c for c in changes if c.action == "problem"]
        assert not problems, problems


def service_login(bootstrap: str, city: str, agency: str) -> dict[str, Any]:
    """``ServiceSettings`` login fields of ``<city>-<agency>`` where the project's ACLs were
    applied (:func:`apply_project_topics`), else of the cluster's admin."""
    principals = _PRINCIPALS.get(bootstrap)
    if principals is None:
        return settings_login(bootstrap)
    login = principals.credentials(f"{city}-{agency}")
    return {"kafka_username": login.username, "kafka_password_file": login.password_file}


# ---- a scenario's bus ----------------------------------------------------------------------


@dataclass(frozen=True)
class BusState:
    """End offsets of a scenario's topics, the partitions a city's group has not committed
    to the end, and the records the outboxes have not yet published."""

    ends: dict[TopicPartition, int]
    behind: list[str]
    backlog: int

    @property
    def quiet(self) -> bool:
        """Nothing left to consume or to publish."""
        return not self.behind and self.backlog == 0


async def topic_partitions(
    admin: AIOKafkaAdminClient, topics: Sequence[str]
) -> list[TopicPartition]:
    """Every partition of ``topics`` (each must exist)."""
    described = await admin.describe_topics(list(topics))
    partitions = [
        TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]
    ]
    assert {tp.topic for tp in partitions} == set(topics), described
    return sorted(partitions)


async def bus_state(
    bootstrap: str,
    topics: Sequence[str],
    groups: Sequence[str],
    pools: Sequence[asyncpg.Pool],
) -> BusState:
    """The end offsets of ``topics``, how far each consumer group committed, and the
    outboxes' backlog (read in that order)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, **kafka_options(bootstrap))
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_options(bootstrap))
    await consumer.start()
    await admin.start()
    try:
        partitions = await topic_partitions(admin, topics)
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        behind = []
        for group in groups:
            committed = await admin.list_consumer_group_offsets(group)
            for tp in partitions:
                done = committed[tp].offset if tp in committed else 0
                if done < ends[tp]:
                    behind.append(f"{group} {tp.topic}/{tp.partition} {done}<{ends[tp]}")
    finally:
        await admin.close()
        await consumer.stop()
    backlog = 0
    for pool in pools:
        backlog += await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
    return BusState(ends, behind, backlog)


async def bus_settled(
    bootstrap: str,
    topics: Sequence[str],
    groups: Sequence[str],
    pools: Sequence[asyncpg.Pool],
    timeout: float = 120,
) -> None:
    """Wait until nothing moves any more: twice in a row, every group committed every
    record of ``topics``, the outboxes are published, and no record was added in between
    (every record consumed, every effect's event on the bus)."""
    deadline = time.monotonic() + timeout
    previous: BusState | None = None
    while True:
        state = await bus_state(bootstrap, topics, groups, pools)
        if state.quiet and previous is not None and previous.quiet and previous.ends == state.ends:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the bus did not settle within {timeout}s: {state}")
        previous = state
        await asyncio.sleep(0.2)


async def dead_letters(bootstrap: str, topics: Sequence[str]) -> dict[TopicPartition, int]:
    """The end offsets of the dead-letter topics of ``topics`` (all 0: nothing parked)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, **kafka_options(bootstrap))
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_options(bootstrap))
    await consumer.start()
    await admin.start()
    try:
        dead = [dead_letter_topic(t) for t in topics]
        ends: dict[TopicPartition, int] = await consumer.end_offsets(
            await topic_partitions(admin, dead)
        )
        return ends
    finally:
        await admin.close()
        await consumer.stop()
