"""The checkpointer's settings: the kit's, plus how often checkpoints are taken."""

from __future__ import annotations

from pydantic import Field

from chengyu_kit.settings import ServiceSettings

__all__ = ["CheckpointerSettings"]


class CheckpointerSettings(ServiceSettings):
    """Environment variables of the checkpointer (``CHECKPOINT_EVERY_RECORDS``, ...)."""

    checkpoint_every_records: int = Field(
        default=1000,
        ge=1,
        description="a log's checkpoint is taken once it grew by this many records",
    )
    checkpoint_every_seconds: float = Field(
        default=60.0,
        gt=0,
        description="... or once this many seconds passed since the last one, if it grew",
    )
    reader_poll_seconds: float = Field(
        default=1.0,
        gt=0,
        description="how long the log reader waits between rounds when it has caught up",
    )
    reader_batch_records: int = Field(
        default=5000,
        ge=1,
        description="records read and committed in one transaction at most",
    )
