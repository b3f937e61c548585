"""Who may do what: clerks' OAuth 2.0 bearer tokens, verified, and the roles routes need.

A clerk signs in at their city's OpenID Connect provider and sends its access token (a
JWT, RFC 9068 profile) as ``Authorization: Bearer <token>``. :class:`TokenVerifier`
checks it against the provider's keys, found through its discovery document
(``<issuer>/.well-known/openid-configuration`` -> ``jwks_uri``), cached and fetched again
when a token names a key id the cache does not know (a provider rotating its keys):

* the header's ``alg`` is one of :data:`ALGORITHMS` (asymmetric only: never ``none``,
  never an HMAC algorithm, which would let a public key be used as a shared secret);
* ``iss`` is this city's issuer (``OIDC_ISSUER``) or another city's (``OIDC_PEER_ISSUERS``,
  whose auditors may read here); the token's city is the city of its issuer, and a
  ``city`` claim must agree with it;
* ``aud`` names this service (``OIDC_AUDIENCE``, default the service's name);
* ``exp``, ``nbf`` and ``iat`` hold now, with :data:`LEEWAY_SECONDS` of clock skew;
* ``sub`` is present; ``roles`` is a list of role names; ``agency`` names the clerk's agency.

Roles (claim ``roles``; see the kit README, "Who may do what"):

* ``clerk``: writes, and reads, of its own agency's services in its own city;
* ``reader``: reads of every service of its own city;
* ``auditor``: reads of every service of every city; never writes.

Routes declare what they need (:class:`Access`): a route of ``service_router()`` that
changes state needs ``WRITE`` (its default for POST, PUT, PATCH, DELETE), one that only
looks needs ``READ`` (the default for GET, and for a POST marked with
:func:`chengyu_kit.web.reads`); a GET of public data that a browser opens by navigation
(which cannot send a bearer token) may be marked :func:`chengyu_kit.web.public` and needs
nothing (``PUBLIC``). The route class checks before anything else runs, so a refused
request never touches the database.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from jwt import PyJWK, PyJWKSet

from chengyu_contracts.cities import City
from chengyu_kit.logs import get_logger

log = get_logger(__name__)

#: Signature algorithms accepted. Asymmetric only: ``none`` and the HMAC family are never
#: accepted, whatever a token's header says.
ALGORITHMS: tuple[str, ...] = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "EdDSA",
)
#: Clock skew tolerated between the provider and this service, for exp, nbf and iat.
LEEWAY_SECONDS = 30.0
#: A token naming an unknown key id makes the verifier fetch the JWKS again, at most this
#: often per issuer, so that a stream of made-up key ids cannot flood the provider.
JWKS_REFRESH_SECONDS = 10.0
#: Verified tokens remembered (by their exact text) so that a clerk's next request with
#: the same token skips the signature check; their time claims are checked every time.
VERIFIED_CACHE_SIZE = 4096
#: Header types of an access token: RFC 9068's ``at+jwt``, or plain ``JWT`` (what many
#: providers, the local stack's included, still write).
TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt", "jwt"})

ROLES = frozenset({"clerk", "reader", "auditor"})


class Access(enum.Enum):
    """What a route needs of the clerk calling it."""

    #: Change state: a ``clerk`` of this service's agency in this city.
    WRITE = "write"
    #: Only look: a ``reader`` of this city, a ``clerk`` of this agency here, or an ``auditor``.
    READ = "read"
    #: Anyone, without a token: a GET of public data only (a route marked
    #: :func:`chengyu_kit.web.public`; a write can never be public).
    PUBLIC = "public"


class InvalidToken(Exception):
    """The bearer token is missing or not acceptable: answered 401 with this description
    (never the token or its claims' values)."""

    def __init__(self, description: str, *, error: str | None = "invalid_token") -> None:
        super().__init__(description)
        self.description = description
        self.error = error  # None: no token at all (RFC 6750 3.1: no error code then)


@dataclass(frozen=True)
class Principal:
    """Who a verified token says is calling: an opaque subject, never a name."""

    subject: str
    city: City
    agency: str | None
    roles: frozenset[str]


@dataclass(frozen=True)
class Grant:
    """Why a principal may use a route: the role that allowed it."""

    role: str


def authorise(principal: Principal, access: Access, *, city: City, agency: str) -> Grant | str:
    """The role under which ``principal`` may use a route needing ``access`` of the service
    of ``agency`` in ``city``, or the sentence naming the role it lacks."""
    own_city = principal.city == city
    own_agency = own_city and principal.agency == agency
    if "clerk" in principal.roles and own_agency:
        return Grant("clerk")
    if access is Access.WRITE:
        return f"this route needs the role clerk of agency {agency} in city {city}"
    if "reader" in principal.roles and own_city:
        return Grant("reader")
    if "auditor" in principal.roles:
        return Grant("auditor")
    return (
        f"this route needs the role reader of city {city}, clerk of agency {agency} "
        f"in city {city}, or auditor"
    )


@dataclass(frozen=True)
class _Verified:
    principal: Principal
    not_before: float
    expires: float


@dataclass
class _Keys:
    jwks_uri: str | None = None
    keys: Mapping[str, PyJWK] | None = None
    fetched_at: float = float("-inf")


class TokenVerifier:
    """Verifies bearer tokens of the configured issuers for one audience (module docstring)."""

    def __init__(
        self,
        issuers: Mapping[City, str],
        audience: str,
        *,
        leeway: float = LEEWAY_SECONDS,
        http_timeout: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._cities = {issuer: city for city, issuer in issuers.items()}
        self._audience = audience
        self._leeway = leeway
        self._timeout = http_timeout
        self._monotonic = monotonic
        self._wall_clock = wall_clock
        self._transport = transport  # tests: a provider in the same process
        # Keyed by the token's SHA-256: the same bytes verified once need not be again
        # (a signature's verdict never changes); only exp and nbf move with time.
        self._verified: OrderedDict[bytes, _Verified] = OrderedDict()
        self._keys = {issuer: _Keys() for issuer in self._cities}
        self._locks = {issuer: asyncio.Lock() for issuer in self._cities}

    @property
    def issuers(self) -> Mapping[str, City]:
        """Each trusted issuer and its city."""
        return dict(self._cities)

    async def verify(self, authorization: str | None) -> Principal:
        """The principal of an ``Authorization`` header's bearer token; raises
        :class:`InvalidToken` saying what is wrong."""
        token = _bearer(authorization)
        digest = hashlib.sha256(token.encode()).digest()
        remembered = self._verified.get(digest)
        if remembered is not None:
            now = self._wall_clock()
            if now >= remembered.expires + self._leeway:
                raise InvalidToken("the token has expired")
            if now < remembered.not_before - self._leeway:
                raise InvalidToken("the token is not valid yet")
            return remembered.principal
        principal, claims = await self._verify(token)
        self._verified[digest] = _Verified(
            principal, float(claims.get("nbf", claims["iat"])), float(claims["exp"])
        )
        if len(self._verified) > VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)
        return principal

    async def _verify(self, token: str) -> tuple[Principal, dict[str, Any]]:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise InvalidToken("the token is not a well-formed JWT") from None
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise InvalidToken("the token's signature algorithm is not accepted")
        typ = header.get("typ")
        if typ is not None and str(typ).lower() not in TOKEN_TYPES:
            raise InvalidToken("the token is not an access token")
        issuer = unverified.get("iss")
        city = self._cities.get(issuer) if isinstance(issuer, str) else None
        if city is None or not isinstance(issuer, str):
            raise InvalidToken("the token's issuer is not trusted here")
        key = await self._key(issuer, header.get("kid"))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self._audience,
                issuer=issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise InvalidToken("the token is not valid yet") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken("the token is not meant for this service") from None
        except jwt.InvalidSignatureError:
            raise InvalidToken("the token's signature does not verify") from None
        except jwt.PyJWTError:
            raise InvalidToken("the token is not acceptable") from None
        return _principal(claims, city), claims

    async def keys_available(self, city: City) -> bool:
        """Whether the keys of ``city``'s issuer are known (fetched now if not yet): the
        readiness of a service whose clerks sign in there. Another city's provider being
        down must not make this city's service unready, so only its own is asked."""
        for issuer, of_city in self._cities.items():
            if of_city != city or self._keys[issuer].keys is not None:
                continue
            async with self._locks[issuer]:
                if self._keys[issuer].keys is None:
                    try:
                        await self._refresh(issuer)
                    except InvalidToken:
                        return False
        return True

    async def _key(self, issuer: str, kid: object) -> PyJWK:
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("the token names no signing key")
        cached = self._keys[issuer]
        if cached.keys is not None and kid in cached.keys:
            return cached.keys[kid]
        async with self._locks[issuer]:
            cached = self._keys[issuer]
            if cached.keys is None or (
                kid not in cached.keys
                and self._monotonic() - cached.fetched_at >= JWKS_REFRESH_SECONDS
            ):
                await self._refresh(issuer)
        keys = self._keys[issuer].keys or {}
        if kid not in keys:
            raise InvalidToken("the token is signed by a key its issuer does not publish")
        return keys[kid]

    async def _refresh(self, issuer: str) -> None:
        cached = self._keys[issuer]
        try:
            async with httpx.AsyncClient(
                timeout=self._timeout, transport=self._transport
            ) as client:
                if cached.jwks_uri is None:
                    discovery_url = issuer.rstrip("/") + "/.well-known/openid-configuration"
                    found = await client.get(discovery_url)
                    found.raise_for_status()
                    discovery = found.json()
                    if discovery.get("issuer") != issuer:
                        raise InvalidToken("the provider's discovery names another issuer")
                    cached.jwks_uri = str(discovery["jwks_uri"])
                answer = await client.get(cached.jwks_uri)
                answer.raise_for_status()
                jwks = PyJWKSet.from_dict(answer.json())
        except (httpx.HTTPError, ValueError, KeyError, jwt.PyJWTError) as error:
            # The provider cannot be asked: refuse (fail closed), say so once per attempt
            # in one line naming the issuer (never a token), and try again next time.
            cached.fetched_at = self._monotonic()
            log.warning(
                "identity provider's keys unavailable",
                issuer=issuer,
                reason=f"{type(error).__name__}: {error}"[:200],
            )
            raise InvalidToken("the token's issuer cannot be reached to check it") from None
        cached.keys = {key.key_id: key for key in jwks.keys if key.key_id}
        cached.fetched_at = self._monotonic()


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise InvalidToken("a bearer token is required", error=None)
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken(
            "the Authorization header is not a bearer token", error="invalid_request"
        )
    return token.strip()


def _principal(claims: Mapping[str, Any], city: City) -> Principal:
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise InvalidToken("the token has no subject")
    claimed_city = claims.get("city")
    if claimed_city is not None and claimed_city != city:
        raise InvalidToken("the token's city is not its issuer's")
    roles = claims.get("roles", [])
    if isinstance(roles, str):
        roles = roles.split()
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise InvalidToken("the token's roles claim is not a list of names")
    agency = claims.get("agency")
    if agency is not None and not isinstance(agency, str):
        raise InvalidToken("the token's agency claim is not a name")
    return Principal(subject, city, agency, frozenset(roles) & ROLES)


def www_authenticate(error: InvalidToken, realm: str) -> str:
    """The ``WWW-Authenticate`` value of a 401 (RFC 6750 section 3)."""
    if error.error is None:
        return f'Bearer realm="{realm}"'
    return f'Bearer realm="{realm}", error="{error.error}", error_description="{error.description}"'
