"""Turning domain event data into signed outbox records of this service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chengyu_contracts.encode import encode_event
from chengyu_contracts.envelope import to_kafka_record
from chengyu_contracts.registry import EventData, Registry
from chengyu_contracts.signing import SigningKey
from chengyu_kit.clock import Clock, SystemClock
from chengyu_kit.outbox import OutgoingRecord
from chengyu_kit.tracing import current_trace_headers


@dataclass(frozen=True)
class PendingEvent:
    """An event decided but not yet signed: its data, time and trace context."""

    data: EventData
    time: datetime
    traceparent: str | None
    tracestate: str | None
    actor: str | None = None


class EventIssuer:
    """Builds, signs and frames the events one service instance issues.

    The envelope carries the trace context current when the event was decided, so a
    trace started by an HTTP request continues in whichever service consumes it.
    Deciding (:meth:`prepare`, on the event loop) and signing (:meth:`sign`, pure and
    thread-safe) are separate so that consumers can sign a batch in worker threads.
    """

    def __init__(
        self,
        *,
        source: str,
        signing_key: SigningKey,
        registry: Registry,
        clock: Clock | None = None,
    ) -> None:
        self.source = source
        self._signing_key = signing_key
        self._registry = registry
        self._clock = clock or SystemClock()

    def prepare(self, data: EventData, *, actor: str | None = None) -> PendingEvent:
        """Capture the time and the current trace context of a new event, and the
        reference of the office that acted (``chengyu_contracts.actor``), if any."""
        trace_headers = current_trace_headers()
        return PendingEvent(
            data=data,
            time=self._clock.now(),
            traceparent=trace_headers.get("traceparent"),
            tracestate=trace_headers.get("tracestate"),
            actor=actor,
        )

    def sign(self, pending: PendingEvent) -> OutgoingRecord:
        """The outbox record of ``pending``, signed; safe to call from worker threads."""
        envelope = encode_event(
            pending.data,
            source=self.source,
            key=self._signing_key,
            registry=self._registry,
            time=pending.time,
            traceparent=pending.traceparent,
            tracestate=pending.tracestate,
            actor=pending.actor,
        )
        record = to_kafka_record(envelope)
        return OutgoingRecord(
            topic=self._registry.spec_for(envelope.type).topic,
            key=record.key,
            value=record.value,
            headers=record.headers,
            event_id=envelope.id,
        )

    def issue(self, data: EventData) -> OutgoingRecord:
        """Prepare and sign a new event in one step (use cases outside consumers)."""
        return self.sign(self.prepare(data))
