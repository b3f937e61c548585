"""Turn pydantic validation errors into one sentence that never echoes input values."""

from __future__ import annotations

from pydantic import ValidationError

_MAX_LISTED = 5


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(root)"


def describe_validation_error(error: ValidationError, *, what: str) -> str:
    """Name each failing field and the problem, e.g. ``data.amount_fen: missing``.

    Messages are pydantic's (they describe the expectation, not the value); if the
    offending input text still appears in one (custom validators may quote it), it is
    replaced, because details end up in logs and dead-letter headers.
    """
    parts: list[str] = []
    for item in error.errors(include_url=False):
        message = item["msg"]
        shown = item.get("input")
        if isinstance(shown, str | int) and not isinstance(shown, bool):
            text = str(shown)
            if len(text) >= 2 and text in message:
                message = message.replace(text, "<value>")
        parts.append(f"{_location(item['loc'])}: {message} [{item['type']}]")
    listed = "; ".join(parts[:_MAX_LISTED])
    more = len(parts) - _MAX_LISTED
    suffix = f"; and {more} more" if more > 0 else ""
    return f"{what} is invalid: {listed}{suffix}"
