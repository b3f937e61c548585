"""The ISBT 128 DIN: its shape, the MOD 37-2 check character (ICCBBA ST-001's worked
example, a derivation by hand, and every single-character change or adjacent swap caught)
and the collecting city of a placeholder facility."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chengyu_blood_dispatch.din import (
    CHECK_ALPHABET,
    Din,
    din_for,
    facility_city,
    mod37_2,
    parse_din,
)
from chengyu_contracts.domain_error import DomainError, NotFound

dins = st.builds(
    lambda letter, fin, year, seq: Din(letter + fin, year, seq),
    st.sampled_from(string.ascii_uppercase),
    st.from_regex(r"[0-9]{4}", fullmatch=True),
    st.from_regex(r"[0-9]{2}", fullmatch=True),
    st.from_regex(r"[0-9]{6}", fullmatch=True),
)


def test_the_worked_example_of_isbt_128() -> None:
    # ICCBBA ST-001 Appendix A.1: DIN G1234 17 654321 has the check character A.
    assert mod37_2("G123417654321") == "A"
    assert parse_din("G1234 17 654321 A") == Din("G1234", "17", "654321")


def test_a_check_character_derived_by_hand() -> None:
    # "A1": sum = (0 + 10) * 2 % 37 = 20; sum = (20 + 1) * 2 % 37 = 42 % 37 = 5;
    # check = (38 - 5) % 37 = 33 -> "X". Check: (5 + 33) * ... the weighted sum
    # 10 * 4 + 1 * 2 + 33 = 75 = 2 * 37 + 1, i.e. 1 modulo 37 as the pure system wants.
    assert mod37_2("A1") == "X"
    # A sum of 1 needs the check value 37 % 37 = 0; a sum of 2 needs 36, the '*'.
    assert mod37_2("") == "1"


def test_the_star_is_a_check_character_only() -> None:
    with pytest.raises(ValueError):
        mod37_2("A*")
    assert "*" in {mod37_2(f"X9990250{n:05d}") for n in range(200)}


def test_a_din_reads_with_or_without_its_check_and_with_label_spaces() -> None:
    din = din_for("cq", 2025, 123)
    assert din.text == "X999025000123"
    assert parse_din(din.text) == din
    assert parse_din(din.eye_readable) == din
    assert parse_din(din.eye_readable.lower()) == din
    assert parse_din(din.text + din.check_character) == din


@pytest.mark.parametrize(
    "text",
    ["", "X99902500012", "X99902500012345", "99990250001233", "X99A025000123", "X9990-25-000123"],
)
def test_a_din_of_the_wrong_shape_is_invalid(text: str) -> None:
    with pytest.raises(DomainError) as refused:
        parse_din(text)
    assert refused.value.code == "invalid-din"


def test_a_wrong_check_character_is_refused() -> None:
    din = din_for("cd", 2025, 7)
    wrong = next(c for c in CHECK_ALPHABET if c != din.check_character)
    with pytest.raises(DomainError) as refused:
        parse_din(din.text + wrong)
    assert refused.value.code == "bad-din-check"


def _same_kind(char: str) -> str:
    if char.isdigit():
        return string.digits
    if char == "*" or char.isalpha():
        return CHECK_ALPHABET
    raise AssertionError(char)


@given(dins, st.data())
def test_any_single_character_change_is_detected(din: Din, data: st.DataObject) -> None:
    checked = din.text + din.check_character
    position = data.draw(st.integers(0, 13), label="position")
    # Any other character the position could hold in shape; the check must catch it.
    alphabet = string.ascii_uppercase if position == 0 else _same_kind(checked[position])
    if position == 13:
        alphabet = CHECK_ALPHABET
    changed = data.draw(st.sampled_from([c for c in alphabet if c != checked[position]]))
    typed = checked[:position] + changed + checked[position + 1 :]
    with pytest.raises(DomainError) as refused:
        parse_din(typed)
    assert refused.value.code == "bad-din-check"


@given(dins, st.integers(0, 12))
def test_any_swap_of_two_adjacent_different_characters_is_detected(din: Din, at: int) -> None:
    checked = din.text + din.check_character
    if checked[at] == checked[at + 1]:
        return
    swapped = checked[:at] + checked[at + 1] + checked[at] + checked[at + 2 :]
    with pytest.raises(DomainError) as refused:
        parse_din(swapped)
    assert refused.value.code in {"bad-din-check", "invalid-din"}


def test_the_collecting_city_by_facility() -> None:
    assert facility_city(din_for("cq", 2025, 1)) == "cq"
    assert facility_city(din_for("cd", 2025, 1)) == "cd"
    with pytest.raises(NotFound) as refused:
        facility_city(parse_din("G123417654321"))
    assert refused.value.code == "unknown-facility"
