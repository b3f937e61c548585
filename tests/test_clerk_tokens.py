"""Who may do what, on each service's real app, the real OIDC provider and PostgreSQL.

For every service: a request without a token or with a bad one (expired, not yet valid,
another issuer, another audience, ``alg: none``, an HMAC algorithm, a key the issuer does
not publish, a tampered payload) is 401 with ``WWW-Authenticate: Bearer``; a valid token
with too little a role (the other city's clerk, another agency's clerk, an auditor or a
reader writing) is 403 naming the role; neither writes a row anywhere, outbox included.
A reader of the city and an auditor of the other city may read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from chengyu_contracts.resident_id import synthesize_resident_id
from chengyu_fund_transfer.service import SERVICE as FUND
from chengyu_insurance_years.service import SERVICE as INSURANCE
from chengyu_kit.clock import FixedClock
from chengyu_kit.local.oidc import OidcProvider
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.service import Service
from chengyu_kit.testing.stand_in import serve_without_bus, settings_for

pytestmark = pytest.mark.integration

NOW = datetime(2026, 10, 15, 4, 0, tzinfo=UTC)
RESIDENT = synthesize_resident_id("500101", date(1965, 3, 1), 7, "female")
OTHER = synthesize_resident_id("500101", date(1970, 6, 2), 3, "male")


@dataclass(frozen=True)
class Routes:
    """One write and the read of what it made, of one service."""

    service: Service[Any]
    write_path: str
    write_body: dict[str, Any]
    read_path: Callable[[dict[str, Any]], str]


ROUTES = {
    "fund-transfer": Routes(
        FUND,
        "/accounts",
        {"resident_id": RESIDENT, "name": "张三丰", "kind": "flexible"},
        lambda made: f"/accounts/{made['account_id']}",
    ),
    "insurance-years": Routes(
        INSURANCE,
        "/contribution-periods",
        {
            "resident_id": RESIDENT,
            "start_month": "2010-01",
            "end_month": "2015-12",
            "kind": "actual",
        },
        lambda made: f"/contribution-periods/{made['period_id']}",
    ),
}


@pytest.fixture(params=sorted(ROUTES))
def routes(request: pytest.FixtureRequest) -> Routes:
    return ROUTES[request.param]


@pytest.fixture
async def served(
    routes: Routes, database: str, tmp_path: Path, oidc_provider: OidcProvider
) -> AsyncIterator[tuple[httpx.AsyncClient, ServiceRuntime]]:
    """The service of Chongqing; its client sends no token unless a test gives one."""
    settings = settings_for(
        routes.service,
        "cq",
        database_url=database,
        key_folder=tmp_path,
        issuers=oidc_provider.issuers,
    )
    async with serve_without_bus(routes.service, settings, clock=FixedClock(NOW)) as pair:
        yield pair


async def row_counts(pool: asyncpg.Pool) -> dict[str, int]:
    """Rows of every table of the service's database (its own, the outbox, the kit's)."""
    tables = await pool.fetch(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
    )
    return {
        t["table_name"]: int(await pool.fetchval(f'SELECT count(*) FROM "{t["table_name"]}"'))
        for t in tables
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Idempotency-Key": '"same-key-every-time"'}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hs256(claims: dict[str, Any], secret: bytes) -> str:
    signed = ".".join(
        _b64(json.dumps(part).encode())
        for part in ({"alg": "HS256", "typ": "JWT", "kid": "cq"}, claims)
    )
    mac = hmac.new(secret, signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{_b64(mac)}"


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def bad_tokens(provider: OidcProvider, service: Service[Any]) -> dict[str, str | None]:
    """Each token that must be answered 401 (None: no Authorization header at all)."""
    name, agency = service.name, service.agency

    def clerk(city: str = "cq", **changes: Any) -> str:
        return provider.token(city, audience=name, role="clerk", agency=agency, **changes)

    good = clerk()
    header, payload, signature = good.split(".")
    other_agency = provider.token("cq", audience=name, role="clerk", agency="elsewhere")
    forged_payload = _b64(json.dumps({**_claims(other_agency), "agency": agency}).encode())
    rogue_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    valid_claims = _claims(good)
    return {
        "no token": None,
        "expired": clerk(lifetime="expired"),
        "not yet valid": clerk(lifetime="future"),
        "wrong issuer": provider.token("elsewhere", audience=name, role="clerk", agency=agency),
        "wrong audience": provider.token(
            "cq", audience="another-service", role="clerk", agency=agency
        ),
        "alg none": ".".join(
            [_b64(json.dumps({"alg": "none", "typ": "JWT"}).encode()), payload, ""]
        ),
        # The classic confusion: the issuer's published keys used as an HMAC secret.
        "hmac with the public keys": _hs256(
            valid_claims, httpx.get(f"{provider.issuer('cq')}/jwks").content
        ),
        "unknown key": jwt.encode(
            valid_claims, rogue_key, algorithm="RS256", headers={"kid": "rogue"}
        ),
        "the issuer's key id, another key": jwt.encode(
            valid_claims, rogue_key, algorithm="RS256", headers={"kid": "cq"}
        ),
        "tampered payload": ".".join(
            [other_agency.split(".")[0], forged_payload, other_agency.split(".")[2]]
        ),
        "not a jwt": "not-a-token",
        "signature cut": f"{header}.{payload}.{signature[:-4]}",
    }


async def test_a_missing_or_invalid_token_is_401_and_writes_nothing(
    routes: Routes,
    served: tuple[httpx.AsyncClient, ServiceRuntime],
    oidc_provider: OidcProvider,
) -> None:
    client, runtime = served
    before = await row_counts(runtime.pool)
    for case, token in bad_tokens(oidc_provider, routes.service).items():
        headers = {} if token is None else bearer(token)
        for answer in (
            await client.post(routes.write_path, json=routes.write_body, headers=headers),
            await client.get(
                routes.read_path({"account_id": "a", "period_id": "p"}), headers=headers
            ),
        ):
            assert answer.status_code == 401, (case, answer.text)
            challenge = answer.headers["WWW-Authenticate"]
            assert challenge.startswith("Bearer realm="), case
            if token is not None:
                assert 'error="invalid_token"' in challenge, (case, challenge)
            assert answer.json()["error"] == "unauthenticated"
    assert await row_counts(runtime.pool) == before


async def test_a_valid_token_with_too_little_a_role_is_403_and_writes_nothing(
    routes: Routes,
    served: tuple[httpx.AsyncClient, ServiceRuntime],
    oidc_provider: OidcProvider,
) -> None:
    client, runtime = served
    name, agency = routes.service.name, routes.service.agency
    refused = {
        "the other city's clerk": oidc_provider.token(
            "cd", audience=name, role="clerk", agency=agency
        ),
        "the other agency's clerk": oidc_provider.token(
            "cq", audience=name, role="clerk", agency="hpf" if agency != "hpf" else "mi"
        ),
        "an auditor": oidc_provider.token("cq", audience=name, role="auditor", agency="audit"),
        "a reader": oidc_provider.token("cq", audience=name, role="reader", agency=agency),
        "no role": oidc_provider.token("cq", audience=name, role="visitor", agency=agency),
    }
    before = await row_counts(runtime.pool)
    for case, token in refused.items():
        answer = await client.post(routes.write_path, json=routes.write_body, headers=bearer(token))
        assert answer.status_code == 403, (case, answer.text)
        assert answer.json()["error"] == "forbidden-role"
        assert f"clerk of agency {agency} in city cq" in answer.json()["message"]
        assert 'error="insufficient_scope"' in answer.headers["WWW-Authenticate"]
    assert await row_counts(runtime.pool) == before


async def test_a_clerk_writes_a_reader_here_and_an_auditor_of_the_other_city_read(
    routes: Routes,
    served: tuple[httpx.AsyncClient, ServiceRuntime],
    oidc_provider: OidcProvider,
) -> None:
    client, _ = served
    name, agency = routes.service.name, routes.service.agency
    clerk = oidc_provider.token("cq", audience=name, role="clerk", agency=agency)
    written = await client.post(routes.write_path, json=routes.write_body, headers=bearer(clerk))
    assert written.status_code == 201, written.text
    path = routes.read_path(written.json())
    readers = {
        "a reader of cq": oidc_provider.token("cq", audience=name, role="reader", agency="hpf"),
        "an auditor of cd": oidc_provider.token(
            "cd", audience=name, role="auditor", agency="audit"
        ),
        "the clerk": clerk,
    }
    for case, token in readers.items():
        answer = await client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, (case, answer.text)
    # A reader of the other city may not.
    other_reader = oidc_provider.token("cd", audience=name, role="reader", agency=agency)
    answer = await client.get(path, headers={"Authorization": f"Bearer {other_reader}"})
    assert answer.status_code == 403


async def test_two_clerks_idempotency_keys_never_meet(
    served: tuple[httpx.AsyncClient, ServiceRuntime],
    routes: Routes,
    oidc_provider: OidcProvider,
) -> None:
    client, runtime = served
    name, agency = routes.service.name, routes.service.agency
    answers = []
    for subject in ("clerk-a", "clerk-b"):
        token = oidc_provider.token(
            "cq", audience=name, role="clerk", agency=agency, subject=subject
        )
        # Another person under the same key: another request.
        body = {**routes.write_body, "resident_id": RESIDENT if subject == "clerk-a" else OTHER}
        answers.append(await client.post(routes.write_path, json=body, headers=bearer(token)))
    # The same key from another clerk is that clerk's own: neither a replay nor a 422.
    assert answers[0].headers.get("Idempotent-Replayed") is None
    assert answers[1].headers.get("Idempotent-Replayed") is None
    assert [a.status_code for a in answers] == [201, 201], answers[1].text
    assert int(await runtime.pool.fetchval("SELECT count(*) FROM idempotency_key")) == 2


async def test_health_readiness_and_metrics_need_no_token_and_openapi_declares_bearer(
    served: tuple[httpx.AsyncClient, ServiceRuntime],
) -> None:
    client, _ = served
    for path in ("/healthz", "/readyz", "/metrics"):
        assert (await client.get(path)).status_code == 200, path
    schema = (await client.get("/openapi.json")).json()
    assert schema["components"]["securitySchemes"]["clerkToken"]["scheme"] == "bearer"
