"""Turning domain event data into signed outbox records of this service."""

from __future__ import annotations

from chengyu_contracts.encode import encode_event
from chengyu_contracts.envelope import format_event_time, to_kafka_record
from chengyu_contracts.registry import EventData, Registry
from chengyu_contracts.signing import SigningKey
from chengyu_kit.clock import Clock, SystemClock
from chengyu_kit.outbox import OutgoingRecord
from chengyu_kit.tracing import current_trace_headers


class EventIssuer:
    """Builds, signs and frames the events one service instance issues.

    The envelope carries the trace context current at creation, so a trace started by
    an HTTP request continues in whichever service consumes the event.
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

    def issue(self, data: EventData) -> OutgoingRecord:
        """Return the outbox record of a new signed event carrying ``data``."""
        trace_headers = current_trace_headers()
        envelope = encode_event(
            data,
            source=self.source,
            key=self._signing_key,
            registry=self._registry,
            time=self._clock.now(),
            traceparent=trace_headers.get("traceparent"),
            tracestate=trace_headers.get("tracestate"),
        )
        record = to_kafka_record(envelope)
        return OutgoingRecord(
            topic=self._registry.spec_for(envelope.type).topic,
            key=record.key,
            value=record.value,
            headers=record.headers,
            event_id=envelope.id,
        )

    def now_text(self) -> str:
        """The issuer clock's time in the envelope's format."""
        return format_event_time(self._clock.now())
