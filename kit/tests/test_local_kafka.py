"""KafkaCluster: real brokers from the Kafka jars, on free ports in a temporary folder."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from chengyu_kit.kafka_auth import client_options
from chengyu_kit.local.kafka import KafkaCluster, ensure_kafka_jars, free_port_block, kafka_version
from chengyu_kit.local.paths import find_project_root
from chengyu_kit.local.processes import pid_alive
from chengyu_kit.testing import kafka_options

ROOT = find_project_root(Path(__file__))


def test_version_comes_from_the_pom() -> None:
    version = kafka_version(ROOT)
    assert version.count(".") == 2
    assert (
        f"<kafka.version>{version}</kafka.version>"
        in (ROOT / "deploy" / "kafka" / "pom.xml").read_text()
    )


def test_free_port_block_is_consecutive_and_free() -> None:
    base = free_port_block(4)
    assert 1024 < base < 65532
    assert base != 9092


def test_server_properties_for_three_nodes(tmp_path: Path) -> None:
    cluster = KafkaCluster(tmp_path, brokers=3, port=40000)
    props = cluster._server_properties(1)
    assert "node.id=2" in props
    assert "controller.quorum.voters=1@127.0.0.1:40003,2@127.0.0.1:40004,3@127.0.0.1:40005" in props
    assert "listeners=CLIENT://127.0.0.1:40001,CONTROLLER://127.0.0.1:40004" in props
    assert "offsets.topic.replication.factor=3" in props
    assert "auto.create.topics.enable=false" in props
    # secured: SCRAM for clients, PLAIN between controllers, ACLs with only the admin super
    assert "listener.security.protocol.map=CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT" in props
    assert "sasl.mechanism.controller.protocol=PLAIN" in props
    assert "allow.everyone.if.no.acl.found=false" in props
    assert "super.users=User:admin\n" in props
    assert cluster.bootstrap_servers == "127.0.0.1:40000,127.0.0.1:40001,127.0.0.1:40002"
    assert not cluster.is_running()
    assert cluster.admin_password_file.stat().st_mode & 0o777 == 0o600


def test_server_properties_of_a_plaintext_node(tmp_path: Path) -> None:
    props = KafkaCluster(tmp_path, port=40000, secure=False)._server_properties(0)
    assert "listeners=PLAINTEXT://127.0.0.1:40000,CONTROLLER://127.0.0.1:40001" in props
    assert "sasl" not in props and "authorizer" not in props


async def _create_topic(
    bootstrap: str, name: str, partitions: int, rf: int, **configs: str
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_options(bootstrap))
    await admin.start()
    try:
        response = await admin.create_topics(
            [NewTopic(name, partitions, rf, topic_configs=dict(configs))]
        )
        assert all(entry[1] == 0 for entry in response.topic_errors), response.topic_errors
    finally:
        await admin.close()


async def _read_all(bootstrap: str, topic: str, expected: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
        **kafka_options(bootstrap),
    )
    await consumer.start()
    values: list[bytes] = []
    try:
        while len(values) < expected:
            message = await asyncio.wait_for(consumer.getone(), 30)
            values.append(message.value or b"")
    finally:
        await consumer.stop()
    return values


@pytest.mark.integration
async def test_single_broker_keeps_data_and_reattaches(tmp_path: Path) -> None:
    jars = ensure_kafka_jars(ROOT)
    port = free_port_block(2)
    cluster = KafkaCluster(tmp_path / "kafka", port=port, jars=jars)
    cluster.start()
    try:
        assert cluster.is_running() and cluster.started_now
        assert cluster.bootstrap_servers == f"127.0.0.1:{port}"
        await _create_topic(cluster.bootstrap_servers, "test.kept", 1, 1)
        producer = AIOKafkaProducer(
            bootstrap_servers=cluster.bootstrap_servers,
            enable_idempotence=True,
            acks="all",
            **client_options(cluster.admin_credentials),
        )
        await producer.start()
        try:
            await producer.send_and_wait("test.kept", b"first", key=b"case-1")
        finally:
            await producer.stop()
        assert await _read_all(cluster.bootstrap_servers, "test.kept", 1) == [b"first"]

        pid = cluster.node_pid(0)
        assert pid is not None
        cluster.stop()
        assert not pid_alive(pid)
        assert not cluster.is_running()

        cluster.start()
        assert await _read_all(cluster.bootstrap_servers, "test.kept", 1) == [b"first"]

        # Another object on the same folder sees the running node and starts nothing.
        running_pid = cluster.node_pid(0)
        other = KafkaCluster(tmp_path / "kafka", port=port, jars=jars)
        assert other.is_running()
        other.start()
        assert not other.started_now
        assert other.node_pid(0) == running_pid
        attached = KafkaCluster.attach(tmp_path / "kafka")
        assert attached is not None and attached.bootstrap_servers == cluster.bootstrap_servers

        other.stop()  # stopping from the second object stops the node started by the first
        assert running_pid is not None and not pid_alive(running_pid)
        assert not cluster.is_running()
    finally:
        cluster.stop()


@pytest.mark.integration
async def test_three_nodes_survive_one_killed(tmp_path: Path) -> None:
    port = free_port_block(6)
    cluster = KafkaCluster(tmp_path / "kafka3", brokers=3, port=port, jars=ensure_kafka_jars(ROOT))
    cluster.start(timeout=120)
    pids: list[int] = []
    try:
        pids = [pid for i in range(3) if (pid := cluster.node_pid(i)) is not None]
        assert len(pids) == 3
        await _create_topic(
            cluster.bootstrap_servers, "test.replicated", 3, 3, **{"min.insync.replicas": "2"}
        )
        cluster.kill_node(2)
        assert not pid_alive(pids[2])
        producer = AIOKafkaProducer(
            bootstrap_servers=cluster.bootstrap_servers,
            **client_options(cluster.admin_credentials),
            enable_idempotence=True,
            acks="all",
            request_timeout_ms=30000,
        )
        await producer.start()
        try:
            for n in range(20):
                await producer.send_and_wait("test.replicated", b"%d" % n, key=b"k%d" % n)
        finally:
            await producer.stop()
        assert sorted(await _read_all(cluster.bootstrap_servers, "test.replicated", 20)) == sorted(
            b"%d" % n for n in range(20)
        )
    finally:
        cluster.stop()
    assert not any(pid_alive(pid) for pid in pids)
