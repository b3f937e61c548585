"""Apache Kafka (KRaft) run from its own jars on the machine's JDK.

* :func:`ensure_kafka_jars` fetches the broker jars named by ``deploy/kafka/pom.xml`` with
  Maven into ``.cache/kafka/<version>/libs`` (once; a marker file says the folder is complete).
* :class:`KafkaCluster` formats, starts, stops and reattaches to 1 or more combined
  broker+controller nodes on loopback, tracked by pid files in its data folder.

Secured by default: clients authenticate with SASL/SCRAM-SHA-512 on the client listener
(SASL_PLAINTEXT: loopback only), the controllers with SASL/PLAIN (Kafka does not support
SCRAM between controllers), ``StandardAuthorizer`` with ``allow.everyone.if.no.acl.found``
false and the admin principal as the only super user. The admin's password is generated into
``<data>/admin.password`` (0600) and its SCRAM credential is written when the storage is
formatted; other principals and their ACLs are added through the admin API
(``chengyu acls apply``). ``secure=False`` runs a plaintext cluster (benchmarks compare both).

Run ``python -m chengyu_kit.local.kafka`` to fetch the jars and print their folder.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Coroutine
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from chengyu_kit.kafka_auth import MECHANISM, KafkaCredentials, client_options, write_password_file
from chengyu_kit.local import processes as _proc
from chengyu_kit.local.aio import run_sync
from chengyu_kit.local.maven import JarFetchError, ensure_jars, pom_property
from chengyu_kit.local.paths import find_project_root

__all__ = [
    "ADMIN",
    "KafkaCluster",
    "KafkaError",
    "admin_credentials_for",
    "ensure_kafka_jars",
    "free_port_block",
    "kafka_version",
]

#: The super user of every cluster this module runs.
ADMIN = "admin"
#: Admin credentials of the clusters started or attached in this process, by bootstrap
#: servers: tests and tools that only know a bootstrap string find them here.
_ADMINS: dict[str, KafkaCredentials | None] = {}


def admin_credentials_for(bootstrap: str) -> KafkaCredentials | None:
    """The admin credentials of a cluster this process started or attached to at
    ``bootstrap`` (None for a plaintext one); KafkaError for an unknown bootstrap."""
    try:
        return _ADMINS[bootstrap]
    except KeyError:
        raise KafkaError(f"no Kafka cluster at {bootstrap} was started in this process") from None


POM = Path("deploy") / "kafka" / "pom.xml"


class KafkaError(RuntimeError):
    """Kafka could not be fetched, started or stopped; the message says why and where to look."""


# --------------------------------------------------------------------------------------------
# jars


def kafka_version(project_root: Path) -> str:
    """The Kafka version: the ``kafka.version`` property of ``deploy/kafka/pom.xml``."""
    try:
        return pom_property(project_root / POM, "kafka.version")
    except JarFetchError as error:
        raise KafkaError(str(error)) from None


def _jars_dir(project_root: Path, version: str) -> Path:
    return project_root / ".cache" / "kafka" / version / "libs"


def ensure_kafka_jars(project_root: Path) -> Path:
    """Return the folder with all Kafka broker jars, running Maven first if it is incomplete
    (``deploy/kafka/pom.xml``'s dependencies; see :func:`chengyu_kit.local.maven.ensure_jars`)."""
    version = kafka_version(project_root)
    try:
        return ensure_jars(
            project_root / POM,
            _jars_dir(project_root, version),
            f"kafka_2.13-{version}",
            f"Kafka {version} jars",
        )
    except JarFetchError as error:
        raise KafkaError(str(error)) from None


# --------------------------------------------------------------------------------------------
# ports


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the JVM does for Kafka's listeners: connections of a broker that just stopped
        # linger in TIME_WAIT and must not make its port look taken for a restart.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port_block(count: int, host: str = "127.0.0.1", attempts: int = 50) -> int:
    """The first of `count` consecutive free TCP ports on `host` (found by binding port 0)."""
    for _ in range(attempts):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            base = int(sock.getsockname()[1])
        if base + count < 65536 and all(_port_free(host, base + i) for i in range(count)):
            return base
    raise KafkaError(f"no block of {count} free consecutive ports found on {host}")


def _port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


async def _probe(
    bootstrap: str,
    replication_factor: int,
    expected_nodes: int,
    credentials: KafkaCredentials | None,
) -> str | None:
    """None when the cluster shows all nodes and would accept a topic; else what is missing."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=5000, **client_options(credentials)
    )
    try:
        await admin.start()
        cluster = await admin.describe_cluster()
        brokers = cluster.get("brokers", [])
        if len(brokers) < expected_nodes:
            return f"{len(brokers)} of {expected_nodes} brokers registered"
        response = await admin.create_topics(
            [NewTopic("chengyu-probe.ready", 1, replication_factor)],
            timeout_ms=5000,
            validate_only=True,
        )
        for entry in response.topic_errors:
            if entry[1] != 0:
                return f"CreateTopics (validate only) answered error {entry[1]}: {entry[2:]}"
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        with contextlib.suppress(Exception):
            await admin.close()


# --------------------------------------------------------------------------------------------
# the cluster


@dataclass(frozen=True)
class _Layout:
    brokers: int
    host: str
    port: int
    controller_port: int
    secure: bool = True

    def client_port(self, i: int) -> int:
        return self.port + i

    def controller(self, i: int) -> int:
        return self.controller_port + i


_LOG4J2 = """\
# Written by chengyu_kit.local.kafka for node {node_id}; rewritten on every start.
status = warn
name = chengyu-kafka-node-{node_id}

appender.server.type = RollingFile
appender.server.name = server
appender.server.fileName = {logs}/server.log
appender.server.filePattern = {logs}/server.log.%i
appender.server.layout.type = PatternLayout
appender.server.layout.pattern = [%d] %p %m (%c)%n
appender.server.policies.type = Policies
appender.server.policies.size.type = SizeBasedTriggeringPolicy
appender.server.policies.size.size = 50MB
appender.server.strategy.type = DefaultRolloverStrategy
appender.server.strategy.max = 5

appender.state.type = RollingFile
appender.state.name = state
appender.state.fileName = {logs}/state-change.log
appender.state.filePattern = {logs}/state-change.log.%i
appender.state.layout.type = PatternLayout
appender.state.layout.pattern = [%d] %p %m (%c)%n
appender.state.policies.type = Policies
appender.state.policies.size.type = SizeBasedTriggeringPolicy
appender.state.policies.size.size = 20MB
appender.state.strategy.type = DefaultRolloverStrategy
appender.state.strategy.max = 2

rootLogger.level = INFO
rootLogger.appenderRef.server.ref = server

logger.state.name = state.change.logger
logger.state.level = INFO
logger.state.additivity = false
logger.state.appenderRef.state.ref = state

logger.request.name = kafka.request.logger
logger.request.level = WARN
"""


class KafkaCluster:
    """One or more combined KRaft broker+controller nodes on one host, from the Kafka jars.

    Files in `data_dir`: ``cluster.id`` and ``cluster.json`` (the formatted layout),
    ``node-<i>/`` (``server.properties``, ``log4j2.properties``, ``node.pid``, ``data/``),
    ``logs/node-<i>/server.log`` (broker log) and ``logs/node-<i>.out`` (JVM output).
    Node `i` (0-based, node.id ``i + 1``) serves clients on ``port + i`` and the controller
    quorum on ``controller_port + i`` (default ``controller_port = port + brokers``).
    A second object on the same `data_dir` (also in another process) sees running nodes via
    their pid files; :meth:`start` then does not start another copy.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        brokers: int = 1,
        host: str = "127.0.0.1",
        port: int = 9092,
        controller_port: int | None = None,
        jars: Path | None = None,
        secure: bool = True,
    ) -> None:
        if brokers < 1:
            raise ValueError("brokers must be at least 1")
        self.data_dir = Path(data_dir).resolve()
        self.layout = _Layout(
            brokers=brokers,
            host=host,
            port=port,
            controller_port=controller_port if controller_port is not None else port + brokers,
            secure=secure,
        )
        self.jars = jars
        self.heap_opts: list[str] = ["-Xms256m", "-Xmx512m"]
        self.started_now = False  # whether the last start() launched any node

    # -- public properties ---------------------------------------------------------------

    @property
    def brokers(self) -> int:
        return self.layout.brokers

    @property
    def bootstrap_servers(self) -> str:
        """``host:port[,host:port...]`` of all nodes' client listeners."""
        return ",".join(
            f"{self.layout.host}:{self.layout.client_port(i)}" for i in range(self.brokers)
        )

    @property
    def admin_password_file(self) -> Path:
        """The admin's password (mode 0600), generated before the first format."""
        return self.data_dir / "admin.password"

    @property
    def admin_credentials(self) -> KafkaCredentials | None:
        """How the super user logs in (None on a plaintext cluster)."""
        if not self.layout.secure:
            return None
        return KafkaCredentials(ADMIN, self.admin_password_file)

    def node_log(self, i: int) -> Path:
        """The broker log file of node `i`."""
        return self.data_dir / "logs" / f"node-{i}" / "server.log"

    def node_pid(self, i: int) -> int | None:
        """The pid of node `i` if it runs, else None."""
        return _proc.running_pid(self._pid_file(i), self._marker(i))

    def is_running(self) -> bool:
        """True if every node runs."""
        return all(self.node_pid(i) is not None for i in range(self.brokers))

    def any_running(self) -> bool:
        return any(self.node_pid(i) is not None for i in range(self.brokers))

    @classmethod
    def attach(cls, data_dir: Path, *, jars: Path | None = None) -> KafkaCluster | None:
        """The cluster formatted in `data_dir` with its recorded layout, or None if none is."""
        layout_file = Path(data_dir) / "cluster.json"
        if not layout_file.is_file():
            return None
        raw = json.loads(layout_file.read_text())
        cluster = cls(
            Path(data_dir),
            brokers=int(raw["brokers"]),
            host=str(raw["host"]),
            port=int(raw["port"]),
            controller_port=int(raw["controller_port"]),
            jars=jars,
            # Formatted before clusters were secured: plaintext, reported by _check_layout.
            secure=bool(raw.get("secure", False)),
        )
        _ADMINS[cluster.bootstrap_servers] = cluster.admin_credentials
        return cluster

    # -- start / stop ----------------------------------------------------------------------

    def start(self, timeout: float = 90) -> None:
        """Start every node that is not running and wait until the cluster is ready.

        Ready means: all brokers are registered in the metadata and a topic with replication
        factor ``min(3, brokers)`` would be accepted. Formats the KRaft storage on first start.
        """
        deadline = time.monotonic() + timeout
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with _proc.file_lock(self.data_dir / ".lock"):
            self._check_layout()
            _ADMINS[self.bootstrap_servers] = self.admin_credentials
            missing = [i for i in range(self.brokers) if self.node_pid(i) is None]
            self.started_now = bool(missing)
            if missing:
                libs = self._libs()
                cluster_id = self._cluster_id()
                if self.layout.secure:
                    write_password_file(self.admin_password_file)
                for i in range(self.brokers):
                    self._write_node_files(i)
                self._format(libs, cluster_id, missing)
                for i in missing:
                    self._check_ports_free(i)
                for i in missing:
                    self._launch(libs, i)
        self.wait_ready(max(1.0, deadline - time.monotonic()))

    def wait_ready(self, timeout: float = 90) -> None:
        """Wait until every node runs, listens and the cluster would accept a topic."""
        deadline = time.monotonic() + timeout
        reason = "not checked yet"
        while time.monotonic() < deadline:
            dead = [i for i in range(self.brokers) if self.node_pid(i) is None]
            if dead:
                i = dead[0]
                raise KafkaError(
                    f"Kafka node {i} is not running (it exited during start?).\n"
                    f"--- {self._out_file(i)}:\n{_proc.tail(self._out_file(i))}\n"
                    f"--- {self.node_log(i)}:\n{_proc.tail(self.node_log(i))}"
                )
            closed = [
                i
                for i in range(self.brokers)
                if not _port_open(self.layout.host, self.layout.client_port(i))
            ]
            if closed:
                reason = f"node {closed[0]} does not listen on its client port yet"
            else:
                probe = run_sync(self._probe_factory)
                if probe is None:
                    return
                reason = probe
            time.sleep(0.5)
        raise KafkaError(
            f"Kafka at {self.bootstrap_servers} not ready after {timeout:.0f} s: {reason}\n"
            f"see {self.node_log(0)}:\n{_proc.tail(self.node_log(0))}"
        )

    def _probe_factory(self) -> Coroutine[Any, Any, str | None]:
        return _probe(
            self.bootstrap_servers, min(3, self.brokers), self.brokers, self.admin_credentials
        )

    def stop(self, timeout: float = 30) -> None:
        """Stop all nodes: SIGTERM together, wait, SIGKILL whatever is left. Data is kept."""
        with _proc.file_lock(self.data_dir / ".lock"):
            pids = {i: self.node_pid(i) for i in range(self.brokers)}
            for pid in pids.values():
                if pid is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            for i, pid in pids.items():
                if pid is None:
                    continue
                if not _proc.wait_gone(pid, max(0.0, deadline - time.monotonic())):
                    _proc.kill(pid)
                self._pid_file(i).unlink(missing_ok=True)

    def stop_node(self, i: int, timeout: float = 30) -> None:
        """Stop node `i` gracefully (SIGTERM, SIGKILL after `timeout` s)."""
        self._check_index(i)
        pid = self.node_pid(i)
        if pid is not None:
            _proc.terminate(pid, marker=self._marker(i), timeout=timeout)
        self._pid_file(i).unlink(missing_ok=True)

    def kill_node(self, i: int) -> None:
        """Kill node `i` at once (SIGKILL), as a crash would."""
        self._check_index(i)
        pid = self.node_pid(i)
        if pid is not None:
            _proc.kill(pid)
        self._pid_file(i).unlink(missing_ok=True)

    def start_node(self, i: int, timeout: float = 90) -> None:
        """Start node `i` again (if it does not run) and wait until the cluster is ready."""
        self._check_index(i)
        with _proc.file_lock(self.data_dir / ".lock"):
            if self.node_pid(i) is None:
                libs = self._libs()
                self._write_node_files(i)
                self._check_ports_free(i)
                self._launch(libs, i)
        self.wait_ready(timeout)

    # -- internals -------------------------------------------------------------------------

    def _check_index(self, i: int) -> None:
        if not 0 <= i < self.brokers:
            raise IndexError(f"node {i} does not exist (cluster of {self.brokers})")

    def _node_dir(self, i: int) -> Path:
        return self.data_dir / f"node-{i}"

    def _props_file(self, i: int) -> Path:
        return self._node_dir(i) / "server.properties"

    def _pid_file(self, i: int) -> Path:
        return self._node_dir(i) / "node.pid"

    def _out_file(self, i: int) -> Path:
        return self.data_dir / "logs" / f"node-{i}.out"

    def _marker(self, i: int) -> str:
        return str(self._props_file(i))

    def _libs(self) -> Path:
        if self.jars is None:
            self.jars = ensure_kafka_jars(find_project_root())
        if not any(self.jars.glob("kafka_2.13-*.jar")):
            raise KafkaError(f"{self.jars} holds no kafka_2.13 jar")
        return self.jars

    def _check_layout(self) -> None:
        layout_file = self.data_dir / "cluster.json"
        current = asdict(self.layout)
        if layout_file.is_file():
            recorded = json.loads(layout_file.read_text())
            if recorded.get("secure", False) != self.layout.secure:
                raise KafkaError(
                    f"{self.data_dir} holds a cluster formatted "
                    f"{'with' if recorded.get('secure') else 'without'} SASL/ACLs; the SCRAM "
                    f"admin is written at format time, so stop it and delete that folder "
                    f"(its topics are lost) or use another data folder"
                )
            if recorded.get("brokers") != self.brokers:
                raise KafkaError(
                    f"{self.data_dir} holds a cluster of {recorded.get('brokers')} node(s), "
                    f"not {self.brokers}; use another data folder"
                )
            if recorded != current and self.any_running():
                raise KafkaError(
                    f"Kafka in {self.data_dir} already runs with {recorded}; "
                    f"stop it before starting it with {current}"
                )
        layout_file.write_text(json.dumps(current, indent=2) + "\n")

    def _cluster_id(self) -> str:
        id_file = self.data_dir / "cluster.id"
        if id_file.is_file():
            return id_file.read_text().strip()
        cluster_id = "-"
        while cluster_id.startswith("-"):  # like Kafka's own ids: never looks like an option
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        id_file.write_text(cluster_id + "\n")
        return cluster_id

    def _server_properties(self, i: int) -> str:
        lay = self.layout
        n = self.brokers
        replicas = min(3, n)
        min_isr = 2 if n >= 3 else 1
        voters = ",".join(f"{j + 1}@{lay.host}:{lay.controller(j)}" for j in range(n))
        client = "CLIENT" if lay.secure else "PLAINTEXT"
        settings: dict[str, str | int] = {
            "process.roles": "broker,controller",
            "node.id": i + 1,
            "controller.quorum.voters": voters,
            "listeners": (
                f"{client}://{lay.host}:{lay.client_port(i)},"
                f"CONTROLLER://{lay.host}:{lay.controller(i)}"
            ),
            "advertised.listeners": f"{client}://{lay.host}:{lay.client_port(i)}",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": client,
            "log.dirs": str(self._node_dir(i) / "data"),
            "num.network.threads": 2,
            "num.io.threads": 4,
            "num.partitions": 1,
            "default.replication.factor": replicas,
            "min.insync.replicas": 1,
            "auto.create.topics.enable": "false",
            "unclean.leader.election.enable": "false",
            "offsets.topic.replication.factor": replicas,
            "offsets.topic.num.partitions": 10,
            "transaction.state.log.replication.factor": replicas,
            "transaction.state.log.min.isr": min_isr,
            "transaction.state.log.num.partitions": 10,
            "share.coordinator.state.topic.replication.factor": replicas,
            "share.coordinator.state.topic.min.isr": min_isr,
            "group.initial.rebalance.delay.ms": 0,
            "log.retention.check.interval.ms": 300000,
        }
        if lay.secure:
            settings.update(self._security_properties())
        lines = [f"# Written by chengyu_kit.local.kafka for node {i}; rewritten on every start."]
        lines += [f"{key}={value}" for key, value in settings.items()]
        return "\n".join(lines) + "\n"

    def _security_properties(self) -> dict[str, str | int]:
        """SCRAM for clients and between brokers, PLAIN between controllers, ACLs enforced."""
        write_password_file(self.admin_password_file)  # once, before the first format
        password = KafkaCredentials(ADMIN, self.admin_password_file).password()
        scram = "org.apache.kafka.common.security.scram.ScramLoginModule"
        plain = "org.apache.kafka.common.security.plain.PlainLoginModule"
        return {
            "listener.security.protocol.map": "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
            "sasl.enabled.mechanisms": MECHANISM,
            "sasl.mechanism.inter.broker.protocol": MECHANISM,
            "listener.name.client.sasl.enabled.mechanisms": MECHANISM,
            "listener.name.client.scram-sha-512.sasl.jaas.config": (
                f'{scram} required username="{ADMIN}" password="{password}";'
            ),
            # Kafka does not support SCRAM between controllers: PLAIN, with the admin as the
            # only user, so that controllers and brokers act as the one super user.
            "sasl.mechanism.controller.protocol": "PLAIN",
            "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
            "listener.name.controller.plain.sasl.jaas.config": (
                f'{plain} required username="{ADMIN}" password="{password}" '
                f'user_{ADMIN}="{password}";'
            ),
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "allow.everyone.if.no.acl.found": "false",
            "super.users": f"User:{ADMIN}",
        }

    def _write_node_files(self, i: int) -> None:
        node_dir = self._node_dir(i)
        logs = self.data_dir / "logs" / f"node-{i}"
        (node_dir / "data").mkdir(parents=True, exist_ok=True)
        logs.mkdir(parents=True, exist_ok=True)
        # The properties hold the admin's password (JAAS): owner only.
        props = self._props_file(i)
        props.touch(mode=0o600, exist_ok=True)
        props.chmod(0o600)
        props.write_text(self._server_properties(i))
        (node_dir / "log4j2.properties").write_text(_LOG4J2.format(node_id=i + 1, logs=logs))

    def _java(self) -> str:
        java_home = os.environ.get("JAVA_HOME")
        if java_home and (Path(java_home) / "bin" / "java").is_file():
            return str(Path(java_home) / "bin" / "java")
        java = shutil.which("java")
        if java is None:
            raise KafkaError("java is not on PATH (Kafka needs a JDK 17 or newer)")
        return java

    def _jvm_args(self, libs: Path, i: int) -> list[str]:
        return [
            self._java(),
            *self.heap_opts,
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self._node_dir(i) / 'log4j2.properties'}",
            f"-Dkafka.logs.dir={self.data_dir / 'logs' / f'node-{i}'}",
            "-cp",
            f"{libs}/*",
        ]

    def _format(self, libs: Path, cluster_id: str, nodes: list[int]) -> None:
        todo = [i for i in nodes if not (self._node_dir(i) / "data" / "meta.properties").exists()]
        procs: list[tuple[int, subprocess.Popen[str]]] = []
        for i in todo:
            tool = [
                "kafka.tools.StorageTool",
                "format",
                "--ignore-formatted",
                f"--cluster-id={cluster_id}",
                f"--config={self._props_file(i)}",
            ]
            if self.layout.secure:
                password = KafkaCredentials(ADMIN, self.admin_password_file).password()
                tool += ["--add-scram", f"{MECHANISM}=[name={ADMIN},password={password}]"]
            # The tool and its arguments go in a Java argument file (0600), so that the
            # password is not on a command line that `ps` shows.
            argfile = self._node_dir(i) / "format.args"
            argfile.touch(mode=0o600, exist_ok=True)
            argfile.chmod(0o600)
            argfile.write_text(" ".join(f'"{arg}"' for arg in tool) + "\n")
            argv = [*self._jvm_args(libs, i), f"@{argfile}"]
            procs.append(
                (
                    i,
                    subprocess.Popen(
                        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
                    ),
                )
            )
        try:
            for i, proc in procs:
                output, _ = proc.communicate(timeout=120)
                if proc.returncode != 0:
                    raise KafkaError(
                        f"formatting KRaft storage of node {i} failed:\n{_without_scram(output)}"
                    )
        finally:
            for i in todo:
                (self._node_dir(i) / "format.args").unlink(missing_ok=True)

    def _check_ports_free(self, i: int) -> None:
        for port in (self.layout.client_port(i), self.layout.controller(i)):
            if not _port_free(self.layout.host, port):
                raise KafkaError(
                    f"port {self.layout.host}:{port} for Kafka node {i} is taken by another "
                    f"process; choose another port (CHENGYU_KAFKA_PORT for the stack)"
                )

    def _launch(self, libs: Path, i: int) -> None:
        argv = [*self._jvm_args(libs, i), "kafka.Kafka", str(self._props_file(i))]
        _proc.spawn_detached(
            argv,
            log_file=self._out_file(i),
            pid_file=self._pid_file(i),
            cwd=self._node_dir(i),
        )


def _without_scram(output: str) -> str:
    """The storage tool's output without its SCRAM lines: it prints the credentials' salts
    and salted passwords, which must not reach an error message or a log."""
    return "\n".join(
        line if "scram" not in line.lower() else "[a line about SCRAM credentials withheld]"
        for line in output.splitlines()
    )


def _main() -> None:
    print(ensure_kafka_jars(find_project_root()))


if __name__ == "__main__":
    _main()
