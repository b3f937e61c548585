"""Builders of the institution map's tests: institutions of either city and the body a
clerk PUTs (all public data, invented)."""

from __future__ import annotations

import random
from dataclasses import fields
from datetime import date
from typing import Any

from elder_bus import noon

from chengyu_contracts.cities import City
from chengyu_contracts.city_bounds import CITY_BOUNDS
from chengyu_elder_allowance.institutions.institution import Institution

DAY = date(2026, 10, 15)
NOW = noon(DAY)
#: The map's tables, and the outbox.
TABLES = ("institution", "institution_version", "outbox")
DISTRICTS: dict[City, tuple[str, ...]] = {
    "cq": ("500103", "500105", "500106", "500112"),
    "cd": ("510104", "510105", "510106", "510107"),
}


def an_institution(**overrides: Any) -> Institution:
    """A valid Chongqing institution (渝中区) at version 1, with ``overrides``."""
    values: dict[str, Any] = {
        "institution_id": "cq-yuzhong-0001",
        "city": "cq",
        "version": 1,
        "name": "渝中区第一社会福利院",
        "district": "500103",
        "address": "渝中区解放碑街道 1 号",
        "latitude_e6": 29_557_000,
        "longitude_e6": 106_577_000,
        "grade": 3,
        "beds": 120,
        "nursing_beds": 60,
        "vacancies": 12,
        "phone": "023-6300 0001",
        "closed": False,
        "updated_on": DAY,
    }
    values.update(overrides)
    return Institution(**values)


def a_body(**overrides: Any) -> dict[str, Any]:
    """The PUT body of :func:`an_institution` (decimal degrees), with ``overrides``."""
    body: dict[str, Any] = {
        "name": "渝中区第一社会福利院",
        "district": "500103",
        "address": "渝中区解放碑街道 1 号",
        "latitude": 29.557,
        "longitude": 106.577,
        "grade": 3,
        "beds": 120,
        "nursing_beds": 60,
        "vacancies": 12,
        "phone": "023-6300 0001",
        "closed": False,
    }
    body.update(overrides)
    return body


def random_institution(rng: random.Random, city: City, serial: int) -> Institution:
    """An institution of ``city`` somewhere in its box, every field varied by ``rng``."""
    bounds = CITY_BOUNDS[city]
    beds = rng.randrange(0, 400)
    return Institution(
        institution_id=f"{city}-inst-{serial:05d}",
        city=city,
        version=1,
        name=f"养老院 {rng.randrange(0, 10**6):06d}",
        district=rng.choice(DISTRICTS[city]),
        address=f"街道 {serial} 号",
        latitude_e6=rng.randrange(int(bounds.south * 1e6), int(bounds.north * 1e6)),
        longitude_e6=rng.randrange(int(bounds.west * 1e6), int(bounds.east * 1e6)),
        grade=rng.choice((None, 1, 2, 3, 4, 5)),
        beds=beds,
        nursing_beds=rng.randrange(0, beds + 1),
        vacancies=rng.choice((0, rng.randrange(0, beds + 1))),
        phone=f"028-{serial:08d}",
        closed=rng.random() < 0.05,
        updated_on=DAY,
    )


def body_of(institution: Institution) -> dict[str, Any]:
    """The PUT body that saves ``institution``."""
    skipped = {"institution_id", "city", "version", "updated_on", "latitude_e6", "longitude_e6"}
    body = {
        f.name: getattr(institution, f.name) for f in fields(institution) if f.name not in skipped
    }
    body["latitude"] = institution.latitude_e6 / 1e6
    body["longitude"] = institution.longitude_e6 / 1e6
    return body
