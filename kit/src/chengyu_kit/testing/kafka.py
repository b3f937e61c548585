"""Kafka helpers for tests on the session's broker.

The session's broker is secured like the stack's (SASL/SCRAM, ACLs): tests' own clients log
in as its admin, found by bootstrap servers with :func:`kafka_options` (aiokafka keyword
arguments) and :func:`settings_login` (``ServiceSettings`` fields).
"""

from __future__ import annotations

from typing import Any

from chengyu_contracts.registry import dead_letter_topic

__all__ = ["create_topics", "kafka_options", "settings_login"]


def kafka_options(bootstrap: str) -> dict[str, Any]:
    """aiokafka keyword arguments that log in as the admin of the cluster at ``bootstrap``
    (started in this process); empty for a plaintext cluster."""
    from chengyu_kit.kafka_auth import client_options
    from chengyu_kit.local.kafka import admin_credentials_for

    return client_options(admin_credentials_for(bootstrap))


def settings_login(bootstrap: str) -> dict[str, Any]:
    """``kafka_username`` and ``kafka_password_file`` of the admin of the cluster at
    ``bootstrap``, to spread into ``ServiceSettings(...)``; empty for a plaintext cluster."""
    from chengyu_kit.local.kafka import admin_credentials_for

    credentials = admin_credentials_for(bootstrap)
    if credentials is None:
        return {}
    return {
        "kafka_username": credentials.username,
        "kafka_password_file": credentials.password_file,
    }


async def create_topics(bootstrap: str, *topics: str, partitions: int = 3) -> None:
    """Create ``topics`` and their dead-letter topics."""
    # Imported here: the plugin imports this package on every pytest run, Kafka or not.
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_options(bootstrap))
    await admin.start()
    try:
        names = [*topics, *(dead_letter_topic(t) for t in topics)]
        await admin.create_topics(
            [NewTopic(name, num_partitions=partitions, replication_factor=1) for name in names]
        )
    finally:
        await admin.close()
