"""The service processes that the local stack (``chengyu stack up``) runs, found in the
workspace: every ``services/*/pyproject.toml`` with a ``[tool.chengyu.service]`` table

    [tool.chengyu.service]
    name = "fund-transfer"          # SERVICE_NAME, as the package's service.py declares it
    package = "chengyu_fund_transfer"
    agency = "hpf"                  # the agency whose key signs its events
    port = 1                        # HTTP port 8100+port in Chongqing, 8200+port in Chengdu

is one service, run once per city. Adding a service edits nothing here: its own
pyproject declares it. The stack gives every process the environment that
``chengyu_kit.settings.ServiceSettings`` reads — ``CITY``, ``KAFKA_BOOTSTRAP``,
``DATABASE_URL`` (its own database, created by the stack), ``HTTP_HOST``, ``HTTP_PORT``,
key files — plus the entry's own ``env``; it runs ``python -m chengyu_kit.run <package>``
with the workspace's interpreter (every workspace member is installed in ``.venv`` by
``uv sync --all-packages``), writes ``.chengyu/run/<id>.pid`` and
``.chengyu/logs/<id>.log`` and waits until ``GET /readyz`` answers 200.

The stack never imports a service: it reads their pyproject files.
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from chengyu_contracts.cities import CITIES, City
from chengyu_ops.paths import find_project_root

__all__ = ["City", "ServiceSpec", "discover_services", "find_service", "stack_services"]

#: First HTTP port of each city's services (the service's ``port`` is added).
CITY_PORT_BASE: dict[City, int] = {"cq": 8100, "cd": 8200}


@dataclass(frozen=True)
class ServiceSpec:
    """One service process of the local stack."""

    name: str  # e.g. "fund-transfer"
    city: City
    module: str  # the service's package, run as `python -m chengyu_kit.run <module>`
    http_port: int
    agency: str = ""  # issuing agency, e.g. "hpf"
    env: Mapping[str, str] = field(default_factory=dict)
    database: str | None = None  # default "<name>_<city>" with '-' as '_'
    runner: str = "chengyu_kit.run"  # the module that runs the package

    @property
    def id(self) -> str:
        """``<name>-<city>``: names the pid and log files."""
        return f"{self.name}-{self.city}"

    @property
    def database_name(self) -> str:
        """The service's own database: ``database`` or ``<name>_<city>``."""
        return self.database or f"{self.name}_{self.city}".replace("-", "_")

    @property
    def command(self) -> list[str]:
        """How the stack starts it: the kit's runner with the service's package."""
        return [sys.executable, "-m", self.runner, self.module]

    @property
    def url(self) -> str:
        """Base URL of its HTTP API (the stack binds every service to the loopback)."""
        return f"http://127.0.0.1:{self.http_port}"


class ServiceDeclarationError(ValueError):
    """A service's ``[tool.chengyu.service]`` table is missing a field or malformed."""


def discover_services(root: Path) -> tuple[ServiceSpec, ...]:
    """One entry per city of every service declared under ``root/services``, ordered by
    port then city."""
    found: list[tuple[int, str, str, str]] = []
    for pyproject in sorted((root / "services").glob("*/pyproject.toml")):
        table = tomllib.loads(pyproject.read_text()).get("tool", {}).get("chengyu", {})
        declared = table.get("service")
        if declared is None:
            continue
        try:
            name, package, agency = declared["name"], declared["package"], declared["agency"]
            port = int(declared["port"])
        except (KeyError, TypeError, ValueError) as error:
            raise ServiceDeclarationError(
                f"{pyproject}: [tool.chengyu.service] needs name, package, agency and a "
                f"numeric port ({error})"
            ) from None
        if not 1 <= port <= 99:
            raise ServiceDeclarationError(f"{pyproject}: port must be 1 to 99, not {port}")
        found.append((port, name, package, agency))
    ports = [port for port, *_ in found]
    if len(ports) != len(set(ports)):
        raise ServiceDeclarationError(f"two services under {root / 'services'} share a port")
    return tuple(
        ServiceSpec(name, city, package, agency=agency, http_port=CITY_PORT_BASE[city] + port)
        for port, name, package, agency in sorted(found)
        for city in CITIES
    )


@cache
def stack_services(root: Path | None = None) -> tuple[ServiceSpec, ...]:
    """The services of the project at ``root`` (default: this checkout's)."""
    return discover_services(root or find_project_root())


def find_service(
    name: str, city: City, services: tuple[ServiceSpec, ...] | None = None
) -> ServiceSpec:
    """The entry of service ``name`` in ``city``; ``LookupError`` if the stack has none."""
    for spec in stack_services() if services is None else services:
        if spec.name == name and spec.city == city:
            return spec
    raise LookupError(f"no service {name!r} for city {city!r} in the stack's registry")
