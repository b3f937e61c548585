"""The kit's pytest plugin (entry point ``pytest11``: ``chengyu_kit``).

Fixtures any service's tests may ask for:

* ``postgres``: an embedded PostgreSQL for the session (Unix socket, temporary folder);
* ``database``: the DSN of a fresh, empty database on it for one test;
* ``kafka_cluster`` / ``kafka``: a single-node KRaft Kafka for the session on free loopback
  ports (its bootstrap servers), so it never clashes with a running ``make up`` stack;
* ``key_files``: signing keys of agencies ``/cq/test`` and ``/cd/test`` and their registry;
* ``oidc_provider``: the local OpenID Connect provider (an issuer per city) for the session,
  on a free loopback port; ``oidc_provider.token(city, audience=..., role=..., agency=...)``
  asks it for a clerk's access token, ``oidc_provider.issuers`` gives the issuer URLs.

Nothing is started until a test asks for a fixture; both servers stop when the session
ends. The plugin also registers the ``integration`` marker, treats SIGTERM like Ctrl-C and
lets test modules import helper modules beside them (see :func:`pytest_collect_file`).
"""

from __future__ import annotations

import signal
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio

from chengyu_kit.testing.keys import KeyFiles, write_key_files

if TYPE_CHECKING:
    # Imported where used: the plugin loads on every pytest run, also one needing neither.
    from chengyu_kit.local.kafka import KafkaCluster
    from chengyu_kit.local.oidc import OidcProvider
    from chengyu_kit.local.postgres import LocalPostgres

__all__ = [
    "database",
    "kafka",
    "kafka_cluster",
    "key_files",
    "oidc_provider",
    "postgres",
    "pytest_collect_file",
    "pytest_configure",
]


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``integration`` marker and treat SIGTERM like Ctrl-C, so fixtures still
    stop the Kafka and PostgreSQL they started when CI or a timeout ends the run."""
    config.addinivalue_line(
        "markers",
        "integration: needs the real Kafka broker and PostgreSQL started by the test session",
    )
    # Only over the default: a handler someone installed on purpose stays.
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, signal.default_int_handler)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> None:
    """Put the folder of a Python file in a test folder that is no package on ``sys.path``.

    A service's test folder (``services/<name>/tests``) cannot be a package (its parent's
    name has a hyphen), and with ``--import-mode=importlib`` pytest puts no test folder on
    ``sys.path``; so this is what lets a test module ``import <service>_builders`` from
    beside it, for every service without an entry per service in the root configuration.
    The folder is appended, so installed packages win; helper modules are named after their
    service (``fund_transfer_builders``), so two services' helpers never meet by name.
    """
    folder = file_path.parent
    if file_path.suffix == ".py" and not (folder / "__init__.py").exists():
        entry = str(folder)
        if entry not in sys.path:
            sys.path.append(entry)


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPostgres]:
    """An embedded PostgreSQL for the whole session (Unix socket only)."""
    from chengyu_kit.local.postgres import LocalPostgres

    server = LocalPostgres(tmp_path_factory.mktemp("pg") / "data")
    server.start()
    yield server
    server.stop()


@pytest_asyncio.fixture
async def database(postgres: LocalPostgres) -> str:
    """DSN of a fresh, empty database for one test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    await postgres.ensure_database(name)
    return postgres.dsn(name)


@pytest.fixture(scope="session")
def kafka_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    """A single-node KRaft Kafka for the whole session, from the workspace's Kafka jars."""
    from chengyu_kit.local.kafka import KafkaCluster, ensure_kafka_jars, free_port_block
    from chengyu_kit.local.paths import find_project_root

    jars = ensure_kafka_jars(find_project_root())
    cluster = KafkaCluster(tmp_path_factory.mktemp("kafka"), port=free_port_block(2), jars=jars)
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def kafka(kafka_cluster: KafkaCluster) -> str:
    """Bootstrap servers of the session's Kafka."""
    return kafka_cluster.bootstrap_servers


@pytest.fixture(scope="session")
def key_files(tmp_path_factory: pytest.TempPathFactory) -> KeyFiles:
    """Keys for agencies /cq/test and /cd/test, written as the services read them."""
    return write_key_files(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    """The local OIDC provider (mock-oauth2-server on the JDK), an issuer per city, for the
    whole session on a free loopback port; stopped after."""
    from chengyu_kit.local.kafka import free_port_block
    from chengyu_kit.local.oidc import OidcProvider, ensure_oidc_jars
    from chengyu_kit.local.paths import find_project_root

    jars = ensure_oidc_jars(find_project_root())
    provider = OidcProvider(tmp_path_factory.mktemp("oidc"), free_port_block(1), jars=jars)
    provider.start()
    yield provider
    provider.stop()
