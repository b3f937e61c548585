"""RFC 9162 Merkle trees: tree hashes against the definition and the reference vectors,
inclusion and consistency proofs that verify for every size and position and fail when a
leaf, a root or the path is changed, and the incremental frontier equal to the whole tree.

(A proof does not bind the tree size by itself: a checkpoint signs the size with the root,
as a signed tree head does.)"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chengyu_contracts.merkle import (
    EMPTY_ROOT,
    Frontier,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

# The entries of the reference implementation's tests (certificate-transparency, RFC 6962).
REFERENCE_ENTRIES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
REFERENCE_ROOTS = {
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}


def leaves_of(count: int) -> list[bytes]:
    return [leaf_hash(f"record {i}".encode()) for i in range(count)]


def by_definition(entries: list[bytes]) -> bytes:
    """MTH written straight from RFC 9162 §2.1.1, over the entries themselves."""
    n = len(entries)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    left, right = by_definition(entries[:k]), by_definition(entries[k:])
    return hashlib.sha256(b"\x01" + left + right).digest()


def test_the_empty_log_hashes_to_the_hash_of_nothing() -> None:
    assert root([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()


@pytest.mark.parametrize("size", sorted(REFERENCE_ROOTS))
def test_the_tree_hash_of_the_reference_entries(size: int) -> None:
    leaves = [leaf_hash(e) for e in REFERENCE_ENTRIES[:size]]
    assert root(leaves).hex() == REFERENCE_ROOTS[size]


@given(st.lists(st.binary(max_size=8), max_size=40))
def test_the_tree_hash_is_the_rfcs_definition(entries: list[bytes]) -> None:
    assert root([leaf_hash(e) for e in entries]) == by_definition(entries)


def test_a_leaf_cannot_pose_as_an_inner_node() -> None:
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    assert root([a, b]) != leaf_hash(a + b)
    assert node_hash(a, b) != leaf_hash(b"\x01" + a + b)


@given(st.integers(0, 70))
def test_the_frontier_grown_a_leaf_at_a_time_has_the_trees_root(size: int) -> None:
    leaves = leaves_of(size)
    frontier = Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    assert (frontier.size, frontier.root()) == (size, root(leaves))


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 33])
def test_every_leaf_has_an_inclusion_proof_that_verifies(size: int) -> None:
    leaves = leaves_of(size)
    head = root(leaves)
    for index, leaf in enumerate(leaves):
        proof = inclusion_proof(leaves, index)
        assert verify_inclusion(leaf, index, size, proof, head), (size, index)


@given(st.integers(2, 40), st.data())
def test_an_inclusion_proof_fails_for_another_leaf_place_or_path(
    size: int, data: st.DataObject
) -> None:
    leaves = leaves_of(size)
    head = root(leaves)
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(leaves, index)
    other = (index + 1) % size
    assert not verify_inclusion(leaf_hash(b"forged"), index, size, proof, head)
    assert not verify_inclusion(leaves[index], other, size, proof, head)
    assert not verify_inclusion(leaves[index], index, size, proof[:-1], head)
    assert not verify_inclusion(leaves[index], index, size, [*proof, head], head)
    flipped = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
    assert not verify_inclusion(leaves[index], index, size, flipped, head)


@pytest.mark.parametrize("new_size", [1, 2, 3, 4, 7, 8, 9, 16, 21])
def test_every_prefix_has_a_consistency_proof_that_verifies(new_size: int) -> None:
    leaves = leaves_of(new_size)
    new_root = root(leaves)
    for old_size in range(new_size + 1):
        proof = consistency_proof(leaves, old_size)
        old_root = root(leaves[:old_size])
        assert verify_consistency(old_size, new_size, old_root, new_root, proof), old_size


@given(st.integers(2, 40), st.data())
def test_a_consistency_proof_fails_for_a_rewritten_history(
    new_size: int, data: st.DataObject
) -> None:
    leaves = leaves_of(new_size)
    old_size = data.draw(st.integers(1, new_size - 1))
    proof = consistency_proof(leaves, old_size)
    old_root, new_root = root(leaves[:old_size]), root(leaves)
    # One record of the old tree changed: its root no longer fits the new tree.
    changed = list(leaves[:old_size])
    changed[data.draw(st.integers(0, old_size - 1))] = leaf_hash(b"rewritten")
    assert not verify_consistency(old_size, new_size, root(changed), new_root, proof)
    assert not verify_consistency(old_size, new_size, old_root, leaf_hash(b"x"), proof)
    assert not verify_consistency(old_size, new_size, old_root, new_root, proof[:-1])


def test_a_log_cannot_shrink() -> None:
    leaves = leaves_of(5)
    assert not verify_consistency(5, 4, root(leaves), root(leaves[:4]), [])
    with pytest.raises(ValueError):
        consistency_proof(leaves[:4], 5)
