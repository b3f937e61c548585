"""The checkpointer as the kit runs it (``python -m chengyu_kit.run chengyu_checkpointer``):
each city's instance reads every domain topic of the contracts from offset 0, publishes
signed checkpoints of each partition's Merkle tree to ``audit.checkpoints`` and witnesses
the other city's (see README.md)."""

from __future__ import annotations

from chengyu_contracts.events.audit import CHECKPOINT_TOPIC
from chengyu_contracts.registry import REGISTRY
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.service import Service

from .api import router
from .cadence import Cadence
from .flow import checkpoint_handlers
from .reader import LogReader, ReaderOptions
from .settings import CheckpointerSettings

__all__ = ["SERVICE", "logged_topics"]


def logged_topics() -> list[str]:
    """The topics whose records are checkpointed: every domain topic of the contracts but
    the checkpoints' own (dead letters are copies of records already on a domain topic)."""
    return [topic for topic in REGISTRY.topics() if topic != CHECKPOINT_TOPIC]


def _no_policy() -> None:
    return None


def start_reader(runtime: ServiceRuntime, _: None) -> None:
    """Run the log reader as the service's periodic work; close its consumer on stop."""
    settings = runtime.settings
    assert isinstance(settings, CheckpointerSettings)
    reader = LogReader(
        runtime,
        ReaderOptions(
            topics=logged_topics(),
            cadence=Cadence(settings.checkpoint_every_records, settings.checkpoint_every_seconds),
            batch_records=settings.reader_batch_records,
        ),
    )
    runtime.every(settings.reader_poll_seconds, "log-reader", reader.read)
    runtime.on_stop(reader.close)


SERVICE: Service[None] = Service(
    name="checkpointer",
    agency="audit",
    package=__package__ or "chengyu_checkpointer",
    policy=_no_policy,
    topics=(CHECKPOINT_TOPIC,),
    handlers=checkpoint_handlers,
    routers=lambda _: [router(None)],
    settings=CheckpointerSettings,
    background=start_reader,
)
