"""A trace started by an HTTP request continues in the consuming service."""

from __future__ import annotations

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from chengyu_kit.runtime import ServiceRuntime
from tests.support.identity import clerk_headers
from tests.support.tally import TALLY_TYPE, tally_of, tally_router
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


async def test_http_request_trace_continues_in_the_other_citys_handler(
    spans: InMemorySpanExporter, cq_service: ServiceRuntime, cd_service: ServiceRuntime
) -> None:
    app = cq_service.http_app(title="tally", routers=[tally_router()])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://cq",
        headers=clerk_headers("cq", "tally", "test"),
    ) as client:
        answer = await client.post(
            "/tallies/t-traced/increments",
            json={"amount": 2},
            headers={"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"},
        )
    assert answer.status_code == 202, answer.text

    await wait_for(lambda: tally_of(cd_service.pool, "t-traced"), bool)

    def handler_spans() -> list[str]:
        return [
            format(span.context.trace_id, "032x")
            for span in spans.get_finished_spans()
            if span.name == f"handle {TALLY_TYPE}"
            and span.kind is SpanKind.CONSUMER
            and span.attributes is not None
            and span.attributes.get("chengyu.consumer") == "tally.cd"
        ]

    async def probe() -> list[str]:
        return handler_spans()

    trace_ids = await wait_for(probe, lambda ids: TRACE_ID in ids)
    assert TRACE_ID in trace_ids
    publish = [
        s
        for s in spans.get_finished_spans()
        if s.kind is SpanKind.PRODUCER and format(s.context.trace_id, "032x") == TRACE_ID
    ]
    assert publish, "the relay's publish span belongs to the same trace"
