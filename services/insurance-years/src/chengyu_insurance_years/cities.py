"""The two cities: the codes that travel in data and the names used in sentences."""

from __future__ import annotations

from typing import Literal

from chengyu_contracts.domain_error import DomainError

City = Literal["cq", "cd"]
CITIES: tuple[City, ...] = ("cq", "cd")
CITY_NAMES: dict[City, str] = {"cq": "Chongqing", "cd": "Chengdu"}


def parse_city(text: str) -> City:
    """``text`` as a city code; anything but ``cq`` or ``cd`` is ``unknown-city``."""
    for city in CITIES:
        if text == city:
            return city
    raise DomainError("unknown-city", "A city is cq (Chongqing) or cd (Chengdu).")


def other_city(city: City) -> City:
    """The city that is not ``city``."""
    return "cd" if city == "cq" else "cq"
