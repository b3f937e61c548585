"""Log lines are JSON with service, city, trace and event ids, and no personal data."""

import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from opentelemetry.sdk.trace import TracerProvider

from chengyu_kit.logs import configure_logging, get_logger


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """configure_logging changes process-wide state; put it back for the other tests."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


def test_a_log_line_is_json_with_trace_and_event_ids_and_masked_numbers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("fund-transfer", "cq", "info")
    tracer = TracerProvider().get_tracer("test")
    with (
        tracer.start_as_current_span("handle") as span,
        structlog.contextvars.bound_contextvars(event_id="e-1"),
    ):
        get_logger("test").info("applied", note="person 11010519491231002X called 13812345678")
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])

    assert line["message"] == "applied"
    assert (line["service"], line["city"], line["event_id"]) == ("fund-transfer", "cq", "e-1")
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert "11010519491231002X" not in line["note"]
    assert "13812345678" not in line["note"]
