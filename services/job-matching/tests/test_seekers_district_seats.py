"""The seat of every district of both cities: one for each district, inside its city's
rough box, and a refusal for a code of neither city."""

from __future__ import annotations

import pytest

from chengyu_contracts.districts import DISTRICTS
from chengyu_contracts.domain_error import DomainError
from chengyu_job_matching.district_seats import seat_of, seats

#: (south, north, west, east) in micro-degrees: the municipality of Chongqing and the
#: prefecture-level city of Chengdu, roughly.
BOXES = {
    "cq": (28_150_000, 32_220_000, 105_280_000, 110_200_000),
    "cd": (30_080_000, 31_450_000, 102_980_000, 104_900_000),
}


def test_every_district_of_both_cities_and_no_other_has_a_seat() -> None:
    codes = {code for city in DISTRICTS.values() for code in city}
    assert len(codes) == 58
    assert set(seats()) == codes


@pytest.mark.parametrize(
    ("city", "code"), [(city, code) for city, codes in DISTRICTS.items() for code in codes]
)
def test_each_seat_lies_inside_its_citys_rough_box(city: str, code: str) -> None:
    south, north, west, east = BOXES[city]
    lat, lon = seat_of(code)
    assert south <= lat <= north
    assert west <= lon <= east


def test_seats_are_micro_degrees_to_a_hundredth_of_a_degree() -> None:
    assert seat_of("500103") == (29_550_000, 106_570_000)  # 渝中区
    assert seat_of(" 510107 ") == (30_640_000, 104_040_000)  # 武侯区
    assert all(lat % 10_000 == 0 and lon % 10_000 == 0 for lat, lon in seats().values())


def test_no_two_districts_share_a_seat() -> None:
    assert len(set(seats().values())) == len(seats())


@pytest.mark.parametrize("code", ["110101", "5001", "", "510100"])
def test_a_code_of_neither_city_is_refused(code: str) -> None:
    with pytest.raises(DomainError) as refused:
        seat_of(code)
    assert refused.value.code == "unknown-district"
