"""Real infrastructure for integration tests: one Kafka broker and one PostgreSQL server
per test session, on free loopback ports and in temporary folders, so they never clash
with a running ``make up`` stack; both are stopped when the session ends."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from chengyu_contracts.keys import KeyRegistry, SigningKey
from chengyu_contracts.registry import Registry, dead_letter_topic
from chengyu_kit.clock import Clock
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.settings import ServiceSettings
from chengyu_kit.tracing import configure_tracing
from chengyu_ops.kafka import KafkaCluster, ensure_kafka_jars, free_port_block
from chengyu_ops.postgres import LocalPostgres
from tests.support.tally import (
    TALLY_MIGRATION,
    TallyIncremented,
    tally_handlers,
    tally_registry,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def kafka_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    """A single-node KRaft Kafka for the whole session."""
    jars = ensure_kafka_jars(PROJECT_ROOT)
    cluster = KafkaCluster(tmp_path_factory.mktemp("kafka"), port=free_port_block(2), jars=jars)
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def kafka(kafka_cluster: KafkaCluster) -> str:
    """Bootstrap servers of the session's Kafka."""
    return kafka_cluster.bootstrap_servers


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPostgres]:
    """An embedded PostgreSQL for the whole session (Unix socket only)."""
    server = LocalPostgres(tmp_path_factory.mktemp("pg") / "data")
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def database(postgres: LocalPostgres) -> str:
    """DSN of a fresh, empty database for one test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    await postgres.ensure_database(name)
    return postgres.dsn(name)


@dataclass(frozen=True)
class KeyFiles:
    """Signing keys of two test agencies and the public registry of both."""

    cq_key: Path
    cd_key: Path
    registry: Path
    cq: SigningKey
    cd: SigningKey


@pytest.fixture(scope="session")
def key_files(tmp_path_factory: pytest.TempPathFactory) -> KeyFiles:
    """Keys for agencies /cq/test and /cd/test, written as the services read them."""
    folder = tmp_path_factory.mktemp("keys")
    cq = SigningKey.generate("cq-test-1", "/cq/test")
    cd = SigningKey.generate("cd-test-1", "/cd/test")
    cq.write_json_file(folder / "cq.json")
    cd.write_json_file(folder / "cd.json")
    KeyRegistry([cq.public_entry(), cd.public_entry()]).write_json_file(folder / "registry.json")
    return KeyFiles(folder / "cq.json", folder / "cd.json", folder / "registry.json", cq, cd)


async def create_topics(bootstrap: str, *topics: str, partitions: int = 3) -> None:
    """Create ``topics`` and their dead-letter topics."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = [*topics, *(dead_letter_topic(t) for t in topics)]
        await admin.create_topics(
            [NewTopic(name, num_partitions=partitions, replication_factor=1) for name in names]
        )
    finally:
        await admin.close()


@pytest.fixture
async def tally_topic(kafka: str) -> str:
    """A fresh topic for this test's tally events (and its dead-letter topic)."""
    topic = f"t{uuid.uuid4().hex[:10]}.tally"
    await create_topics(kafka, topic)
    return topic


def service_settings(
    city: str, *, kafka: str, database_url: str, keys: KeyFiles, **extra: object
) -> ServiceSettings:
    """Settings of a tally service instance in ``city``."""
    return ServiceSettings(
        city=city,
        service_name="tally",
        agency="test",
        kafka_bootstrap=kafka,
        database_url=database_url,
        signing_key_file=keys.cq_key if city == "cq" else keys.cd_key,
        key_registry_file=keys.registry,
        person_ref_key=secrets.token_hex(32),
        **extra,  # type: ignore[arg-type]
    )


def service_env(settings: ServiceSettings, **extra: str) -> dict[str, str]:
    """The environment that makes a service process read exactly ``settings``."""
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        secret = getattr(settings, name)
        env[name.upper()] = (
            secret.get_secret_value() if hasattr(secret, "get_secret_value") else str(value)
        )
    env.update(extra)
    return env


async def start_service_process(
    module: str, settings: ServiceSettings, *arguments: str, **env: str
) -> asyncio.subprocess.Process:
    """Run ``python -m module *arguments`` (e.g. ``-m chengyu_kit.run <package>``) as a
    service process reading ``settings``; output piped."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        *arguments,
        cwd=PROJECT_ROOT,
        env=service_env(settings, **env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


def tally_runtime(
    settings: ServiceSettings, registry: Registry, *, clock: Clock | None = None
) -> ServiceRuntime:
    """A runtime that consumes tally events of ``registry``'s topic."""
    runtime = ServiceRuntime(
        settings,
        registry=registry,
        migrations=[TALLY_MIGRATION],
        clock=clock,
        relay_poll_interval=0.5,
    )
    topic = registry.spec_for_model(TallyIncremented).topic
    runtime.consume([topic], tally_handlers())
    return runtime


@pytest.fixture
def tally_reg(tally_topic: str) -> Registry:
    """The tally registry bound to this test's topic."""
    return tally_registry(tally_topic)


@pytest.fixture
async def cq_database(postgres: LocalPostgres) -> str:
    """A fresh database for the Chongqing instance."""
    name = f"cq_{uuid.uuid4().hex[:12]}"
    await postgres.ensure_database(name)
    return postgres.dsn(name)


@pytest.fixture
async def cd_database(postgres: LocalPostgres) -> str:
    """A fresh database for the Chengdu instance."""
    name = f"cd_{uuid.uuid4().hex[:12]}"
    await postgres.ensure_database(name)
    return postgres.dsn(name)


async def _running_tally_service(
    city: str, kafka: str, database_url: str, keys: KeyFiles, registry: Registry
) -> AsyncIterator[ServiceRuntime]:
    runtime = tally_runtime(
        service_settings(city, kafka=kafka, database_url=database_url, keys=keys), registry
    )
    await runtime.start()
    yield runtime
    await runtime.stop()


@pytest.fixture
async def cq_service(
    kafka: str, cq_database: str, key_files: KeyFiles, tally_reg: Registry
) -> AsyncIterator[ServiceRuntime]:
    """A started tally service for Chongqing (it issues events; consumes them too)."""
    async for runtime in _running_tally_service("cq", kafka, cq_database, key_files, tally_reg):
        yield runtime


@pytest.fixture
async def cd_service(
    kafka: str, cd_database: str, key_files: KeyFiles, tally_reg: Registry
) -> AsyncIterator[ServiceRuntime]:
    """A started tally service for Chengdu."""
    async for runtime in _running_tally_service("cd", kafka, cd_database, key_files, tally_reg):
        yield runtime


@pytest.fixture(scope="session")
def spans() -> InMemorySpanExporter:
    """Every span the test process finishes (one tracer provider per process)."""
    exporter = InMemorySpanExporter()
    configure_tracing("tests", "cq", exporter)
    return exporter
