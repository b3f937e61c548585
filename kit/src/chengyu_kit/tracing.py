"""OpenTelemetry tracing: provider set-up and trace context carried in Kafka headers.

Trace context travels as W3C ``traceparent``/``tracestate`` Kafka headers, so one trace
follows an event from an HTTP request in one city to the handler in the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagate import extract
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

TRACER_NAME = "chengyu"
_TRACE_HEADERS = ("traceparent", "tracestate")


def configure_tracing(
    service_name: str,
    city: str,
    exporter: str | SpanExporter = "none",
    *,
    sample_ratio: float = 1.0,
) -> TracerProvider:
    """Install a tracer provider for this process.

    ``exporter`` is ``none`` (spans are still created and propagated, nowhere exported),
    ``console``, ``file:<path>`` (one JSON span per line, for the local stack and tests
    across processes), or a ready ``SpanExporter``. ``sample_ratio`` is the share of
    new traces recorded; a trace that arrives sampled (in an event's headers) stays so,
    so one trace is either whole across both cities or absent.
    """
    resource = Resource.create(
        {"service.name": service_name, "service.namespace": "chengyu", "chengyu.city": city}
    )
    provider = TracerProvider(
        resource=resource, sampler=ParentBased(TraceIdRatioBased(sample_ratio))
    )
    if isinstance(exporter, SpanExporter):
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    elif exporter == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    elif exporter.startswith("file:"):
        stream = _open_append(Path(exporter.removeprefix("file:")))
        provider.add_span_processor(
            SimpleSpanProcessor(
                ConsoleSpanExporter(
                    out=stream, formatter=lambda span: span.to_json(indent=None) + "\n"
                )
            )
        )
    elif exporter != "none":
        raise ValueError(f"unknown traces exporter {exporter!r}: use none, console or file:PATH")
    trace.set_tracer_provider(provider)
    return provider


def _open_append(path: Path) -> IO[str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("a", encoding="utf-8", buffering=1)


def tracer() -> trace.Tracer:
    """The tracer all kit and service spans come from."""
    return trace.get_tracer(TRACER_NAME)


def context_from_headers(headers: Iterable[tuple[str, bytes]]) -> otel_context.Context:
    """Extract the trace context an event's Kafka headers carry."""
    carrier = {name: value.decode("latin-1") for name, value in headers if name in _TRACE_HEADERS}
    return extract(carrier)


def current_trace_headers() -> dict[str, str]:
    """The W3C trace headers of the current span, to put on an outgoing event.

    Formatted directly from the span context: the same ``traceparent`` the W3C
    propagator writes, without its per-call overhead (this runs once per emitted event).
    """
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return {}
    headers = {
        "traceparent": f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}"
        f"-{span_context.trace_flags:02x}"
    }
    if span_context.trace_state:
        headers["tracestate"] = span_context.trace_state.to_header()
    return headers


def replace_trace_headers(
    headers: Iterable[tuple[str, bytes]], trace_headers: Mapping[str, str]
) -> list[tuple[str, bytes]]:
    """Return ``headers`` with the trace headers swapped for ``trace_headers``."""
    kept = [(name, value) for name, value in headers if name not in _TRACE_HEADERS]
    kept.extend((name, value.encode("latin-1")) for name, value in trace_headers.items())
    return kept


def current_ids() -> tuple[str | None, str | None]:
    """Hex trace id and span id of the current span, or Nones outside any span."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None, None
    return format(span_context.trace_id, "032x"), format(span_context.span_id, "016x")
