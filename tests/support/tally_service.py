"""The example tally domain run as a real service process (``python -m``), for tests of
process-level behaviour: SIGTERM, restarts, a crash between a write's commit and its
answer. Settings come from the environment, plus ``TALLY_TOPIC`` and, to make the process
SIGKILL itself as it starts answering a write (after the commit), ``TALLY_DIE_BEFORE_ANSWER=1``.
"""

from __future__ import annotations

import os
import signal

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
    app = runtime.http_app(title="tally", routers=[tally_router()])
    if os.environ.get("TALLY_DIE_BEFORE_ANSWER") == "1":
        app.add_middleware(_DieBeforeAnswer)
    return app


class _DieBeforeAnswer:
    """Kills the process as a write's answer starts: its transaction has committed, the
    client never hears of it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return

        async def send_or_die(message: Message) -> None:
            if message["type"] == "http.response.start":
                os.kill(os.getpid(), signal.SIGKILL)
            await send(message)

        await self.app(scope, receive, send_or_die)


if __name__ == "__main__":
    serve(load_settings(ServiceSettings), build_app)
