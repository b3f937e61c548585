"""Versioned SQL migrations, applied in order on start, each once.

A migration is a file ``NNN_description.sql`` in a package's migrations folder. Each
set of migrations has a namespace (the kit's own tables are ``kit``; a service uses its
name), so the kit and a service can evolve their tables independently in one database.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import asyncpg

_FILE_NAME = re.compile(r"^(\d{3,})_([a-z0-9_]+)\.sql$")
# One advisory-lock key for all migrations: two instances starting together must not race.
_MIGRATION_LOCK = 0x636E_6779_6D69_67  # "cngymig"


class MigrationError(Exception):
    """A migration file is malformed or was changed after it was applied."""


@dataclass(frozen=True)
class Migration:
    """One SQL file of one namespace."""

    namespace: str
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        """SHA-256 of the SQL text, to detect edits of applied migrations."""
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations(namespace: str, directory: Path) -> list[Migration]:
    """Read every ``NNN_name.sql`` of ``directory``, sorted by version."""
    migrations: list[Migration] = []
    for path in sorted(directory.iterdir()):
        if path.suffix != ".sql":
            continue
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path}: migration files are named NNN_description.sql")
        version, name = int(match.group(1)), match.group(2)
        migrations.append(Migration(namespace, version, name, path.read_text()))
    versions = [m.version for m in migrations]
    if len(versions) != len(set(versions)):
        raise MigrationError(f"{directory}: two migrations share a version number")
    return sorted(migrations, key=lambda m: m.version)


def kit_migrations() -> list[Migration]:
    """The kit's own tables: outbox, inbox."""
    directory = Path(str(resources.files("chengyu_kit") / "migrations"))
    return load_migrations("kit", directory)


async def apply_migrations(pool: asyncpg.Pool, migrations: list[Migration]) -> list[Migration]:
    """Apply the migrations not yet applied, each in its own transaction; return them.

    Raises MigrationError when an applied migration's file has changed since.
    """
    applied_now: list[Migration] = []
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        try:
            await conn.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    namespace  text        NOT NULL,
                    version    integer     NOT NULL,
                    name       text        NOT NULL,
                    checksum   text        NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (namespace, version)
                )
                """
            )
            rows = await conn.fetch("SELECT namespace, version, checksum FROM schema_migrations")
            done = {(r["namespace"], r["version"]): r["checksum"] for r in rows}
            for migration in migrations:
                key = (migration.namespace, migration.version)
                if key in done:
                    if done[key] != migration.checksum:
                        raise MigrationError(
                            f"migration {migration.namespace}/{migration.version:03d}_"
                            f"{migration.name} was changed after it was applied; "
                            "add a new migration instead"
                        )
                    continue
                async with conn.transaction():
                    await conn.execute(migration.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (namespace, version, name, checksum)"
                        " VALUES ($1, $2, $3, $4)",
                        migration.namespace,
                        migration.version,
                        migration.name,
                        migration.checksum,
                    )
                applied_now.append(migration)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
    return applied_now
