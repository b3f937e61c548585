"""Checkpoint claims against the log: the first failing size names the suspect records,
a claim beyond the log names where the log ends, matching claims find nothing."""

from __future__ import annotations

from chengyu_contracts.invariants import Coordinates
from chengyu_contracts.merkle import leaf_hash, root
from chengyu_ops.audit.checkpoints import Claim, compare_with_log
from chengyu_ops.audit.partition_check import TreeAt

LEAVES = [leaf_hash(bytes([i])) for i in range(12)]
AT = Coordinates("audit.checkpoints", 0, 0)


def tree(size: int, leaves: list[bytes] = LEAVES) -> TreeAt:
    return TreeAt(size, root(leaves[:size]), size - 1)


def claim(size: int, leaves: list[bytes] = LEAVES) -> Claim:
    return Claim(size, root(leaves[:size]), AT, witnessed=True)


def test_claims_that_match_the_log_find_nothing() -> None:
    claims = [claim(4), claim(8), claim(12)]

    assert compare_with_log("t", 0, claims, [tree(4), tree(8), tree(12)], tree(12)) == []


def test_a_changed_record_is_named_between_the_last_good_and_the_first_bad_size() -> None:
    changed = list(LEAVES)
    changed[6] = leaf_hash(b"changed")
    log = [tree(4, changed), tree(8, changed), tree(12, changed)]

    findings = compare_with_log("t", 0, [claim(4), claim(8), claim(12)], log, tree(12, changed))

    assert [(f.kind, f.offset, f.last_offset) for f in findings] == [
        ("checkpoint-root-mismatch", 4, 7)
    ]


def test_a_claim_beyond_the_log_names_where_the_log_ends() -> None:
    findings = compare_with_log("t", 0, [claim(4), claim(12)], [tree(4)], tree(9))

    assert [(f.kind, f.offset) for f in findings] == [("log-shorter-than-checkpoint", 9)]
