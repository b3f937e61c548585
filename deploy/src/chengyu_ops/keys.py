"""The local stack's keys: one Ed25519 signing key per city and agency, the public key
registry of all of them, and the inter-city person_ref key.

Production keys are issued by each agency and distributed out of band; these files
exist so that ``make up`` and the tests run with real signatures end to end.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from chengyu_contracts.cities import CITIES
from chengyu_contracts.keys import KeyRegistry, SigningKey

#: Issuing agencies of the action plan's services: provident-fund centre, medical
#: insurance bureau, civil-affairs bureau, blood centre, HR and social-security bureau.
AGENCIES = ("hpf", "mi", "ca", "blood", "hr")


@dataclass(frozen=True)
class LocalKeys:
    """Where the local stack's key files are."""

    folder: Path

    def signing_key_file(self, city: str, agency: str) -> Path:
        """Private key file of ``agency`` in ``city``."""
        return self.folder / f"{city}-{agency}.json"

    @property
    def registry_file(self) -> Path:
        """Public keys of every agency."""
        return self.folder / "registry.json"

    @property
    def person_ref_key_file(self) -> Path:
        """Hex of the inter-city HMAC key for person_ref."""
        return self.folder / "person-ref.key"

    def person_ref_key_hex(self) -> str:
        """The person_ref key as the services' ``PERSON_REF_KEY`` expects it."""
        return self.person_ref_key_file.read_text().strip()


def ensure_local_keys(
    folder: Path, *, rotate: bool = False, agencies: Iterable[str] = ()
) -> tuple[LocalKeys, list[str]]:
    """Create missing keys (all of them with ``rotate``) of the known agencies and of
    ``agencies`` (those of the services found in the workspace); return the keys and
    what was made.

    A rotated key gets a new key id; the old public key stays in the registry so events
    signed before the rotation still verify when replayed.
    """
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    keys = LocalKeys(folder)
    made: list[str] = []
    registry = (
        KeyRegistry.from_json_file(keys.registry_file)
        if keys.registry_file.exists()
        else KeyRegistry()
    )
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    for city in CITIES:
        for agency in sorted({*AGENCIES, *agencies}):
            path = keys.signing_key_file(city, agency)
            if path.exists() and not rotate:
                key = SigningKey.from_json_file(path)
            else:
                key = SigningKey.generate(f"{city}-{agency}-{stamp}", f"/{city}/{agency}")
                key.write_json_file(path)
                made.append(key.key_id)
            if key.key_id not in {entry.key_id for entry in registry.entries()}:
                registry = registry.with_entry(key.public_entry())
    registry.write_json_file(keys.registry_file)
    if not keys.person_ref_key_file.exists():
        keys.person_ref_key_file.write_text(secrets.token_hex(32) + "\n")
        keys.person_ref_key_file.chmod(0o600)
        made.append("person-ref key")
    return keys, made
