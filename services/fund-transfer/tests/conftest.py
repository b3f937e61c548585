"""The session's real PostgreSQL, shared from the project's integration fixtures."""

from tests.conftest import database, postgres

__all__ = ["database", "postgres"]
