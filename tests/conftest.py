"""Fixtures of the cross-service tests: the tally example service on the session's Kafka
and PostgreSQL, its topic and databases, and how to run a service as a process.

The session's Kafka, PostgreSQL, a fresh database per test and the test agencies' signing
keys (``kafka``, ``postgres``, ``database``, ``key_files``) come from the kit's pytest
plugin, :mod:`chengyu_kit.testing.plugin`."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from chengyu_contracts.registry import Registry
from chengyu_kit.clock import Clock
from chengyu_kit.local.oidc import OidcProvider
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.settings import ServiceSettings
from chengyu_kit.testing import KeyFiles, create_topics, settings_login
from chengyu_kit.tracing import configure_tracing
from tests.support.identity import oidc_fields, use_provider
from tests.support.tally import (
    TALLY_MIGRATION,
    TallyIncremented,
    tally_handlers,
    tally_registry,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def _identity(oidc_provider: OidcProvider) -> OidcProvider:
    """Every service of these tests trusts the session's OIDC provider."""
    use_provider(oidc_provider)
    return oidc_provider


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
        **{**oidc_fields(city), **settings_login(kafka), **extra},
    )


def service_env(settings: ServiceSettings, **extra: str) -> dict[str, str]:
    """The environment that makes a service process read exactly ``settings``."""
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        secret = getattr(settings, name)
        if value is None:
            env.pop(name.upper(), None)  # unset: the field's default applies
        elif isinstance(value, dict | list):
            env[name.upper()] = json.dumps(value)  # complex fields are read as JSON
        else:
            env[name.upper()] = (
                secret.get_secret_value() if hasattr(secret, "get_secret_value") else str(value)
            )
    env.update(extra)
    return env


async def start_service_process(
    module: str, settings: ServiceSettings, *, arguments: Sequence[str] = (), **env: str
) -> asyncio.subprocess.Process:
    """Run ``python -m module *arguments`` as a service process reading ``settings``;
    output piped."""
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
