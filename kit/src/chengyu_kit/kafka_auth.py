"""Kafka client credentials: SASL/SCRAM-SHA-512 with the password read from a file.

A principal's password is never passed in the environment or on a command line, and never
logged: :class:`KafkaCredentials` holds the *file*, and reads it only when a client is built.
:func:`client_options` turns credentials into the keyword arguments of aiokafka's producer,
consumer and admin client (an empty mapping for a plaintext broker), and
:func:`describe_kafka_failure` turns aiokafka's bare connection errors into one line naming
the principal and the broker.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "MECHANISM",
    "KafkaCredentials",
    "check_access",
    "client_options",
    "describe_kafka_failure",
    "write_password_file",
]

MECHANISM = "SCRAM-SHA-512"


@dataclass(frozen=True)
class KafkaCredentials:
    """A Kafka principal (``User:<username>``) whose password is in ``password_file``."""

    username: str
    password_file: Path

    def password(self) -> str:
        """The password (first line of the file, without surrounding whitespace)."""
        try:
            return self.password_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            # The error names the file, never its content.
            raise RuntimeError(
                f"cannot read the Kafka password of principal {self.username!r} from "
                f"{self.password_file}: {exc.strerror}"
            ) from None

    def __repr__(self) -> str:  # never the password, only where it is
        return f"KafkaCredentials(username={self.username!r}, password_file={self.password_file})"

    def faststream_security(self) -> Any:
        """The same credentials as FastStream's ``security=`` argument of ``KafkaBroker``."""
        from faststream.security import SASLScram512

        return SASLScram512(self.username, self.password())


def client_options(credentials: KafkaCredentials | None) -> dict[str, Any]:
    """Keyword arguments for aiokafka clients: SASL_PLAINTEXT with SCRAM-SHA-512, or none.

    Loopback brokers are reached without TLS; a real deployment adds ``ssl_context`` and
    ``SASL_SSL`` (see SECURITY.md).
    """
    if credentials is None:
        return {}
    return {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": MECHANISM,
        "sasl_plain_username": credentials.username,
        "sasl_plain_password": credentials.password(),
    }


def _reachable(bootstrap: str) -> bool:
    """Whether any of the bootstrap servers accepts a TCP connection."""
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        with contextlib.suppress(OSError, ValueError):
            socket.create_connection((host or "localhost", int(port)), timeout=1).close()
            return True
    return False


def describe_kafka_failure(
    error: BaseException, credentials: KafkaCredentials | None, bootstrap: str
) -> str:
    """One line saying why a Kafka client could not start, naming principal and broker.

    aiokafka reports a refused SCRAM login only as "Unable to bootstrap from ..." (the
    broker's answer is logged, not raised): when the broker accepts TCP connections, that
    is the login failing (SASL_AUTHENTICATION_FAILED).
    """
    who = f"principal {credentials.username!r}" if credentials else "no principal (plaintext)"
    name = type(error).__name__
    text = str(error)
    if "Unable to bootstrap" in text or "Authentication" in name:
        if not _reachable(bootstrap):
            cause = "broker unreachable"
        elif credentials:
            cause = (
                "SASL authentication failed (wrong password or unknown user; password file "
                f"{credentials.password_file})"
            )
        else:
            cause = "login refused: the broker requires SASL (set KAFKA_USERNAME and "
            cause += "KAFKA_PASSWORD_FILE)"
    elif "Authorization" in name:
        cause = f"not authorised: {name} (a missing ACL for this principal)"
    else:
        cause = f"{name}: {text}"
    return f"Kafka at {bootstrap} refused {who}: {cause}"


def write_password_file(path: Path, *, overwrite: bool = False) -> bool:
    """Create ``path`` (mode 0600, folder 0700) with a new random password unless it exists;
    True if written. The password never leaves the file."""
    if path.exists() and not overwrite:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    # URL-safe characters only: the password goes into JAAS strings and SCRAM specs.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(24) + "\n")
    path.chmod(0o600)
    return True


_TOPIC_AUTHORIZATION_FAILED = 29
_GROUP_AUTHORIZATION_FAILED = 30


async def check_access(
    bootstrap: str,
    credentials: KafkaCredentials | None,
    *,
    reads: list[str],
    groups: list[str],
    timeout_ms: int = 10_000,
) -> list[str]:
    """What this principal cannot do of what a service needs: one line per missing ACL
    (empty when all is allowed). Raises what aiokafka raises when it cannot log in at all.

    Kafka answers a denied topic or group with a bare error code deep inside a client's
    background task; asking once at start lets the service name the ACL it lacks.
    """
    from aiokafka.admin import AIOKafkaAdminClient

    who = f"User:{credentials.username}" if credentials else "User:ANONYMOUS"
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=timeout_ms, **client_options(credentials)
    )
    await admin.start()
    missing: list[str] = []
    try:
        if reads:
            for topic in await admin.describe_topics(reads):
                if topic["error_code"] == _TOPIC_AUTHORIZATION_FAILED:
                    missing.append(
                        f"Kafka at {bootstrap}: {who} lacks ACL READ on topic {topic['topic']!r}"
                    )
        for group in groups:
            try:
                responses = await admin.describe_consumer_groups([group])
            except Exception as exc:
                # Only a denial counts: a coordinator not there yet (a fresh cluster) is the
                # consumer's to wait for, as it always was.
                if "GroupAuthorization" not in type(exc).__name__:
                    continue
                codes = [_GROUP_AUTHORIZATION_FAILED]
            else:
                codes = [g[0] for r in responses for g in r.groups]
            if _GROUP_AUTHORIZATION_FAILED in codes:
                missing.append(f"Kafka at {bootstrap}: {who} lacks ACL READ on group {group!r}")
    finally:
        await admin.close()
    return missing
