"""Log lines never carry resident ID numbers or phone numbers."""

from chengyu_kit.logs import mask_personal_data


def test_masks_a_resident_id_number_inside_text() -> None:
    assert mask_personal_data("id 11010519491231002X failed") == "id 110105********002X failed"


def test_masks_a_mobile_number() -> None:
    assert mask_personal_data("call 13812345678") == "call 138****5678"


def test_leaves_ordinary_numbers_alone() -> None:
    assert mask_personal_data("offset 12345 of partition 2") == "offset 12345 of partition 2"
