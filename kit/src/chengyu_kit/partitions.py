"""The partitions of topics, as the broker describes them to a principal: for readers that
assign partitions themselves (the auditor's replay, the checkpointer's read of the log)."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from chengyu_kit.kafka_auth import KafkaCredentials, client_options

__all__ = ["described_partitions", "topic_partitions"]


async def described_partitions(
    bootstrap: str, topics: Sequence[str], credentials: KafkaCredentials | None = None
) -> tuple[list[TopicPartition], list[str]]:
    """Every partition of ``topics`` the principal may see, and the topics it may not (or
    that do not exist: Kafka does not say which of the two it is)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_options(credentials))
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    partitions: list[TopicPartition] = []
    missing: list[str] = []
    for topic in described:
        if topic.get("error_code", 0) != 0 or not topic.get("partitions"):
            missing.append(topic["topic"])
            continue
        partitions.extend(
            TopicPartition(topic["topic"], p["partition"]) for p in topic["partitions"]
        )
    return sorted(partitions), sorted(missing)


async def topic_partitions(
    bootstrap: str, topics: Sequence[str], credentials: KafkaCredentials | None = None
) -> list[TopicPartition]:
    """Every partition of ``topics``; unknown topics raise ``LookupError`` naming them, and
    so do topics the principal may not read."""
    partitions, missing = await described_partitions(bootstrap, topics, credentials)
    if missing:
        who = f" readable by User:{credentials.username}" if credentials else ""
        raise LookupError(f"no such topic{who}: {', '.join(missing)}")
    return partitions
