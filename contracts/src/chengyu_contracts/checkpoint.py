"""Checkpoints of a log and the signed notes that carry them, in the C2SP formats
(``tlog-checkpoint`` and ``signed-note``), with the project's Ed25519 keys. Pure.

A checkpoint's body::

    <origin>\\n
    <tree size, decimal>\\n
    <root hash, base64 (standard alphabet, padded)>\\n
    <extension line>\\n ...   (optional)

A signed note is the body, an empty line, and one signature line per signer::

    \\u2014 <signer name> <base64(key hash (4 bytes) || Ed25519 signature (64 bytes))>\\n

The key hash is the first 4 bytes of SHA-256(name || "\\n" || 0x01 || public key), as the
signed-note format defines it for Ed25519 keys. Each city's checkpointer signs its own
checkpoint; the other city's checkpointer, having recomputed the same root from its own
read of the log, adds its signature to the same body (a witness co-signature: the plain
note signature over the body, the documented equivalent of C2SP's cosignature/v1, which
also signs a timestamp).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from chengyu_contracts.ed25519 import PublicKey
from chengyu_contracts.keys import SigningKey

__all__ = [
    "Checkpoint",
    "NoteError",
    "SignedNote",
    "add_signature",
    "key_hash",
    "parse_note",
    "sign_note",
    "verified_signers",
]

_DASH = "\u2014"
_ORIGIN = re.compile(r"^[^\s\u2014][^\n]*$")
_SIGNATURE_LINE = re.compile(r"^\u2014 (\S+) ([A-Za-z0-9+/=]+)$")
_ED25519 = b"\x01"


class NoteError(ValueError):
    """A note or checkpoint that is not well formed: the sentence says where."""


@dataclass(frozen=True)
class Checkpoint:
    """The state of one log: who keeps it (``origin``), how many records, the tree hash."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not _ORIGIN.match(self.origin):
            raise NoteError("a checkpoint's origin is one non-empty line")
        if self.size < 0:
            raise NoteError("a tree size is never negative")
        if len(self.root_hash) != 32:
            raise NoteError("a root hash is 32 bytes (SHA-256)")
        if any(not line or "\n" in line for line in self.extensions):
            raise NoteError("an extension is one non-empty line")

    def body(self) -> str:
        """The checkpoint as the text a note signs."""
        lines = [
            self.origin,
            str(self.size),
            base64.b64encode(self.root_hash).decode(),
            *self.extensions,
        ]
        return "".join(f"{line}\n" for line in lines)

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        """The checkpoint a note's body states; :class:`NoteError` when it is malformed."""
        if not body.endswith("\n"):
            raise NoteError("a checkpoint ends with a newline")
        lines = body[:-1].split("\n")
        if len(lines) < 3:
            raise NoteError("a checkpoint has an origin, a size and a root hash")
        origin, size, root = lines[0], lines[1], lines[2]
        if not size.isdigit() or (size != "0" and size.startswith("0")):
            raise NoteError(f"the tree size {size[:20]!r} is not a decimal number")
        try:
            root_hash = base64.b64decode(root, validate=True)
        except binascii.Error:
            raise NoteError("the root hash is not base64") from None
        return cls(origin, int(size), root_hash, tuple(lines[3:]))


def key_hash(name: str, public_key: bytes) -> bytes:
    """The 4-byte hash naming an Ed25519 key in a signature line."""
    return hashlib.sha256(name.encode() + b"\n" + _ED25519 + public_key).digest()[:4]


@dataclass(frozen=True)
class SignedNote:
    """A note's body and its signature lines as (signer name, key hash, signature)."""

    body: str
    signatures: tuple[tuple[str, bytes, bytes], ...]

    def text(self) -> str:
        """The note as it is stored and published."""
        lines = "".join(
            f"{_DASH} {name} {base64.b64encode(hashed + sig).decode()}\n"
            for name, hashed, sig in self.signatures
        )
        return f"{self.body}\n{lines}"


def _check_name(name: str) -> None:
    if not name or any(ch.isspace() for ch in name) or "+" in name:
        raise NoteError("a signer's name is one word without spaces or '+'")


def sign_note(body: str, name: str, key: SigningKey) -> SignedNote:
    """``body`` signed by ``key`` under ``name``."""
    _check_name(name)
    if not body.endswith("\n"):
        raise NoteError("a note's body ends with a newline")
    signature = key.sign(body.encode())
    return SignedNote(body, ((name, key_hash(name, key.public_key_bytes()), signature),))


def add_signature(note: SignedNote, name: str, key: SigningKey) -> SignedNote:
    """``note`` with one more signature (a witness co-signing the same body)."""
    added = sign_note(note.body, name, key)
    return SignedNote(note.body, (*note.signatures, *added.signatures))


def parse_note(text: str) -> SignedNote:
    """A stored note's body and signature lines; :class:`NoteError` when malformed."""
    body, separator, block = text.rpartition("\n\n")
    if not separator or not block.endswith("\n"):
        raise NoteError("a note is a body, an empty line and signature lines")
    signatures: list[tuple[str, bytes, bytes]] = []
    for line in block[:-1].split("\n"):
        found = _SIGNATURE_LINE.match(line)
        if found is None:
            raise NoteError(f"not a signature line: {line[:40]!r}")
        try:
            raw = base64.b64decode(found.group(2), validate=True)
        except binascii.Error:
            raise NoteError("a signature is not base64") from None
        if len(raw) != 4 + 64:
            raise NoteError("an Ed25519 signature line holds 4 + 64 bytes")
        signatures.append((found.group(1), raw[:4], raw[4:]))
    return SignedNote(body + "\n", tuple(signatures))


def verified_signers(note: SignedNote, keys: Mapping[str, bytes]) -> frozenset[str]:
    """The names among ``keys`` (name -> Ed25519 public key) whose signature of the note's
    body is valid; a signature by an unknown name or key hash is ignored, never trusted."""
    valid: set[str] = set()
    for name, hashed, signature in note.signatures:
        public = keys.get(name)
        if public is None or key_hash(name, public) != hashed:
            continue
        if PublicKey(public).verify(signature, note.body.encode()):
            valid.add(name)
    return frozenset(valid)
