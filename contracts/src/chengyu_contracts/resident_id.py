"""GB 11643-1999 citizen identity numbers: validation, parsing, and demo synthesis.

Checks, in order: length 18; 17 ASCII digits then a digit or X; a province-level
code in the first two digits (only that and the 6-digit shape are checked: the
county list changes over time and old numbers keep their old codes); a real
birth date from 1900-01-01 to today; the ISO 7064 MOD 11-2 check digit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

__all__ = [
    "PROVINCE_CODES",
    "InvalidResidentId",
    "ResidentId",
    "Sex",
    "check_digit",
    "checked_resident_id",
    "parse_resident_id",
    "synthesize_resident_id",
]

Sex = Literal["male", "female"]

PROVINCE_CODES = frozenset(
    {
        *(11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37),
        *(41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65),
        *(71, 81, 82, 83, 91),
    }
)
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"  # indexed by (weighted sum mod 11)
_SHAPE_RE = re.compile(r"^[0-9]{17}[0-9X]$")  # [0-9]: isdigit() admits full-width digits
_EARLIEST_BIRTH = date(1900, 1, 1)


class InvalidResidentId(ValueError):
    """A resident ID number failed a check; ``code`` says which. Never quotes the number."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ResidentId:
    """A valid 18-character resident ID number and the facts it encodes."""

    number: str
    region_code: str
    birth_date: date
    sex: Sex

    def __repr__(self) -> str:
        # Keeps the number out of logs and tracebacks that print this object.
        return f"ResidentId(region_code={self.region_code!r}, number=<redacted>)"


def check_digit(first17: str) -> str:
    """The MOD 11-2 check character ("0"-"9" or "X") for 17 ASCII digits."""
    if not re.fullmatch(r"[0-9]{17}", first17):
        raise ValueError("check_digit needs exactly 17 ASCII digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def _birth_date(digits: str, today: date) -> date:
    try:
        born = date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise InvalidResidentId("bad-birth-date", "birth date is not a real date") from None
    if born < _EARLIEST_BIRTH:
        raise InvalidResidentId("bad-birth-date", "birth date is before 1900-01-01")
    if born > today:
        raise InvalidResidentId("bad-birth-date", "birth date is in the future")
    return born


def parse_resident_id(raw: str, *, today: date | None = None) -> ResidentId:
    """Validate and normalise a resident ID number (surrounding spaces, lowercase x allowed).

    ``today`` bounds the birth date (default: the local date). Raises
    ``InvalidResidentId`` with code ``wrong-length``, ``bad-characters``,
    ``bad-region``, ``bad-birth-date`` or ``bad-check-digit``.
    """
    number = raw.strip().upper()
    if len(number) != 18:
        raise InvalidResidentId("wrong-length", "resident ID must be 18 characters")
    if not _SHAPE_RE.match(number):
        raise InvalidResidentId(
            "bad-characters", "resident ID must be 17 digits followed by a digit or X"
        )
    if int(number[:2]) not in PROVINCE_CODES:
        raise InvalidResidentId("bad-region", "first two digits are not a province-level code")
    born = _birth_date(number[6:14], today if today is not None else date.today())
    if check_digit(number[:17]) != number[17]:
        raise InvalidResidentId("bad-check-digit", "check digit does not match (GB 11643)")
    sex: Sex = "male" if int(number[16]) % 2 == 1 else "female"
    return ResidentId(number=number, region_code=number[:6], birth_date=born, sex=sex)


def synthesize_resident_id(region_code: str, birth_date: date, sequence: int, sex: Sex) -> str:
    """A syntactically valid number for demo workloads (never a real person's on purpose).

    ``sequence`` (0-499) is the n-th number of that sex for that region and date: the
    3-digit order code is ``2 * sequence + 1`` for male and ``2 * sequence`` for female.
    """
    if not re.fullmatch(r"[0-9]{6}", region_code) or int(region_code[:2]) not in PROVINCE_CODES:
        raise ValueError("region_code must be 6 digits starting with a province-level code")
    if birth_date < _EARLIEST_BIRTH:
        raise ValueError("birth_date must be on or after 1900-01-01")
    if not 0 <= sequence <= 499:
        raise ValueError("sequence must be between 0 and 499")
    order = 2 * sequence + (1 if sex == "male" else 0)
    first17 = f"{region_code}{birth_date:%Y%m%d}{order:03d}"
    return first17 + check_digit(first17)


def checked_resident_id(raw: str, today: date) -> ResidentId:
    """:func:`parse_resident_id` for a clerk's request: a refusal is a
    :class:`~chengyu_contracts.domain_error.DomainError` with the same code and a sentence
    naming the problem (never the number), as every service's HTTP API answers it."""
    from chengyu_contracts.domain_error import DomainError

    try:
        return parse_resident_id(raw, today=today)
    except InvalidResidentId as error:
        raise DomainError(error.code, f"Invalid resident ID number: {error.message}.") from None
