"""The two cities of the action plan: the codes that travel in events and settings, their
names in sentences (English and Chinese), and where their resident ID numbers start."""

from __future__ import annotations

from typing import Final, Literal

from chengyu_contracts.domain_error import DomainError

City = Literal["cq", "cd"]
CITIES: Final[tuple[City, City]] = ("cq", "cd")
CITY_NAMES: Final[dict[City, str]] = {"cq": "Chongqing", "cd": "Chengdu"}
CITY_NAMES_ZH: Final[dict[City, str]] = {"cq": "重庆", "cd": "成都"}

#: GB/T 2260 administrative-division prefixes: a resident ID number whose first digits are
#: these was issued in that city (Chongqing municipality 50; Chengdu 5101 in Sichuan 51).
REGION_PREFIXES: Final[dict[City, tuple[str, ...]]] = {"cq": ("50",), "cd": ("5101",)}


def parse_city(text: str) -> City:
    """``text`` as a city code; anything but ``cq`` or ``cd`` is refused ``unknown-city``."""
    for city in CITIES:
        if text == city:
            return city
    raise DomainError("unknown-city", "A city is cq (Chongqing) or cd (Chengdu).")


def other_city(city: City) -> City:
    """The city that is not ``city``."""
    return "cd" if city == "cq" else "cq"
