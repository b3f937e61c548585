"""Both cities' checkpointer processes on a real Kafka and PostgreSQL, and what the tests
ask them (their read of a log, their checkpoints, disputes, readiness)."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import httpx

from chengyu_checkpointer.settings import CheckpointerSettings
from chengyu_contracts.cities import CITIES, City
from chengyu_contracts.keys import KeyRegistry, SigningKey
from chengyu_kit.local.kafka import free_port_block
from chengyu_kit.local.postgres import LocalPostgres
from tests.support.audit_log import AuditKeys, read_partitions
from tests.support.identity import clerk_headers, oidc_fields
from tests.support.kafka_io import service_login
from tests.support.processes import ServiceProcess

__all__ = [
    "CheckpointerCity",
    "add_checkpointer_keys",
    "all_witnessed",
    "checkpointer_settings",
    "running_checkpointer",
]

PACKAGE = "chengyu_checkpointer"
SERVICE_NAME = "checkpointer"
AGENCY = "audit"

View = dict[str, Any]


def write_key_files(folder: Path, keys: AuditKeys) -> dict[str, Path]:
    """Each city's checkpointer key and the registry of every key of the scenario."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {city: folder / f"{city}-audit.json" for city in CITIES}
    for city, path in files.items():
        keys.audit[city].write_json_file(path)
    files["registry"] = folder / "registry.json"
    keys.registry().write_json_file(files["registry"])
    return files


def add_checkpointer_keys(folder: Path, registry: Path) -> dict[str, Path]:
    """Checkpointer keys of both cities, written to ``folder`` and added to the key
    registry file the scenario's services read (write it before they start)."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {"registry": registry}
    entries = list(KeyRegistry.from_json_file(registry))
    for city in CITIES:
        key = SigningKey.generate(f"{city}-audit-test-{secrets.token_hex(3)}", f"/{city}/audit")
        files[city] = folder / f"{city}-audit.json"
        key.write_json_file(files[city])
        entries.append(key.public_entry())
    KeyRegistry(entries).write_json_file(registry)
    return files


async def all_witnessed(
    bootstrap: str, topics: Sequence[str], cities: Sequence[CheckpointerCity]
) -> bool:
    """Every city checkpointed every non-empty partition of ``topics`` at its full size,
    and the other city witnessed that checkpoint."""
    for topic in topics:
        for partition, records in (await read_partitions(bootstrap, topic)).items():
            for city in cities:
                view = await city.log(topic, partition)
                if view is None or view["size"] != len(records):
                    return False
                if not records:
                    continue
                latest = view["checkpoints"][:1]
                if not latest or latest[0]["size"] != len(records) or not latest[0]["witnessed"]:
                    return False
    return True


async def checkpointer_settings(
    postgres: LocalPostgres, *, kafka: str, key_files: dict[str, Path], **cadence: Any
) -> dict[City, CheckpointerSettings]:
    """Settings of both cities' checkpointers, each on a fresh database and free port."""
    settings: dict[City, CheckpointerSettings] = {}
    for city in CITIES:
        name = f"checkpointer_{city}_{secrets.token_hex(4)}"
        await postgres.ensure_database(name)
        settings[city] = CheckpointerSettings(
            city=city,
            service_name=SERVICE_NAME,
            agency=AGENCY,
            kafka_bootstrap=kafka,
            database_url=postgres.dsn(name),
            http_port=free_port_block(1),
            signing_key_file=key_files[city],
            key_registry_file=key_files["registry"],
            person_ref_key=secrets.token_hex(32),
            **oidc_fields(city),
            **service_login(kafka, city, AGENCY),
            **cadence,
        )
    return settings


class CheckpointerCity(ServiceProcess):
    """One city's checkpointer process and an audit clerk's calls to its API."""

    async def log(self, topic: str, partition: int) -> View | None:
        """The city's read of one log and its latest checkpoints (None: not read yet)."""
        answer = await self.client.get(f"/logs/{topic}/{partition}")
        if answer.status_code == 404:
            return None
        assert answer.status_code == 200, answer.text
        body: View = answer.json()
        return body

    async def disputes(self) -> list[View]:
        """The open disputes."""
        answer = await self.client.get("/disputes")
        assert answer.status_code == 200, answer.text
        found: list[View] = answer.json()
        return found

    async def acknowledge(self, dispute_id: int) -> httpx.Response:
        """A clerk of the audit office acknowledges a dispute."""
        return await self.client.post(f"/disputes/{dispute_id}/acknowledge")

    async def readiness(self) -> tuple[int, View]:
        """``/readyz``: its status and body."""
        answer = await self.client.get("/readyz")
        body: View = answer.json()
        return answer.status_code, body


@contextlib.asynccontextmanager
async def running_checkpointer(settings: CheckpointerSettings) -> AsyncIterator[CheckpointerCity]:
    """A started checkpointer of ``settings.city``; stopped (SIGTERM) after."""
    base = f"http://{settings.http_host}:{settings.http_port}"
    headers = clerk_headers(settings.city, SERVICE_NAME, AGENCY)
    async with httpx.AsyncClient(base_url=base, timeout=60, headers=headers) as client:
        city = CheckpointerCity(PACKAGE, settings.city, settings, client)
        await city.start()
        try:
            yield city
        finally:
            await city.stop()
