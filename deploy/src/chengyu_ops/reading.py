"""Reading topics without joining a consumer group: for tail, dead-letter listing, audits.

Manual partition assignment means these tools never disturb the services' consumer
groups and never commit offsets.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from chengyu_kit.kafka_auth import KafkaCredentials, client_options
from chengyu_kit.partitions import topic_partitions

__all__ = ["list_topics", "read_records", "read_to_end", "topic_partitions"]


async def list_topics(bootstrap: str, credentials: KafkaCredentials | None = None) -> list[str]:
    """Names of the cluster's topics (those the principal may see), internal ones excluded."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_options(credentials))
    await admin.start()
    try:
        names = await admin.list_topics()
    finally:
        await admin.close()
    return sorted(name for name in names if not name.startswith("__"))


async def read_records(
    bootstrap: str,
    topics: Sequence[str],
    *,
    from_beginning: bool,
    follow: bool,
    idle_seconds: float = 2.0,
    credentials: KafkaCredentials | None = None,
) -> AsyncIterator[ConsumerRecord]:
    """Yield records of ``topics``; without ``follow``, stop once nothing arrived for a while."""
    partitions = await topic_partitions(bootstrap, topics, credentials)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        group_id=None,
        **client_options(credentials),
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        if from_beginning:
            await consumer.seek_to_beginning(*partitions)
        else:
            await consumer.seek_to_end(*partitions)
        idle_since = asyncio.get_running_loop().time()
        while True:
            batch = await consumer.getmany(timeout_ms=500)
            now = asyncio.get_running_loop().time()
            if batch:
                idle_since = now
                for partition_records in batch.values():
                    for record in partition_records:
                        yield record
            elif not follow and now - idle_since >= idle_seconds:
                return
    finally:
        await consumer.stop()


async def read_to_end(
    bootstrap: str, topics: Sequence[str], credentials: KafkaCredentials | None = None
) -> dict[TopicPartition, list[ConsumerRecord]]:
    """Every record of every partition of ``topics``, in offset order, up to the end
    offsets when the read began (an evidence bundle, a case trace)."""
    partitions = await topic_partitions(bootstrap, topics, credentials)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        group_id=None,
        **client_options(credentials),
    )
    await consumer.start()
    found: dict[TopicPartition, list[ConsumerRecord]] = {tp: [] for tp in partitions}
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        # An explicit seek: position() right after seek_to_beginning() may still answer
        # the end offset, ending the read before it began.
        for tp, first in (await consumer.beginning_offsets(partitions)).items():
            consumer.seek(tp, first)
        pending = [tp for tp in partitions if ends[tp] > 0]
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=1000)
            for tp, records in batch.items():
                found[tp].extend(r for r in records if r.offset < ends[tp])
            pending = [tp for tp in pending if await consumer.position(tp) < ends[tp]]
    finally:
        await consumer.stop()
    return found
