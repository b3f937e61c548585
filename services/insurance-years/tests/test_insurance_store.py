"""The store on real PostgreSQL: the person's lock and the read behind every period
version, versions kept with their history, the one-determination table."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import asyncpg
import pytest
from insurance_years_bus import migrated_pool

from chengyu_contracts.cities import City
from chengyu_contracts.months import Month
from chengyu_insurance_years.ledger import Ledger
from chengyu_insurance_years.periods import ContributionPeriod
from chengyu_insurance_years.retirement import Figures, RetirementDetermination
from chengyu_insurance_years.retirement_store import (
    Claim,
    enqueue_claim,
    insert_determination,
)
from chengyu_insurance_years.store import (
    load_ledger,
    lock_and_load,
    lock_person,
    period_history,
    save_version,
)

pytestmark = pytest.mark.integration

PERSON = "pr1_" + "ab" * 32
NOW = datetime(2026, 10, 15, 4, 0, tzinfo=UTC)


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await migrated_pool(database)
    try:
        yield pool
    finally:
        await pool.close()


def version(number: int, end: str = "2015-12", *, cancelled: bool = False) -> ContributionPeriod:
    return ContributionPeriod(
        "per-cq-1", PERSON, "cq", Month.parse("2010-01"), Month.parse(end), "actual", number,
        cancelled,
    )  # fmt: skip


async def test_the_ledger_read_waits_for_the_lock_and_sees_what_was_written_under_it(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as writer, pool.acquire() as reader:
        writing = writer.transaction()
        await writing.start()
        await lock_person(writer, PERSON)
        assert await save_version(writer, version(1), current=True) == "new"

        async def read() -> tuple[Ledger, City | None]:
            async with reader.transaction():
                return await lock_and_load(reader, PERSON)

        reading = asyncio.create_task(read())
        await asyncio.sleep(0.3)
        assert not reading.done(), "the read did not wait for the person's lock"
        await writing.commit()
        ledger, determined = await asyncio.wait_for(reading, 10)
    # Read after the lock was granted: the version committed under it is there.
    assert [p.version for p in ledger.periods] == [1]
    assert determined is None


async def test_versions_are_kept_once_each_and_only_a_higher_one_becomes_current(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as conn:
        assert await save_version(conn, version(2, "2016-06"), current=True) == "new"
        assert await save_version(conn, version(2, "2016-06"), current=True) == "duplicate"
        # An older version arriving late is kept in the history, never made current.
        assert await save_version(conn, version(1), current=True) == "new"
        assert await save_version(conn, version(1, "2015-11"), current=False) == "conflict"
        [current] = (await load_ledger(conn, PERSON)).periods
        history = await period_history(conn, "per-cq-1")
    assert (current.version, str(current.end)) == (2, "2016-06")
    assert [(v.period.version, str(v.period.end)) for v in history] == [
        (1, "2015-12"),
        (2, "2016-06"),
    ]


async def test_the_table_refuses_a_second_retirement_city_for_a_person(
    pool: asyncpg.Pool,
) -> None:
    figures = Figures("cq", date(2025, 1, 1), Month(2026, 9), 300, 300, 120, 0, True, 300, 120)
    determination = RetirementDetermination(PERSON, "cq", "male", date(2026, 10, 1), figures)
    async with pool.acquire() as conn:
        cities: tuple[City, ...] = ("cq", "cd")
        for city in cities:
            request_id = f"ret-{city}-1"
            claim = Claim(
                request_id, PERSON, city, city, "male", date(2026, 10, 1), NOW, None, "pending"
            )
            assert await enqueue_claim(conn, claim) is not None
            # The same claim again keeps its place.
            assert await enqueue_claim(conn, claim) is None
        await insert_determination(conn, "ret-cq-1", determination, NOW)
        with pytest.raises(asyncpg.UniqueViolationError):
            await insert_determination(conn, "ret-cd-1", determination, NOW)
