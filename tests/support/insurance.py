"""Both cities' insurance-years service processes on a real Kafka and PostgreSQL, and a
clerk's HTTP calls to them, for the end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
from aiokafka import AIOKafkaProducer

from chengyu_contracts.cities import City
from chengyu_contracts.keys import KeyRegistry
from chengyu_contracts.resident_id import synthesize_resident_id
from chengyu_contracts.signing import SigningKey
from chengyu_kit.local.kafka import free_port_block
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.outbox import OutgoingRecord
from chengyu_kit.settings import ServiceSettings
from chengyu_kit.testing import KeyFiles, kafka_options
from tests.support.cities import both_cities_on_fresh_databases
from tests.support.identity import clerk_headers, oidc_fields
from tests.support.kafka_io import service_login
from tests.support.processes import ServiceProcess
from tests.support.waiting import wait_for

# The kit runs the service its package declares (chengyu_insurance_years/service.py).
PACKAGE = "chengyu_insurance_years"
# The declaration's agency: the kit signs with it whatever the environment says.
AGENCY = "mi"
# Region codes of the two cities (Chongqing Yuzhong, Chengdu Jinjiang).
REGION = {"cq": "500103", "cd": "510104"}
T = TypeVar("T")


def resident_id(serial: int) -> str:
    """A synthetic, valid resident ID number, one per ``serial`` (nobody real): born on a
    different day for each serial, male for even serials."""
    born = date(1960, 1, 1) + timedelta(days=serial)
    region = REGION["cq" if serial % 3 else "cd"]
    return synthesize_resident_id(
        region, born, serial % 500, "male" if serial % 2 == 0 else "female"
    )


def insurance_key_files(folder: Path) -> KeyFiles:
    """Signing keys of both cities' medical-insurance bureaus (``/cq/mi``, ``/cd/mi``: the
    service declares agency ``mi``) and the registry of both, written to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    cq = SigningKey.generate("cq-mi-test-1", f"/cq/{AGENCY}")
    cd = SigningKey.generate("cd-mi-test-1", f"/cd/{AGENCY}")
    cq.write_json_file(folder / "cq.json")
    cd.write_json_file(folder / "cd.json")
    KeyRegistry([cq.public_entry(), cd.public_entry()]).write_json_file(folder / "registry.json")
    return KeyFiles(folder / "cq.json", folder / "cd.json", folder / "registry.json", cq, cd)


def insurance_settings(
    city: City, *, kafka: str, database_url: str, keys: KeyFiles, person_ref_key: str
) -> ServiceSettings:
    """Settings of one city's insurance-years process on a free port; both cities share
    ``person_ref_key`` (the inter-city pseudonym key)."""
    return ServiceSettings(
        city=city,
        service_name="insurance-years",
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


async def both_cities_settings(
    postgres: LocalPostgres, *, kafka: str, keys: KeyFiles
) -> dict[City, ServiceSettings]:
    """Settings of Chongqing's and Chengdu's processes, each on a fresh database of
    ``postgres``, sharing one person_ref key (as the two cities do)."""
    return await both_cities_on_fresh_databases(
        postgres,
        "insurance",
        lambda city, database_url, person_ref_key: insurance_settings(
            city,
            kafka=kafka,
            database_url=database_url,
            keys=keys,
            person_ref_key=person_ref_key,
        ),
    )


class InsuranceCity(ServiceProcess):
    """One city's service process and a client's calls to its API."""

    # ---- a clerk's calls ------------------------------------------------------------------

    async def _post(self, path: str, body: dict[str, Any], status: int) -> dict[str, Any]:
        answer = await self.client.post(path, json=body)
        assert answer.status_code == status, f"{path}: {answer.status_code} {answer.text}"
        result: dict[str, Any] = answer.json()
        return result

    async def record(self, resident: str, start: str, end: str, kind: str) -> dict[str, Any]:
        """Record a period here; the version recorded."""
        return await self._post(
            "/contribution-periods",
            {"resident_id": resident, "start_month": start, "end_month": end, "kind": kind},
            201,
        )

    async def correct(self, period_id: str, start: str, end: str, kind: str) -> dict[str, Any]:
        """Correct a period recorded here; the new version."""
        return await self._post(
            f"/contribution-periods/{period_id}/corrections",
            {"start_month": start, "end_month": end, "kind": kind},
            201,
        )

    async def cancel(self, period_id: str) -> dict[str, Any]:
        """Cancel a period recorded here; the new version."""
        return await self._post(f"/contribution-periods/{period_id}/cancellation", {}, 201)

    async def ledger(self, person_ref: str) -> dict[str, Any]:
        """The person's ledger here."""
        answer = await self.client.get(f"/ledgers/{person_ref}")
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def request_retirement(self, resident: str, chosen: str, day: str) -> str:
        """Ask here that ``chosen`` become the retirement city; the request id."""
        body = await self._post(
            "/retirement-requests",
            {"resident_id": resident, "retirement_date": day, "chosen_city": chosen},
            202,
        )
        request_id: str = body["request_id"]
        return request_id

    async def retirement_request(self, request_id: str) -> dict[str, Any] | None:
        """A request as this city knows it; ``None`` before it knows it."""
        answer = await self.client.get(f"/retirement-requests/{request_id}")
        if answer.status_code == 404:
            return None
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def decided(self, request_id: str, timeout: float = 60) -> dict[str, Any]:
        """Wait until the request is decided as this city knows it; the request."""
        answer = await wait_for(
            lambda: self.retirement_request(request_id),
            lambda r: r is not None and r["state"] in ("determined", "refused"),
            timeout=timeout,
        )
        assert answer is not None
        return answer

    async def assess(
        self, resident: str, level: str, concluded_on: str, valid_until: str
    ) -> dict[str, Any]:
        """Record an assessment concluded here."""
        return await self._post(
            "/care-assessments",
            {
                "resident_id": resident,
                "level": level,
                "scale_version": "nhsa-ltc-2021",
                "concluded_on": concluded_on,
                "valid_until": valid_until,
            },
            201,
        )

    async def assessment(self, assessment_id: str) -> dict[str, Any] | None:
        """An assessment as this city knows it; ``None`` before it knows it."""
        answer = await self.client.get(f"/care-assessments/{assessment_id}")
        if answer.status_code == 404:
            return None
        body: dict[str, Any] = answer.json()
        return body


@contextlib.asynccontextmanager
async def running_city(settings: ServiceSettings) -> AsyncIterator[InsuranceCity]:
    """A started service process of ``settings.city``; stopped (SIGTERM) after."""
    base = f"http://{settings.http_host}:{settings.http_port}"
    limits = httpx.Limits(max_connections=32)
    headers = clerk_headers(settings.city, "insurance-years", AGENCY)
    async with httpx.AsyncClient(
        base_url=base, timeout=60, limits=limits, headers=headers
    ) as client:
        city = InsuranceCity(PACKAGE, settings.city, settings, client)
        await city.start()
        try:
            yield city
        finally:
            await city.stop()


async def in_chunks(calls: Sequence[Callable[[], Awaitable[T]]], size: int = 16) -> list[T]:
    """Run ``calls`` ``size`` at a time (2 cores: more concurrency only queues); results in
    order."""
    results: list[T] = []
    for first in range(0, len(calls), size):
        results.extend(await asyncio.gather(*(call() for call in calls[first : first + size])))
    return results


async def publish_records(bootstrap: str, records: Sequence[OutgoingRecord]) -> None:
    """Publish outbox-shaped records as they are (key, value, headers), in order per
    partition, without waiting for each one."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, **kafka_options(bootstrap)
    )
    await producer.start()
    try:
        pending = [
            await producer.send(r.topic, r.value, key=r.key, headers=list(r.headers))
            for r in records
        ]
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
