"""The evidence bundle's standalone verifier reimplements a few of the project's rules
without importing it: these tests hold it to the project's own code, case by case."""

from __future__ import annotations

import ast
import hashlib
import json
import sys
from pathlib import Path

import pytest

from chengyu_contracts.canonical import signing_input
from chengyu_contracts.checkpoint import Checkpoint, add_signature, sign_note
from chengyu_contracts.encode import encode_event
from chengyu_contracts.events.medins import ContributionYearsAccrued
from chengyu_contracts.keys import KeyRegistry, SigningKey
from chengyu_contracts.log_record import LogRecord
from chengyu_contracts.merkle import inclusion_proof, leaf_hash, root
from chengyu_contracts.registry import REGISTRY
from chengyu_ops.audit import bundle_verifier as standalone

CQ_AUDIT = SigningKey.generate("cq-audit-1", "/cq/audit")
CD_AUDIT = SigningKey.generate("cd-audit-1", "/cd/audit")
CQ_MI = SigningKey.generate("cq-mi-1", "/cq/mi")
REGISTRY_JSON = KeyRegistry(k.public_entry() for k in (CQ_AUDIT, CD_AUDIT, CQ_MI)).to_json()
KEYS = {entry["key_id"]: entry for entry in json.loads(REGISTRY_JSON)["keys"]}

EVENTS = [
    {"a": 1, "b": [True, None, "x"], "c": {"z": -2, "y": "\u00e9\u91cd\u5e86"}},
    {"\u00e9": 'line\nbreak \u2028 tab\t quote" slash\\ ctl\u001f', "e": 0, "d": []},
    {"\U0001f600": 1, "\ufb01": 2, "a": 9007199254740991},  # UTF-16 order of the names
]


@pytest.mark.parametrize("event", EVENTS)
def test_the_canonical_form_signed_is_the_projects(event: dict[str, object]) -> None:
    assert standalone.signing_input(event) == signing_input(event)


def test_a_number_with_a_fraction_is_refused() -> None:
    with pytest.raises(standalone.Problem):
        standalone.signing_input({"a": 1.5})


@pytest.mark.parametrize(
    ("key", "value", "headers"),
    [
        (b"k", b"v", ()),
        (None, None, ()),
        (b"", b"{}", (("traceparent", b"00-x"), ("empty", None))),
    ],
)
def test_a_leaf_is_the_projects(
    key: bytes | None, value: bytes | None, headers: tuple[tuple[str, bytes | None], ...]
) -> None:
    record = LogRecord("medins.contribution", 3, 12345, 1_700_000_000_123, key, value, headers)
    mine = standalone.leaf_hash(
        "medins.contribution", 3, 12345, 1_700_000_000_123, key, value, list(headers)
    )
    assert mine == record.leaf()


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 21])
def test_every_inclusion_proof_gives_the_projects_root(size: int) -> None:
    leaves = [leaf_hash(bytes([i])) for i in range(size)]
    for index in range(size):
        proof = inclusion_proof(leaves, index)
        assert standalone.root_from_inclusion(leaves[index], index, size, proof) == root(leaves)


def test_a_proof_for_another_index_gives_another_root() -> None:
    leaves = [leaf_hash(bytes([i])) for i in range(8)]
    proof = inclusion_proof(leaves, 2)
    assert standalone.root_from_inclusion(leaves[3], 3, 8, proof) != root(leaves)


def test_an_event_the_project_signs_verifies_and_a_changed_one_does_not() -> None:
    data = ContributionYearsAccrued(
        period_id="p-1",
        person_ref="pr1_" + "ab" * 32,
        city="cq",
        start_month="2020-01",
        end_month="2020-12",
        kind="actual",
        version=1,
        cancelled=False,
    )
    envelope = encode_event(data, source="/cq/mi/insurance-years", key=CQ_MI, registry=REGISTRY)
    value = envelope.model_dump_json(exclude_none=True).encode()
    assert standalone.verify_event(value, KEYS)["id"] == envelope.id
    with pytest.raises(standalone.Problem, match="does not verify"):
        standalone.verify_event(value.replace(b"2020-12", b"2020-11"), KEYS)


def test_an_event_of_another_agencys_source_is_refused() -> None:
    data = ContributionYearsAccrued(
        period_id="p-1",
        person_ref="pr1_" + "ab" * 32,
        city="cq",
        start_month="2020-01",
        end_month="2020-12",
        kind="actual",
        version=1,
        cancelled=False,
    )
    envelope = encode_event(data, source="/cq/audit/x", key=CQ_AUDIT, registry=REGISTRY)
    value = envelope.model_dump_json(exclude_none=True).encode()
    with pytest.raises(standalone.Problem, match="may not sign"):
        standalone.verify_event(value.replace(b"/cq/audit/x", b"/cq/mi/x"), KEYS)


def note(*signers: SigningKey) -> str:
    body = Checkpoint("chengyu/log/t/0", 7, hashlib.sha256(b"r").digest()).body()
    signed = sign_note(body, signers[0].key_id, signers[0])
    for signer in signers[1:]:
        signed = add_signature(signed, signer.key_id, signer)
    return signed.text()


def test_a_note_both_checkpointers_signed_gives_its_size_and_root() -> None:
    size, tree_root = standalone.verify_note(note(CQ_AUDIT, CD_AUDIT), KEYS)
    assert (size, tree_root) == (7, hashlib.sha256(b"r").digest())


@pytest.mark.parametrize("signers", [(CQ_AUDIT,), (CQ_AUDIT, CQ_MI), (CD_AUDIT, CD_AUDIT)])
def test_a_note_without_both_cities_checkpointers_is_refused(
    signers: tuple[SigningKey, ...],
) -> None:
    with pytest.raises(standalone.Problem, match="both cities"):
        standalone.verify_note(note(*signers), KEYS)


def test_the_verifier_imports_only_the_standard_library_and_cryptography() -> None:
    tree = ast.parse(Path(standalone.__file__).read_text(encoding="utf-8"))
    imported = {
        str(node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported - {"cryptography", "__future__"} <= set(sys.stdlib_module_names)
    assert "cryptography" in imported
