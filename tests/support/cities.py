"""Both cities' settings for a scenario: each city's process on a fresh database, the two
sharing one person_ref key (the inter-city pseudonym key, as the cities share it)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TypeVar

from chengyu_contracts.cities import CITIES, City
from chengyu_kit.local.postgres import LocalPostgres

S = TypeVar("S")

#: One city's settings, given its database URL and the shared person_ref key (hex).
SettingsOf = Callable[[City, str, str], S]


async def both_cities_on_fresh_databases(
    postgres: LocalPostgres, service: str, settings_of: SettingsOf[S]
) -> dict[City, S]:
    """Settings of Chongqing's and Chengdu's processes of ``service`` (a database name
    prefix), each on a database of ``postgres`` created for it, with one person_ref key."""
    person_ref_key = secrets.token_hex(32)
    settings: dict[City, S] = {}
    for city in CITIES:
        name = f"{service}_{city}_{secrets.token_hex(4)}"
        await postgres.ensure_database(name)
        settings[city] = settings_of(city, postgres.dsn(name), person_ref_key)
    return settings
