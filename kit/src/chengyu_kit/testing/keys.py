"""Signing keys of two test agencies, written where services read them from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chengyu_contracts.keys import KeyRegistry, SigningKey

__all__ = ["KeyFiles", "write_key_files"]


@dataclass(frozen=True)
class KeyFiles:
    """Signing keys of two test agencies and the public registry of both."""

    cq_key: Path
    cd_key: Path
    registry: Path
    cq: SigningKey
    cd: SigningKey


def write_key_files(folder: Path, *, agency: str = "test") -> KeyFiles:
    """Generate keys for agencies ``/cq/<agency>`` and ``/cd/<agency>`` and write them (and
    the registry of both public keys) into ``folder`` as the services read them."""
    folder.mkdir(parents=True, exist_ok=True)
    cq = SigningKey.generate(f"cq-{agency}-1", f"/cq/{agency}")
    cd = SigningKey.generate(f"cd-{agency}-1", f"/cd/{agency}")
    cq.write_json_file(folder / "cq.json")
    cd.write_json_file(folder / "cd.json")
    KeyRegistry([cq.public_entry(), cd.public_entry()]).write_json_file(folder / "registry.json")
    return KeyFiles(folder / "cq.json", folder / "cd.json", folder / "registry.json", cq, cd)
