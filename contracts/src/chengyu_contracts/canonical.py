"""The exact bytes an event signature covers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import rfc8785

SIGNATURE_MEMBER = "chengyusig"
KEY_ID_MEMBER = "chengyukeyid"
# Domain separation: these bytes can never be mistaken for another protocol's signed message.
SIGNATURE_CONTEXT = b"chengyu-event-sig-v1\n"


def signing_input(event: Mapping[str, Any]) -> bytes:
    """``chengyu-event-sig-v1\\n`` + RFC 8785 canonical JSON of the event without ``chengyusig``.

    Raises ``ValueError`` if the event cannot be canonicalised (for example an
    integer beyond +-(2**53 - 1), which RFC 8785 cannot represent exactly).
    """
    unsigned = {name: value for name, value in event.items() if name != SIGNATURE_MEMBER}
    try:
        return SIGNATURE_CONTEXT + rfc8785.dumps(unsigned)
    except rfc8785.CanonicalizationError as exc:
        raise ValueError(f"event cannot be canonicalised: {type(exc).__name__}") from exc
