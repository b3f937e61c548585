"""Screening a clerk's free text (a 12333 summary, a resolution, a purpose) for personal data
before it is stored or published: what looks like a resident ID number, a mobile or landline
phone number or a bank card number. Such text is refused, never masked: a clerk rewrites it
with the caller's reference instead, and nothing personal reaches the bus or the logs.

A screen, not a proof: it catches the numbers clerks paste, not a name written in prose
(names are told apart from words only by people). Pure.
"""

from __future__ import annotations

import re
import unicodedata

from chengyu_contracts.domain_error import DomainError

__all__ = ["personal_data_in", "refuse_personal_data"]

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("resident ID number", re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9])")),
    ("mobile phone number", re.compile(r"(?<![0-9])1[3-9][0-9](?:[ -]?[0-9]{4}){2}(?![0-9])")),
    ("phone number", re.compile(r"(?<![0-9])0[0-9]{2,3}-?[0-9]{7,8}(?![0-9])")),
    ("bank card number", re.compile(r"(?<![0-9])[0-9]{16,19}(?![0-9])")),
)


def personal_data_in(text: str) -> list[str]:
    """The kinds of personal data ``text`` seems to contain (empty when none)."""
    # NFKC folds full-width digits, so a number typed with a Chinese input method is caught.
    folded = unicodedata.normalize("NFKC", text)
    return [kind for kind, pattern in _PATTERNS if pattern.search(folded)]


def refuse_personal_data(field: str, text: str) -> None:
    """Refuse ``text`` (``personal-data-in-text``, naming ``field`` and what was found) when
    it seems to contain personal data."""
    found = personal_data_in(text)
    if found:
        raise DomainError(
            "personal-data-in-text",
            f"{field} seems to contain a {' and a '.join(found)}: personal data stays out of"
            " shared text; refer to the caller by the request instead.",
        )
