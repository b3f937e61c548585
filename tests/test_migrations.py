"""Migrations are applied once, in order, and an edited migration is refused."""

from __future__ import annotations

import asyncpg
import pytest

from chengyu_kit.db import create_pool
from chengyu_kit.migrations import Migration, MigrationError, apply_migrations, kit_migrations

pytestmark = pytest.mark.integration


async def test_each_migration_is_applied_once(database: str) -> None:
    pool = await create_pool(database)
    try:
        first = await apply_migrations(pool, kit_migrations())
        second = await apply_migrations(pool, kit_migrations())
        assert [m.name for m in first] == [m.name for m in kit_migrations()]
        assert second == []
        assert await pool.fetchval("SELECT count(*) FROM outbox") == 0
    finally:
        await pool.close()


async def test_a_changed_migration_is_refused(database: str) -> None:
    original = Migration("demo", 1, "things", "CREATE TABLE thing (id int)")
    edited = Migration("demo", 1, "things", "CREATE TABLE thing (id bigint)")
    pool = await create_pool(database)
    try:
        await apply_migrations(pool, [original])
        with pytest.raises(MigrationError, match="was changed after it was applied"):
            await apply_migrations(pool, [edited])
    finally:
        await pool.close()


async def test_a_failing_migration_leaves_nothing_half_done(database: str) -> None:
    broken = Migration("demo", 1, "broken", "CREATE TABLE ok_table (id int); SELECT nonsense;")
    pool = await create_pool(database)
    try:
        with pytest.raises(asyncpg.PostgresError):
            await apply_migrations(pool, [broken])
        exists = await pool.fetchval("SELECT to_regclass('ok_table') IS NOT NULL")
        assert exists is False
    finally:
        await pool.close()
