"""Event timestamps: one fixed RFC 3339 UTC format, kept as text on the wire."""

from __future__ import annotations

import re
from datetime import UTC, datetime

# Fixed width with microseconds and "Z": one canonical spelling per instant, so the
# signed bytes of an event never depend on which library formatted its time.
EVENT_TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$"
_EVENT_TIME_RE = re.compile(EVENT_TIME_PATTERN, re.ASCII)


def format_event_time(dt: datetime) -> str:
    """Format an aware datetime as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC.

    Raises ``ValueError`` for a naive datetime: its zone would be a guess.
    """
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("event time must be timezone-aware")
    u = dt.astimezone(UTC)
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d}T"
        f"{u.hour:02d}:{u.minute:02d}:{u.second:02d}.{u.microsecond:06d}Z"
    )


def parse_event_time(text: str) -> datetime:
    """Parse a time written by :func:`format_event_time`; ``ValueError`` otherwise."""
    if not _EVENT_TIME_RE.match(text):
        raise ValueError("event time must look like YYYY-MM-DDTHH:MM:SS.ffffffZ")
    return datetime.fromisoformat(text)


def parse_rfc3339(text: str) -> datetime:
    """Parse an RFC 3339 timestamp with an explicit offset (or ``Z``) to an aware datetime."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError("not an RFC 3339 timestamp") from exc
    if parsed.tzinfo is None:
        raise ValueError("RFC 3339 timestamp must carry an offset or Z")
    return parsed
