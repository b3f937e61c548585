"""The actor reference events carry: which office acted, never who by name.

``<city>/<agency>/<clerk>``, where ``<clerk>`` is an opaque id derived from the clerk's
city and token subject with a keyed hash (HMAC-SHA256 under the inter-city person_ref key,
16 hex digits, prefixed ``c``): stable for one clerk, so a case traced across both cities shows
that the same clerk of the same office acted twice, but it names nobody and cannot be
reversed without the key. The clerk's own city keeps the subject itself in its database.
"""

from __future__ import annotations

from chengyu_contracts.person_ref import PersonRefKey

__all__ = ["actor_reference"]


def actor_reference(city: str, agency: str, subject: str, key: PersonRefKey) -> str:
    """The reference of the clerk ``subject`` (of ``city``'s identity provider) acting for
    ``agency`` of ``city``."""
    message = b"chengyu-actor\x00" + city.encode() + b"\x00" + subject.encode()
    digest = key.mac(message).hex()[:16]
    return f"{city}/{agency}/c{digest}"
