"""The map query's SQL answers exactly what its specification (:func:`query.select`)
answers, on a real PostgreSQL, for random institutions of both cities and random
queries."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import replace

import asyncpg
import pytest
from elder_institution_builders import random_institution
from elder_institution_bus import SERVICE

from chengyu_elder_allowance.institutions.institution import Institution
from chengyu_elder_allowance.institutions.query import MapPage, MapQuery, parse_query, select
from chengyu_elder_allowance.institutions.store import keep_if_newer, query_map
from chengyu_kit.testing.bus import migrated_pool

pytestmark = pytest.mark.integration

SEED = 20261015
DISTRICTS = ("", "500103", "500112", "510104", "510107")
POINTS = ("29.563,106.551", "30.572,104.066", "30.1,105.4", "31.0,108.0")


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    opened = await migrated_pool(database, SERVICE.migrations)
    yield opened
    await opened.close()


def random_query(rng: random.Random) -> MapQuery:
    parameters: dict[str, str | None] = {
        "city": rng.choice(("", "cq", "cd")),
        "district": rng.choice(DISTRICTS),
        "min_grade": rng.choice(("", "1", "3", "5")),
        "with_vacancies": rng.choice(("", "true", "false")),
        "page": str(rng.choice((1, 1, 2, 3, 40))),
        "page_size": str(rng.choice((1, 7, 50, 200))),
    }
    if rng.random() < 0.6:
        parameters["near"] = rng.choice(POINTS)
        parameters["within_km"] = rng.choice(("", "5", "20", "150", "20000"))
        parameters["sort"] = rng.choice(("distance", "grade", "name"))
    else:
        parameters["sort"] = rng.choice(("grade", "name"))
    return parse_query(parameters)


def summary(page: MapPage) -> tuple[int, list[tuple[str, float | None]]]:
    return page.total, [
        (f.institution.institution_id, None if f.distance_km is None else round(f.distance_km, 6))
        for f in page.items
    ]


async def test_the_sql_answers_what_the_specification_answers(pool: asyncpg.Pool) -> None:
    rng = random.Random(SEED)
    institutions: list[Institution] = [
        random_institution(rng, rng.choice(("cq", "cd")), serial) for serial in range(400)
    ]
    async with pool.acquire() as conn:
        for institution in institutions:
            assert await keep_if_newer(conn, institution)
        answered = 0
        for _ in range(300):
            query = random_query(rng)
            page = await query_map(conn, query)
            assert summary(page) == summary(select(institutions, query)), query
            answered += bool(page.items)
    assert answered > 100  # the comparison saw real pages, not only empty ones


async def test_an_older_or_equal_version_is_not_kept(pool: asyncpg.Pool) -> None:
    rng = random.Random(SEED)
    newer = random_institution(rng, "cq", 1)
    async with pool.acquire() as conn:
        assert await keep_if_newer(conn, replace(newer, version=3))
        assert not await keep_if_newer(conn, replace(newer, version=3, vacancies=0))
        assert not await keep_if_newer(conn, replace(newer, version=2, vacancies=0))
        stored = await conn.fetchrow("SELECT version, vacancies FROM institution")
    assert stored is not None
    assert (stored["version"], stored["vacancies"]) == (3, newer.vacancies)
