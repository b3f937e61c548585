"""Verify a Chengyu evidence bundle, offline: ``python verify.py bundle.zip``.

This file stands alone: it imports only the Python standard library and the
``cryptography`` package (``pip install cryptography``), nothing of the Chengyu project, so
a third party can read all of it. It is copied into every bundle as ``verify.py``; when the
bundle's sender is not trusted, use a copy of this file obtained another way.

It prints ``valid`` and exits 0, or prints the first problem and exits 1. It checks:

1. the bundle's members: exactly those the manifest lists, each with the SHA-256 the
   manifest gives, and the manifest written exactly as the bundler writes it (so a byte
   changed anywhere in any member is found: in the manifest by the checks below or its
   form, elsewhere by its digest);
2. every record: the event's Ed25519 signature over ``chengyu-event-sig-v1\\n`` + the RFC
   8785 canonical JSON of the event without ``chengyusig``, by a key of the bundled key
   registry whose agency covers the event's source and which was valid at the event's
   time; its type and time as the manifest states them; that it is of the case or person
   asked for;
3. every checkpoint note: signed by a checkpointer key of each city (agency ``/cq/audit``
   and ``/cd/audit`` in the registry), so both cities vouch for its size and root, which
   the manifest states;
4. every record's inclusion: its leaf, ``SHA-256(0x00 || record framed with its
   coordinates)``, and the RFC 9162 inclusion proof give its checkpoint's root.

What a bundle cannot prove: that it holds *every* record of the case (completeness), only
that each record it holds is on the log, as signed, where it says. The zip container's own
metadata (file dates) is not evidence.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import struct
import sys
import zipfile
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = "chengyu-evidence/v1"
SIGNATURE_CONTEXT = b"chengyu-event-sig-v1\n"
RECORD_LABEL = b"chengyu-log-record/v1"
_ABSENT = 0xFFFFFFFF
_MAX_EXACT_INTEGER = 2**53 - 1


class Problem(Exception):
    """The first thing wrong with the bundle."""


# ---- RFC 8785 canonical JSON -----------------------------------------------------------


def _canonical(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int):
        if abs(value) > _MAX_EXACT_INTEGER:
            raise Problem("an event holds an integer RFC 8785 cannot represent exactly")
        return str(value)
    if isinstance(value, float):
        raise Problem("an event holds a number with a fraction, which events never carry")
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(_canonical(item) for item in value) + "]"
    if isinstance(value, dict):
        # RFC 8785 orders members by the UTF-16 code units of their names.
        names = sorted(value, key=lambda name: name.encode("utf-16-be"))
        members = (
            json.dumps(name, ensure_ascii=False) + ":" + _canonical(value[name]) for name in names
        )
        return "{" + ",".join(members) + "}"
    raise Problem(f"an event holds a value JSON does not have: {type(value).__name__}")


def signing_input(event: dict[str, Any]) -> bytes:
    """What an event's signature covers."""
    unsigned = {name: item for name, item in event.items() if name != "chengyusig"}
    try:
        return SIGNATURE_CONTEXT + _canonical(unsigned).encode("utf-8")
    except UnicodeEncodeError:
        raise Problem("an event holds a lone surrogate") from None


# ---- keys ------------------------------------------------------------------------------


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _covers(agency: str, source: str) -> bool:
    agency_parts = agency.strip("/").split("/")
    return (
        source.startswith("/") and source.strip("/").split("/")[: len(agency_parts)] == agency_parts
    )


def _valid_at(entry: dict[str, Any], at: datetime) -> bool:
    if entry.get("not_before") and at < _instant(entry["not_before"]):
        return False
    return not (entry.get("not_after") and at > _instant(entry["not_after"]))


def _public_key(entry: dict[str, Any]) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(entry["public_key"]))


def _verifies(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def verify_event(value: bytes, keys: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The event a record's value holds, if its signature holds; else :class:`Problem`."""
    try:
        event = json.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise Problem("the value is not JSON") from None
    if not isinstance(event, dict):
        raise Problem("the value is not a JSON object")
    fields = [event.get(name) for name in ("chengyukeyid", "chengyusig", "source", "time")]
    if not all(isinstance(item, str) for item in fields):
        raise Problem("the event lacks its key id, signature, source or time")
    key_id, signature, source, time = (str(item) for item in fields)
    entry = keys.get(key_id)
    if entry is None:
        raise Problem(f"the event is signed by key {key_id!r}, which the registry does not hold")
    if not _covers(entry["agency"], source):
        raise Problem(f"key {key_id!r} of {entry['agency']} may not sign for {source}")
    if not _valid_at(entry, _instant(time)):
        raise Problem(f"key {key_id!r} was not valid at the event's time {time}")
    try:
        raw = base64.urlsafe_b64decode(signature + "==")
    except (binascii.Error, ValueError):
        raise Problem("the event's signature is not base64url") from None
    if not _verifies(_public_key(entry), raw, signing_input(event)):
        raise Problem(f"the event's signature does not verify with key {key_id!r}")
    return event


# ---- log records and Merkle proofs -----------------------------------------------------


def _field(value: bytes | None) -> bytes:
    if value is None:
        return struct.pack(">I", _ABSENT)
    return struct.pack(">I", len(value)) + value


def leaf_hash(
    topic: str,
    partition: int,
    offset: int,
    timestamp_ms: int,
    key: bytes | None,
    value: bytes | None,
    headers: list[tuple[str, bytes | None]],
) -> bytes:
    """The record's leaf in its partition's tree (RFC 9162: 0x00 || framed record)."""
    parts = [
        _field(RECORD_LABEL),
        _field(topic.encode()),
        struct.pack(">IQq", partition, offset, timestamp_ms),
        _field(key),
        _field(value),
        struct.pack(">I", len(headers)),
    ]
    for name, header_value in headers:
        parts += [_field(name.encode()), _field(header_value)]
    return hashlib.sha256(b"\x00" + b"".join(parts)).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes]) -> bytes:
    """The root an inclusion proof gives (RFC 9162 2.1.3.2)."""
    if index >= size:
        raise Problem("an inclusion proof names an index beyond its tree")
    fn, sn, current = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            raise Problem("an inclusion proof is longer than its tree allows")
        if fn % 2 == 1 or fn == sn:
            current = _node(sibling, current)
            while fn % 2 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            current = _node(current, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise Problem("an inclusion proof is shorter than its tree needs")
    return current


# ---- checkpoint notes ------------------------------------------------------------------


def _note_signers(note: str) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    body, separator, block = note.rpartition("\n\n")
    if not separator or not block.endswith("\n"):
        raise Problem("a checkpoint note is not a body and signature lines")
    signatures = []
    for line in block[:-1].split("\n"):
        dash, _, rest = line.partition(" ")
        name, _, encoded = rest.partition(" ")
        if dash != "\u2014" or not name or not encoded:
            raise Problem("a checkpoint note has a malformed signature line")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise Problem("a checkpoint note's signature is not base64") from None
        if len(raw) != 68:
            raise Problem("a checkpoint note's signature is not 4 + 64 bytes")
        signatures.append((name, raw[:4], raw[4:]))
    return body + "\n", signatures


def verify_note(note: str, keys: dict[str, dict[str, Any]]) -> tuple[int, bytes]:
    """The size and root of a checkpoint both cities' checkpointers signed."""
    body, signatures = _note_signers(note)
    cities: set[str] = set()
    for name, hashed, signature in signatures:
        entry = keys.get(name)
        if entry is None:
            continue
        raw_key = base64.b64decode(entry["public_key"])
        if hashlib.sha256(name.encode() + b"\n\x01" + raw_key).digest()[:4] != hashed:
            continue
        agency = entry["agency"]
        for city in ("cq", "cd"):
            checkpointer = _covers(agency, f"/{city}/audit/checkpointer") and agency.startswith(
                f"/{city}/audit"
            )
            if checkpointer and _verifies(_public_key(entry), signature, body.encode()):
                cities.add(city)
    if cities != {"cq", "cd"}:
        raise Problem("a checkpoint note is not signed by both cities' checkpointers")
    lines = body[:-1].split("\n")
    if len(lines) < 3 or not lines[1].isdigit():
        raise Problem("a checkpoint note's body is not a checkpoint")
    try:
        return int(lines[1]), base64.b64decode(lines[2], validate=True)
    except binascii.Error:
        raise Problem("a checkpoint's root is not base64") from None


# ---- the bundle ------------------------------------------------------------------------


def _b64(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text, validate=True)


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The manifest exactly as the bundler writes it."""
    return (json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()


def _read(path: str) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(path) as bundle:
            damaged = bundle.testzip()
            if damaged is not None:
                raise Problem(f"the bundle is damaged: {damaged} fails its checksum")
            return {name: bundle.read(name) for name in bundle.namelist()}
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise Problem(f"the bundle cannot be read: {error}") from None


def _of_the_case(event: dict[str, Any], asked: dict[str, Any]) -> bool:
    data = event.get("data")
    if not isinstance(data, dict):
        return False
    if "case" in asked:
        return any(
            value == asked["case"] for name, value in data.items() if name.endswith(("_id", "_ref"))
        )
    return any(data.get(name) == asked.get("person_ref") for name in ("person_ref", "caller_ref"))


def verify_bundle(path: str) -> int:
    """Check the bundle at ``path``; the number of records proved, or :class:`Problem` at
    the first fault."""
    files = _read(path)
    try:
        raw_manifest = files.pop("manifest.json")
        manifest = json.loads(raw_manifest)
    except (KeyError, UnicodeDecodeError, json.JSONDecodeError):
        raise Problem("the manifest is missing or not JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise Problem(f"the bundle is not {FORMAT}")
    if manifest_bytes(manifest) != raw_manifest:
        raise Problem("the manifest is not as the bundler wrote it")
    try:
        return _verify(manifest, files)
    except (KeyError, TypeError, ValueError, AttributeError, binascii.Error) as error:
        raise Problem(f"the manifest is malformed ({type(error).__name__}: {error})") from None


def _verify(manifest: dict[str, Any], files: dict[str, bytes]) -> int:
    members = manifest["members"]
    if set(members) != set(files):
        raise Problem("the bundle's members are not those its manifest lists")
    for name, digest in members.items():
        if hashlib.sha256(files[name]).hexdigest() != digest:
            raise Problem(f"{name} is not the file the manifest lists (SHA-256 differs)")
    registry = json.loads(files["keys.json"])
    keys = {entry["key_id"]: entry for entry in registry["keys"]}
    checkpoints: dict[str, tuple[int, bytes]] = {}
    for name, entry in manifest["checkpoints"].items():
        size, root = verify_note(files[entry["note"]].decode(), keys)
        if (size, root) != (entry["size"], base64.b64decode(entry["root"], validate=True)):
            raise Problem(f"checkpoint {name}: the manifest states another size or root")
        checkpoints[name] = (size, root)
    if not manifest["records"]:
        raise Problem("the bundle holds no record")
    for number, record in enumerate(manifest["records"], start=1):
        where = f"record {number} ({record['topic']}/{record['partition']}@{record['offset']})"
        try:
            _verify_record(record, files, keys, checkpoints, manifest["asked"])
        except Problem as problem:
            raise Problem(f"{where}: {problem}") from None
    return len(manifest["records"])


def _verify_record(
    record: dict[str, Any],
    files: dict[str, bytes],
    keys: dict[str, dict[str, Any]],
    checkpoints: dict[str, tuple[int, bytes]],
    asked: dict[str, Any],
) -> None:
    value = files[record["value"]]
    event = verify_event(value, keys)
    if (event.get("type"), event.get("time")) != (record["type"], record["time"]):
        raise Problem("the manifest states another type or time than the signed event")
    if not _of_the_case(event, asked):
        raise Problem("the event is not of the case or person the bundle was made for")
    leaf = leaf_hash(
        record["topic"],
        record["partition"],
        record["offset"],
        record["timestamp_ms"],
        _b64(record["key"]),
        value,
        [(name, _b64(data)) for name, data in record["headers"]],
    )
    proof = record["inclusion"]
    size, root = checkpoints[proof["checkpoint"]]
    path = [base64.b64decode(item, validate=True) for item in proof["path"]]
    if root_from_inclusion(leaf, proof["index"], size, path) != root:
        raise Problem("its inclusion proof does not give the checkpoint's root")


def main(argv: list[str]) -> int:
    """``verify.py bundle.zip``: print ``valid`` or the first problem."""
    if len(argv) != 2:
        print("usage: python verify.py bundle.zip", file=sys.stderr)
        return 2
    try:
        records = verify_bundle(argv[1])
    except Problem as problem:
        print(f"invalid: {problem}")
        return 1
    print(f"valid ({records} records, each signed and included in a checkpoint both cities signed)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
