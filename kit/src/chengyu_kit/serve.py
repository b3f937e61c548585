"""Running a service process: logging, tracing, and uvicorn with graceful SIGTERM."""

from __future__ import annotations

from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from chengyu_kit.logs import configure_logging
from chengyu_kit.settings import ServiceSettings
from chengyu_kit.tracing import configure_tracing


def serve(settings: ServiceSettings, build_app: Callable[[ServiceSettings], FastAPI]) -> None:
    """Run the service until SIGTERM or SIGINT, then shut down gracefully.

    On SIGTERM uvicorn stops accepting requests and runs the app's lifespan shutdown:
    consumers finish their batch in flight and commit its offsets, the relay publishes
    what is committed, then the process exits 0.
    """
    configure_logging(settings.service_name, settings.city, settings.log_level)
    configure_tracing(
        settings.service_name,
        settings.city,
        settings.otel_traces_exporter,
        sample_ratio=settings.otel_traces_sampler_ratio,
    )
    app = build_app(settings)
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=30,
        # Longer than clients keep idle connections (httpx: 5 s), so a client never sends a
        # request on a connection the server is closing at that moment (a ReadError).
        timeout_keep_alive=75,
    )
