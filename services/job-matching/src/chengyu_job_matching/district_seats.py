"""The seat of government (政府驻地) of every district (区县) of both cities: the place a job
seeker's commute radius is measured from. A seeker gives only their home *district*, never
an address, so the distance from a posting's workplace to a seeker is the distance to that
district's seat.

The coordinates (``data/district_seats.csv``: ``code,latitude,longitude`` in decimal
degrees, WGS 84) are APPROXIMATE, to 0.01° (about 1 km): the rough position of each
district's or county's government seat, written from general geographical knowledge, not
surveyed and not taken from an official register. Good enough for a commute radius of
kilometres; not for anything that needs an address. Pure apart from reading that package
file once.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from importlib import resources
from types import MappingProxyType

from chengyu_contracts.districts import DISTRICTS
from chengyu_contracts.domain_error import DomainError

__all__ = ["seat_of", "seats"]

_MICRO = Decimal(1_000_000)


def _micro(text: str, what: str, code: str) -> int:
    value = Decimal(text.strip()) * _MICRO
    if value != value.to_integral_value():
        raise ValueError(f"data/district_seats.csv: {what} of {code} finer than a micro-degree")
    return int(value)


@cache
def seats() -> Mapping[str, tuple[int, int]]:
    """Every district's seat: code -> (latitude, longitude) in integer micro-degrees (read
    once from the package's data; a district of :data:`DISTRICTS` without a seat, or a seat
    of no known district, is refused as a data error)."""
    source = resources.files(__package__ or "chengyu_job_matching").joinpath(
        "data/district_seats.csv"
    )
    table: dict[str, tuple[int, int]] = {}
    with source.open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            code = row["code"].strip()
            if code in table:
                raise ValueError(f"data/district_seats.csv: {code} twice")
            table[code] = (
                _micro(row["latitude"], "latitude", code),
                _micro(row["longitude"], "longitude", code),
            )
    known = {code for city in DISTRICTS.values() for code in city}
    if set(table) != known:
        missing, unknown = sorted(known - set(table)), sorted(set(table) - known)
        raise ValueError(
            f"data/district_seats.csv: seats missing for {missing}, unknown districts {unknown}"
        )
    return MappingProxyType(table)


def seat_of(code: str) -> tuple[int, int]:
    """The approximate seat of district ``code`` of either city as (latitude, longitude) in
    micro-degrees; ``unknown-district`` when neither city has that district."""
    found = seats().get(code.strip())
    if found is None:
        raise DomainError(
            "unknown-district",
            "The district is not one of Chongqing's or Chengdu's districts"
            " (a 6-digit code such as those of GB/T 2260).",
        )
    return found
