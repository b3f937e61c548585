"""Ed25519 signing keys of issuing agencies and the registry of their public keys."""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chengyu_contracts.ed25519 import PrivateKey, PublicKey
from chengyu_contracts.errors import UnknownKeyId
from chengyu_contracts.timefmt import parse_rfc3339

__all__ = ["KeyRegistry", "PublicKeyEntry", "SigningKey", "UnknownKeyId", "agency_may_sign"]

KEY_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
# An agency is /<city>/<agency>, optionally narrowed to one service: /<city>/<agency>/<service>.
AGENCY_PATTERN = r"^/(cq|cd)(/[a-z0-9-]+){1,2}$"
_KEY_ID_RE = re.compile(KEY_ID_PATTERN)
_AGENCY_RE = re.compile(AGENCY_PATTERN)
_SEED_BYTES = 32


def agency_may_sign(agency: str, source: str) -> bool:
    """True if ``agency``'s path segments are a prefix of ``source``'s.

    Segment-wise, so ``/cq/hpf`` covers ``/cq/hpf/fund-transfer`` but not ``/cq/hpfx/x``.
    """
    agency_parts = agency.strip("/").split("/")
    source_parts = source.strip("/").split("/")
    return source.startswith("/") and source_parts[: len(agency_parts)] == agency_parts


def _check_identity(key_id: str, agency: str) -> None:
    if not _KEY_ID_RE.match(key_id):
        raise ValueError("key_id must be 1-128 characters of letters, digits and . _ : -")
    if not _AGENCY_RE.match(agency):
        raise ValueError("agency must look like /cq/<agency> or /cd/<agency>[/<service>]")


class SigningKey:
    """An agency's Ed25519 private key, named by ``key_id``.

    Stored as a small JSON file ``{"key_id", "agency", "private_key"}`` where
    ``private_key`` is the base64 of the 32-byte Ed25519 seed. ``repr`` never shows it.
    """

    __slots__ = ("_private", "agency", "key_id")

    def __init__(self, key_id: str, agency: str, private_key: PrivateKey) -> None:
        _check_identity(key_id, agency)
        self.key_id = key_id
        self.agency = agency
        self._private = private_key

    @classmethod
    def generate(cls, key_id: str, agency: str) -> SigningKey:
        """A new random key."""
        return cls(key_id, agency, PrivateKey.generate())

    @classmethod
    def from_seed(cls, key_id: str, agency: str, seed: bytes) -> SigningKey:
        """The key derived from a 32-byte Ed25519 seed (test vectors, key files)."""
        if len(seed) != _SEED_BYTES:
            raise ValueError("an Ed25519 seed is exactly 32 bytes")
        return cls(key_id, agency, PrivateKey(seed))

    def seed(self) -> bytes:
        """The 32-byte private seed. Handle with care."""
        return self._private.seed()

    def public_key_bytes(self) -> bytes:
        """The 32 raw bytes of the public key."""
        return self._private.public_bytes()

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message``."""
        return self._private.sign(message)

    def public_entry(
        self, *, not_before: str | None = None, not_after: str | None = None
    ) -> PublicKeyEntry:
        """The registry entry that lets consumers verify this key's signatures."""
        return PublicKeyEntry(
            key_id=self.key_id,
            agency=self.agency,
            public_key=base64.b64encode(self.public_key_bytes()).decode("ascii"),
            not_before=not_before,
            not_after=not_after,
        )

    def to_json(self) -> str:
        """The key file content (contains the secret seed)."""
        seed = base64.b64encode(self.seed()).decode("ascii")
        return json.dumps({"key_id": self.key_id, "agency": self.agency, "private_key": seed})

    @classmethod
    def from_json(cls, text: str) -> SigningKey:
        """Read a key file's content; ``ValueError`` if it is malformed."""
        try:
            obj = json.loads(text)
            seed = base64.b64decode(obj["private_key"], validate=True)
            return cls.from_seed(str(obj["key_id"]), str(obj["agency"]), seed)
        except (ValueError, KeyError, TypeError, binascii.Error):
            # Never chain the parsing error: it could quote the secret.
            raise ValueError("malformed signing key file") from None

    def write_json_file(self, path: Path) -> None:
        """Write the key file readable by its owner only."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(self.to_json() + "\n")

    @classmethod
    def from_json_file(cls, path: Path) -> SigningKey:
        """Read a key file written by :meth:`write_json_file`."""
        return cls.from_json(path.read_text(encoding="utf-8"))

    def __repr__(self) -> str:
        return f"SigningKey(key_id={self.key_id!r}, agency={self.agency!r})"


class PublicKeyEntry(BaseModel):
    """One public key: who owns it, what it may sign for, and when it is valid.

    ``not_before``/``not_after`` (RFC 3339, optional, inclusive) are compared with the
    event's own ``time`` so that old events still verify after a key is retired.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    key_id: str = Field(pattern=KEY_ID_PATTERN)
    agency: str = Field(pattern=AGENCY_PATTERN)
    public_key: str
    not_before: str | None = None
    not_after: str | None = None

    @field_validator("public_key")
    @classmethod
    def _is_32_raw_bytes(cls, value: str) -> str:
        try:
            raw = base64.b64decode(value, validate=True)
        except binascii.Error as exc:
            raise ValueError("public_key must be standard base64") from exc
        if len(raw) != 32:
            raise ValueError("public_key must encode exactly 32 bytes")
        return value

    @field_validator("not_before", "not_after")
    @classmethod
    def _is_rfc3339(cls, value: str | None) -> str | None:
        if value is not None:
            parse_rfc3339(value)
        return value

    @model_validator(mode="after")
    def _window_is_ordered(self) -> PublicKeyEntry:
        if (
            self.not_before is not None
            and self.not_after is not None
            and parse_rfc3339(self.not_before) > parse_rfc3339(self.not_after)
        ):
            raise ValueError("not_before is after not_after")
        return self

    def valid_at(self, instant: datetime) -> bool:
        """True if ``instant`` lies inside the validity window (open ends allowed)."""
        if self.not_before is not None and instant < parse_rfc3339(self.not_before):
            return False
        return not (self.not_after is not None and instant > parse_rfc3339(self.not_after))

    def has_window(self) -> bool:
        """True if either end of the validity window is set."""
        return self.not_before is not None or self.not_after is not None

    def ed25519(self) -> PublicKey:
        """The public key object."""
        return PublicKey(base64.b64decode(self.public_key))


class KeyRegistry:
    """Immutable set of public keys by key id; safe to share between threads.

    File format: ``{"keys": [PublicKeyEntry, ...]}``.
    """

    __slots__ = ("_entries", "_public")

    def __init__(self, entries: Iterable[PublicKeyEntry] = ()) -> None:
        by_id: dict[str, PublicKeyEntry] = {}
        for entry in entries:
            if entry.key_id in by_id:
                raise ValueError(f"key id {entry.key_id!r} appears twice")
            by_id[entry.key_id] = entry
        self._entries = by_id
        # Parsed once here so verification threads only read.
        self._public = {key_id: entry.ed25519() for key_id, entry in by_id.items()}

    def get(self, key_id: str) -> PublicKeyEntry:
        """The entry for ``key_id``; ``UnknownKeyId`` if there is none."""
        try:
            return self._entries[key_id]
        except KeyError:
            raise UnknownKeyId(key_id) from None

    def public_key(self, key_id: str) -> PublicKey:
        """The parsed public key for ``key_id``; ``UnknownKeyId`` if there is none."""
        try:
            return self._public[key_id]
        except KeyError:
            raise UnknownKeyId(key_id) from None

    def entries(self) -> list[PublicKeyEntry]:
        """All entries sorted by key id."""
        return [self._entries[key_id] for key_id in sorted(self._entries)]

    def with_entry(self, entry: PublicKeyEntry) -> KeyRegistry:
        """A new registry with ``entry`` added."""
        return KeyRegistry([*self._entries.values(), entry])

    def __iter__(self) -> Iterator[PublicKeyEntry]:
        return iter(self.entries())

    def __len__(self) -> int:
        return len(self._entries)

    def to_json(self) -> str:
        """The registry file content (sorted, 2-space indent, trailing newline)."""
        doc: dict[str, Any] = {
            "keys": [entry.model_dump(exclude_none=True) for entry in self.entries()]
        }
        return json.dumps(doc, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> KeyRegistry:
        """Parse registry file content; ``ValueError`` if malformed."""
        doc = json.loads(text)
        if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
            raise ValueError('key registry must be an object {"keys": [...]}')
        return cls(PublicKeyEntry.model_validate(item) for item in doc["keys"])

    @classmethod
    def from_json_file(cls, path: Path) -> KeyRegistry:
        """Read a registry file."""
        return cls.from_json(path.read_text(encoding="utf-8"))

    def write_json_file(self, path: Path) -> None:
        """Write the registry file."""
        path.write_text(self.to_json(), encoding="utf-8")
