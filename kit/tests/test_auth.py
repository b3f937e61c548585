"""The token verifier's key handling: keys found through discovery, fetched again when a
token names a key id not seen yet (a provider rotating its keys), not more often than
every few seconds, and a verified token remembered until it expires."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from chengyu_contracts.cities import City
from chengyu_kit.auth import Access, Grant, InvalidToken, Principal, TokenVerifier, authorise

ISSUER = "https://id.cq.example/realm"


class Provider:
    """A provider in the test's process: discovery, a JWKS it can rotate, and a count of
    the JWKS fetches."""

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {"k1": _key()}
        self.jwks_fetches = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/.well-known/openid-configuration"):
            return httpx.Response(200, json={"issuer": ISSUER, "jwks_uri": f"{ISSUER}/jwks"})
        self.jwks_fetches += 1
        keys = []
        for kid, key in self.keys.items():
            jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
            keys.append({**jwk, "kid": kid, "alg": "RS256", "use": "sig"})
        return httpx.Response(200, json={"keys": keys})

    def token(self, kid: str, **claims: Any) -> str:
        now = int(time.time())
        body = {
            "iss": ISSUER,
            "aud": "svc",
            "sub": "clerk-9",
            "iat": now,
            "exp": now + 60,
            "city": "cq",
            "agency": "hpf",
            "roles": ["clerk"],
            **claims,
        }
        return jwt.encode(body, self.keys[kid], algorithm="RS256", headers={"kid": kid})


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def provider() -> Provider:
    return Provider()


def verifier(provider: Provider, clock: list[float]) -> TokenVerifier:
    return TokenVerifier(
        {"cq": ISSUER},
        "svc",
        transport=httpx.MockTransport(provider.handle),
        monotonic=lambda: clock[0],
    )


async def test_a_rotated_key_is_fetched_once_and_unknown_ids_do_not_flood_the_provider(
    provider: Provider,
) -> None:
    clock = [100.0]
    check = verifier(provider, clock)
    first = await check.verify(f"Bearer {provider.token('k1')}")
    assert first == Principal("clerk-9", "cq", "hpf", frozenset({"clerk"}))
    assert provider.jwks_fetches == 1

    # The provider rotates: a token of the new key makes the verifier fetch again...
    provider.keys["k2"] = _key()
    clock[0] += 11
    assert (await check.verify(f"Bearer {provider.token('k2')}")).subject == "clerk-9"
    assert provider.jwks_fetches == 2
    # ...but made-up key ids within 10 s of a fetch are refused without asking.
    for n in range(5):
        with pytest.raises(InvalidToken, match="does not publish"):
            await check.verify(f"Bearer {_rogue(n)}")
    assert provider.jwks_fetches == 2


def _rogue(n: int) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": "svc", "sub": "x", "iat": now, "exp": now + 60}
    return jwt.encode(claims, _key(), algorithm="RS256", headers={"kid": f"made-up-{n}"})


async def test_a_remembered_token_still_expires(provider: Provider) -> None:
    wall = [time.time()]
    check = TokenVerifier(
        {"cq": ISSUER},
        "svc",
        transport=httpx.MockTransport(provider.handle),
        wall_clock=lambda: wall[0],
    )
    token = f"Bearer {provider.token('k1')}"
    await check.verify(token)
    await check.verify(token)
    assert provider.jwks_fetches == 1
    wall[0] += 60 + 31  # past exp and the leeway
    with pytest.raises(InvalidToken, match="expired"):
        await check.verify(token)


def test_roles_grant_per_city_and_agency() -> None:
    def grant(city: City, agency: str, role: str, access: Access) -> str:
        principal = Principal("s", city, agency, frozenset({role}))
        granted = authorise(principal, access, city="cq", agency="hpf")
        return granted.role if isinstance(granted, Grant) else "refused"

    # A service of agency hpf in cq.
    assert grant("cq", "hpf", "clerk", Access.WRITE) == "clerk"
    assert grant("cd", "hpf", "clerk", Access.WRITE) == "refused"  # another city
    assert grant("cq", "mi", "clerk", Access.WRITE) == "refused"  # another agency
    assert grant("cq", "hpf", "auditor", Access.WRITE) == "refused"
    assert grant("cq", "hpf", "reader", Access.WRITE) == "refused"
    assert grant("cq", "mi", "clerk", Access.READ) == "refused"  # not its agency's data
    assert grant("cq", "mi", "reader", Access.READ) == "reader"
    assert grant("cd", "hpf", "reader", Access.READ) == "refused"
    assert grant("cd", "audit", "auditor", Access.READ) == "auditor"


async def test_an_unreachable_provider_refuses_tokens_and_makes_its_city_unready(
    provider: Provider,
) -> None:
    down = [True]

    def handle(request: httpx.Request) -> httpx.Response:
        if down[0]:
            raise httpx.ConnectError("connection refused", request=request)
        return provider.handle(request)

    clock = [0.0]
    check = TokenVerifier(
        {"cq": ISSUER, "cd": "https://id.cd.example/realm"},
        "svc",
        transport=httpx.MockTransport(handle),
        monotonic=lambda: clock[0],
    )
    assert not await check.keys_available("cq")
    with pytest.raises(InvalidToken, match="cannot be reached"):
        await check.verify(f"Bearer {provider.token('k1')}")
    down[0] = False
    assert await check.keys_available("cq")
    assert (await check.verify(f"Bearer {provider.token('k1')}")).city == "cq"
    # Only a city's own provider decides its readiness.
    down[0] = True
    assert await check.keys_available("cq")
