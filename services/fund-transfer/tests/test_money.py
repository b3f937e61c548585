from __future__ import annotations

import pytest

from chengyu_contracts.domain_error import DomainError
from chengyu_fund_transfer.money import fen, non_negative_fen, positive_fen, yuan_text


def test_a_whole_number_is_an_amount_in_fen() -> None:
    assert fen(12_345) == 12_345


@pytest.mark.parametrize("value", [100.0, 0.5, "100", True, None])
def test_anything_but_a_plain_integer_is_an_invalid_amount(value: object) -> None:
    with pytest.raises(DomainError) as refused:
        fen(value)
    assert refused.value.code == "invalid-amount"


def test_a_negative_amount_is_refused_where_amounts_cannot_be_negative() -> None:
    with pytest.raises(DomainError) as refused:
        non_negative_fen(-1)
    assert refused.value.code == "negative-amount"


def test_zero_is_a_valid_balance() -> None:
    assert non_negative_fen(0) == 0


def test_zero_is_not_a_deposit() -> None:
    with pytest.raises(DomainError) as refused:
        positive_fen(0)
    assert refused.value.code == "zero-amount"


def test_fen_are_written_as_yuan_with_two_decimals() -> None:
    assert yuan_text(1_234_567) == "12,345.67 yuan"
    assert yuan_text(-5) == "-0.05 yuan"
