"""Masks for showing personal data to clerks. Never log even masked values needlessly.

Short or odd inputs are masked completely rather than partially: a partial mask of a
short string reveals most of it.
"""

from __future__ import annotations

__all__ = ["mask_name", "mask_phone", "mask_resident_id"]


def _keep_ends(text: str, head: int, tail: int) -> str:
    if len(text) <= head + tail:
        return "*" * len(text)
    return text[:head] + "*" * (len(text) - head - tail) + text[len(text) - tail :]


def mask_resident_id(raw: str) -> str:
    """Keep the 6-digit region and the last 4 (order code tail + check digit).

    ``"11010519491231002X"`` -> ``"110105********002X"``; hides the birth date.
    Inputs shorter than 11 characters are masked completely.
    """
    return _keep_ends(raw.strip().upper(), 6, 4)


def mask_name(raw: str) -> str:
    """Keep the first character (usually the surname): ``"张三丰"`` -> ``"张**"``.

    A one-character name is masked completely.
    """
    name = raw.strip()
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)


def mask_phone(raw: str) -> str:
    """Keep the first 3 and last 4: ``"13812345678"`` -> ``"138****5678"``.

    Inputs of 7 characters or fewer are masked completely.
    """
    return _keep_ends(raw.strip(), 3, 4)
