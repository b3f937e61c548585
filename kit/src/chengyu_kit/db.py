"""The asyncpg pool of a service and the classification of database errors."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TypeVar, cast

import asyncpg
from asyncpg.pool import PoolConnectionProxy

# A connection as handlers and use cases see it: plain, or borrowed from the pool.
Connection = asyncpg.Connection | PoolConnectionProxy

T = TypeVar("T", bound=str)

# Errors after which the same work may succeed later: the server is down, restarting,
# overloaded, or the transaction lost a race. Anything else is a bug or bad data.
_TRANSIENT_SQLSTATES = {
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "53300",  # too_many_connections
    "57P01",  # admin_shutdown
    "57P02",  # crash_shutdown
    "57P03",  # cannot_connect_now
    "08000",
    "08003",
    "08006",
    "08001",
    "08004",
}


def is_transient(error: BaseException) -> bool:
    """Tell whether ``error`` is a fault that retrying later can cure."""
    if isinstance(error, (OSError, asyncio.TimeoutError, ConnectionError)):
        return True
    if isinstance(
        error,
        (asyncpg.exceptions.ConnectionDoesNotExistError, asyncpg.exceptions.InterfaceError),
    ):
        return True
    if isinstance(error, asyncpg.PostgresError):
        return getattr(error, "sqlstate", None) in _TRANSIENT_SQLSTATES
    return False


async def create_pool(database_url: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """Open the service's connection pool."""
    pool = await asyncpg.create_pool(
        database_url, min_size=min_size, max_size=max_size, command_timeout=30
    )
    if pool is None:  # pragma: no cover - asyncpg types it optional
        raise RuntimeError("asyncpg returned no pool")
    return pool


async def ping(pool: asyncpg.Pool, timeout: float = 2.0) -> bool:
    """Return True when the database answers a trivial query within ``timeout`` seconds."""
    try:
        async with asyncio.timeout(timeout):
            await pool.fetchval("SELECT 1")
    except Exception:
        return False
    return True


def one_of(value: str, allowed: Sequence[T], what: str) -> T:
    """``value``, read from a column whose CHECK constraint allows only ``allowed``, as that
    literal type; ``ValueError`` naming ``what`` if it is anything else.

    A corruption guard, not input validation: the database already refused such values,
    so finding one means the schema and the code disagree.
    """
    if value not in allowed:
        raise ValueError(f"unexpected {what} {value!r} in the database")
    return cast(T, value)
