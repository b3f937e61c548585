"""The registry of service processes that the local stack (``chengyu stack up``) runs.

Each entry is one service in one city. The stack gives every process the environment that
``chengyu_kit.settings.ServiceSettings`` reads — ``CITY``, ``SERVICE_NAME``, ``AGENCY``,
``KAFKA_BOOTSTRAP``, ``DATABASE_URL`` (its own database, created by the stack),
``HTTP_HOST``, ``HTTP_PORT`` — plus the entry's own ``env``; it runs
``python -m chengyu_kit.run <package>`` with the workspace's interpreter (the kit runs
the service that ``<package>.service`` declares), writes ``.chengyu/run/<id>.pid`` and
``.chengyu/logs/<id>.log`` and waits until ``GET http://HTTP_HOST:HTTP_PORT/readyz`` answers 200.

Services add themselves to :data:`SERVICES` in their own issues. The service's package
must be importable by the workspace's interpreter (every workspace member is installed in
``.venv`` by ``uv sync --all-packages``), since the stack runs it with that interpreter.

Port plan: 81xx for Chongqing (cq), 82xx for Chengdu (cd), xx the service's number:

    01  fund-transfer    (provident fund, agency ``hpf``)
    02  insurance-years  (medical insurance, agency ``mi``)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from chengyu_contracts.cities import City

__all__ = ["SERVICES", "City", "ServiceSpec", "find_service"]


@dataclass(frozen=True)
class ServiceSpec:
    """One service process of the local stack."""

    name: str  # e.g. "fund-transfer"
    city: City
    package: str  # run as `python -m chengyu_kit.run <package>`
    http_port: int
    agency: str = ""  # issuing agency, e.g. "hpf"
    env: Mapping[str, str] = field(default_factory=dict)
    database: str | None = None  # default "<name>_<city>" with '-' as '_'
    # The module run with the package as its one argument: the kit's runner, except for
    # the stack's own tests, whose stand-in is no kit service.
    runner: str = "chengyu_kit.run"

    @property
    def id(self) -> str:
        """``<name>-<city>``: names the pid and log files."""
        return f"{self.name}-{self.city}"

    @property
    def database_name(self) -> str:
        """The service's own database: ``database`` or ``<name>_<city>``."""
        return self.database or f"{self.name}_{self.city}".replace("-", "_")

    @property
    def url(self) -> str:
        """Base URL of its HTTP API (the stack binds every service to the loopback)."""
        return f"http://127.0.0.1:{self.http_port}"


#: Every service process of the local stack, in start order.
SERVICES: tuple[ServiceSpec, ...] = (
    # Provident fund (住房公积金): accounts, the cross-city transfer saga, loans (issue 3).
    ServiceSpec("fund-transfer", "cq", "chengyu_fund_transfer", agency="hpf", http_port=8101),
    ServiceSpec("fund-transfer", "cd", "chengyu_fund_transfer", agency="hpf", http_port=8201),
    # Medical insurance (医保): contribution years across cities, retirement city, LTC (issue 4).
    ServiceSpec("insurance-years", "cq", "chengyu_insurance_years", agency="mi", http_port=8102),
    ServiceSpec("insurance-years", "cd", "chengyu_insurance_years", agency="mi", http_port=8202),
)


def find_service(
    name: str, city: City, services: tuple[ServiceSpec, ...] = SERVICES
) -> ServiceSpec:
    """The entry of service ``name`` in ``city``; ``LookupError`` if the stack has none."""
    for spec in services:
        if spec.name == name and spec.city == city:
            return spec
    raise LookupError(f"no service {name!r} for city {city!r} in the stack's registry")
