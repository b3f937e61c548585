"""The exact bytes an event signature covers: RFC 8785 canonical JSON.

Most events are "plain" JSON: object keys below U+D800, integers within +-(2**53 - 1), no
floats, no lone surrogates. For plain JSON the standard library's C encoder with sorted
keys and no ASCII escaping writes exactly the RFC 8785 bytes (same member order, same
minimal string escapes, same integer spelling), about five times faster than the
pure-Python reference implementation, which handles everything else. A property test
checks the two agree on generated plain JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import rfc8785

SIGNATURE_MEMBER = "chengyusig"
KEY_ID_MEMBER = "chengyukeyid"
# Domain separation: these bytes can never be mistaken for another protocol's signed message.
SIGNATURE_CONTEXT = b"chengyu-event-sig-v1\n"
_MAX_EXACT_INTEGER = 2**53 - 1
_FIRST_SURROGATE = "\ud800"


def _is_plain(value: Any) -> bool:
    """True if ``value`` is JSON whose canonical form the fast path writes exactly.

    Strings need no check here: a lone surrogate makes the UTF-8 encoding of the fast
    path fail, and the caller then falls back to the reference implementation.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if not -_MAX_EXACT_INTEGER <= item <= _MAX_EXACT_INTEGER:
                return False
        elif kind is dict:
            for key, member in item.items():
                if type(key) is not str or not (key.isascii() or max(key) < _FIRST_SURROGATE):
                    return False
                pending.append(member)
        elif kind is list:
            pending.extend(item)
        else:
            return False
    return True


def canonical_json(value: Any) -> bytes:
    """RFC 8785 (JCS) serialisation of ``value``.

    Raises ``ValueError`` if it cannot be canonicalised (for example an integer beyond
    +-(2**53 - 1), which RFC 8785 cannot represent exactly).
    """
    if _is_plain(value):
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: let the reference implementation judge it
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as exc:
        raise ValueError(f"event cannot be canonicalised: {type(exc).__name__}") from exc


def signing_input(event: Mapping[str, Any]) -> bytes:
    """``chengyu-event-sig-v1\\n`` + RFC 8785 canonical JSON of the event without ``chengyusig``."""
    unsigned = {name: value for name, value in event.items() if name != SIGNATURE_MEMBER}
    return SIGNATURE_CONTEXT + canonical_json(unsigned)
