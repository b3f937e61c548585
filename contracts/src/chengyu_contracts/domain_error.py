"""The one error type of every service's domain rules: a stable code for machines and a
sentence for people. Shared so that shared vocabulary (months) can refuse the same way."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of a service's domain refused an operation.

    ``code`` is stable (the HTTP layer and events carry it, tests match on it); ``sentence``
    explains the refusal to a clerk and never contains personal data.
    """

    def __init__(self, code: str, sentence: str) -> None:
        super().__init__(f"{code}: {sentence}")
        self.code = code
        self.sentence = sentence
