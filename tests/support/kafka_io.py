"""Kafka for tests: a broker of a scenario's own with the project's topics, publishing exact
bytes, reading a topic from the beginning."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from chengyu_kit.local.kafka import KafkaCluster, ensure_kafka_jars, free_port_block
from chengyu_ops.topics import apply_topics, load_topic_specs
from tests.conftest import PROJECT_ROOT


async def publish_raw(
    bootstrap: str,
    topic: str,
    records: Sequence[tuple[bytes | None, bytes, Sequence[tuple[str, bytes]]]],
) -> None:
    """Publish (key, value, headers) records in order, bypassing the outbox."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
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


async def apply_project_topics(bootstrap: str) -> None:
    """Create the topics of ``deploy/topics.yaml`` on ``bootstrap``."""
    await apply_topics(bootstrap, load_topic_specs(PROJECT_ROOT / "deploy" / "topics.yaml"))
