"""Builders of pure 12333 requests for the hotline's rule and machine tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chengyu_job_matching.hotline.request import HotlineRequest, HotlineState
from chengyu_job_matching.policy import CityPolicy, default_policy_book

BOOK = default_policy_book()
#: Chengdu's policy (the receiving city of the builders' requests).
CD: CityPolicy = BOOK.policy_for("cd", date(2026, 1, 1))
#: 10:00 in China on Friday 2026-02-13, the last weekday before the Spring Festival.
AT = datetime(2026, 2, 13, 2, 0, tzinfo=UTC)


def china(day: date, hour: int = 10) -> datetime:
    """``hour`` o'clock in China on ``day``."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=8)


def hotline_request(state: HotlineState = "forwarded", **fields: Any) -> HotlineRequest:
    """A consultation forwarded by Chongqing to Chengdu at :data:`AT`, in ``state`` (signed
    ones owe a resolution by 2026-02-24); ``fields`` replace its values."""
    base = HotlineRequest(
        request_id="hl-cq-1",
        from_city="cq",
        to_city="cd",
        category="consultation",
        caller_kind="citizen",
        caller_ref="ref-1",
        summary="咨询异地失业保险金申领",
        received_at=AT - timedelta(hours=1),
        state=state,
        attempt=1,
        forwarded_at=AT,
        sign_by=date(2026, 2, 14),
        first_sign_by=date(2026, 2, 14),
    )
    if state != "forwarded":
        base = replace(base, signed_at=AT, signed_attempt=1, resolve_by=date(2026, 2, 24))
    if state in ("resolved", "closed"):
        base = replace(base, resolved_at=AT + timedelta(days=1), resolution="已答复")
    return replace(base, **fields)
