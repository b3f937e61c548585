"""A tally consumer process that dies by SIGKILL right after its first database commit,
before FastStream can commit the Kafka offset: the crash the inbox must absorb.

Run as ``python -m tests.support.crashing_consumer``; settings come from the
environment like any service (plus ``TALLY_TOPIC``).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Sequence

from chengyu_kit.consumer import EventConsumer
from chengyu_kit.dead_letter import ReceivedRecord
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.settings import ServiceSettings, load_settings
from tests.support.tally import (
    TALLY_MIGRATION,
    tally_handlers,
    tally_registry,
)

_original = EventConsumer._apply_with_retry


async def _apply_then_die(self: EventConsumer, records: Sequence[ReceivedRecord]) -> None:
    await _original(self, records)
    print(f"committed {len(records)} records", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


async def main() -> None:
    """Start the runtime and wait to be killed."""
    EventConsumer._apply_with_retry = _apply_then_die  # type: ignore[method-assign]
    settings = load_settings(ServiceSettings)
    registry = tally_registry(os.environ["TALLY_TOPIC"])
    runtime = ServiceRuntime(settings, registry=registry, migrations=[TALLY_MIGRATION])
    runtime.consume([os.environ["TALLY_TOPIC"]], tally_handlers())
    await runtime.start()
    print("started", flush=True)
    await asyncio.sleep(120)
    sys.exit("no event arrived within 120 s")


if __name__ == "__main__":
    asyncio.run(main())
