"""Kafka principals and ACLs as code: ``deploy/acls.yaml`` declares them,
:func:`apply_acls` makes the cluster match (SCRAM users, ACLs added and removed) and reports
each change, like :mod:`chengyu_ops.topics`.

File format::

    agencies:
      hpf:
        writes: [fund.]                      # topics it may write; "x." is a prefix
        reads: [fund.transfer, fund.account] # topics it may read (literal names or prefixes)
    readers:
      reader: {dead_letters: false}          # reads every domain topic of topics.yaml
      auditor: {dead_letters: true}          # ... and their dead-letter topics

Principals: ``<city>-<agency>`` for every city and every agency given (the stack passes the
known agencies and those of its services), with READ on the groups ``<service>.<city>`` of
that agency's services; each reader with READ and DESCRIBE on the domain topics and READ on
the groups ``<reader>.*``. Only the principals managed here are touched: an ACL of another
principal (added by hand for a downstream system) stays.

aiokafka's admin client has no ACL or SCRAM calls, so this module uses ``confluent-kafka``
(its wheel ships librdkafka). Passwords are read from files and never printed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from chengyu_contracts.cities import CITIES
from chengyu_kit.kafka_auth import MECHANISM, KafkaCredentials, write_password_file
from chengyu_ops.topics import DLQ_SUFFIX, TopicSpec

__all__ = [
    "AclChange",
    "AclRule",
    "AclSpecError",
    "AclsFile",
    "KafkaPrincipals",
    "apply_acls",
    "desired_rules",
    "load_acls_file",
]

Action = Literal["created-user", "created", "deleted", "unchanged", "problem"]


class AclSpecError(ValueError):
    """An ACL file is invalid; the message names the file and the field."""


@dataclass(frozen=True, order=True)
class AclRule:
    """One ALLOW rule: ``principal`` may do ``operation`` on a resource (from any host)."""

    principal: str  # user name, without "User:"
    resource: Literal["topic", "group", "cluster"]
    name: str
    pattern: Literal["literal", "prefixed"]
    operation: Literal["read", "write", "describe", "idempotent_write"]

    def __str__(self) -> str:
        kind = "prefix" if self.pattern == "prefixed" else ""
        where = f"{self.resource} {kind + ' ' if kind else ''}{self.name!r}"
        return f"User:{self.principal} {self.operation.upper()} on {where}"


@dataclass(frozen=True)
class AclChange:
    """What :func:`apply_acls` did (or could not do)."""

    subject: str
    action: Action
    detail: str = ""


@dataclass(frozen=True)
class AgencyRules:
    """What one agency's services may do (in each city)."""

    writes: tuple[str, ...]
    reads: tuple[str, ...]


@dataclass(frozen=True)
class AclsFile:
    """A parsed ``acls.yaml``."""

    agencies: Mapping[str, AgencyRules]
    readers: Mapping[str, bool]  # reader name -> also reads dead-letter topics


def _names(source: str, where: str, value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise AclSpecError(f"{source}: {where}: must be a list of topic names or prefixes")
    return tuple(value)


def parse_acls(document: object, source: str = "<acls>") -> AclsFile:
    """Parse an ACL document (see the module docstring for the format)."""
    if document is None:
        document = {}
    if not isinstance(document, Mapping):
        raise AclSpecError(f"{source}: top level must be a mapping with 'agencies', 'readers'")
    unknown = set(document) - {"agencies", "readers"}
    if unknown:
        raise AclSpecError(f"{source}: unknown top-level field(s) {', '.join(sorted(unknown))}")
    agencies: dict[str, AgencyRules] = {}
    for agency, entry in (document.get("agencies") or {}).items():
        where = f"agencies.{agency}"
        if not isinstance(entry, Mapping) or set(entry) - {"writes", "reads"}:
            raise AclSpecError(f"{source}: {where}: must be a mapping of 'writes' and 'reads'")
        agencies[str(agency)] = AgencyRules(
            writes=_names(source, f"{where}.writes", entry.get("writes")),
            reads=_names(source, f"{where}.reads", entry.get("reads")),
        )
    readers: dict[str, bool] = {}
    for reader, raw in (document.get("readers") or {}).items():
        entry = raw or {}
        dead = entry.get("dead_letters", False) if isinstance(entry, Mapping) else None
        if not isinstance(dead, bool) or set(entry) - {"dead_letters"}:
            raise AclSpecError(f"{source}: readers.{reader}: only 'dead_letters: true|false'")
        readers[str(reader)] = dead
    return AclsFile(agencies=agencies, readers=readers)


def load_acls_file(path: Path) -> AclsFile:
    """Read and validate ``path``."""
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise AclSpecError(f"{path}: cannot read: {exc}") from exc
    return parse_acls(document, str(path))


def _topic_rule(principal: str, name: str, operation: Any) -> AclRule:
    prefixed = name.endswith(".")
    return AclRule(principal, "topic", name, "prefixed" if prefixed else "literal", operation)


def desired_rules(
    acls: AclsFile,
    topics: Sequence[TopicSpec],
    *,
    agencies: Iterable[str],
    services: Iterable[tuple[str, str]],
) -> tuple[list[str], set[AclRule]]:
    """The managed principals and every rule they should have.

    ``agencies``: all agencies to make principals for; ``services``: (service name, agency)
    of the services found, whose groups ``<service>.<city>`` their agency's principal uses.
    """
    principals: list[str] = []
    rules: set[AclRule] = set()
    service_list = list(services)
    for agency in sorted({*agencies, *acls.agencies}):
        entry = acls.agencies.get(agency, AgencyRules((), ()))
        for city in CITIES:
            principal = f"{city}-{agency}"
            principals.append(principal)
            for name in entry.writes:
                rules.add(_topic_rule(principal, name, "write"))
            for name in entry.reads:
                rules.add(_topic_rule(principal, name, "read"))
            for service, owner in service_list:
                if owner == agency:
                    rules.add(AclRule(principal, "group", f"{service}.{city}", "literal", "read"))
    domain = [t.name for t in topics if not t.name.endswith(DLQ_SUFFIX)]
    dead = [t.name for t in topics if t.name.endswith(DLQ_SUFFIX)]
    for reader, with_dead in sorted(acls.readers.items()):
        principals.append(reader)
        for name in [*domain, *(dead if with_dead else [])]:
            rules.add(AclRule(reader, "topic", name, "literal", "read"))
            rules.add(AclRule(reader, "topic", name, "literal", "describe"))
        rules.add(AclRule(reader, "group", f"{reader}.", "prefixed", "read"))
    return principals, rules


# --------------------------------------------------------------------------------------------
# credentials of the principals


@dataclass(frozen=True)
class KafkaPrincipals:
    """Where the passwords of the managed principals live (one file each, mode 0600)."""

    folder: Path

    def credentials(self, principal: str) -> KafkaCredentials:
        """The credentials of ``principal`` (the file may not exist yet)."""
        return KafkaCredentials(principal, self.folder / f"{principal}.password")

    def ensure(self, principals: Iterable[str]) -> list[str]:
        """Generate the missing password files; return the principals that got one."""
        return [p for p in principals if write_password_file(self.credentials(p).password_file)]


# --------------------------------------------------------------------------------------------
# applying


def _admin_client(bootstrap: str, admin: KafkaCredentials | None) -> Any:
    from confluent_kafka.admin import AdminClient

    config: dict[str, Any] = {"bootstrap.servers": bootstrap, "socket.timeout.ms": 10000}
    if admin is not None:
        config.update(
            {
                "security.protocol": "SASL_PLAINTEXT",
                "sasl.mechanism": MECHANISM,
                "sasl.username": admin.username,
                "sasl.password": admin.password(),
            }
        )
    return AdminClient(config)


def _binding(rule: AclRule) -> Any:
    from confluent_kafka.admin import (
        AclBinding,
        AclOperation,
        AclPermissionType,
        ResourcePatternType,
        ResourceType,
    )

    return AclBinding(
        ResourceType[rule.resource.upper()],
        rule.name,
        ResourcePatternType[rule.pattern.upper()],
        f"User:{rule.principal}",
        "*",
        AclOperation[rule.operation.upper()],
        AclPermissionType.ALLOW,
    )


def _rule(binding: Any) -> AclRule | None:
    """The rule of an existing binding, or None if it is no plain ALLOW from any host."""
    if binding.permission_type.name != "ALLOW" or binding.host != "*":
        return None
    if not binding.principal.startswith("User:"):
        return None
    return AclRule(
        binding.principal.removeprefix("User:"),
        binding.restype.name.lower(),
        binding.name,
        binding.resource_pattern_type.name.lower(),
        binding.operation.name.lower(),
    )


def apply_acls(
    bootstrap: str,
    admin: KafkaCredentials | None,
    principals: Sequence[str],
    rules: set[AclRule],
    passwords: KafkaPrincipals,
    *,
    new_passwords: Iterable[str] = (),
    timeout: float = 30.0,
) -> list[AclChange]:
    """Make the cluster's SCRAM users and ACLs of ``principals`` match ``rules``.

    A principal without a SCRAM credential, or whose password file is new
    (``new_passwords``), gets one from its file. ACLs of the managed principals that are not
    declared are deleted; missing ones created. A second run reports only ``unchanged``.
    """
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import (
        AclBindingFilter,
        AclOperation,
        AclPermissionType,
        ResourcePatternType,
        ResourceType,
    )

    client = _admin_client(bootstrap, admin)
    try:
        changes = _ensure_users(client, principals, passwords, set(new_passwords), timeout)
    except KafkaException as exc:
        return [AclChange("cluster", "problem", f"cannot list SCRAM users: {exc}")]

    # ACLs
    anything: Any = None  # confluent-kafka's stubs type these as str; None matches any
    everything = AclBindingFilter(
        ResourceType.ANY,
        anything,
        ResourcePatternType.ANY,
        anything,
        anything,
        AclOperation.ANY,
        AclPermissionType.ANY,
    )
    try:
        bindings = client.describe_acls(everything).result(timeout)
    except KafkaException as exc:
        return [*changes, AclChange("cluster", "problem", f"cannot describe ACLs: {exc}")]
    managed = {f"User:{p}" for p in principals}
    current: set[AclRule] = set()
    strays: list[Any] = []
    for binding in bindings:
        if binding.principal not in managed:
            continue
        rule = _rule(binding)
        if rule is None or rule not in rules:
            strays.append(binding)
        else:
            current.add(rule)
    missing = sorted(rules - current)
    if missing:
        for binding, future in client.create_acls([_binding(r) for r in missing]).items():
            rule = _rule(binding)
            try:
                future.result(timeout)
            except KafkaException as exc:
                changes.append(AclChange(str(rule), "problem", f"cannot create: {exc}"))
            else:
                changes.append(AclChange(str(rule), "created"))
    if strays:
        filters = [
            AclBindingFilter(
                b.restype,
                b.name,
                b.resource_pattern_type,
                b.principal,
                b.host,
                b.operation,
                b.permission_type,
            )
            for b in strays
        ]
        for binding_filter, future in client.delete_acls(filters).items():
            try:
                future.result(timeout)
            except KafkaException as exc:
                changes.append(AclChange(str(binding_filter), "problem", f"cannot delete: {exc}"))
            else:
                rule = _rule(binding_filter)
                subject = str(rule) if rule else str(binding_filter)
                changes.append(AclChange(subject, "deleted", "not declared"))
    unchanged = len(current)
    if unchanged:
        changes.append(AclChange(f"{unchanged} ACL(s)", "unchanged"))
    return changes


def _ensure_users(
    client: Any,
    principals: Sequence[str],
    passwords: KafkaPrincipals,
    renew: set[str],
    timeout: float,
) -> list[AclChange]:
    """Give every principal without a SCRAM credential (or with a new password file) one."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import (
        ScramCredentialInfo,
        ScramMechanism,
        UserScramCredentialUpsertion,
    )

    changes: list[AclChange] = []
    existing_users = set(client.describe_user_scram_credentials().result(timeout))
    upserts = [
        UserScramCredentialUpsertion(
            p,
            ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192),
            passwords.credentials(p).password().encode(),
        )
        for p in principals
        if p not in existing_users or p in renew
    ]
    if upserts:
        for user, future in client.alter_user_scram_credentials(upserts).items():
            try:
                future.result(timeout)
            except KafkaException as exc:
                changes.append(AclChange(f"User:{user}", "problem", f"SCRAM: {exc}"))
            else:
                what = "password renewed" if user in existing_users else "SCRAM-SHA-512"
                changes.append(AclChange(f"User:{user}", "created-user", what))
    return changes
