"""Where events are verified and signed: worker threads, or worker processes.

Verification and signing are the costliest per-event work of a consumer. Ed25519
releases the GIL, but parsing, canonical JSON and validation hold it, so on a busy
service a pool of processes (``VERIFY_PROCESSES`` > 0) verifies about twice as fast as
threads, at the price of one Python process per worker; threads are the default.
Records cross into worker processes as bytes; verified events and signed records come
back pickled.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol, TypeVar

from chengyu_contracts.decode import EventRejected, VerifiedEvent, decode_event
from chengyu_contracts.keys import KeyRegistry, SigningKey
from chengyu_contracts.registry import Registry
from chengyu_kit.issuer import EventIssuer, PendingEvent
from chengyu_kit.outbox import OutgoingRecord

_CHUNK = 64
T = TypeVar("T")
R = TypeVar("R")
Decoded = VerifiedEvent | EventRejected
RawRecord = tuple[bytes | None, bytes | None]  # (value, key)


class CryptoPool(Protocol):
    """Decodes and verifies incoming records; signs outgoing events."""

    async def decode(self, records: Sequence[RawRecord]) -> list[Decoded]:
        """Verified events or rejections, in the order of ``records``."""
        ...

    async def sign(self, pending: Sequence[PendingEvent]) -> list[OutgoingRecord]:
        """Signed outbox records, in the order of ``pending``."""
        ...

    def close(self) -> None:
        """Stop the workers."""
        ...


class _Codec:
    """The per-worker state: what to verify against, what to sign with."""

    def __init__(self, registry: Registry, keys: KeyRegistry, issuer: EventIssuer | None) -> None:
        self.registry = registry
        self.keys = keys
        self.issuer = issuer

    def decode(self, records: Sequence[RawRecord]) -> list[Decoded]:
        out: list[Decoded] = []
        for value, key in records:
            try:
                out.append(decode_event(value, key, self.registry, self.keys))
            except EventRejected as rejection:
                out.append(rejection)
        return out

    def sign(self, pending: Sequence[PendingEvent]) -> list[OutgoingRecord]:
        if self.issuer is None:
            raise RuntimeError("this consumer was built without an EventIssuer")
        return [self.issuer.sign(event) for event in pending]


async def _map_chunks(
    executor: Executor, function: Callable[[Sequence[T]], list[R]], items: Sequence[T]
) -> list[R]:
    loop = asyncio.get_running_loop()
    chunks = [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]
    results = await asyncio.gather(
        *(loop.run_in_executor(executor, function, chunk) for chunk in chunks)
    )
    return [item for chunk in results for item in chunk]


class ThreadCryptoPool:
    """Verify and sign in worker threads of this process (the default)."""

    def __init__(
        self,
        registry: Registry,
        keys: KeyRegistry,
        issuer: EventIssuer | None,
        *,
        workers: int = 2,
    ) -> None:
        self._codec = _Codec(registry, keys, issuer)
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="verify")

    async def decode(self, records: Sequence[RawRecord]) -> list[Decoded]:
        """Verified events or rejections, in order."""
        return await _map_chunks(self._executor, self._codec.decode, records)

    async def sign(self, pending: Sequence[PendingEvent]) -> list[OutgoingRecord]:
        """Signed outbox records, in order."""
        return await _map_chunks(self._executor, self._codec.sign, pending)

    def close(self) -> None:
        """Wait for the threads to finish."""
        self._executor.shutdown(wait=True)


# State of a worker process, set once by its initializer.
_worker_codec: _Codec | None = None


def _init_worker(
    registry: Registry, keys_json: str, signing_key_json: str | None, source: str | None
) -> None:
    global _worker_codec  # noqa: PLW0603 - one codec per worker process, by design
    issuer = None
    if signing_key_json is not None and source is not None:
        issuer = EventIssuer(
            source=source, signing_key=SigningKey.from_json(signing_key_json), registry=registry
        )
    _worker_codec = _Codec(registry, KeyRegistry.from_json(keys_json), issuer)


def _worker_decode(records: Sequence[RawRecord]) -> list[Decoded | tuple[str, str]]:
    assert _worker_codec is not None
    # Rejections travel as (reason, detail): exception classes with custom constructors
    # do not survive pickling reliably.
    return [
        (item.reason, item.detail) if isinstance(item, EventRejected) else item
        for item in _worker_codec.decode(records)
    ]


def _worker_sign(pending: Sequence[PendingEvent]) -> list[OutgoingRecord]:
    assert _worker_codec is not None
    return _worker_codec.sign(pending)


def _as_rejection(reason: str, detail: str) -> EventRejected:
    rejection = EventRejected(detail)
    rejection.reason = reason
    return rejection


class ProcessCryptoPool:
    """Verify and sign in worker processes (``spawn``ed: forking a process that runs
    Kafka clients and an event loop is not safe)."""

    def __init__(
        self,
        registry: Registry,
        keys: KeyRegistry,
        issuer: EventIssuer | None,
        signing_key: SigningKey | None,
        *,
        workers: int = 2,
    ) -> None:
        self._workers = workers
        self._initargs = (
            registry,
            keys.to_json(),
            signing_key.to_json() if signing_key is not None else None,
            issuer.source if issuer is not None else None,
        )
        self._executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=self._initargs,
        )

    async def decode(self, records: Sequence[RawRecord]) -> list[Decoded]:
        """Verified events or rejections, in order."""
        try:
            items = await _map_chunks(self._executor, _worker_decode, records)
        except BrokenProcessPool:
            self._replace_broken_pool()
            raise
        return [_as_rejection(*item) if isinstance(item, tuple) else item for item in items]

    async def sign(self, pending: Sequence[PendingEvent]) -> list[OutgoingRecord]:
        """Signed outbox records, in order."""
        try:
            return await _map_chunks(self._executor, _worker_sign, pending)
        except BrokenProcessPool:
            self._replace_broken_pool()
            raise

    def _replace_broken_pool(self) -> None:
        # A worker died (killed, out of memory): the pool is unusable for good. Start a
        # new one; the caller's batch fails as a transient fault and is retried.
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._executor = self._new_executor()

    def close(self) -> None:
        """Stop the worker processes."""
        self._executor.shutdown(wait=True, cancel_futures=True)
