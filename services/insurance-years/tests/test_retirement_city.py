from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from insurance_years_builders import (
    PERSON,
    RETIREMENT_DAY,
    book,
    ledger,
    months_up_to,
    period,
    policy,
    request,
)

from chengyu_contracts.cities import City
from chengyu_contracts.domain_error import DomainError
from chengyu_insurance_years.ledger import Ledger
from chengyu_insurance_years.policy import PolicyBook, Sex
from chengyu_insurance_years.retirement import (
    Determined,
    Refused,
    RetirementDecision,
    RetirementDetermination,
    RetirementRequest,
    decide_retirement_city,
)

# Chongqing: 25 / 20 years, 120 months in the city, deemed years count.
# Chengdu: 30 / 25 years, 180 months in the city, deemed years do not count.
BOOK = book(
    policy("cq"),
    policy(
        "cd",
        min_cumulative_years_male=30,
        min_cumulative_years_female=25,
        min_actual_months_in_city=180,
        deemed_years_count=False,
    ),
)
LAST_MONTH = "2026-09"  # the month before the retirement day


def months_in(city: City, months: int, last: str = LAST_MONTH) -> Ledger:
    return ledger(period(city, *months_up_to(last, months)))


def decide(
    ledger_: Ledger,
    city: City = "cq",
    sex: Sex = "male",
    existing: RetirementDetermination | None = None,
    policies: PolicyBook = BOOK,
) -> RetirementDecision:
    return decide_retirement_city(request(city, sex), ledger_, policies, existing)


def refused(decision: RetirementDecision) -> Refused:
    assert isinstance(decision, Refused), decision
    return decision


def determined(decision: RetirementDecision) -> RetirementDetermination:
    assert isinstance(decision, Determined), decision
    return decision.determination


CUMULATIVE_BOUNDARIES = [
    ("cq", "male", 300),
    ("cq", "female", 240),
    ("cd", "male", 360),
    ("cd", "female", 300),
]


@pytest.mark.parametrize(("city", "sex", "required"), CUMULATIVE_BOUNDARIES)
def test_exactly_the_required_cumulative_months_is_determined(
    city: City, sex: Sex, required: int
) -> None:
    determination = determined(decide(months_in(city, required), city, sex))
    assert determination.figures.cumulative_months == required


@pytest.mark.parametrize(("city", "sex", "required"), CUMULATIVE_BOUNDARIES)
def test_one_cumulative_month_short_is_refused_with_a_shortfall_of_one(
    city: City, sex: Sex, required: int
) -> None:
    refusal = refused(decide(months_in(city, required - 1), city, sex))
    assert refusal.code == "requirements-not-met"
    assert [(s.rule, s.city, s.missing) for s in refusal.shortfalls] == [
        ("cumulative-months", city, 1)
    ]


IN_CITY_BOUNDARIES = [("cq", "cd", 120), ("cd", "cq", 180)]


@pytest.mark.parametrize(("city", "elsewhere", "required"), IN_CITY_BOUNDARIES)
def test_exactly_the_required_months_in_the_city_is_determined(
    city: City, elsewhere: City, required: int
) -> None:
    history = ledger(
        period(elsewhere, "1980-01", "1999-12"),  # 240 months, so the total is never short
        period(city, *months_up_to(LAST_MONTH, required)),
    )
    assert determined(decide(history, city)).figures.actual_months_in_city == required


@pytest.mark.parametrize(("city", "elsewhere", "required"), IN_CITY_BOUNDARIES)
def test_one_month_short_in_the_city_is_refused_with_a_shortfall_of_one(
    city: City, elsewhere: City, required: int
) -> None:
    history = ledger(
        period(elsewhere, "1980-01", "1999-12"),
        period(city, *months_up_to(LAST_MONTH, required - 1)),
    )
    refusal = refused(decide(history, city))
    assert [(s.rule, s.city, s.missing) for s in refusal.shortfalls] == [
        ("actual-months-in-city", city, 1)
    ]


def test_months_in_both_cities_add_up_to_the_cumulative_total() -> None:
    history = ledger(period("cd", "1990-01", "2004-12"), period("cq", "2005-01", "2019-12"))
    figures = determined(decide(history, "cq")).figures
    assert (figures.cumulative_months, figures.actual_months_in_city) == (360, 180)


def test_a_month_paid_in_both_cities_counts_once_towards_the_total() -> None:
    # 120 + 131 = 251 months recorded, 12 of them (2016-10..2017-09) paid in both cities:
    # 239 distinct months, one short for a woman in Chongqing.
    history = ledger(period("cq", "2016-10", "2026-09"), period("cd", "2006-11", "2017-09"))
    refusal = refused(decide(history, "cq", "female"))
    assert [(s.rule, s.counted, s.missing) for s in refusal.shortfalls] == [
        ("cumulative-months", 239, 1)
    ]


def test_deemed_months_count_where_the_policy_counts_them() -> None:
    history = ledger(
        period("cq", "1980-01", "1984-12", "deemed"), period("cq", *months_up_to(LAST_MONTH, 240))
    )
    figures = determined(decide(history, "cq")).figures
    assert (figures.cumulative_months, figures.deemed_months, figures.deemed_counted) == (
        300,
        60,
        True,
    )


def test_deemed_months_do_not_count_where_the_policy_does_not_count_them() -> None:
    history = ledger(
        period("cd", "1980-01", "1984-12", "deemed"), period("cd", *months_up_to(LAST_MONTH, 300))
    )
    refusal = refused(decide(history, "cd"))
    assert refusal.figures is not None
    assert (refusal.figures.cumulative_months, refusal.figures.deemed_counted) == (300, False)
    assert [(s.rule, s.missing) for s in refusal.shortfalls] == [("cumulative-months", 60)]


def test_months_after_the_retirement_month_are_not_counted() -> None:
    history = ledger(period("cq", "1990-01", "2026-09"))
    decision = decide_retirement_city(
        request("cq", retirement_date=date(2025, 6, 15)), history, BOOK, None
    )
    figures = determined(decision).figures
    assert (str(figures.up_to), figures.cumulative_months) == ("2025-06", 426)


def test_a_refusal_names_the_other_city_when_that_one_would_qualify() -> None:
    refusal = refused(decide(months_in("cq", 300), "cd"))
    assert refusal.alternative_city == "cq"
    assert "Chongqing would qualify" in refusal.sentence


def test_a_refusal_lists_every_shortfall_of_the_chosen_city() -> None:
    refusal = refused(decide(months_in("cq", 300), "cd"))
    assert [(s.rule, s.city, s.required, s.counted) for s in refusal.shortfalls] == [
        ("cumulative-months", "cd", 360, 300),
        ("actual-months-in-city", "cd", 180, 0),
    ]


def test_a_refusal_names_no_city_when_neither_would_qualify() -> None:
    refusal = refused(decide(months_in("cq", 100), "cq"))
    assert refusal.alternative_city is None
    assert "No other city would qualify" in refusal.sentence


def test_a_city_without_a_policy_on_the_day_is_no_alternative() -> None:
    refusal = refused(decide(months_in("cq", 300), "cd", policies=book(policy("cd"))))
    assert refusal.alternative_city is None


def test_the_chosen_city_without_a_policy_on_the_day_cannot_decide() -> None:
    with pytest.raises(DomainError) as raised:
        decide(months_in("cq", 300), "cq", policies=book(policy("cd")))
    assert raised.value.code == "no-policy-in-force"


def test_a_determination_carries_the_request_and_the_policy_used() -> None:
    determination = determined(decide(months_in("cq", 300), "cq"))
    assert (determination.person_ref, determination.city, determination.retirement_date) == (
        PERSON,
        "cq",
        RETIREMENT_DAY,
    )
    assert determination.figures.policy_effective_from == date(2025, 1, 1)


@pytest.mark.parametrize(("first", "second"), [("cq", "cd"), ("cd", "cq"), ("cq", "cq")])
def test_a_person_with_a_retirement_city_is_refused_a_second_one(first: City, second: City) -> None:
    history = ledger(period("cq", "1980-01", "1999-12"), period("cd", "2000-01", "2026-09"))
    existing = determined(decide(history, first))
    refusal = refused(decide(history, second, existing=existing))
    assert refusal.code == "retirement-city-already-determined"
    assert refusal.shortfalls == ()


def test_the_second_refusal_names_the_city_already_determined() -> None:
    existing = determined(decide(months_in("cq", 300), "cq"))
    refusal = refused(decide(months_in("cq", 300), "cd", existing=existing))
    assert "already determined: Chongqing" in refusal.sentence


def test_sentences_carry_no_person_ref() -> None:
    refusal = refused(decide(months_in("cq", 100), "cq"))
    assert PERSON not in refusal.sentence


def test_a_ledger_of_another_person_is_a_wiring_bug() -> None:
    other = replace(request(), person_ref="pr1_" + "ef" * 32)
    with pytest.raises(ValueError, match="another person"):
        decide_retirement_city(other, months_in("cq", 300), BOOK, None)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"person_ref": ""}, "invalid-person-ref"),
        ({"sex": "x"}, "unknown-sex"),
        ({"chosen_city": "bj"}, "unknown-city"),
    ],
)
def test_a_bad_request_is_refused_with_its_code(changes: dict[str, str], code: str) -> None:
    fields: dict[str, object] = {
        "person_ref": PERSON,
        "sex": "male",
        "retirement_date": RETIREMENT_DAY,
        "chosen_city": "cq",
    }
    fields.update(changes)
    with pytest.raises(DomainError) as raised:
        RetirementRequest(**fields)  # type: ignore[arg-type]
    assert raised.value.code == code
