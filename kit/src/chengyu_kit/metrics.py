"""Prometheus metrics of the kit, one registry per running service."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class KitMetrics:
    """Counters and gauges every service exposes on ``/metrics``.

    A registry per instance (not the global default) lets tests run several consumers
    in one process and read each one's figures.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.events_consumed = Counter(
            "chengyu_events_consumed",
            "Events taken from Kafka, by outcome (applied, duplicate, ignored, dead-lettered)",
            ["topic", "outcome"],
            registry=self.registry,
        )
        self.events_published = Counter(
            "chengyu_events_published",
            "Records published from the outbox",
            ["topic"],
            registry=self.registry,
        )
        self.events_dead_lettered = Counter(
            "chengyu_events_dead_lettered",
            "Events sent to a dead-letter topic, by reason",
            ["topic", "reason"],
            registry=self.registry,
        )
        self.handler_seconds = Histogram(
            "chengyu_handler_seconds",
            "Time a handler took to apply one event",
            ["event_type"],
            registry=self.registry,
        )
        self.batch_seconds = Histogram(
            "chengyu_consumer_batch_seconds",
            "Time to verify and apply one batch, database commit included",
            registry=self.registry,
        )
        self.outbox_backlog = Gauge(
            "chengyu_outbox_backlog",
            "Outbox records committed but not yet published",
            registry=self.registry,
        )
        self.consumer_lag = Gauge(
            "chengyu_consumer_lag",
            "Records between the consumer's position and the partition's end",
            ["topic", "partition"],
            registry=self.registry,
        )
        self.transient_faults = Counter(
            "chengyu_transient_faults",
            "Transient faults (database or broker unreachable) that caused a retry",
            ["component"],
            registry=self.registry,
        )
