"""The local OpenID Connect provider: mock-oauth2-server run from its jars on the JDK.

A stand-in for each city's real identity provider, for the local stack and the tests:
one separate process (never a function inside the product) serving an issuer per city
under ``http://127.0.0.1:<port>/<city>``, each with its discovery document, its JWKS and
a token endpoint. Its tokens carry the claims the services check (kit README, "Who may
do what"): ``sub``, ``aud``, ``city`` (fixed per issuer), ``agency`` and ``roles``.

* :func:`ensure_oidc_jars` fetches the jars named by ``deploy/oidc/pom.xml`` with Maven
  into ``.cache/oidc/<version>/libs`` (once; a marker file says the folder is complete).
* :class:`OidcProvider` starts, stops and reattaches to the process (a pid file in its
  folder) and asks it for tokens (:meth:`OidcProvider.token`).

Any other first path segment is an issuer too (the server makes one on demand): tests use
that for a token of an issuer no service trusts.

Run ``python -m chengyu_kit.local.oidc`` to fetch the jars and print their folder.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx

from chengyu_contracts.cities import CITIES
from chengyu_kit.local import processes as _proc
from chengyu_kit.local.maven import JarFetchError, ensure_jars, pom_property
from chengyu_kit.local.paths import find_project_root

__all__ = ["OidcError", "OidcProvider", "ensure_oidc_jars", "oidc_version"]

POM = Path("deploy") / "oidc" / "pom.xml"
_MAIN = "no.nav.security.mock.oauth2.StandaloneMockOAuth2ServerKt"
_PORT_FILE = "port"
#: Lifetime of an ordinary token (s): long enough for a walk-through, short enough to expire.
TOKEN_SECONDS = 3600
#: Literal instants of the tests' out-of-date tokens (the provider copies them into the token).
_EXPIRED = {"iat": 999_990_000, "nbf": 999_990_000, "exp": 1_000_000_000}
_FUTURE = {"iat": 4_000_000_000, "nbf": 4_000_000_000, "exp": 4_000_003_600}

Lifetime = Literal["normal", "expired", "future"]


class OidcError(RuntimeError):
    """The provider could not be fetched, started or asked; the message says why."""


def oidc_version(project_root: Path) -> str:
    """The provider's version: the ``oidc.server.version`` property of its pom."""
    try:
        return pom_property(project_root / POM, "oidc.server.version")
    except JarFetchError as error:
        raise OidcError(str(error)) from None


def ensure_oidc_jars(project_root: Path) -> Path:
    """The folder with the provider's jars, running Maven first if it is incomplete (see
    :func:`chengyu_kit.local.maven.ensure_jars`)."""
    version = oidc_version(project_root)
    try:
        return ensure_jars(
            project_root / POM,
            project_root / ".cache" / "oidc" / version / "libs",
            f"mock-oauth2-server-{version}",
            "the OIDC provider's jars",
        )
    except JarFetchError as error:
        raise OidcError(str(error)) from None


def provider_config(cities: tuple[str, ...] = CITIES) -> dict[str, object]:
    """The server's ``JSON_CONFIG``: per city an issuer whose tokens carry the city, and
    the subject, audience, agency and role asked for (request parameters)."""

    def claims(city: str, times: dict[str, int]) -> dict[str, object]:
        return {
            "sub": "${clientId}",
            "aud": ["${audience}"],
            "city": city,
            "agency": "${agency}",
            "roles": ["${role}"],
            **times,
        }

    return {
        "interactiveLogin": False,
        "tokenCallbacks": [
            {
                "issuerId": city,
                "tokenExpiry": TOKEN_SECONDS,
                # First match wins: the tests' out-of-date tokens, then the ordinary one.
                "requestMappings": [
                    {
                        "requestParam": "lifetime",
                        "match": "expired",
                        "claims": claims(city, _EXPIRED),
                    },
                    {
                        "requestParam": "lifetime",
                        "match": "future",
                        "claims": claims(city, _FUTURE),
                    },
                    {
                        "requestParam": "grant_type",
                        "match": "client_credentials",
                        "claims": claims(city, {}),
                    },
                ],
            }
            for city in cities
        ],
    }


@dataclass
class OidcProvider:
    """One provider process on ``127.0.0.1:port`` with its files in ``data_dir``."""

    data_dir: Path
    port: int
    jars: Path | None = None
    host: str = "127.0.0.1"

    @property
    def base_url(self) -> str:
        """Where the provider answers."""
        return f"http://{self.host}:{self.port}"

    def issuer(self, city: str) -> str:
        """The issuer URL of ``city`` (any other name is an issuer nobody trusts)."""
        return f"{self.base_url}/{city}"

    @property
    def issuers(self) -> dict[str, str]:
        """Each city's issuer URL."""
        return {city: self.issuer(city) for city in CITIES}

    @property
    def log_file(self) -> Path:
        """The process's output."""
        return self.data_dir / "provider.log"

    @property
    def _pid_file(self) -> Path:
        return self.data_dir / "provider.pid"

    def pid(self) -> int | None:
        """The running provider's pid, or None."""
        return _proc.running_pid(self._pid_file, _MAIN)

    @classmethod
    def attach(cls, data_dir: Path) -> OidcProvider | None:
        """The provider that a previous :meth:`start` left in ``data_dir``, if any."""
        port_file = data_dir / _PORT_FILE
        if not port_file.is_file():
            return None
        return cls(data_dir, int(port_file.read_text().strip()))

    def start(self, timeout: float = 60.0) -> None:
        """Start the process unless it runs, and wait until every city's discovery answers."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with _proc.file_lock(self.data_dir / ".lock"):
            if self.pid() is None:
                libs = self.jars or ensure_oidc_jars(find_project_root())
                env = {
                    **os.environ,
                    "SERVER_HOSTNAME": self.host,
                    "SERVER_PORT": str(self.port),
                    "JSON_CONFIG": json.dumps(provider_config()),
                    "LOG_LEVEL": "WARN",
                }
                argv = [_java(), "-Xmx128m", "-XX:+UseSerialGC", "-cp", f"{libs}/*", _MAIN]
                _proc.spawn_detached(argv, log_file=self.log_file, pid_file=self._pid_file, env=env)
                (self.data_dir / _PORT_FILE).write_text(f"{self.port}\n")
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until each city's discovery document is served."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pid() is None:
                raise OidcError(
                    f"the OIDC provider exited during start:\n{_proc.tail(self.log_file)}"
                )
            if self.ready():
                return
            time.sleep(0.2)
        raise OidcError(f"the OIDC provider at {self.base_url} is not ready after {timeout:.0f} s")

    def ready(self) -> bool:
        """Whether every city's discovery document answers."""
        try:
            for issuer in self.issuers.values():
                url = f"{issuer}/.well-known/openid-configuration"
                if httpx.get(url, timeout=2.0).status_code != 200:
                    return False
        except httpx.HTTPError:
            return False
        return True

    def stop(self, timeout: float = 20.0) -> None:
        """Stop the process (SIGTERM, then SIGKILL)."""
        pid = self.pid()
        if pid is not None:
            _proc.terminate(pid, marker=_MAIN, timeout=timeout)
        self._pid_file.unlink(missing_ok=True)

    def token(
        self,
        city: str,
        *,
        audience: str,
        role: str,
        agency: str,
        subject: str = "clerk-1",
        lifetime: Lifetime = "normal",
    ) -> str:
        """An access token of ``city``'s issuer for ``subject`` (an opaque clerk id) with one
        ``role`` of ``agency``, meant for the service ``audience``."""
        form = {
            "grant_type": "client_credentials",
            "client_id": subject,
            "client_secret": "local",  # the local provider accepts any client
            "audience": audience,
            "agency": agency,
            "role": role,
        }
        if lifetime != "normal":
            form["lifetime"] = lifetime
        answer = httpx.post(f"{self.issuer(city)}/token", data=form, timeout=10.0)
        if answer.status_code != 200:
            raise OidcError(f"the provider refused a token ({answer.status_code})")
        token: str = answer.json()["access_token"]
        return token


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise OidcError("java is not on PATH (the local OIDC provider runs on a JDK)")
    return java


def _main() -> None:
    print(ensure_oidc_jars(find_project_root()))


if __name__ == "__main__":
    _main()
