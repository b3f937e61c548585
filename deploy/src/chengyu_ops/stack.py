"""The local two-city stack: Kafka (single broker), PostgreSQL, an OpenID Connect provider
(an issuer per city, for the clerks' tokens), topics and service processes.

State lives in ``$CHENGYU_HOME`` (default ``<project root>/.chengyu``)::

    kafka/        Kafka data, pid files and logs (kafka/logs/node-0/server.log)
    oidc/         the OpenID Connect provider's pid file and log (an issuer per city)
    postgres/     embedded PostgreSQL: pgdata/, run/ (Unix socket), logs/postgresql.log
    run/          pid files of the service processes
    logs/         logs of the service processes

Everything is tracked by pid files, so ``up`` twice does not start a second copy and ``down``
from any process stops what ``up`` started. Data is kept across ``down``/``up``.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from chengyu_kit.kafka_auth import KafkaCredentials
from chengyu_kit.local import processes as _proc
from chengyu_kit.local.aio import run_sync
from chengyu_kit.local.kafka import ADMIN, KafkaCluster, ensure_kafka_jars
from chengyu_kit.local.oidc import OidcProvider, ensure_oidc_jars
from chengyu_kit.local.postgres import LocalPostgres, ensure_database
from chengyu_ops.acls import (
    AclChange,
    KafkaPrincipals,
    apply_acls,
    desired_rules,
    load_acls_file,
)
from chengyu_ops.keys import AGENCIES, LocalKeys, ensure_local_keys
from chengyu_ops.paths import find_project_root, state_home
from chengyu_ops.services import ServiceSpec, discover_services
from chengyu_ops.topics import TopicChange, apply_topics, load_topic_specs

__all__ = ["ComponentStatus", "KafkaLogin", "Stack", "StackError", "kafka_login"]

KAFKA_PORT_ENV = "CHENGYU_KAFKA_PORT"
DATABASE_URL_ENV = "DATABASE_URL"
DEFAULT_KAFKA_PORT = 9092
OIDC_PORT_ENV = "CHENGYU_OIDC_PORT"
DEFAULT_OIDC_PORT = 8090

State = Literal["running", "stopped", "external"]
Echo = Callable[[str], None]


class StackError(RuntimeError):
    """The stack could not be brought up or down; the message says what and where to look."""


@dataclass(frozen=True)
class ComponentStatus:
    """One component of the stack as ``chengyu stack status`` shows it."""

    name: str
    kind: Literal["kafka", "postgres", "oidc", "service"]
    state: State
    address: str
    pid: int | None = None
    log: str | None = None
    detail: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _kafka_port_from_env() -> int:
    return _port_from_env(KAFKA_PORT_ENV, DEFAULT_KAFKA_PORT)


def _port_from_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65535:
        raise StackError(f"{name}={raw!r} is not a TCP port")
    return int(raw)


class Stack:
    """The local stack of one project checkout (see the module docstring)."""

    def __init__(
        self,
        project_root: Path | None = None,
        *,
        home: Path | None = None,
        kafka_port: int | None = None,
        oidc_port: int | None = None,
        database_url: str | None = None,
        services: Sequence[ServiceSpec] | None = None,
    ) -> None:
        self.root = project_root or find_project_root()
        self.home = home or state_home(self.root)
        self.kafka_dir = self.home / "kafka"
        self.postgres_dir = self.home / "postgres"
        self.run_dir = self.home / "run"
        self.logs_dir = self.home / "logs"
        self.topics_file = self.root / "deploy" / "topics.yaml"
        if database_url is None:
            database_url = os.environ.get(DATABASE_URL_ENV) or None
        self.database_url = database_url
        self.services: tuple[ServiceSpec, ...] = tuple(
            discover_services(self.root) if services is None else services
        )
        requested = KafkaCluster(
            self.kafka_dir,
            port=kafka_port if kafka_port is not None else _kafka_port_from_env(),
        )
        # A cluster already formatted here keeps its recorded ports while it runs.
        recorded = KafkaCluster.attach(self.kafka_dir)
        self.kafka = recorded if recorded is not None and recorded.any_running() else requested
        self.postgres = None if database_url else LocalPostgres(self.postgres_dir)
        # A provider already running here keeps its recorded port.
        self.oidc_dir = self.home / "oidc"
        recorded_oidc = OidcProvider.attach(self.oidc_dir)
        self.oidc = (
            recorded_oidc
            if recorded_oidc is not None and recorded_oidc.pid() is not None
            else OidcProvider(
                self.oidc_dir,
                oidc_port
                if oidc_port is not None
                else _port_from_env(OIDC_PORT_ENV, DEFAULT_OIDC_PORT),
            )
        )
        self.keys = LocalKeys(self.home / "keys")
        self.acls_file = self.root / "deploy" / "acls.yaml"
        self.principals = KafkaPrincipals(self.home / "kafka-users")

    # -- addresses -------------------------------------------------------------------------

    def admin_dsn(self) -> str:
        if self.database_url:
            return self.database_url
        assert self.postgres is not None
        return self.postgres.admin_dsn

    def service_dsn(self, spec: ServiceSpec) -> str:
        if self.database_url:
            from chengyu_kit.local.postgres import with_database

            return with_database(self.database_url, spec.database_name)
        assert self.postgres is not None
        return self.postgres.dsn(spec.database_name)

    def _pid_file(self, spec: ServiceSpec) -> Path:
        return self.run_dir / f"{spec.id}.pid"

    def _log_file(self, spec: ServiceSpec) -> Path:
        return self.logs_dir / f"{spec.id}.log"

    def service_pid(self, spec: ServiceSpec) -> int | None:
        return _proc.running_pid(self._pid_file(spec), spec.module)

    # -- up --------------------------------------------------------------------------------

    def up(self, echo: Echo = print, *, timeout: float = 120) -> list[ComponentStatus]:
        """Start whatever is not running yet, wait until all is ready, return the status."""
        for folder in (self.home, self.run_dir, self.logs_dir):
            folder.mkdir(parents=True, exist_ok=True)

        if self.kafka.is_running():
            echo(f"kafka: already running at {self.kafka.bootstrap_servers}")
            self.kafka.wait_ready(timeout)
        else:
            echo(f"kafka: starting at {self.kafka.bootstrap_servers} ...")
            started = time.monotonic()
            self.kafka.jars = ensure_kafka_jars(self.root)
            self.kafka.start(timeout)
            echo(f"kafka: started in {time.monotonic() - started:.1f} s")

        if self.postgres is None:
            echo(f"postgres: using {DATABASE_URL_ENV} (external server)")
        elif self.postgres.is_running():
            echo(f"postgres: already running at {self.postgres.socket_dir}")
        else:
            echo("postgres: starting ...")
            self.postgres.start()
            echo(f"postgres: started at {self.postgres.socket_dir}")

        if self.oidc.pid() is not None:
            echo(f"oidc: already running at {self.oidc.base_url}")
            self.oidc.wait_ready(timeout)
        else:
            echo(f"oidc: starting at {self.oidc.base_url} ...")
            self.oidc.jars = ensure_oidc_jars(self.root)
            self.oidc.start(timeout)
            echo(f"oidc: issuers {', '.join(self.oidc.issuers.values())}")

        self.keys, made = ensure_local_keys(
            self.home / "keys", agencies={spec.agency for spec in self.services}
        )
        echo(f"keys: {len(made)} created in {self.keys.folder}" if made else "keys: present")

        run_sync(lambda: self._ensure_databases(echo))

        specs = load_topic_specs(self.topics_file)
        changes = run_sync(
            lambda: apply_topics(
                self.kafka.bootstrap_servers, specs, credentials=self.kafka.admin_credentials
            )
        )
        self._report_topics(changes, echo)
        if self.kafka.layout.secure:
            self._report_acls(self.apply_acls(), echo)

        self._start_services(echo, timeout)
        return self.status()

    async def _ensure_databases(self, echo: Echo) -> None:
        for spec in self.services:
            await ensure_database(self.admin_dsn(), spec.database_name)
        if self.services:
            names = ", ".join(spec.database_name for spec in self.services)
            echo(f"postgres: databases ready: {names}")

    def _report_topics(self, changes: list[TopicChange], echo: Echo) -> None:
        if not changes:
            echo(f"topics: none declared in {self.topics_file.relative_to(self.root)}")
        for change in changes:
            if change.action != "unchanged":
                echo(f"topics: {change.topic}: {change.action} {change.detail}".rstrip())
        unchanged = sum(1 for change in changes if change.action == "unchanged")
        if unchanged:
            echo(f"topics: {unchanged} unchanged")
        problems = [change for change in changes if change.action == "problem"]
        if problems:
            raise StackError(
                f"{len(problems)} topic problem(s) in {self.topics_file}; fix them and rerun"
            )

    def apply_acls(
        self, bootstrap: str | None = None, admin: KafkaCredentials | None = None
    ) -> list[AclChange]:
        """Make the principals, their passwords (``.chengyu/kafka-users/``) and ACLs match
        ``deploy/acls.yaml`` for the agencies known and those of the stack's services."""
        acls = load_acls_file(self.acls_file)
        specs = load_topic_specs(self.topics_file)
        principals, rules = desired_rules(
            acls,
            specs,
            agencies={*AGENCIES, *(spec.agency for spec in self.services)},
            services={(spec.name, spec.agency) for spec in self.services},
        )
        new = self.principals.ensure(principals)
        return apply_acls(
            bootstrap or self.kafka.bootstrap_servers,
            admin if bootstrap else self.kafka.admin_credentials,
            principals,
            rules,
            self.principals,
            new_passwords=new,
        )

    def _report_acls(self, changes: list[AclChange], echo: Echo) -> None:
        for change in changes:
            echo(f"acls: {change.subject}: {change.action} {change.detail}".rstrip())
        problems = [change for change in changes if change.action == "problem"]
        if problems:
            raise StackError(f"{len(problems)} ACL problem(s) in {self.acls_file}; see above")

    def _service_env(self, spec: ServiceSpec) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            CITY=spec.city,
            SERVICE_NAME=spec.name,
            AGENCY=spec.agency,
            KAFKA_BOOTSTRAP=self.kafka.bootstrap_servers,
            DATABASE_URL=self.service_dsn(spec),
            HTTP_HOST="127.0.0.1",
            HTTP_PORT=str(spec.http_port),
            SIGNING_KEY_FILE=str(self.keys.signing_key_file(spec.city, spec.agency)),
            KEY_REGISTRY_FILE=str(self.keys.registry_file),
            PERSON_REF_KEY=self.keys.person_ref_key_hex(),
            OTEL_TRACES_EXPORTER=f"file:{self.logs_dir / 'traces.jsonl'}",
            # The city's own identity provider; the other city's, whose auditors may read.
            OIDC_ISSUER=self.oidc.issuer(spec.city),
            OIDC_PEER_ISSUERS=json.dumps(
                {city: url for city, url in self.oidc.issuers.items() if city != spec.city}
            ),
        )
        if self.kafka.layout.secure:
            # The agency's own principal in its city; the password stays in its file.
            login = self.principals.credentials(f"{spec.city}-{spec.agency}")
            env.update(KAFKA_USERNAME=login.username, KAFKA_PASSWORD_FILE=str(login.password_file))
        env.update(spec.env)
        return env

    def _start_services(self, echo: Echo, timeout: float) -> None:
        launched: list[ServiceSpec] = []
        for spec in self.services:
            pid = self.service_pid(spec)
            if pid is not None:
                echo(f"{spec.id}: already running (pid {pid})")
                continue
            _proc.spawn_detached(
                spec.command,
                log_file=self._log_file(spec),
                pid_file=self._pid_file(spec),
                cwd=self.root,
                env=self._service_env(spec),
            )
            launched.append(spec)
        if launched:
            run_sync(lambda: self._wait_services_ready(launched, echo, timeout))

    async def _wait_services_ready(
        self, specs: list[ServiceSpec], echo: Echo, timeout: float
    ) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        pending = list(specs)
        async with httpx.AsyncClient(timeout=2.0) as client:
            while pending:
                for spec in list(pending):
                    if self.service_pid(spec) is None:
                        raise StackError(
                            f"{spec.id} exited during start; see {self._log_file(spec)}:\n"
                            f"{_proc.tail(self._log_file(spec))}"
                        )
                    url = f"http://127.0.0.1:{spec.http_port}/readyz"
                    try:
                        response = await client.get(url)
                    except httpx.HTTPError:
                        continue
                    if response.status_code == 200:
                        echo(f"{spec.id}: ready at http://127.0.0.1:{spec.http_port}")
                        pending.remove(spec)
                if pending and time.monotonic() > deadline:
                    names = ", ".join(spec.id for spec in pending)
                    raise StackError(
                        f"not ready after {timeout:.0f} s: {names}; see {self.logs_dir}"
                    )
                if pending:
                    await asyncio.sleep(0.5)

    # -- down ------------------------------------------------------------------------------

    def down(self, echo: Echo = print, *, timeout: float = 30) -> None:
        """Stop the services, Kafka and the embedded PostgreSQL by pid. Data is kept."""
        for spec in reversed(self.services):
            pid = self.service_pid(spec)
            if pid is None:
                continue
            _proc.terminate(pid, marker=spec.module, timeout=timeout)
            self._pid_file(spec).unlink(missing_ok=True)
            echo(f"{spec.id}: stopped (pid {pid})")
        # Service pid files of entries no longer in the registry: stop them too.
        known = {self._pid_file(spec) for spec in self.services}
        for pid_file in sorted(self.run_dir.glob("*.pid")) if self.run_dir.is_dir() else []:
            if pid_file in known:
                continue
            pid = _proc.running_pid(pid_file, "-m")
            if pid is not None:
                _proc.terminate(pid, timeout=timeout)
                echo(f"{pid_file.stem}: stopped (pid {pid}, no longer in the registry)")
            pid_file.unlink(missing_ok=True)

        if self.kafka.any_running():
            self.kafka.stop(timeout)
            echo("kafka: stopped")
        else:
            echo("kafka: not running")

        if self.oidc.pid() is not None:
            self.oidc.stop(timeout)
            echo("oidc: stopped")
        else:
            echo("oidc: not running")

        if self.postgres is not None:
            if self.postgres.pid() is not None:
                self.postgres.stop()
                echo("postgres: stopped")
            else:
                echo("postgres: not running")

    # -- status ----------------------------------------------------------------------------

    def status(self) -> list[ComponentStatus]:
        """Every component with its address and state (never raises for a stopped one)."""
        result = [
            ComponentStatus(
                name="kafka",
                kind="kafka",
                state="running" if self.kafka.is_running() else "stopped",
                address=self.kafka.bootstrap_servers,
                pid=self.kafka.node_pid(0),
                log=str(self.kafka.node_log(0)),
            )
        ]
        if self.postgres is None:
            result.append(
                ComponentStatus(
                    name="postgres",
                    kind="postgres",
                    state="external",
                    address=_redact(self.database_url or ""),
                    detail=f"from {DATABASE_URL_ENV}",
                )
            )
        else:
            running = self.postgres.is_running()
            result.append(
                ComponentStatus(
                    name="postgres",
                    kind="postgres",
                    state="running" if running else "stopped",
                    address=self.postgres.admin_dsn,
                    pid=self.postgres.pid(),
                    log=str(self.postgres.log_file),
                    detail=f"Unix socket in {self.postgres.socket_dir}",
                )
            )
        oidc_pid = self.oidc.pid()
        result.append(
            ComponentStatus(
                name="oidc",
                kind="oidc",
                state="running" if oidc_pid is not None else "stopped",
                address=self.oidc.base_url,
                pid=oidc_pid,
                log=str(self.oidc.log_file),
                detail="issuers " + ", ".join(self.oidc.issuers.values()),
            )
        )
        for spec in self.services:
            pid = self.service_pid(spec)
            result.append(
                ComponentStatus(
                    name=spec.id,
                    kind="service",
                    state="running" if pid is not None else "stopped",
                    address=f"http://127.0.0.1:{spec.http_port}",
                    pid=pid,
                    log=str(self._log_file(spec)),
                    detail=f"database {spec.database_name}",
                )
            )
        return result


def _redact(dsn: str) -> str:
    """The DSN without its password."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def bootstrap_or_local(bootstrap: str | None) -> str:
    """``bootstrap`` if given, else the local stack's broker (for the ``chengyu`` tools)."""
    return bootstrap or Stack().kafka.bootstrap_servers


@dataclass(frozen=True)
class KafkaLogin:
    """Where a ``chengyu`` tool connects and as whom."""

    bootstrap: str
    credentials: KafkaCredentials | None


def kafka_login(
    bootstrap: str | None,
    username: str | None = None,
    password_file: Path | None = None,
    *,
    principal: str = ADMIN,
) -> KafkaLogin:
    """The broker and principal of a ``chengyu`` tool.

    ``username`` with ``password_file`` win; else, on the local stack (no ``bootstrap``),
    the stack's ``principal`` (its admin, or a reader such as ``auditor`` for tools that
    only read); else another cluster's bootstrap without login (plaintext).
    """
    if (username is None) != (password_file is None):
        raise StackError(
            "give both --user and --password-file (KAFKA_USERNAME and KAFKA_PASSWORD_FILE)"
        )
    explicit = (
        KafkaCredentials(username, password_file)
        if username is not None and password_file is not None
        else None
    )
    if bootstrap:
        return KafkaLogin(bootstrap, explicit)
    stack = Stack()
    if explicit is None and stack.kafka.layout.secure:
        explicit = (
            stack.kafka.admin_credentials
            if principal == ADMIN
            else stack.principals.credentials(principal)
        )
    return KafkaLogin(stack.kafka.bootstrap_servers, explicit)
