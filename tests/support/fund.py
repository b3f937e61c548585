"""Both cities' fund-transfer service processes on a real Kafka and PostgreSQL, and a
clerk's HTTP calls to them, for the end-to-end and fault tests."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from chengyu_contracts.cities import City
from chengyu_contracts.resident_id import synthesize_resident_id
from chengyu_contracts.signing import KeyRegistry, SigningKey
from chengyu_fund_transfer.service import SERVICE, FundSettings
from chengyu_kit.local.kafka import free_port_block
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.testing import KeyFiles
from tests.support.cities import both_cities_on_fresh_databases
from tests.support.identity import clerk_headers, oidc_fields
from tests.support.kafka_io import service_login
from tests.support.processes import ServiceProcess
from tests.support.waiting import wait_for

PACKAGE = SERVICE.package
TERMINAL = ("completed", "rejected", "reverted")
# Region codes of the two cities (Chongqing Yuzhong, Chengdu Jinjiang).
REGION = {"cq": "500103", "cd": "510104"}


def resident_id(city: str, serial: int) -> str:
    """A synthetic, valid resident ID number of ``city`` (nobody real)."""
    birthday = date(1970 + serial % 30, 1 + serial % 12, 1 + serial % 28)
    return synthesize_resident_id(REGION[city], birthday, serial % 500, "male")


class FundCity(ServiceProcess):
    """One city's service process and a client's calls to its API."""

    # Writes sent again by post_idempotent (the process could not be reached or died
    # before answering), and of those the ones answered from the stored first answer.
    resent: int = 0
    replayed: int = 0

    # ---- a clerk's calls ------------------------------------------------------------------

    async def open_account(self, resident: str, name: str, kind: str = "flexible") -> str:
        """Open an account; its id."""
        answer = await self.client.post(
            "/accounts", json={"resident_id": resident, "name": name, "kind": kind}
        )
        assert answer.status_code == 201, answer.text
        account_id: str = answer.json()["account_id"]
        return account_id

    async def deposit(self, account_id: str, month: str, amount_fen: int) -> None:
        """Record a month's deposit."""
        answer = await self.client.post(
            f"/accounts/{account_id}/deposits", json={"month": month, "amount_fen": amount_fen}
        )
        assert answer.status_code == 201, answer.text

    async def request_transfer(self, resident: str, name: str, from_city: str) -> str:
        """Ask ``from_city`` to send the person's account here; the transfer id."""
        answer = await self.client.post(
            "/transfers", json={"resident_id": resident, "name": name, "from_city": from_city}
        )
        assert answer.status_code == 202, answer.text
        transfer_id: str = answer.json()["transfer_id"]
        return transfer_id

    async def transfer(self, transfer_id: str) -> dict[str, Any]:
        """The transfer as this city sees it."""
        answer = await self.client.get(f"/transfers/{transfer_id}")
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def finished_transfer(self, transfer_id: str, timeout: float = 60) -> dict[str, Any]:
        """Wait until the transfer reached an end state here; the transfer."""
        return await wait_for(
            lambda: self.transfer(transfer_id),
            lambda t: t["state"] in TERMINAL,
            timeout=timeout,
        )

    async def account(self, account_id: str) -> dict[str, Any]:
        """The account with its deposits."""
        answer = await self.client.get(f"/accounts/{account_id}")
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    # ---- calls a SIGKILL may cut off --------------------------------------------------------

    async def post_idempotent(
        self, path: str, body: dict[str, Any] | None = None, *, patience: float = 120
    ) -> httpx.Response:
        """POST with an Idempotency-Key of its own, sent again with the same key while the
        process cannot be reached or dies before answering (for up to ``patience``
        seconds): the write is done at most once, and a retry after it committed gets
        its first answer again."""
        headers = {"Idempotency-Key": f'"{uuid.uuid4()}"'}
        give_up = time.monotonic() + patience
        sent_before = False
        while True:
            try:
                answer = await self.client.post(path, json=body, headers=headers)
            except httpx.TransportError:
                if time.monotonic() > give_up:
                    raise
                sent_before = True
                await asyncio.sleep(0.25)
                continue
            self.resent += sent_before
            self.replayed += answer.headers.get("Idempotent-Replayed") == "true"
            return answer

    async def get_patiently(self, path: str, *, patience: float = 120) -> httpx.Response:
        """GET, again while the process cannot be reached (for up to ``patience`` s)."""
        give_up = time.monotonic() + patience
        while True:
            try:
                return await self.client.get(path)
            except httpx.TransportError:
                if time.monotonic() > give_up:
                    raise
                await asyncio.sleep(0.25)


def hpf_key_files(folder: Path) -> KeyFiles:
    """Keys of both cities' provident-fund centres (``/cq/hpf``, ``/cd/hpf``), written as
    the services read them: the service declares its agency, so its events must be signed
    by a key of that agency."""
    folder.mkdir(parents=True, exist_ok=True)
    cq = SigningKey.generate("cq-hpf-test-1", "/cq/hpf")
    cd = SigningKey.generate("cd-hpf-test-1", "/cd/hpf")
    cq.write_json_file(folder / "cq.json")
    cd.write_json_file(folder / "cd.json")
    KeyRegistry([cq.public_entry(), cd.public_entry()]).write_json_file(folder / "registry.json")
    return KeyFiles(folder / "cq.json", folder / "cd.json", folder / "registry.json", cq, cd)


def fund_settings(
    city: str,
    *,
    kafka: str,
    database_url: str,
    keys: KeyFiles,
    person_ref_key: str,
    **extra: object,
) -> FundSettings:
    """Settings of one city's fund-transfer process on a free port; both cities must share
    ``person_ref_key`` (the inter-city pseudonym key), and ``keys`` must be the
    provident-fund centres' (:func:`hpf_key_files`)."""
    return FundSettings(
        city=city,
        service_name=SERVICE.name,
        agency=SERVICE.agency,
        kafka_bootstrap=kafka,
        database_url=database_url,
        http_port=free_port_block(1),
        signing_key_file=keys.cq_key if city == "cq" else keys.cd_key,
        key_registry_file=keys.registry,
        person_ref_key=person_ref_key,
        **{**oidc_fields(city), **service_login(kafka, city, SERVICE.agency), **extra},
    )


async def both_cities_settings(
    postgres: LocalPostgres, *, kafka: str, keys: KeyFiles
) -> dict[City, FundSettings]:
    """Settings of Chongqing's and Chengdu's processes, each on a fresh database of
    ``postgres``, sharing one person_ref key (as the two cities do)."""
    return await both_cities_on_fresh_databases(
        postgres,
        "fund",
        lambda city, database_url, person_ref_key: fund_settings(
            city,
            kafka=kafka,
            database_url=database_url,
            keys=keys,
            person_ref_key=person_ref_key,
        ),
    )


@contextlib.asynccontextmanager
async def running_city(settings: FundSettings, **env: str) -> AsyncIterator[FundCity]:
    """A started service process of ``settings.city``; stopped (SIGTERM) after."""
    base = f"http://{settings.http_host}:{settings.http_port}"
    headers = clerk_headers(settings.city, SERVICE.name, SERVICE.agency)
    async with httpx.AsyncClient(base_url=base, timeout=30, headers=headers) as client:
        city = FundCity(PACKAGE, settings.city, settings, client, env=dict(env))
        await city.start()
        try:
            yield city
        finally:
            await city.stop()
