"""A service of one city run as a real process for the end-to-end and fault tests (``python
-m chengyu_kit.run <package>``, as the stack runs it): start it and wait until it is ready,
SIGKILL or SIGTERM it, keep its output for failures."""

from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass, field

import httpx

from chengyu_kit.settings import ServiceSettings
from tests.conftest import start_service_process
from tests.support.waiting import wait_for


@dataclass
class ServiceProcess:
    """One city's service process (``python -m chengyu_kit.run <package>``) and a client of
    its API."""

    package: str
    city: str
    settings: ServiceSettings
    client: httpx.AsyncClient
    env: dict[str, str] = field(default_factory=dict)
    process: asyncio.subprocess.Process | None = None
    output: list[bytes] = field(default_factory=list)
    _drain: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the process and wait until it is ready."""
        self.process = await start_service_process(
            "chengyu_kit.run", self.settings, arguments=[self.package], **self.env
        )
        self._drain = asyncio.create_task(self._read_output(self.process))
        await wait_for(self._ready, bool, timeout=60)

    async def _read_output(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        while line := await process.stdout.readline():
            self.output.append(line)

    async def _ready(self) -> bool:
        if self.process is not None and self.process.returncode is not None:
            tail = b"".join(self.output[-30:]).decode(errors="replace")
            raise AssertionError(f"{self.package} ({self.city}) exited early:\n{tail}")
        try:
            return (await self.client.get("/readyz")).status_code == 200
        except httpx.TransportError:
            return False

    async def kill(self) -> None:
        """SIGKILL the process (no shutdown at all) and wait for it to be gone."""
        await self._end(signal.SIGKILL)

    async def stop(self) -> None:
        """SIGTERM the process and wait for its graceful exit."""
        await self._end(signal.SIGTERM)

    async def _end(self, sig: int) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(sig)
        await asyncio.wait_for(self.process.wait(), 60)
        if self._drain is not None:
            await self._drain
        self.process = None
