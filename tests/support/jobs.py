"""Both cities' job-matching service processes on a real Kafka and PostgreSQL, a
human-resources clerk's HTTP calls to them (the service's API as the brief fixes it), and
what the end-to-end test reads of the databases."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import httpx

from chengyu_contracts.cities import City
from chengyu_contracts.events.hr import (
    FAIR_TOPIC,
    HOTLINE_TOPIC,
    PERSONNEL_FILE_TOPIC,
    POSTING_TOPIC,
    SEEKER_TOPIC,
)
from chengyu_contracts.keys import KeyRegistry
from chengyu_contracts.signing import SigningKey
from chengyu_kit.local.kafka import free_port_block
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.settings import ServiceSettings
from chengyu_kit.testing import KeyFiles
from tests.support.cities import both_cities_on_fresh_databases
from tests.support.identity import clerk_headers, oidc_fields
from tests.support.kafka_io import service_login
from tests.support.processes import ServiceProcess

__all__ = [
    "AGENCY",
    "SERVICE_NAME",
    "TOPICS",
    "JobsCity",
    "both_cities_settings",
    "hr_key_files",
    "running_city",
]

# The kit runs the service its package declares (chengyu_job_matching/service.py).
PACKAGE = "chengyu_job_matching"
SERVICE_NAME = "job-matching"
# The cities' human-resources and social-security bureaus (人社局).
AGENCY = "hr"
TOPICS = (POSTING_TOPIC, SEEKER_TOPIC, FAIR_TOPIC, HOTLINE_TOPIC, PERSONNEL_FILE_TOPIC)
View = dict[str, Any]
#: The processes look for 12333 and personnel-file steps past their deadline every second
#: (defaults 60 s and 300 s).
SWEEP_ENV = {"HOTLINE_SWEEP_SECONDS": "1", "PERSONNEL_FILES_SWEEP_SECONDS": "1"}


def hr_key_files(folder: Path) -> KeyFiles:
    """Signing keys of both cities' bureaus (``/cq/hr``, ``/cd/hr``) and the registry of
    both, written to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    cq = SigningKey.generate("cq-hr-test-1", f"/cq/{AGENCY}")
    cd = SigningKey.generate("cd-hr-test-1", f"/cd/{AGENCY}")
    cq.write_json_file(folder / "cq.json")
    cd.write_json_file(folder / "cd.json")
    KeyRegistry([cq.public_entry(), cd.public_entry()]).write_json_file(folder / "registry.json")
    return KeyFiles(folder / "cq.json", folder / "cd.json", folder / "registry.json", cq, cd)


async def both_cities_settings(
    postgres: LocalPostgres, *, kafka: str, keys: KeyFiles
) -> dict[City, ServiceSettings]:
    """Settings of Chongqing's and Chengdu's processes on free ports, each on a fresh
    database, sharing one person_ref key (callers and personnel files, as the cities do)."""

    def settings_of(city: City, database_url: str, person_ref_key: str) -> ServiceSettings:
        return ServiceSettings(
            city=city,
            service_name=SERVICE_NAME,
            agency=AGENCY,
            kafka_bootstrap=kafka,
            database_url=database_url,
            http_port=free_port_block(1),
            signing_key_file=keys.cq_key if city == "cq" else keys.cd_key,
            key_registry_file=keys.registry,
            person_ref_key=person_ref_key,
            **oidc_fields(city),
            **service_login(kafka, city, AGENCY),
        )

    return await both_cities_on_fresh_databases(postgres, "jobs", settings_of)


class JobsCity(ServiceProcess):
    """One city's service process and a human-resources clerk's calls to its API.

    The calls that must succeed assert their status and return the body; :meth:`call`
    returns any answer (for refusals and for calls a SIGKILL may interrupt)."""

    async def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        key: str | None = None,
        **params: Any,
    ) -> httpx.Response:
        """One request (``key``: its Idempotency-Key); the answer whatever its status."""
        headers = None if key is None else {"Idempotency-Key": key}
        return await self.client.request(
            method, path, json=body, params=params or None, headers=headers
        )

    async def expect(
        self, method: str, path: str, body: dict[str, Any] | None, *status: int, **params: Any
    ) -> View:
        """One request that must answer one of ``status``; its body."""
        answer = await self.call(method, path, body, **params)
        assert answer.status_code in status, (
            f"{self.city} {method} {path}: {answer.status_code} {answer.text}"
        )
        result: View = answer.json()
        return result

    async def maybe(self, path: str, **params: Any) -> View | None:
        """GET ``path``; None on a 404 (this city does not know it)."""
        answer = await self.call("GET", path, **params)
        if answer.status_code == 404:
            return None
        assert answer.status_code == 200, f"{self.city} GET {path}: {answer.text}"
        body: View = answer.json()
        return body

    # ---- postings and seekers ----------------------------------------------------------

    async def publish_postings(self, postings: Sequence[View]) -> View:
        """``POST /postings/batch``: accepted and refused rows."""
        return await self.expect("POST", "/postings/batch", {"postings": list(postings)}, 200)

    async def postings(self, **query: Any) -> View:
        """``GET /postings?city=&state=&occupation=&page=&per_page=``."""
        return await self.expect("GET", "/postings", None, 200, **query)

    async def register_seekers(self, seekers: Sequence[View]) -> View:
        """``POST /seekers/batch``: accepted and refused rows."""
        return await self.expect("POST", "/seekers/batch", {"seekers": list(seekers)}, 200)

    async def seeker(self, seeker_ref: str) -> View | None:
        """``GET /seekers/{ref}``; None when this city may not see it (withdrawn, unknown)."""
        return await self.maybe(f"/seekers/{seeker_ref}")

    async def consent(self, seeker_ref: str, given: bool) -> View:
        """``POST /seekers/{ref}/consent``."""
        body = {"given": given}
        return await self.expect("POST", f"/seekers/{seeker_ref}/consent", body, 200, 201)

    async def seeker_matches(self, seeker_ref: str, limit: int = 10) -> View:
        """``GET /seekers/{ref}/matches?limit=``: postings of both cities, explained."""
        return await self.expect("GET", f"/seekers/{seeker_ref}/matches", None, 200, limit=limit)

    async def posting_matches(self, posting_id: str, limit: int = 10) -> View:
        """``GET /postings/{id}/matches?limit=``: seekers of both cities, explained."""
        path = f"/postings/{posting_id}/matches"
        return await self.expect("GET", path, None, 200, limit=limit)

    # ---- 12333 requests ----------------------------------------------------------------

    async def hotline_request(self, request_id: str) -> View | None:
        """``GET /hotline/requests/{id}``; None before this city knows it."""
        return await self.maybe(f"/hotline/requests/{request_id}")

    async def hotline_requests(self, **query: Any) -> list[View]:
        """``GET /hotline/requests?direction=&state=&overdue=``."""
        body = await self.expect("GET", "/hotline/requests", None, 200, **query)
        items: list[View] = body["requests"] if "requests" in body else body["items"]
        return items

    # ---- personnel files ---------------------------------------------------------------

    async def file_lookup(self, id_number: str) -> View | None:
        """``POST /personnel-files/lookup``; None when neither city holds a file."""
        answer = await self.call("POST", "/personnel-files/lookup", {"id_number": id_number})
        if answer.status_code == 404:
            return None
        assert answer.status_code == 200, answer.text
        body: View = answer.json()
        return body

    async def transfer(self, transfer_id: str) -> View | None:
        """``GET /personnel-files/transfers/{id}``; None before this city knows it."""
        return await self.maybe(f"/personnel-files/transfers/{transfer_id}")


@contextlib.asynccontextmanager
async def running_city(
    settings: ServiceSettings, *, clock_start: str | None = None
) -> AsyncIterator[JobsCity]:
    """A started service process of ``settings.city``; stopped (SIGTERM) after.
    ``clock_start`` (ISO 8601 with offset) is the kit's ``CLOCK_START``: the process's
    clock starts there and runs at real speed."""
    base = f"http://{settings.http_host}:{settings.http_port}"
    limits = httpx.Limits(max_connections=32)
    headers = clerk_headers(settings.city, SERVICE_NAME, AGENCY)
    async with httpx.AsyncClient(
        base_url=base, timeout=120, limits=limits, headers=headers
    ) as client:
        env = dict(SWEEP_ENV)
        if clock_start is not None:
            env["CLOCK_START"] = clock_start
        city = JobsCity(PACKAGE, settings.city, settings, client, env=env)
        await city.start()
        try:
            yield city
        finally:
            await city.stop()
