"""The example tally domain run as a real service process (``python -m``), for tests of
process-level behaviour: SIGTERM, restarts. Settings come from the environment, plus
``TALLY_TOPIC``."""

from __future__ import annotations

import os

from fastapi import FastAPI

from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.serve import serve
from chengyu_kit.settings import ServiceSettings, load_settings
from tests.support.tally import (
    TALLY_MIGRATION,
    tally_handlers,
    tally_registry,
    tally_router,
)


def build_app(settings: ServiceSettings) -> FastAPI:
    """Compose the tally service."""
    topic = os.environ["TALLY_TOPIC"]
    runtime = ServiceRuntime(settings, registry=tally_registry(topic), migrations=[TALLY_MIGRATION])
    runtime.consume([topic], tally_handlers())
    return runtime.http_app(title="tally", routers=[tally_router()])


if __name__ == "__main__":
    serve(load_settings(ServiceSettings), build_app)
