"""The store turns rows into the domain's Account and back without losing anything."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import asyncpg
import pytest
from fund_transfer_builders import PERSON, account
from fund_transfer_http import migrated_pool

from chengyu_contracts.months import Month
from chengyu_fund_transfer.account import Deposit
from chengyu_fund_transfer.money import Fen
from chengyu_fund_transfer.store import (
    insert_account,
    load_account,
    load_account_by_person_ref,
    save_deposit,
)

pytestmark = pytest.mark.integration
OPENED = datetime(2026, 10, 15, 1, 30, tzinfo=UTC)


async def test_a_frozen_account_with_deposits_of_both_cities_round_trips(database: str) -> None:
    pool = await migrated_pool(database)
    try:
        frozen = replace(
            account("cd", "employee"),
            status="transferring",
            transfer_id="t-1",
            status_before_transfer="sealed",
            balance_fen=Fen(30_000),
            deposits=(
                Deposit(Month(2026, 1), Fen(10_000), "cq"),
                Deposit(Month(2026, 2), Fen(20_000), "cd"),
            ),
        )
        async with pool.acquire() as conn, conn.transaction():
            await insert_account(conn, "cd-1", frozen, "王五", OPENED)
        async with pool.acquire() as conn:
            by_id = await load_account(conn, "cd-1")
            by_person = await load_account_by_person_ref(conn, PERSON, for_update=False)
        assert by_id is not None
        assert by_id.account == frozen
        assert (by_id.full_name, by_id.opened_at) == ("王五", OPENED)
        assert by_person == by_id
    finally:
        await pool.close()


async def test_the_database_refuses_a_second_open_account_a_duplicate_month_and_a_negative_balance(
    database: str,
) -> None:
    pool = await migrated_pool(database)
    try:
        async with pool.acquire() as conn:
            await insert_account(conn, "cq-1", account(), "王五", OPENED)
            with pytest.raises(asyncpg.UniqueViolationError):
                await insert_account(conn, "cq-2", account(), "王五", OPENED)
            september = Deposit(Month(2026, 9), Fen(20_000), "cq")
            await save_deposit(conn, "cq-1", september, Fen(20_000))
            with pytest.raises(asyncpg.UniqueViolationError):
                await save_deposit(conn, "cq-1", september, Fen(40_000))
            with pytest.raises(asyncpg.CheckViolationError):
                await conn.execute("UPDATE account SET balance_fen = -1")
            loaded = await load_account(conn, "cq-1")
        assert loaded is not None
        assert loaded.account.balance_fen == 20_000
        assert loaded.account.deposits == (september,)
    finally:
        await pool.close()


async def test_a_closed_account_does_not_stop_the_person_opening_a_new_one(database: str) -> None:
    pool = await migrated_pool(database)
    try:
        async with pool.acquire() as conn:
            await insert_account(
                conn, "cq-old", replace(account(), status="closed"), "王五", OPENED
            )
            await insert_account(conn, "cq-new", account(), "王五", OPENED)
            current = await load_account_by_person_ref(conn, PERSON)
        assert current is not None
        assert current.account_id == "cq-new"
    finally:
        await pool.close()
