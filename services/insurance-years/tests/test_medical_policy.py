from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from insurance_years_builders import policy

from chengyu_contracts.cities import CITIES, City, other_city, parse_city
from chengyu_contracts.domain_error import DomainError
from chengyu_insurance_years.policy import (
    PolicyBook,
    default_policies,
    default_policy_book,
    parse_level,
    parse_sex,
)


def test_the_policy_in_force_is_the_latest_that_has_taken_effect() -> None:
    old = policy("cd", effective_from=date(2025, 1, 1))
    new = policy("cd", effective_from=date(2026, 1, 1), min_actual_months_in_city=180)
    book = PolicyBook([new, old])
    assert book.policy_for("cd", date(2025, 12, 31)) == old
    assert book.policy_for("cd", date(2026, 1, 1)) == new


def test_a_day_before_any_policy_has_no_policy_in_force() -> None:
    book = PolicyBook([policy("cq", effective_from=date(2025, 1, 1))])
    with pytest.raises(DomainError) as refused:
        book.policy_for("cq", date(2024, 12, 31))
    assert refused.value.code == "no-policy-in-force"
    assert "Chongqing" in refused.value.sentence


def test_a_city_without_policies_has_no_policy_in_force() -> None:
    with pytest.raises(DomainError) as refused:
        PolicyBook([policy("cq")]).policy_for("cd", date(2026, 1, 1))
    assert refused.value.code == "no-policy-in-force"


def test_later_policies_are_those_taking_effect_after_the_day() -> None:
    old = policy("cq", effective_from=date(2025, 1, 1))
    new = policy("cq", effective_from=date(2025, 7, 1))
    assert PolicyBook([old, new]).later_policies("cq", date(2025, 6, 30)) == (new,)
    assert PolicyBook([old, new]).later_policies("cq", date(2025, 7, 1)) == ()


def test_two_policies_of_one_city_may_not_start_the_same_day() -> None:
    with pytest.raises(ValueError, match="same day"):
        PolicyBook([policy("cq"), policy("cq", min_actual_months_in_city=60)])


def test_minimum_cumulative_months_depend_on_sex() -> None:
    rules = policy(min_cumulative_years_male=25, min_cumulative_years_female=20)
    assert (rules.min_cumulative_months("male"), rules.min_cumulative_months("female")) == (
        300,
        240,
    )


def test_zero_cumulative_years_is_not_a_policy() -> None:
    with pytest.raises(ValueError, match="cumulative years"):
        policy(min_cumulative_years_female=0)


def test_negative_actual_months_is_not_a_policy() -> None:
    with pytest.raises(ValueError, match="actual months"):
        policy(min_actual_months_in_city=-1)


def test_an_unknown_disability_level_is_not_a_policy() -> None:
    with pytest.raises(ValueError, match="disability levels"):
        policy(ltc_recognised_levels=frozenset({"severe", "total"}))


def test_a_policy_accepting_no_scale_is_not_a_policy() -> None:
    with pytest.raises(ValueError, match="scale"):
        policy(ltc_accepted_scales=frozenset())


def test_an_unknown_city_is_not_a_policy() -> None:
    with pytest.raises(ValueError, match="unknown city"):
        policy("bj")  # type: ignore[arg-type]


def test_both_cities_have_a_default_policy_in_force_today() -> None:
    book = default_policy_book()
    for city in CITIES:
        assert book.policy_for(city, date(2026, 10, 15)).city == city


def test_the_default_policies_form_a_valid_book() -> None:
    assert len(PolicyBook(default_policies()).policies()) == len(default_policies())


@pytest.mark.parametrize(
    ("city", "before", "from_day"),
    [("cq", date(2025, 6, 30), date(2025, 7, 1)), ("cd", date(2025, 9, 30), date(2025, 10, 1))],
)
def test_the_default_policies_add_moderate_disability_on_a_date(
    city: City, before: date, from_day: date
) -> None:
    book = default_policy_book()
    assert "moderate" not in book.policy_for(city, before).ltc_recognised_levels
    assert "moderate" in book.policy_for(city, from_day).ltc_recognised_levels


def test_cities_sexes_and_levels_are_parsed_from_text() -> None:
    assert (parse_city("cd"), parse_sex("female"), parse_level("moderate")) == (
        "cd",
        "female",
        "moderate",
    )


@pytest.mark.parametrize(
    ("parse", "text", "code"),
    [
        (parse_city, "chongqing", "unknown-city"),
        (parse_sex, "m", "unknown-sex"),
        (parse_level, "total", "unknown-level"),
    ],
)
def test_unknown_words_are_refused_with_their_code(
    parse: Callable[[str], object], text: str, code: str
) -> None:
    with pytest.raises(DomainError) as refused:
        parse(text)
    assert refused.value.code == code


def test_the_other_city() -> None:
    assert (other_city("cq"), other_city("cd")) == ("cd", "cq")
