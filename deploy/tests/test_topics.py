"""Topics as code: parsing deploy/topics.yaml and applying specs to a real broker."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from chengyu_kit.local.kafka import KafkaCluster, ensure_kafka_jars, free_port_block
from chengyu_ops.paths import find_project_root
from chengyu_ops.topics import (
    TopicSpec,
    TopicSpecError,
    apply_topics,
    load_topic_specs,
    parse_topic_specs,
    with_overrides,
)

ROOT = find_project_root(Path(__file__))


def test_the_project_topic_file_is_valid() -> None:
    specs = load_topic_specs(ROOT / "deploy" / "topics.yaml")
    assert all(spec.configs.get("retention.ms") == "-1" for spec in specs)


def test_every_event_topic_and_its_dead_letter_topic_is_declared() -> None:
    import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
    from chengyu_contracts.registry import REGISTRY, dead_letter_topic

    declared = {spec.name for spec in load_topic_specs(ROOT / "deploy" / "topics.yaml")}
    expected = {name for topic in REGISTRY.topics() for name in (topic, dead_letter_topic(topic))}
    assert expected - declared == set()


def test_defaults_dead_letters_and_overrides() -> None:
    document = {
        "defaults": {
            "partitions": 6,
            "replication_factor": 1,
            "configs": {"retention.ms": -1, "retention.bytes": -1, "min.insync.replicas": 1},
        },
        "topics": [
            {"name": "fund.transfer", "partitions": 12, "configs": {"segment.ms": 3600000}},
            {"name": "blood.stock", "dead_letter": False},
            {"name": "job.match", "dead_letter": {"partitions": 2}},
        ],
    }
    specs = {spec.name: spec for spec in parse_topic_specs(document)}
    assert list(specs) == [
        "fund.transfer",
        "fund.transfer.dlq",
        "blood.stock",
        "job.match",
        "job.match.dlq",
    ]
    assert specs["fund.transfer"] == TopicSpec(
        "fund.transfer",
        12,
        1,
        {
            "retention.ms": "-1",
            "retention.bytes": "-1",
            "min.insync.replicas": "1",
            "segment.ms": "3600000",
        },
    )
    dlq = specs["fund.transfer.dlq"]
    assert dlq.partitions == 1
    assert dlq.configs["retention.ms"] == "-1" and dlq.configs["retention.bytes"] == "-1"
    assert "segment.ms" not in dlq.configs
    assert specs["job.match.dlq"].partitions == 2

    three = with_overrides(list(specs.values()), replication_factor=3, min_insync_replicas=2)
    assert {(s.replication_factor, s.configs["min.insync.replicas"]) for s in three} == {(3, "2")}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"topics": [{"name": "FundTransfer"}]}, "topics[0] (FundTransfer): field 'name'"),
        ({"topics": [{"name": "fund"}]}, "does not match"),
        ({"topics": [{"name": "a.b", "partitions": 0}]}, "field 'partitions' must be a positive"),
        ({"topics": [{"name": "a.b", "partition": 3}]}, "unknown field(s) partition"),
        ({"topics": [{"name": "a.b"}, {"name": "a.b"}]}, "declared twice"),
        ({"topics": [{"name": "a.b", "configs": {"x": [1]}}]}, "field 'configs.x'"),
        ({"defaults": {"replication_factor": "3"}}, "defaults: field 'replication_factor'"),
        ({"topics": [{"partitions": 1}]}, "topics[0]: field 'name' is missing"),
    ],
)
def test_invalid_files_name_file_topic_and_field(document: object, message: str) -> None:
    with pytest.raises(TopicSpecError) as error:
        parse_topic_specs(document, "deploy/topics.yaml")
    assert str(error.value).startswith("deploy/topics.yaml: ")
    assert message in str(error.value)


def test_load_reports_bad_yaml(tmp_path: Path) -> None:
    path = tmp_path / "topics.yaml"
    path.write_text("topics: [\n")
    with pytest.raises(TopicSpecError, match="invalid YAML"):
        load_topic_specs(path)


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    cluster = KafkaCluster(
        tmp_path_factory.mktemp("kafka-topics"),
        port=free_port_block(2),
        jars=ensure_kafka_jars(ROOT),
    )
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.mark.integration
async def test_apply_creates_then_reports_unchanged(broker: KafkaCluster) -> None:
    name = f"test.created-{uuid.uuid4().hex[:6]}"
    specs = parse_topic_specs(
        {"defaults": {"configs": {"retention.ms": -1}}, "topics": [{"name": name, "partitions": 2}]}
    )
    first = await apply_topics(
        broker.bootstrap_servers, credentials=broker.admin_credentials, specs=specs
    )
    assert [(c.topic, c.action) for c in first] == [(name, "created"), (f"{name}.dlq", "created")]
    second = await apply_topics(
        broker.bootstrap_servers, credentials=broker.admin_credentials, specs=specs
    )
    assert [c.action for c in second] == ["unchanged", "unchanged"]


@pytest.mark.integration
async def test_apply_updates_configs_and_adds_partitions(broker: KafkaCluster) -> None:
    name = f"test.changed-{uuid.uuid4().hex[:6]}"
    base = TopicSpec(name, 2, 1, {"retention.ms": "-1"})
    assert [
        c.action
        for c in await apply_topics(
            broker.bootstrap_servers, credentials=broker.admin_credentials, specs=[base]
        )
    ] == ["created"]

    changed = TopicSpec(name, 2, 1, {"retention.ms": "-1", "segment.ms": "3600000"})
    (update,) = await apply_topics(
        broker.bootstrap_servers, credentials=broker.admin_credentials, specs=[changed]
    )
    assert update.action == "updated-config" and "segment.ms" in update.detail

    more = TopicSpec(name, 4, 1, changed.configs)
    (added,) = await apply_topics(
        broker.bootstrap_servers, credentials=broker.admin_credentials, specs=[more]
    )
    assert (added.action, added.detail) == ("added-partitions", "2 -> 4")

    # Declared configs that are dropped later are kept (other overrides are untouched).
    kept = TopicSpec(name, 4, 1, {"retention.ms": "-1"})
    assert [
        c.action
        for c in await apply_topics(
            broker.bootstrap_servers, credentials=broker.admin_credentials, specs=[kept]
        )
    ] == ["unchanged"]


@pytest.mark.integration
async def test_apply_reports_what_it_cannot_fix(broker: KafkaCluster) -> None:
    name = f"test.problem-{uuid.uuid4().hex[:6]}"
    await apply_topics(
        broker.bootstrap_servers,
        credentials=broker.admin_credentials,
        specs=[TopicSpec(name, 3, 1, {})],
    )
    changes = await apply_topics(
        broker.bootstrap_servers,
        credentials=broker.admin_credentials,
        specs=[TopicSpec(name, 2, 3, {})],
    )
    assert [c.action for c in changes] == ["problem", "problem"]
    assert "replication factor is 1 but 3 is declared" in changes[0].detail
    assert "has 3 partitions but 2 are declared" in changes[1].detail

    impossible = await apply_topics(
        broker.bootstrap_servers,
        credentials=broker.admin_credentials,
        specs=[TopicSpec("test.rf-3", 1, 3, {})],
    )
    assert impossible[0].action == "problem" and "cannot create" in impossible[0].detail
