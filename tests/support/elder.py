"""Both cities' elder-allowance service processes on a real Kafka and PostgreSQL, a
civil-affairs clerk's HTTP calls to them (every route of the service's API), and what the
end-to-end test reads of the bus and the databases."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx

from chengyu_contracts.cities import City
from chengyu_contracts.events.elder import (
    ALLOWANCE_TOPIC,
    ASSESSMENT_TOPIC,
    INSTITUTION_TOPIC,
    PAYMENT_TOPIC,
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

# The kit runs the service its package declares (chengyu_elder_allowance/service.py).
PACKAGE = "chengyu_elder_allowance"
SERVICE_NAME = "elder-allowance"
# The civil-affairs bureaus (民政局): the kit signs with the declared agency's key.
AGENCY = "ca"
TOPICS = (ALLOWANCE_TOPIC, PAYMENT_TOPIC, ASSESSMENT_TOPIC, INSTITUTION_TOPIC)
T = TypeVar("T")
View = dict[str, Any]


def ca_key_files(folder: Path) -> KeyFiles:
    """Signing keys of both cities' civil-affairs bureaus (``/cq/ca``, ``/cd/ca``) and the
    registry of both, written to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    cq = SigningKey.generate("cq-ca-test-1", f"/cq/{AGENCY}")
    cd = SigningKey.generate("cd-ca-test-1", f"/cd/{AGENCY}")
    cq.write_json_file(folder / "cq.json")
    cd.write_json_file(folder / "cd.json")
    KeyRegistry([cq.public_entry(), cd.public_entry()]).write_json_file(folder / "registry.json")
    return KeyFiles(folder / "cq.json", folder / "cd.json", folder / "registry.json", cq, cd)


def elder_settings(
    city: City, *, kafka: str, database_url: str, keys: KeyFiles, person_ref_key: str
) -> ServiceSettings:
    """Settings of one city's elder-allowance process on a free port; both cities share
    ``person_ref_key`` (the inter-city pseudonym key)."""
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


async def both_cities_settings(
    postgres: LocalPostgres, *, kafka: str, keys: KeyFiles
) -> dict[City, ServiceSettings]:
    """Settings of Chongqing's and Chengdu's processes, each on a fresh database of
    ``postgres``, sharing one person_ref key (as the two cities do)."""
    return await both_cities_on_fresh_databases(
        postgres,
        "elder",
        lambda city, database_url, person_ref_key: elder_settings(
            city,
            kafka=kafka,
            database_url=database_url,
            keys=keys,
            person_ref_key=person_ref_key,
        ),
    )


class ElderCity(ServiceProcess):
    """One city's service process and a civil-affairs clerk's calls to its API.

    The calls that must succeed assert their status and return the body; :meth:`call`
    returns any answer (for refusals and for calls a SIGKILL may interrupt)."""

    async def call(
        self, method: str, path: str, body: dict[str, Any] | None = None, **params: Any
    ) -> httpx.Response:
        """One request; the answer whatever its status."""
        return await self.client.request(method, path, json=body, params=params or None)

    async def _expect(
        self, method: str, path: str, body: dict[str, Any] | None, *status: int
    ) -> View:
        answer = await self.call(method, path, body)
        assert answer.status_code in status, (
            f"{self.city} {method} {path}: {answer.status_code} {answer.text}"
        )
        result: View = answer.json()
        return result

    # ---- register ------------------------------------------------------------------------

    async def import_rows(self, rows: Sequence[dict[str, Any]]) -> View:
        """``POST /register/rows``: the import report."""
        return await self._expect("POST", "/register/rows", {"rows": list(rows)}, 200)

    async def lookup(self, id_number: str) -> View | None:
        """``POST /register/lookup``: the person's view, None when unknown (404)."""
        answer = await self.call("POST", "/register/lookup", {"id_number": id_number})
        if answer.status_code == 404:
            return None
        assert answer.status_code == 200, answer.text
        body: View = answer.json()
        return body

    async def register_entry(self, person_ref: str) -> View | None:
        """``GET /register/{person_ref}``; None when this city does not know them."""
        answer = await self.call("GET", f"/register/{person_ref}")
        if answer.status_code == 404:
            return None
        assert answer.status_code == 200, answer.text
        body: View = answer.json()
        return body

    async def record_death(self, person_ref: str, died_on: str) -> View:
        """``POST /register/{person_ref}/death``."""
        return await self._expect(
            "POST", f"/register/{person_ref}/death", {"died_on": died_on}, 200, 201
        )

    async def move_out(self, person_ref: str, to_city: City, move_month: str) -> View:
        """``POST /register/{person_ref}/move-out``."""
        body = {"to_city": to_city, "move_month": move_month}
        return await self._expect("POST", f"/register/{person_ref}/move-out", body, 200, 201)

    async def change_assistance(self, person_ref: str, status: str, since: str) -> View:
        """``POST /register/{person_ref}/assistance``."""
        body = {"status": status, "since": since}
        return await self._expect("POST", f"/register/{person_ref}/assistance", body, 200, 201)

    async def withdraw(self, person_ref: str, reason: str) -> View:
        """``POST /register/{person_ref}/withdraw`` (registered in error)."""
        body = {"reason": reason}
        return await self._expect("POST", f"/register/{person_ref}/withdraw", body, 200, 201)

    async def duplicates(self) -> list[View]:
        """``GET /register/duplicates``: the persons both registers claim."""
        items: list[View] = (await self._expect("GET", "/register/duplicates", None, 200))["items"]
        return items

    # ---- allowance -----------------------------------------------------------------------

    async def run_month(self, month: str) -> View:
        """``POST /payment-runs``: the run's summary (201 new, 200 already completed)."""
        return await self._expect("POST", "/payment-runs", {"month": month}, 200, 201)

    async def payment_run(self, month: str) -> View | None:
        """``GET /payment-runs/{month}``; None before the month ran."""
        answer = await self.call("GET", f"/payment-runs/{month}")
        if answer.status_code == 404:
            return None
        assert answer.status_code == 200, answer.text
        body: View = answer.json()
        return body

    async def bank_file(self, month: str) -> str:
        """``GET /payment-runs/{month}/bank-file``: the CSV."""
        answer = await self.call("GET", f"/payment-runs/{month}/bank-file")
        assert answer.status_code == 200, answer.text
        return answer.text

    async def bank_return(self, month: str, failed: Sequence[dict[str, str]]) -> View:
        """``POST /payment-runs/{month}/bank-return``."""
        body = {"failed": list(failed)}
        return await self._expect("POST", f"/payment-runs/{month}/bank-return", body, 200, 201)

    async def allowance(self, person_ref: str) -> View | None:
        """``GET /allowances/{person_ref}``; None when this city knows no allowance."""
        answer = await self.call("GET", f"/allowances/{person_ref}")
        if answer.status_code == 404:
            return None
        assert answer.status_code == 200, answer.text
        body: View = answer.json()
        return body

    async def verify(self, id_number: str, verified_on: str) -> View:
        """``POST /verifications`` (here, whichever city pays)."""
        body = {"id_number": id_number, "verified_on": verified_on}
        return await self._expect("POST", "/verifications", body, 201)

    # ---- applications and assessments ----------------------------------------------------

    async def apply(self, id_number: str, household_city: City) -> View:
        """``POST /applications`` accepted here."""
        body = {"id_number": id_number, "household_city": household_city}
        return await self._expect("POST", "/applications", body, 201)

    async def application(self, application_id: str) -> View | None:
        """``GET /applications/{id}``; None before this city knows it."""
        answer = await self.call("GET", f"/applications/{application_id}")
        if answer.status_code == 404:
            return None
        assert answer.status_code == 200, answer.text
        body: View = answer.json()
        return body

    async def applications(self, status: str) -> list[View]:
        """``GET /applications?status=``."""
        answer = await self.call("GET", "/applications", status=status)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        items: list[View] = body["items"] if isinstance(body, dict) else body
        return items

    async def decide(self, application_id: str, outcome: str, reason: str) -> View:
        """``POST /applications/{id}/decision`` (the paying city's clerk)."""
        body = {"outcome": outcome, "reason": reason}
        return await self._expect(
            "POST", f"/applications/{application_id}/decision", body, 200, 201
        )

    async def assess(self, body: dict[str, Any]) -> View:
        """``POST /assessments``."""
        return await self._expect("POST", "/assessments", body, 201)

    async def assessments_of(self, person_ref: str) -> list[View]:
        """``GET /assessments?person_ref=``: both cities' assessments of the person."""
        answer = await self.call("GET", "/assessments", person_ref=person_ref)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        items: list[View] = body["items"] if isinstance(body, dict) else body
        return items

    # ---- the map -------------------------------------------------------------------------

    async def put_institution(self, institution_id: str, body: dict[str, Any]) -> View:
        """``PUT /institutions/{id}``."""
        return await self._expect("PUT", f"/institutions/{institution_id}", body, 200, 201)

    async def institutions(self, **query: Any) -> View:
        """``GET /institutions?...``: the page of both cities' institutions."""
        answer = await self.call("GET", "/institutions", **query)
        assert answer.status_code == 200, answer.text
        body: View = answer.json()
        return body

    async def institutions_geojson(self, **query: Any) -> View:
        """``GET /institutions.geojson?...``."""
        answer = await self.call("GET", "/institutions.geojson", **query)
        assert answer.status_code == 200, answer.text
        body: View = answer.json()
        return body

    async def map_page(self) -> str:
        """``GET /map``: the HTML page."""
        answer = await self.call("GET", "/map")
        assert answer.status_code == 200, answer.text
        return answer.text


@contextlib.asynccontextmanager
async def running_city(settings: ServiceSettings) -> AsyncIterator[ElderCity]:
    """A started service process of ``settings.city``; stopped (SIGTERM) after."""
    base = f"http://{settings.http_host}:{settings.http_port}"
    limits = httpx.Limits(max_connections=32)
    headers = clerk_headers(settings.city, SERVICE_NAME, AGENCY)
    async with httpx.AsyncClient(
        base_url=base, timeout=120, limits=limits, headers=headers
    ) as client:
        city = ElderCity(PACKAGE, settings.city, settings, client)
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


# ---- the databases -----------------------------------------------------------------------
