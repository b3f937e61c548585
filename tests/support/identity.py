"""The session's OIDC provider for the cross-service tests: settings trusting it and a
clerk's ``Authorization`` header for a service process's API.

``tests/conftest.py`` hands the kit plugin's ``oidc_provider`` to :func:`use_provider` for
every session (the demo's tests do it themselves), so the settings helpers need no extra
parameter at each of their many call sites.
"""

from __future__ import annotations

from typing import Any

from chengyu_kit.local.oidc import OidcProvider
from chengyu_kit.testing.stand_in import oidc_settings

_provider: list[OidcProvider] = []


def use_provider(provider: OidcProvider) -> None:
    """Make ``provider`` the one whose tokens the services of this session trust."""
    _provider[:] = [provider]


def provider() -> OidcProvider:
    """The session's provider (see :func:`use_provider`)."""
    if not _provider:
        raise RuntimeError("no OIDC provider: ask for the oidc_provider fixture first")
    return _provider[0]


def oidc_fields(city: str) -> dict[str, Any]:
    """Settings fields trusting the session's provider, ``city``'s issuer as the own one."""
    return oidc_settings(city, provider().issuers)


def clerk_headers(city: str, service: str, agency: str) -> dict[str, str]:
    """The ``Authorization`` header of a clerk of ``agency`` in ``city`` for ``service``."""
    token = provider().token(city, audience=service, role="clerk", agency=agency)
    return {"Authorization": f"Bearer {token}"}
