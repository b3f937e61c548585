"""Both cities' elder-allowance services on real PostgreSQL with the kit's hand-kept log
between them (:mod:`chengyu_kit.testing.bus`), and a clerk's institution actions on each
city through the use cases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from elder_institution_http import NOW

import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
from chengyu_contracts.cities import City
from chengyu_elder_allowance.handlers import elder_handlers
from chengyu_elder_allowance.institutions import usecases
from chengyu_elder_allowance.institutions.institution import Institution
from chengyu_elder_allowance.institutions.query import MapPage, parse_query
from chengyu_elder_allowance.policy import default_policy_book
from chengyu_elder_allowance.service import SERVICE as ELDER
from chengyu_kit.clock import FixedClock
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.testing import bus

SERVICE = bus.BusService.of(ELDER)


@dataclass(kw_only=True)
class ElderCity(bus.BusCity):
    """One city's service without Kafka, with a clerk's institution actions."""

    async def publish(self, institution_id: str, body: dict[str, Any]) -> usecases.Published:
        """Save (and publish) one of this city's institutions."""
        command = usecases.PublishInstitution(institution_id=institution_id, **body)
        async with self.unit() as unit:
            return await usecases.publish_institution(command, unit)

    async def query(self, **parameters: str) -> MapPage:
        """The map query as this city answers it."""
        async with self.unit() as unit:
            return await usecases.map_page(parse_query(parameters), unit)

    async def institution(self, institution_id: str) -> Institution:
        """An institution as this city knows it."""
        async with self.unit() as unit:
            return await usecases.institution(institution_id, unit)


Bus = bus.Bus[ElderCity]


async def two_cities(postgres: LocalPostgres) -> AsyncIterator[tuple[ElderCity, ElderCity, Bus]]:
    """Chongqing, Chengdu and the bus between them; closed after."""

    async def open_one(city: City) -> ElderCity:
        return await bus.open_city(
            postgres,
            SERVICE,
            city,
            handlers=elder_handlers(default_policy_book()),
            clock=FixedClock(NOW),
            make=ElderCity,
        )

    async for trio in bus.two_cities(open_one):
        yield trio
