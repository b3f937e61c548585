"""A register row is checked into an entry, or refused with the first rule it breaks; a
refusal's sentence never quotes the ID number."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from elder_bus import resident
from elder_register_builders import TODAY, import_row

from chengyu_contracts.districts import DISTRICTS, district_of
from chengyu_contracts.domain_error import DomainError
from chengyu_elder_allowance.policy import default_policy_book
from chengyu_elder_allowance.register.rows import (
    checked_batch,
    checked_row,
    of_register_age,
)

POLICY = default_policy_book().policy_for("cq", TODAY)
GOOD = resident(3)
BAD_CHECK_DIGIT = GOOD[:17] + ("0" if GOOD[17] != "0" else "1")


def refusal(**fields: Any) -> str:
    """The code a row with ``fields`` is refused with; its sentence quotes no ID number."""
    sent = import_row(**fields)
    with pytest.raises(DomainError) as refused:
        checked_row(sent, "cq", TODAY, POLICY)
    assert sent.id_number[:10] not in refused.value.sentence
    return refused.value.code


def test_the_districts_of_both_cities_are_data() -> None:
    assert len(DISTRICTS["cq"]) == 38
    assert len(DISTRICTS["cd"]) == 20
    assert district_of("cq", "500243").name == "彭水苗族土家族自治县"
    assert district_of("cd", "510185").name == "简阳市"


def test_a_district_of_the_other_city_is_unknown_here() -> None:
    with pytest.raises(DomainError) as refused:
        district_of("cq", "510104")
    assert refused.value.code == "unknown-district"


def test_a_good_row_becomes_an_entry() -> None:
    entry = checked_row(
        import_row(7, assistance="dibao", assistance_since="2024-01-01"), "cq", TODAY, POLICY
    )
    assert entry.line == 7
    assert entry.resident.birth_date == date(1940, 5, 1)
    assert (entry.name, entry.district, entry.assistance) == ("王大爷", "500103", "dibao")
    assert entry.assistance_since == date(2024, 1, 1)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"id_number": "5001031940050100"}, "wrong-length"),
        ({"id_number": BAD_CHECK_DIGIT}, "bad-check-digit"),
        ({"name": "  "}, "invalid-name"),
        ({"name": "名" * 51}, "invalid-name"),
        ({"district": "510104"}, "unknown-district"),
        ({"district": "500199"}, "unknown-district"),
        ({"assistance": "wubao"}, "invalid-assistance"),
        ({"assistance": "dibao", "assistance_since": None}, "assistance-since-required"),
        ({"assistance": "tekun", "assistance_since": "2026-03-16"}, "assistance-since-in-future"),
        ({"assistance": "tekun", "assistance_since": "2025-02-30"}, "invalid-date"),
        ({"bank_account_token": ""}, "invalid-bank-account-token"),
        ({"bank_account_token": "6222 0000"}, "invalid-bank-account-token"),
        ({"phone": "12345"}, "invalid-phone"),
        ({"phone": "23-12345678"}, "invalid-phone"),
        ({"id_number": resident(4, born=date(1947, 3, 16))}, "not-of-register-age"),
    ],
)
def test_each_rule_refuses_a_row_with_its_code(fields: dict[str, Any], code: str) -> None:
    assert refusal(**fields) == code


@pytest.mark.parametrize("phone", ["13800138000", "023-63851234", "02363851234", "0830-1234567"])
def test_mobile_and_landline_numbers_are_phones(phone: str) -> None:
    assert checked_row(import_row(phone=phone), "cq", TODAY, POLICY).phone == phone


def test_the_register_holds_those_reaching_eighty_within_the_horizon() -> None:
    # 12 months after 2026-03-15 is 2027-03-15: born 1947-03-15 turns 80 that day.
    assert of_register_age(date(1947, 3, 15), TODAY, 12)
    assert not of_register_age(date(1947, 3, 16), TODAY, 12)
    assert of_register_age(date(1920, 1, 1), TODAY, 0)


def test_a_second_row_of_the_same_person_in_a_batch_is_refused_as_duplicate() -> None:
    same = resident(9)
    entries, errors = checked_batch(
        [import_row(2, id_number=same), import_row(3, id_number=same.lower())],
        "cq",
        TODAY,
        POLICY,
    )
    assert [e.line for e in entries] == [2]
    [error] = errors
    assert (error.line, error.code) == (3, "duplicate-row")
    assert same not in error.message


def test_a_batch_keeps_good_rows_and_reports_bad_ones_by_line() -> None:
    entries, errors = checked_batch(
        [import_row(2), import_row(3, district="000000"), import_row(4)], "cq", TODAY, POLICY
    )
    assert [e.line for e in entries] == [2, 4]
    assert [(e.line, e.code) for e in errors] == [(3, "unknown-district")]
