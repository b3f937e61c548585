"""Session-wide test settings for every package of the workspace."""

from __future__ import annotations

import signal

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Treat SIGTERM like Ctrl-C, so fixtures still stop the Kafka and PostgreSQL they
    started when CI or a timeout ends the run."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
