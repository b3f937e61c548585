"""What the consumer benchmark applies: tally events in, one signed event out per event.

The incoming event and its effect are the example domain of the tests
(``tests/support/tally.py``): ``TallyIncremented`` upserts a ``tally`` row. The
benchmark handler also emits one ``TallyApplied`` event per event (on another topic, so
a consumer never reads its own output), so every measured consumer pays for one signed
outgoing record in the outbox per event.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from chengyu_contracts.keys import KeyRegistry, SigningKey
from chengyu_contracts.registry import EventData, EventSpec, Registry
from chengyu_kit.handling import EventHandler, EventHandlers
from chengyu_kit.inbox import EventContext
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.settings import ServiceSettings
from chengyu_kit.testing import settings_login
from tests.support.tally import (
    TALLY_MIGRATION,
    TALLY_TYPE,
    TallyIncremented,
    on_tally_incremented,
)

__all__ = [
    "APPLIED_TYPE",
    "TALLY_MIGRATION",
    "TALLY_TYPE",
    "TALLY_UPSERT",
    "BenchKeys",
    "TallyApplied",
    "TallyIncremented",
    "bench_registry",
    "bench_runtime",
    "handlers_of",
    "make_keys",
    "on_tally_incremented",
    "on_tally_incremented_and_emit",
]

APPLIED_TYPE = "cn.chengyu.bench.tally-applied.v1"

# The very statement of ``tests.support.tally.on_tally_incremented``.
TALLY_UPSERT = """
        INSERT INTO tally (tally_id, total, events) VALUES ($1, $2, 1)
        ON CONFLICT (tally_id) DO UPDATE
            SET total = tally.total + excluded.total, events = tally.events + 1
        """


class TallyApplied(EventData):
    """Emitted by the benchmark consumer for every tally event it applied."""

    tally_id: str
    amount: int
    source_event_id: str


def bench_registry(prefix: str) -> Registry:
    """Tally events on ``<prefix>.tally``, the emitted events on ``<prefix>.applied``."""
    registry = Registry()
    registry.register(
        EventSpec(
            type=TALLY_TYPE,
            model=TallyIncremented,
            topic=f"{prefix}.tally",
            key_field="tally_id",
            version=1,
        )
    )
    registry.register(
        EventSpec(
            type=APPLIED_TYPE,
            model=TallyApplied,
            topic=f"{prefix}.applied",
            key_field="tally_id",
            version=1,
        )
    )
    return registry


async def on_tally_incremented_and_emit(event: TallyIncremented, context: EventContext) -> None:
    """The tests' tally handler, then one outgoing event through ``context.emit``."""
    await on_tally_incremented(event, context)
    context.emit(
        TallyApplied(
            tally_id=event.tally_id,
            amount=event.amount,
            source_event_id=context.event.envelope.id,
        )
    )


@dataclass(frozen=True)
class BenchKeys:
    """Key files of the producing (cq) and consuming (cd) agencies, and the registry."""

    cq_file: Path
    cd_file: Path
    registry_file: Path
    cq: SigningKey
    cd: SigningKey
    registry: KeyRegistry


def make_keys(folder: Path) -> BenchKeys:
    """Fresh keys for agencies /cq/bench and /cd/bench, written as services read them."""
    folder.mkdir(parents=True, exist_ok=True)
    cq = SigningKey.generate("cq-bench-1", "/cq/bench")
    cd = SigningKey.generate("cd-bench-1", "/cd/bench")
    cq.write_json_file(folder / "cq.json")
    cd.write_json_file(folder / "cd.json")
    registry = KeyRegistry([cq.public_entry(), cd.public_entry()])
    registry.write_json_file(folder / "registry.json")
    return BenchKeys(
        folder / "cq.json", folder / "cd.json", folder / "registry.json", cq, cd, registry
    )


def bench_runtime(
    city: str,
    *,
    kafka: str,
    database_url: str,
    keys: BenchKeys,
    registry: Registry,
    batch: int = 500,
    verify_processes: int = 0,
) -> ServiceRuntime:
    """A tally service instance (source ``/<city>/bench/tally``), nothing consumed yet."""
    settings = ServiceSettings(
        city=city,
        service_name="tally",
        agency="bench",
        kafka_bootstrap=kafka,
        database_url=database_url,
        signing_key_file=keys.cq_file if city == "cq" else keys.cd_file,
        key_registry_file=keys.registry_file,
        person_ref_key=secrets.token_hex(32),
        consumer_max_batch=batch,
        verify_processes=verify_processes,
        **settings_login(kafka),
    )
    return ServiceRuntime(settings, registry=registry, migrations=[TALLY_MIGRATION])


def handlers_of(handler: EventHandler[TallyIncremented]) -> EventHandlers:
    """A consumer applying tally events (from either city) with ``handler``."""
    handlers = EventHandlers()
    handlers.on(TallyIncremented, issued_by=None)(handler)
    return handlers
