"""Kafka helpers for tests on the session's broker."""

from __future__ import annotations

from chengyu_contracts.registry import dead_letter_topic

__all__ = ["create_topics"]


async def create_topics(bootstrap: str, *topics: str, partitions: int = 3) -> None:
    """Create ``topics`` and their dead-letter topics."""
    # Imported here: the plugin imports this package on every pytest run, Kafka or not.
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = [*topics, *(dead_letter_topic(t) for t in topics)]
        await admin.create_topics(
            [NewTopic(name, num_partitions=partitions, replication_factor=1) for name in names]
        )
    finally:
        await admin.close()
