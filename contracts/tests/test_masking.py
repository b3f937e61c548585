from __future__ import annotations

import pytest

from chengyu_contracts.masking import mask_name, mask_phone, mask_resident_id


def test_resident_id_keeps_region_and_last_four() -> None:
    assert mask_resident_id("11010519491231002X") == "110105********002X"


def test_resident_id_mask_normalises_lowercase_x_and_whitespace() -> None:
    assert mask_resident_id(" 11010519491231002x ") == "110105********002X"


def test_name_keeps_the_first_character() -> None:
    assert mask_name("张三丰") == "张**"


def test_two_character_name_keeps_the_surname() -> None:
    assert mask_name("张三") == "张*"


def test_one_character_name_is_masked_completely() -> None:
    assert mask_name("张") == "*"


def test_phone_keeps_first_three_and_last_four() -> None:
    assert mask_phone("13812345678") == "138****5678"


@pytest.mark.parametrize("mask", [mask_resident_id, mask_name, mask_phone])
def test_empty_input_gives_empty_mask(mask: object) -> None:
    assert mask("") == ""  # type: ignore[operator]


@pytest.mark.parametrize(
    ("mask", "short"), [(mask_resident_id, "1101051949"), (mask_phone, "1234567")]
)
def test_short_input_is_masked_completely(mask: object, short: str) -> None:
    assert mask(short) == "*" * len(short)  # type: ignore[operator]
