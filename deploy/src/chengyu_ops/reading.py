"""Reading topics without joining a consumer group: for tail, dead-letter listing, audits.

Manual partition assignment means these tools never disturb the services' consumer
groups and never commit offsets.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient

from chengyu_kit.kafka_auth import KafkaCredentials, client_options
from chengyu_kit.partitions import topic_partitions

__all__ = ["list_topics", "read_records", "topic_partitions"]


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
