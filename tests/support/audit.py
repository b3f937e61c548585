"""The cross-city invariants of every service, checked on what a scenario left on its bus."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from chengyu_contracts.decode import EventRejected, decode_event
from chengyu_contracts.invariants import Coordinates, LoggedEvent, Violation
from chengyu_contracts.keys import KeyRegistry
from chengyu_contracts.registry import REGISTRY
from chengyu_kit.local.kafka import admin_credentials_for
from chengyu_ops.audit.invariants import check_invariants, load_invariants, service_packages
from chengyu_ops.audit.verify import AuditOptions, audit_log
from tests.conftest import PROJECT_ROOT
from tests.support.kafka_io import read_all


async def logged_events(bootstrap: str, topics: list[str], keys: KeyRegistry) -> list[LoggedEvent]:
    """Every record of ``topics`` that verifies, as the audit replays it (rejected records
    are the verifier's business, not the invariants')."""
    events: list[LoggedEvent] = []
    for topic in topics:
        for record in await read_all(bootstrap, topic):
            try:
                event = decode_event(record.value, record.key, REGISTRY, keys)
            except EventRejected:
                continue
            at = Coordinates(record.topic, record.partition, record.offset)
            events.append(LoggedEvent(at=at, envelope=event.envelope, data=event.data))
    return events


async def invariant_violations(
    bootstrap: str, topics: list[str], keys: KeyRegistry, now: datetime
) -> list[Violation]:
    """Every service's invariants over the verified events of ``topics``, as of ``now``."""
    invariants = load_invariants(service_packages(PROJECT_ROOT))
    return check_invariants(invariants, await logged_events(bootstrap, topics, keys), now)


def domain_topics(domain: str) -> list[str]:
    """The topics of one domain (``fund``, ``blood``, ...), from the contracts."""
    return [topic for topic in REGISTRY.topics() if topic.startswith(f"{domain}.")]


async def audit_findings(bootstrap: str, keys_file: Path, topics: Sequence[str]) -> list[str]:
    """``chengyu audit verify`` over ``topics`` of the scenario's cluster, as the auditor
    runs it (every record verified, offsets, repeated ids, every service's invariants as of
    now): each finding as one line, so a failing assertion shows them."""
    result = await audit_log(
        bootstrap,
        admin_credentials_for(bootstrap),
        KeyRegistry.from_json_file(keys_file),
        AuditOptions(topics=tuple(topics), processes=1, project_root=PROJECT_ROOT),
        now=lambda: datetime.now(UTC),
    )
    assert result.records > 0, "the audit read nothing"
    return [f"{finding.where()} {finding.kind}: {finding.message}" for finding in result.findings]
