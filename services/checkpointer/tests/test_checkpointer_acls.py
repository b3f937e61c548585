"""The deployed ACLs let each city's checkpointer read exactly what it logs and write the
checkpoints."""

from __future__ import annotations

from pathlib import Path

from chengyu_checkpointer.service import logged_topics
from chengyu_contracts.events.audit import CHECKPOINT_TOPIC
from chengyu_ops.acls import load_acls_file

ACLS = Path(__file__).resolve().parents[3] / "deploy" / "acls.yaml"


def test_the_audit_agency_reads_every_logged_topic_and_the_checkpoints() -> None:
    rules = load_acls_file(ACLS).agencies["audit"]
    assert set(rules.reads) == {*logged_topics(), CHECKPOINT_TOPIC}


def test_only_the_audit_agency_writes_the_checkpoints() -> None:
    agencies = load_acls_file(ACLS).agencies
    writers = {
        name
        for name, rules in agencies.items()
        if any(CHECKPOINT_TOPIC.startswith(prefix) for prefix in rules.writes)
    }
    assert writers == {"audit"}
