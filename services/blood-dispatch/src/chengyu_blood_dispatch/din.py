"""The ISBT 128 donation identification number (DIN) of a blood unit.

A DIN is 13 characters: the facility identification number (FIN: one letter and four
digits), the two-digit year of collection and a six-digit sequence, e.g. ``X999025000123``.
Printed for eyes it is followed by a keyboard-entry check character, ``X9990 25 000123 K``,
computed by ISO/IEC 7064 MOD 37-2 over the 13 characters, so that a clerk's typing error
is caught before it names another unit.

FINs are assigned by ICCBBA, whose registry is licensed: the two centres use the
placeholder FINs of :data:`PLACEHOLDER_FACILITIES` until theirs are loaded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from chengyu_contracts.cities import CITY_NAMES, City
from chengyu_contracts.domain_error import DomainError, NotFound

#: ISO/IEC 7064 MOD 37-2: digits are 0-9, letters 10-35, and the check character may also
#: be ``*`` (36).
CHECK_ALPHABET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"
_MODULUS: Final = 37

#: Placeholder FINs, one per city (``X999x`` is no centre's real number).
PLACEHOLDER_FACILITIES: Final[Mapping[str, City]] = MappingProxyType({"X9990": "cq", "X9991": "cd"})

_DIN: Final = re.compile(r"(?P<fin>[A-Z][0-9]{4})(?P<year>[0-9]{2})(?P<seq>[0-9]{6})")


def mod37_2(text: str) -> str:
    """The ISO/IEC 7064 MOD 37-2 check character of ``text`` (digits and capital letters).

    The pure system with radix 2: each character's value is added and the sum doubled,
    modulo 37; the check character makes the whole string's weighted sum 1 modulo 37.
    """
    total = 0
    for char in text:
        value = CHECK_ALPHABET.find(char)
        # '*' is a check character only; inside the data it would be a typing error.
        if value < 0 or value == _MODULUS - 1:
            raise ValueError(f"{char!r} cannot appear in a MOD 37-2 checked string")
        total = (total + value) * 2 % _MODULUS
    return CHECK_ALPHABET[(_MODULUS + 1 - total) % _MODULUS]


@dataclass(frozen=True, order=True)
class Din:
    """A donation identification number, valid in shape (see :func:`parse_din`)."""

    facility: str
    year: str
    sequence: str

    def __post_init__(self) -> None:
        if _DIN.fullmatch(self.facility + self.year + self.sequence) is None:
            raise _invalid()

    @property
    def text(self) -> str:
        """The 13 characters, as stored and sent in events."""
        return f"{self.facility}{self.year}{self.sequence}"

    @property
    def check_character(self) -> str:
        """The keyboard-entry check character."""
        return mod37_2(self.text)

    @property
    def eye_readable(self) -> str:
        """The DIN as printed on a label: ``X9990 25 000123 K``."""
        return f"{self.facility} {self.year} {self.sequence} {self.check_character}"

    def __str__(self) -> str:
        return self.text


def _invalid() -> DomainError:
    return DomainError(
        "invalid-din",
        "A DIN is a letter and 4 digits (the facility), 2 digits (the year) and 6 digits "
        "(the sequence), optionally followed by its check character.",
    )


def parse_din(text: str) -> Din:
    """``text`` as a DIN: 13 characters, or 14 with the check character; spaces (as on a
    label) are ignored and letters may be small.

    Refused ``invalid-din`` when the shape is wrong, ``bad-din-check`` when a check
    character is given and does not match (a typing error).
    """
    compact = "".join(text.split()).upper()
    if len(compact) not in (13, 14):
        raise _invalid()
    match = _DIN.fullmatch(compact[:13])
    if match is None:
        raise _invalid()
    din = Din(match["fin"], match["year"], match["seq"])
    if len(compact) == 14 and compact[13] != din.check_character:
        raise DomainError(
            "bad-din-check",
            f"The check character of DIN {din.text} is not {compact[13]}: a typing error?",
        )
    return din


def facility_city(din: Din, facilities: Mapping[str, City] = PLACEHOLDER_FACILITIES) -> City:
    """The city whose centre collected ``din`` (by its facility); ``unknown-facility`` when
    the facility is neither centre's."""
    city = facilities.get(din.facility)
    if city is None:
        names = ", ".join(f"{fin} ({CITY_NAMES[c]})" for fin, c in facilities.items())
        raise NotFound(
            "unknown-facility", f"Facility {din.facility} is not a known centre; known: {names}."
        )
    return city


def din_for(city: City, year: int, sequence: int) -> Din:
    """The DIN of ``city``'s placeholder facility for ``year`` (its last two digits) and
    ``sequence``; for demos and tests."""
    fin = next(fin for fin, c in PLACEHOLDER_FACILITIES.items() if c == city)
    if not 0 <= sequence <= 999_999:
        raise ValueError("a DIN sequence has six digits")
    return Din(fin, f"{year % 100:02d}", f"{sequence:06d}")
