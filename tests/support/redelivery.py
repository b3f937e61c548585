"""Duplicate delivery and dead letters, checked the same way for every service's end-to-end
test: every record of the service's topics published once more must change no row of
either city's database, and nothing may have gone to a dead-letter topic or been parked in
an inbox as dead-lettered."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

import asyncpg

from chengyu_contracts.cities import City
from chengyu_kit.outbox import OutgoingRecord
from tests.support.insurance import publish_records
from tests.support.kafka_io import dead_letters, read_all

__all__ = ["assert_nothing_dead_lettered", "deliver_everything_again", "snapshot"]

# Tables whose rows change without any event (the kit's request bookkeeping) or only count.
_NOT_SNAPSHOT = frozenset({"outbox", "idempotency_key", "write_log", "schema_migrations"})


async def snapshot(pool: asyncpg.Pool) -> dict[str, list[str]]:
    """Every row of every table of a city's database (as JSON, sorted), and how many
    records its outbox ever held: what a duplicate delivery must not change."""
    tables = [
        r["table_name"]
        for r in await pool.fetch(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
    ]
    found: dict[str, list[str]] = {}
    for table in tables:
        if table in _NOT_SNAPSHOT or table.startswith("_"):
            continue
        rows = await pool.fetch(f'SELECT row_to_json(t)::text AS row FROM "{table}" t')
        found[table] = sorted(r["row"] for r in rows)
    found["outbox"] = [str(await pool.fetchval("SELECT count(*) FROM outbox"))]
    return found


async def deliver_everything_again(
    bootstrap: str,
    topics: Sequence[str],
    pools: Mapping[City, asyncpg.Pool],
    settle: Callable[[], Awaitable[object]],
) -> int:
    """Publish every record of ``topics`` once more, as it is, wait for ``settle``, and
    assert that no row of any city's database changed; how many records went again."""
    before = {city: await snapshot(pool) for city, pool in pools.items()}
    records = [
        OutgoingRecord(r.topic, r.key, r.value, tuple(r.headers))
        for topic in topics
        for r in await read_all(bootstrap, topic)
    ]
    await publish_records(bootstrap, records)
    await settle()
    after = {city: await snapshot(pool) for city, pool in pools.items()}
    for city in pools:
        changed = [t for t in before[city] if before[city][t] != after[city].get(t)]
        assert not changed, f"{city}: duplicate delivery changed {changed}"
    return len(records)


async def assert_nothing_dead_lettered(
    bootstrap: str, topics: Sequence[str], pools: Mapping[City, asyncpg.Pool]
) -> None:
    """No record on the dead-letter topic of any of ``topics``, and no inbox row of any city
    dead-lettered."""
    ends = await dead_letters(bootstrap, topics)
    parked = {
        city: [
            tuple(r)
            for r in await pool.fetch(
                "SELECT event_type, reason FROM inbox WHERE outcome = 'dead-lettered' LIMIT 5"
            )
        ]
        for city, pool in pools.items()
    }
    assert not any(ends.values()), (ends, parked)
    assert not any(parked.values()), parked
