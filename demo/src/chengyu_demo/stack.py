"""What the demo knows of the local stack it runs on: the two cities, where each city's
services answer by default, and where the stack keeps its state (the demo records each
seed's finished runs there).

The ports are those the two services declare in their pyproject (``[tool.chengyu.service]``
``port``: 8100+port in Chongqing, 8200+port in Chengdu); the state folder is the kit's
(``chengyu_kit.local.paths``). The demo never imports ops, nor ops the demo. Every default
can be overridden on the command line (``--cq-url`` ...) or with ``CHENGYU_HOME``.
"""

from __future__ import annotations

from chengyu_contracts.cities import CITIES, City, other_city
from chengyu_kit.local.paths import find_project_root, state_home

__all__ = ["CITIES", "City", "default_url", "find_project_root", "other_city", "state_home"]

#: The HTTP port of each service of the local stack, by city.
STACK_PORTS: dict[str, dict[City, int]] = {
    "fund-transfer": {"cq": 8101, "cd": 8201},
    "insurance-years": {"cq": 8102, "cd": 8202},
}


def default_url(service: str, city: City) -> str:
    """Base URL of ``service`` in ``city`` on the local stack (bound to the loopback)."""
    return f"http://127.0.0.1:{STACK_PORTS[service][city]}"
