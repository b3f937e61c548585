"""Session-wide test settings for every package of the workspace."""

from __future__ import annotations

import signal

import pytest

# The session's real PostgreSQL and a fresh database per test, for every package's tests
# (the services' test folders are no packages, so they cannot import tests.conftest's
# fixtures into a conftest of their own without two top-level "conftest" modules). The key
# files too: the demo's tests start both cities' service processes, which sign events.
from tests.conftest import database, key_files, postgres

__all__ = ["database", "key_files", "postgres", "pytest_configure"]


def pytest_configure(config: pytest.Config) -> None:
    """Treat SIGTERM like Ctrl-C, so fixtures still stop the Kafka and PostgreSQL they
    started when CI or a timeout ends the run."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
