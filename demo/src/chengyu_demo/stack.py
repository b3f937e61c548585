"""What the demo knows of the local stack it runs on: the two cities, where each city's
services answer by default, and where the stack keeps its state (the demo records each
seed's finished runs there).

The ports are those the services declare in their pyproject (``[tool.chengyu.service]``
``port``: 8100+port in Chongqing, 8200+port in Chengdu); the state folder is the kit's
(``chengyu_kit.local.paths``). The demo never imports ops, nor ops the demo. Every default
can be overridden on the command line (``--cq-url`` ...) or with ``CHENGYU_HOME``.
"""

from __future__ import annotations

from chengyu_contracts.cities import CITIES, City, other_city
from chengyu_kit.local.oidc import OidcProvider
from chengyu_kit.local.paths import find_project_root, state_home

__all__ = [
    "AGENCIES",
    "CITIES",
    "City",
    "NoIdentityProvider",
    "clerk_tokens",
    "default_url",
    "find_project_root",
    "other_city",
    "state_home",
]

#: The agency whose clerks act on each service.
AGENCIES: dict[str, str] = {
    "fund-transfer": "hpf",
    "insurance-years": "mi",
    "elder-allowance": "ca",
    "blood-dispatch": "blood",
    "job-matching": "hr",
}

#: The HTTP port of each service of the local stack, by city.
STACK_PORTS: dict[str, dict[City, int]] = {
    "fund-transfer": {"cq": 8101, "cd": 8201},
    "insurance-years": {"cq": 8102, "cd": 8202},
    "elder-allowance": {"cq": 8103, "cd": 8203},
    "blood-dispatch": {"cq": 8104, "cd": 8204},
    "job-matching": {"cq": 8105, "cd": 8205},
}


def default_url(service: str, city: City) -> str:
    """Base URL of ``service`` in ``city`` on the local stack (bound to the loopback)."""
    return f"http://127.0.0.1:{STACK_PORTS[service][city]}"


class NoIdentityProvider(RuntimeError):
    """The stack's OIDC provider is not running: the demo's clerks cannot sign in."""


def clerk_tokens(service: str) -> dict[City, str]:
    """An access token per city of a clerk of ``service``'s agency (``demo-<agency>-<city>``),
    from the local stack's OIDC provider (an issuer per city)."""
    provider = OidcProvider.attach(state_home(find_project_root()) / "oidc")
    if provider is None or provider.pid() is None:
        raise NoIdentityProvider("the stack's OIDC provider is not running: make up first")
    agency = AGENCIES[service]
    return {
        city: provider.token(
            city, audience=service, role="clerk", agency=agency, subject=f"demo-{agency}-{city}"
        )
        for city in CITIES
    }
