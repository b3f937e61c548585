"""The registry of service processes that the local stack (``chengyu stack up``) runs.

Each entry is one service in one city. The stack gives every process the environment that
``chengyu_kit.settings.ServiceSettings`` reads — ``CITY``, ``SERVICE_NAME``, ``AGENCY``,
``KAFKA_BOOTSTRAP``, ``DATABASE_URL`` (its own database, created by the stack),
``HTTP_HOST``, ``HTTP_PORT`` — plus the entry's own ``env``; it runs
``python -m <module>`` with the workspace's interpreter, writes ``.chengyu/run/<id>.pid`` and
``.chengyu/logs/<id>.log`` and waits until ``GET http://HTTP_HOST:HTTP_PORT/readyz`` answers 200.

Services add themselves to :data:`SERVICES` in their own issues, for example::

    ServiceSpec("fund-transfer", "cq", "chengyu_fund_transfer", agency="hpf", http_port=8101),
    ServiceSpec("fund-transfer", "cd", "chengyu_fund_transfer", agency="hpf", http_port=8201),

Port plan: 81xx for Chongqing (cq), 82xx for Chengdu (cd), xx the service's number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["SERVICES", "City", "ServiceSpec"]

City = Literal["cq", "cd"]


@dataclass(frozen=True)
class ServiceSpec:
    """One service process of the local stack."""

    name: str  # e.g. "fund-transfer"
    city: City
    module: str  # run as `python -m <module>`
    http_port: int
    agency: str = ""  # issuing agency, e.g. "hpf"
    env: Mapping[str, str] = field(default_factory=dict)
    database: str | None = None  # default "<name>_<city>" with '-' as '_'

    @property
    def id(self) -> str:
        """``<name>-<city>``: names the pid and log files."""
        return f"{self.name}-{self.city}"

    @property
    def database_name(self) -> str:
        return self.database or f"{self.name}_{self.city}".replace("-", "_")


#: Every service process of the local stack, in start order. Filled in by later issues.
SERVICES: tuple[ServiceSpec, ...] = ()
