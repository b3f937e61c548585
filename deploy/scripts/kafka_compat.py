"""Check that aiokafka (and FastStream) work against a running broker.

Usage: uv run python deploy/scripts/kafka_compat.py HOST:PORT

On a secured broker set ``KAFKA_USERNAME`` and ``KAFKA_PASSWORD_FILE`` (the local stack's
admin: ``admin`` and ``.chengyu/kafka/admin.password``); the check creates and deletes topics.

Exercises what the platform relies on: the admin calls create_topics / describe_topics /
describe_configs / alter_configs / list_consumer_group_offsets, an idempotent producer with
acks=all, a consumer group with manual commits that resumes from the committed offset after a
restart, and a FastStream publish/subscribe round trip. Fails with the step on any problem.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from chengyu_kit.kafka_auth import KafkaCredentials, client_options

_USER = os.environ.get("KAFKA_USERNAME")
_PASSWORD_FILE = os.environ.get("KAFKA_PASSWORD_FILE")
LOGIN = KafkaCredentials(_USER, Path(_PASSWORD_FILE)) if _USER and _PASSWORD_FILE else None


def step(name: str) -> None:
    print(f"-- {name}", flush=True)


async def check_admin(admin: AIOKafkaAdminClient, topic: str) -> None:
    step("admin.create_topics")
    resp = await admin.create_topics([NewTopic(topic, 3, 1, topic_configs={"retention.ms": "-1"})])
    assert all(e[1] == 0 for e in resp.topic_errors), resp
    step("admin.describe_topics")
    (described,) = await admin.describe_topics([topic])
    assert described["error_code"] == 0 and len(described["partitions"]) == 3, described
    step("admin.describe_configs (topic)")
    res = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    configs = {c[0]: c[1] for c in res[0].resources[0][4]}
    assert configs["retention.ms"] == "-1", configs
    step("admin.alter_configs")
    res = await admin.alter_configs(
        [
            ConfigResource(
                ConfigResourceType.TOPIC, topic, {"retention.ms": "-1", "segment.ms": "3600000"}
            )
        ]
    )
    assert all(r[0] == 0 for r in res[0].resources), res
    res = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    configs = {c[0]: c[1] for c in res[0].resources[0][4]}
    assert configs["segment.ms"] == "3600000", configs
    step("admin.describe_configs (broker)")
    await admin.describe_configs([ConfigResource(ConfigResourceType.BROKER, "1")])


async def check_produce_consume(admin: AIOKafkaAdminClient, bootstrap: str, topic: str) -> None:
    group = f"compat-group-{uuid.uuid4().hex[:8]}"
    step("idempotent producer, acks=all")
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", **client_options(LOGIN)
    )
    await producer.start()
    try:
        for n in range(10):
            await producer.send_and_wait(topic, f"v{n}".encode(), key=b"k1")
    finally:
        await producer.stop()

    def consumer() -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            **client_options(LOGIN),
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )

    step("consumer group, manual commit after 4 records")
    first = consumer()
    await first.start()
    try:
        got: list[bytes] = []
        while len(got) < 4:
            msg = await asyncio.wait_for(first.getone(), 30)
            got.append(msg.value or b"")
        tp = TopicPartition(msg.topic, msg.partition)
        await first.commit({tp: msg.offset + 1})
    finally:
        await first.stop()
    assert got == [b"v0", b"v1", b"v2", b"v3"], got

    step("admin.list_consumer_group_offsets")
    offsets = await admin.list_consumer_group_offsets(group)
    assert offsets[tp].offset == 4, offsets

    step("consumer restart resumes at the committed offset")
    second = consumer()
    await second.start()
    try:
        msg = await asyncio.wait_for(second.getone(), 30)
    finally:
        await second.stop()
    assert msg.value == b"v4", msg


async def check_faststream(admin: AIOKafkaAdminClient, bootstrap: str, topic: str) -> None:
    from faststream.kafka import KafkaBroker

    step("FastStream publish/subscribe")
    await admin.create_topics([NewTopic(topic, 1, 1)])
    broker = KafkaBroker(bootstrap, security=LOGIN.faststream_security() if LOGIN else None)
    received: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    @broker.subscriber(topic, group_id=f"{topic}-group", auto_offset_reset="earliest")
    async def handle(body: str) -> None:
        if not received.done():
            received.set_result(body)

    await broker.start()
    try:
        await broker.publish("hello", topic)
        assert await asyncio.wait_for(received, 30) == "hello"
    finally:
        await broker.stop()


async def main(bootstrap: str) -> None:
    topic = f"compat.check-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_options(LOGIN))
    await admin.start()
    try:
        await check_admin(admin, topic)
        await check_produce_consume(admin, bootstrap, topic)
        await check_faststream(admin, bootstrap, f"{topic}-fs")
        step("admin.delete_topics")
        await admin.delete_topics([topic, f"{topic}-fs"])
    finally:
        await admin.close()
    print("OK: aiokafka and FastStream work with this broker")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
