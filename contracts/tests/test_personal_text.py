"""Clerks' free text is screened for personal data before it is stored or published."""

from __future__ import annotations

import pytest

from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.personal_text import personal_data_in, refuse_personal_data

# Typed with a Chinese input method: full-width digits (U+FF10..U+FF19).
FULL_WIDTH_MOBILE = "".join(chr(ord(digit) + 0xFEE0) for digit in "13812345678")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("来电人身份证号500103199001011234 反映工资拖欠", "resident ID number"),
        ("请回电 13812345678", "mobile phone number"),
        ("请回电 138 1234 5678", "mobile phone number"),
        ("请回电 " + FULL_WIDTH_MOBILE, "mobile phone number"),
        ("单位电话 023-63891234", "phone number"),
        ("卡号 6222021234567890123", "bank card number"),
    ],
)
def test_numbers_clerks_paste_are_found(text: str, kind: str) -> None:
    assert kind in personal_data_in(text)


@pytest.mark.parametrize(
    "text",
    [
        "反映2026年10月至12月工资被拖欠 金额约3000元 共12人",
        "咨询灵活就业人员社保缴费基数",
        "单位统一社会信用代码 91500000MA5U000000",
    ],
)
def test_ordinary_text_with_dates_amounts_and_counts_passes(text: str) -> None:
    assert personal_data_in(text) == []


def test_refusal_names_the_field_and_what_was_found() -> None:
    with pytest.raises(DomainError) as refused:
        refuse_personal_data("summary", "请回电 13812345678")
    assert refused.value.code == "personal-data-in-text"
    assert "summary" in str(refused.value) and "mobile phone number" in str(refused.value)
