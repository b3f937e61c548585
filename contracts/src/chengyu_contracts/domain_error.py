"""The one error type of every service's domain rules: a stable code for machines, a
sentence for people, and a kind that says what sort of refusal it is.

The kind is what the edges act on: the kit's HTTP layer maps each kind to a status in one
place (:data:`chengyu_kit.http.REFUSAL_STATUS`), consumers dead-letter any kind with its
code. A service never keeps its own code-to-status table, so a new code cannot silently
get the wrong status: it is as its kind says.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class RefusalKind(StrEnum):
    """What sort of refusal a :class:`DomainError` is."""

    INVALID = "invalid"  # the input itself breaks a rule (a bad month, a negative amount)
    NOT_FOUND = "not-found"  # the thing named does not exist here
    CONFLICT = "conflict"  # the input is fine but the current state forbids it
    FORBIDDEN = "forbidden"  # the caller may not do this


class DomainError(Exception):
    """A rule of a service's domain refused an operation (kind: the input is invalid).

    ``code`` is stable (the HTTP layer and events carry it, tests match on it); ``sentence``
    explains the refusal to a clerk and never contains personal data. Raise the subclass
    that says the kind (:class:`NotFound`, :class:`Conflict`, :class:`Forbidden`).
    """

    kind: ClassVar[RefusalKind] = RefusalKind.INVALID

    def __init__(self, code: str, sentence: str) -> None:
        super().__init__(f"{code}: {sentence}")
        self.code = code
        self.sentence = sentence


class NotFound(DomainError):
    """The thing a request names does not exist here."""

    kind = RefusalKind.NOT_FOUND


class Conflict(DomainError):
    """The request is well formed, but the current state forbids it."""

    kind = RefusalKind.CONFLICT


class Forbidden(DomainError):
    """The caller may not do this."""

    kind = RefusalKind.FORBIDDEN
