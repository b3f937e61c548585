from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.resident_id import (
    PROVINCE_CODES,
    InvalidResidentId,
    check_digit,
    checked_resident_id,
    parse_resident_id,
    synthesize_resident_id,
)

STANDARD_SAMPLE = "11010519491231002X"  # the example number printed in GB 11643-1999
TODAY = date(2025, 6, 1)


def code_of(raw: str) -> str:
    with pytest.raises(InvalidResidentId) as raised:
        parse_resident_id(raw, today=TODAY)
    return raised.value.code


def test_accepts_the_standards_own_sample_number() -> None:
    parsed = parse_resident_id(STANDARD_SAMPLE, today=TODAY)
    assert parsed.number == STANDARD_SAMPLE
    assert parsed.region_code == "110105"
    assert parsed.birth_date == date(1949, 12, 31)


def test_even_17th_digit_means_female() -> None:
    assert parse_resident_id(STANDARD_SAMPLE, today=TODAY).sex == "female"


def test_odd_17th_digit_means_male() -> None:
    number = synthesize_resident_id("500101", date(1990, 5, 17), 3, "male")
    assert parse_resident_id(number, today=TODAY).sex == "male"


def test_normalises_whitespace_and_lowercase_x() -> None:
    assert parse_resident_id(" 11010519491231002x\n", today=TODAY).number == STANDARD_SAMPLE


def test_check_digit_of_the_standard_sample_is_x() -> None:
    assert check_digit(STANDARD_SAMPLE[:17]) == "X"


def test_check_digit_requires_17_ascii_digits() -> None:
    with pytest.raises(ValueError, match="17 ASCII digits"):
        check_digit("1234")


def test_rejects_wrong_length() -> None:
    assert code_of(STANDARD_SAMPLE[:15]) == "wrong-length"


def test_rejects_letter_among_the_first_17() -> None:
    assert code_of("1101051949123100A" + "X") == "bad-characters"


def test_rejects_fullwidth_digits() -> None:
    assert code_of("\uff11" + STANDARD_SAMPLE[1:])  # FULLWIDTH DIGIT ONE == "bad-characters"


def test_rejects_unknown_province_code() -> None:
    first17 = "99" + STANDARD_SAMPLE[2:17]
    assert code_of(first17 + check_digit(first17)) == "bad-region"


def test_accepts_every_province_level_code() -> None:
    for province in sorted(PROVINCE_CODES):
        first17 = f"{province:02d}" + STANDARD_SAMPLE[2:17]
        assert parse_resident_id(
            first17 + check_digit(first17), today=TODAY
        ).region_code.startswith(f"{province:02d}")


def test_rejects_impossible_birth_date() -> None:
    first17 = "110105" + "19490230" + "002"
    assert code_of(first17 + check_digit(first17)) == "bad-birth-date"


def test_rejects_birth_before_1900() -> None:
    first17 = "110105" + "18991231" + "002"
    assert code_of(first17 + check_digit(first17)) == "bad-birth-date"


def test_rejects_birth_after_the_injected_today() -> None:
    first17 = "110105" + "20250602" + "002"
    assert code_of(first17 + check_digit(first17)) == "bad-birth-date"


def test_accepts_birth_on_the_injected_today() -> None:
    first17 = "110105" + "20250601" + "002"
    assert parse_resident_id(first17 + check_digit(first17), today=TODAY).birth_date == TODAY


def test_rejects_wrong_check_digit() -> None:
    assert code_of(STANDARD_SAMPLE[:17] + "1") == "bad-check-digit"


def test_error_messages_never_echo_the_number() -> None:
    with pytest.raises(InvalidResidentId) as raised:
        parse_resident_id(STANDARD_SAMPLE[:17] + "1", today=TODAY)
    assert STANDARD_SAMPLE[:17] not in str(raised.value)


def test_repr_does_not_show_the_number() -> None:
    assert STANDARD_SAMPLE not in repr(parse_resident_id(STANDARD_SAMPLE, today=TODAY))


def test_synthesize_rejects_unknown_province() -> None:
    with pytest.raises(ValueError, match="province"):
        synthesize_resident_id("990101", date(1990, 1, 1), 0, "female")


def test_synthesize_rejects_sequence_out_of_range() -> None:
    with pytest.raises(ValueError, match="sequence"):
        synthesize_resident_id("500101", date(1990, 1, 1), 500, "female")


regions = st.builds(
    lambda province, rest: f"{province:02d}{rest:04d}",
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.integers(min_value=0, max_value=9999),
)


@given(
    region=regions,
    born=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    sequence=st.integers(min_value=0, max_value=499),
    sex=st.sampled_from(["male", "female"]),
)
def test_every_synthesized_number_parses_back_to_its_fields(
    region: str, born: date, sequence: int, sex: str
) -> None:
    parsed = parse_resident_id(
        synthesize_resident_id(region, born, sequence, sex),  # type: ignore[arg-type]
        today=TODAY,
    )
    assert (parsed.region_code, parsed.birth_date, parsed.sex) == (region, born, sex)


def test_a_clerks_invalid_number_is_a_domain_refusal_naming_the_problem_not_the_number() -> None:
    wrong = "11010519491231002" + "1"
    with pytest.raises(DomainError) as refused:
        checked_resident_id(wrong, date(2026, 1, 1))
    assert refused.value.code == "bad-check-digit"
    assert "check digit" in refused.value.sentence
    assert wrong not in refused.value.sentence


def test_a_clerks_valid_number_is_parsed() -> None:
    assert checked_resident_id(" 11010519491231002x ", date(2026, 1, 1)).sex == "female"
