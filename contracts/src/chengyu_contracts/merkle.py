"""Merkle trees of a log as RFC 9162 (Certificate Transparency 2.0, §2.1) defines them: the
tree hash of a list of entries, inclusion proofs (an entry is in the tree of a size) and
consistency proofs (a tree of one size is a prefix of a tree of a larger size), with their
verification. Pure: SHA-256 over bytes, nothing else.

What is hashed (RFC 9162 §2.1.1)::

    MTH({})      = SHA-256()
    leaf hash    = SHA-256(0x00 || entry)
    node hash    = SHA-256(0x01 || left || right)
    MTH(D[0:n])  = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two below n

The distinct prefixes of leaves and nodes keep a leaf from posing as an inner node (a
second-preimage attack on the tree). Auditors use this module through the checkpoints of
issue 12; the standalone verifier of an evidence bundle re-implements the same few lines
without importing the project.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = [
    "EMPTY_ROOT",
    "Frontier",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "root_from_inclusion",
    "verify_consistency",
    "verify_inclusion",
]

_LEAF = b"\x00"
_NODE = b"\x01"

#: The tree hash of the empty log.
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    """The hash of one entry as a leaf."""
    return hashlib.sha256(_LEAF + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an inner node over its two children's hashes."""
    return hashlib.sha256(_NODE + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (``n`` >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: Sequence[bytes]) -> bytes:
    """The tree hash of the leaf hashes ``leaves`` (RFC 9162 MTH, leaves already hashed)."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(root(leaves[:k]), root(leaves[k:]))


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``leaves`` (RFC 9162 §2.1.3.1)."""
    if not 0 <= index < len(leaves):
        raise ValueError(f"leaf {index} is not in a tree of {len(leaves)}")
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return [*inclusion_proof(leaves[:k], index), root(leaves[k:])]
    return [*inclusion_proof(leaves[k:], index - k), root(leaves[:k])]


def root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root the audit path ``proof`` of ``leaf`` at ``index`` in a tree of ``size``
    leads to (RFC 9162 §2.1.3.2); ``ValueError`` when the path cannot be one."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    fn, sn = index, size - 1
    current = leaf
    for sibling in proof:
        if sn == 0:
            raise ValueError("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            current = node_hash(sibling, current)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            current = node_hash(current, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("the inclusion proof is too short")
    return current


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], expected_root: bytes
) -> bool:
    """Whether ``proof`` shows ``leaf`` at ``index`` in the tree of ``size`` with
    ``expected_root``."""
    try:
        return root_from_inclusion(leaf, index, size, proof) == expected_root
    except ValueError:
        return False


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """The proof that the tree of the first ``old_size`` leaves is a prefix of the tree of
    ``leaves`` (RFC 9162 §2.1.4.1); empty when the sizes are equal or the old tree empty."""
    if not 0 <= old_size <= len(leaves):
        raise ValueError(f"a tree of {len(leaves)} has no prefix of {old_size}")
    if old_size in (0, len(leaves)):
        return []
    return _subproof(leaves, old_size, True)


def _subproof(leaves: Sequence[bytes], m: int, whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [root(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(leaves[:k], m, whole), root(leaves[k:])]
    return [*_subproof(leaves[k:], m - k, False), root(leaves[:k])]


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree of ``old_size`` with ``old_root`` to be a prefix of
    the tree of ``new_size`` with ``new_root`` (RFC 9162 §2.1.4.2)."""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof  # the empty tree is a prefix of every tree
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is a node of the path
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


class Frontier:
    """A log's tree grown one leaf at a time in O(log n) memory: the roots of its perfect
    subtrees, largest first (what a checkpointer keeps per partition between records)."""

    def __init__(self) -> None:
        self._size = 0
        # (height, hash) of each perfect subtree, from the left of the log.
        self._peaks: list[tuple[int, bytes]] = []

    @property
    def size(self) -> int:
        """How many leaves the tree has."""
        return self._size

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash at the end of the log."""
        height, current = 0, leaf
        while self._peaks and self._peaks[-1][0] == height:
            _, left = self._peaks.pop()
            current = node_hash(left, current)
            height += 1
        self._peaks.append((height, current))
        self._size += 1

    def root(self) -> bytes:
        """The tree hash of the leaves so far (RFC 9162 MTH)."""
        if not self._peaks:
            return EMPTY_ROOT
        current = self._peaks[-1][1]
        for _, left in reversed(self._peaks[:-1]):
            current = node_hash(left, current)
        return current
