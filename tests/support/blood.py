"""Both cities' blood-dispatch service processes on a real Kafka and PostgreSQL, a blood
centre clerk's HTTP calls to them (every route of the service's API), and what the
end-to-end test and the benchmark read of the bus and the databases."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import httpx

from chengyu_contracts.cities import City
from chengyu_contracts.events.blood import (
    DISPATCH_TOPIC,
    LEVEL_TOPIC,
    RARE_DONOR_TOPIC,
    UNIT_TOPIC,
)
from chengyu_contracts.keys import KeyRegistry
from chengyu_contracts.signing import SigningKey
from chengyu_kit.local.kafka import free_port_block
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.settings import ServiceSettings
from chengyu_kit.testing import KeyFiles
from tests.support.cities import both_cities_on_fresh_databases
from tests.support.elder import in_chunks
from tests.support.identity import clerk_headers, oidc_fields
from tests.support.kafka_io import service_login
from tests.support.processes import ServiceProcess

__all__ = [
    "AGENCY",
    "TOPICS",
    "BloodCity",
    "blood_key_files",
    "both_cities_settings",
    "in_chunks",
    "running_city",
]

# The kit runs the service its package declares (chengyu_blood_dispatch/service.py).
PACKAGE = "chengyu_blood_dispatch"
SERVICE_NAME = "blood-dispatch"
# The cities' blood centres (血液中心): the kit signs with the declared agency's key.
AGENCY = "blood"
TOPICS = (UNIT_TOPIC, LEVEL_TOPIC, DISPATCH_TOPIC, RARE_DONOR_TOPIC)
View = dict[str, Any]


def blood_key_files(folder: Path) -> KeyFiles:
    """Signing keys of both cities' blood centres (``/cq/blood``, ``/cd/blood``) and the
    registry of both, written to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    cq = SigningKey.generate("cq-blood-test-1", f"/cq/{AGENCY}")
    cd = SigningKey.generate("cd-blood-test-1", f"/cd/{AGENCY}")
    cq.write_json_file(folder / "cq.json")
    cd.write_json_file(folder / "cd.json")
    KeyRegistry([cq.public_entry(), cd.public_entry()]).write_json_file(folder / "registry.json")
    return KeyFiles(folder / "cq.json", folder / "cd.json", folder / "registry.json", cq, cd)


def blood_settings(
    city: City, *, kafka: str, database_url: str, keys: KeyFiles, person_ref_key: str
) -> ServiceSettings:
    """Settings of one city's blood-dispatch process on a free port; both cities share
    ``person_ref_key`` (the rare-donor references)."""
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
    """Settings of Chongqing's and Chengdu's processes, each on a fresh database."""
    return await both_cities_on_fresh_databases(
        postgres,
        "blood",
        lambda city, database_url, person_ref_key: blood_settings(
            city,
            kafka=kafka,
            database_url=database_url,
            keys=keys,
            person_ref_key=person_ref_key,
        ),
    )


class BloodCity(ServiceProcess):
    """One city's service process and a blood centre clerk's calls to its API.

    The calls that must succeed assert their status and return the body; :meth:`call`
    returns any answer (for refusals and for calls a SIGKILL may interrupt)."""

    async def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
        **params: Any,
    ) -> httpx.Response:
        """One request; the answer whatever its status."""
        return await self.client.request(
            method, path, json=body, params=params or None, headers=headers
        )

    async def _expect(
        self, method: str, path: str, body: dict[str, Any] | None, *status: int, **params: Any
    ) -> View:
        answer = await self.call(method, path, body, **params)
        assert answer.status_code in status, (
            f"{self.city} {method} {path}: {answer.status_code} {answer.text}"
        )
        result: View = answer.json()
        return result

    async def _maybe(self, path: str) -> View | None:
        answer = await self.call("GET", path)
        if answer.status_code == 404:
            return None
        assert answer.status_code == 200, f"{self.city} GET {path}: {answer.text}"
        body: View = answer.json()
        return body

    # ---- stock -----------------------------------------------------------------------

    async def record_unit(self, body: dict[str, Any]) -> View:
        """``POST /units``."""
        return await self._expect("POST", "/units", body, 201)

    async def import_units(self, rows: Sequence[dict[str, Any]]) -> View:
        """``POST /units/batch``: the import report."""
        return await self._expect("POST", "/units/batch", {"rows": list(rows)}, 200)

    async def move(self, din: str, movement: str, at: str | None = None) -> httpx.Response:
        """``POST /units/{din}/issue|expire|discard`` (``at``: when it happened)."""
        body = None if at is None else {"at": at}
        return await self.call("POST", f"/units/{din}/{movement}", body)

    async def unit(self, din: str) -> View | None:
        """``GET /units/{din}``; None when neither city knows it."""
        return await self._maybe(f"/units/{din}")

    async def stock(self) -> View:
        """``GET /stock`` (public)."""
        return await self._expect("GET", "/stock", None, 200)

    async def dashboard(self) -> str:
        """``GET /dashboard``: the HTML page."""
        answer = await self.call("GET", "/dashboard")
        assert answer.status_code == 200, answer.text
        return answer.text

    # ---- dispatch --------------------------------------------------------------------

    async def ask(self, body: dict[str, Any]) -> View:
        """``POST /requests`` (this city asks the other)."""
        return await self._expect("POST", "/requests", body, 201)

    async def request(self, request_id: str) -> View | None:
        """``GET /requests/{id}``; None before this city knows it."""
        return await self._maybe(f"/requests/{request_id}")

    async def requests(self, state: str | None = None) -> list[View]:
        """``GET /requests?state=``."""
        params = {} if state is None else {"state": state}
        body = await self._expect("GET", "/requests", None, 200, **params)
        items: list[View] = body["items"] if isinstance(body, dict) else body
        return items

    async def offer_step(
        self, request_id: str, offer_id: str, step: str, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        """``POST /requests/{id}/offers/{offer_id}/accept|decline|dispatch``."""
        return await self.call("POST", f"/requests/{request_id}/offers/{offer_id}/{step}", body)

    async def accept(self, request_id: str, offer_id: str) -> View:
        """Accept an offer (the requesting city's clerk)."""
        answer = await self.offer_step(request_id, offer_id, "accept")
        assert answer.status_code in (200, 201), answer.text
        body: View = answer.json()
        return body

    async def dispatch(
        self, request_id: str, offer_id: str, logger: str, key: str | None = None
    ) -> httpx.Response:
        """Dispatch an accepted offer (the supplying city's clerk); ``key``: the
        Idempotency-Key (the same on a retry)."""
        headers = None if key is None else {"Idempotency-Key": key}
        return await self.call(
            "POST",
            f"/requests/{request_id}/offers/{offer_id}/dispatch",
            {"temperature_logger_id": logger},
            headers=headers,
        )

    async def receive(self, shipment_id: str, coldest: int, warmest: int) -> View:
        """``POST /shipments/{id}/receive`` (tenths of °C from the logger)."""
        body = {"min_temperature_c10": coldest, "max_temperature_c10": warmest}
        return await self._expect("POST", f"/shipments/{shipment_id}/receive", body, 200, 201)

    async def cancel(self, request_id: str, reason: str) -> View:
        """``POST /requests/{id}/cancel``."""
        return await self._expect(
            "POST", f"/requests/{request_id}/cancel", {"reason": reason}, 200, 201
        )

    async def close(self, request_id: str) -> View:
        """``POST /requests/{id}/close``."""
        return await self._expect("POST", f"/requests/{request_id}/close", None, 200, 201)

    async def shipments(self, state: str | None = None) -> list[View]:
        """``GET /shipments?state=``."""
        params = {} if state is None else {"state": state}
        body = await self._expect("GET", "/shipments", None, 200, **params)
        items: list[View] = body["items"] if isinstance(body, dict) else body
        return items

    # ---- the rare-blood registry -----------------------------------------------------

    async def register_donor(self, body: dict[str, Any]) -> View:
        """``POST /rare-donors``."""
        return await self._expect("POST", "/rare-donors", body, 200, 201)

    async def search_donors(self, phenotype: str, **query: Any) -> View:
        """``GET /rare-donors/search?phenotype=&abo=&rhd=`` (both cities' donors)."""
        return await self._expect(
            "GET", "/rare-donors/search", None, 200, phenotype=phenotype, **query
        )

    async def recall(self, body: dict[str, Any]) -> View:
        """``POST /recalls`` (to the donor's city)."""
        return await self._expect("POST", "/recalls", body, 201)

    async def answer_recall(self, recall_id: str, answer: str) -> View:
        """``POST /recalls/{id}/answer`` (the donor's city)."""
        body = {"answer": answer}
        return await self._expect("POST", f"/recalls/{recall_id}/answer", body, 200, 201)

    async def recall_view(self, recall_id: str) -> View | None:
        """``GET /recalls/{id}``."""
        return await self._maybe(f"/recalls/{recall_id}")


@contextlib.asynccontextmanager
async def running_city(settings: ServiceSettings) -> AsyncIterator[BloodCity]:
    """A started service process of ``settings.city``; stopped (SIGTERM) after."""
    base = f"http://{settings.http_host}:{settings.http_port}"
    limits = httpx.Limits(max_connections=32)
    headers = clerk_headers(settings.city, SERVICE_NAME, AGENCY)
    async with httpx.AsyncClient(
        base_url=base, timeout=120, limits=limits, headers=headers
    ) as client:
        city = BloodCity(PACKAGE, settings.city, settings, client)
        await city.start()
        try:
            yield city
        finally:
            await city.stop()
