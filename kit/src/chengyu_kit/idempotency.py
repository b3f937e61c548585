"""Idempotent HTTP writes (IETF httpapi draft "The Idempotency-Key HTTP Header Field").

A client that may retry a write (its answer was lost, the service was restarted) sends
``Idempotency-Key: "<unique value>"``. The first request with a key is executed and its
successful answer stored in the same transaction as its effects; a retry with the same key
and the same request gets that answer again (header ``Idempotent-Replayed: true``) and
writes nothing, even when the first answer never reached the client because the process
died right after the commit. The same key with another request is refused (422), so a
client bug cannot silently turn one request into another. A refused request (4xx) writes
nothing and stores nothing: retrying it runs it again.

Keys are kept ``IDEMPOTENCY_KEY_HOURS`` (at least 24) and then purged.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi.responses import JSONResponse, Response

from chengyu_kit.db import Connection

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# The draft's value is a Structured Field string; clients also send it bare.
_KEY = re.compile(r'^"?([\x21\x23-\x7e]{1,255})"?$')


class InvalidKey(Exception):
    """The header is present but is no usable key."""


def parse_key(header: str | None) -> str | None:
    """The key of an ``Idempotency-Key`` header (quotes removed), None when absent."""
    if header is None:
        return None
    match = _KEY.match(header.strip())
    if match is None:
        raise InvalidKey(
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} visible ASCII characters, "
            'optionally in double quotes, e.g. "8e03978e-40d5-43e8-bc93-6894a57f9324"'
        )
    return match.group(1)


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests the same request: method, path with query, body bytes."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@dataclass(frozen=True)
class StoredAnswer:
    """The first answer to a key."""

    fingerprint: str
    method: str
    path: str
    status: int
    media_type: str | None
    body: bytes

    def replay(self, request_fingerprint: str) -> Response:
        """The stored answer again, or 422 when the key came with another request."""
        if request_fingerprint != self.fingerprint:
            return JSONResponse(
                {
                    "error": "idempotency-key-reused",
                    "message": (
                        f"This {HEADER} was already used for another request "
                        f"({self.method} {self.path} with a different body); "
                        "use a new key for a new request."
                    ),
                },
                status_code=422,
            )
        return Response(
            content=self.body,
            status_code=self.status,
            media_type=self.media_type,
            headers={REPLAYED_HEADER: "true"},
        )


async def lock_and_find(conn: Connection, scope: str, key: str) -> StoredAnswer | None:
    """Serialise requests with this key (until the transaction ends) and return the stored
    answer, if any. A concurrent retry waits here for the first one and then replays it."""
    # A newline joins scope and key: PostgreSQL text cannot carry NUL, and a key (visible
    # ASCII) never contains a newline, so no two (scope, key) pairs give the same text.
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))", f"{scope}\n{key}")
    row = await conn.fetchrow(
        "SELECT fingerprint, method, path, status, media_type, body FROM idempotency_key"
        " WHERE scope = $1 AND idempotency_key = $2",
        scope,
        key,
    )
    if row is None:
        return None
    return StoredAnswer(
        row["fingerprint"],
        row["method"],
        row["path"],
        row["status"],
        row["media_type"],
        bytes(row["body"]),
    )


async def remember(
    conn: Connection,
    scope: str,
    key: str,
    request_fingerprint: str,
    method: str,
    path: str,
    response: Response,
) -> None:
    """Store ``response`` as the answer to ``key`` in the write's transaction."""
    await conn.execute(
        "INSERT INTO idempotency_key"
        " (scope, idempotency_key, fingerprint, method, path, status, media_type, body)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        scope,
        key,
        request_fingerprint,
        method,
        path,
        response.status_code,
        response.media_type,
        bytes(response.body),
    )


async def purge(conn: Connection, now: datetime, keep: timedelta) -> int:
    """Delete answers older than ``keep``; how many."""
    result = await conn.execute("DELETE FROM idempotency_key WHERE created_at < $1", now - keep)
    return int(result.split()[-1])
