from __future__ import annotations

import pytest
from fund_transfer_builders import PERSON, deposits, loan, policy

from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.months import Month
from chengyu_fund_transfer.eligibility import Eligibility, assess_loan
from chengyu_fund_transfer.loan import (
    Loan,
    LoanTerms,
    equal_instalment_fen,
    grant_loan,
    outstanding_at,
    schedule,
)

OCTOBER = Month(2026, 10)
NOVEMBER = Month(2026, 11)
BALANCE = 1_000_000  # 10,000 yuan: ceiling 150,000 yuan


def eligible_in_chengdu() -> Eligibility:
    """12 months in Chengdu up to October 2026 and 10,000 yuan: up to 150,000 yuan."""
    return assess_loan(deposits("2025-11", "2026-10", "cd"), BALANCE, OCTOBER, policy("cd"))


def terms(
    amount: int = 1_000_000, term: int = 12, start: Month = NOVEMBER, bank: str = "Bank of Chengdu"
) -> LoanTerms:
    return LoanTerms(amount_fen=amount, term_months=term, bank=bank, start_month=start)


def granted(loan_terms: LoanTerms) -> Loan:
    return grant_loan("cd-loan-1", PERSON, loan_terms, eligible_in_chengdu(), policy("cd"))


# --- equal instalments (等额本息) -------------------------------------------------------


def test_the_equal_instalment_is_the_annuity_rounded_half_up_to_the_fen() -> None:
    # 10,000 yuan over 12 months at 2.85 %: 846.2539 yuan a month.
    assert equal_instalment_fen(1_000_000, 12, 285) == 84_625


def test_at_zero_interest_the_instalment_is_the_principal_shared_equally() -> None:
    assert equal_instalment_fen(1_200_000, 12, 0) == 100_000


def test_every_instalment_but_the_last_is_the_monthly_instalment() -> None:
    instalments = schedule(loan(amount_fen=1_000_000, term_months=12, annual_rate_bp=285))
    assert {i.payment_fen for i in instalments[:-1]} == {84_625}


def test_the_last_instalment_absorbs_the_rounding() -> None:
    last = schedule(loan(amount_fen=1_000_000, term_months=12, annual_rate_bp=285))[-1]
    assert (last.principal_fen, last.interest_fen, last.payment_fen) == (84_431, 201, 84_632)


def test_a_month_s_interest_is_the_outstanding_principal_times_the_monthly_rate() -> None:
    first = schedule(loan(amount_fen=1_000_000, term_months=12, annual_rate_bp=285))[0]
    assert first.interest_fen == 2_375  # 1,000,000 x 2.85 % / 12


def test_instalments_fall_due_monthly_from_the_start_month() -> None:
    instalments = schedule(loan(term_months=3, start_month=Month(2026, 12)))
    assert [str(i.month) for i in instalments] == ["2026-12", "2027-01", "2027-02"]


# --- outstanding ------------------------------------------------------------------------


def test_before_the_first_instalment_the_whole_loan_is_outstanding() -> None:
    assert outstanding_at(loan(start_month=NOVEMBER), OCTOBER) == loan().amount_fen


def test_after_the_first_instalment_its_principal_is_paid_off() -> None:
    assert outstanding_at(loan(start_month=NOVEMBER), NOVEMBER) == 1_000_000 - 82_250


def test_nothing_is_outstanding_from_the_last_instalment_s_month_on() -> None:
    paid_off = loan(term_months=12, start_month=NOVEMBER)
    assert outstanding_at(paid_off, Month(2027, 10)) == 0
    assert outstanding_at(paid_off, Month(2030, 1)) == 0


def test_the_month_before_the_last_instalment_still_owes_its_principal() -> None:
    assert outstanding_at(loan(term_months=12, start_month=NOVEMBER), Month(2027, 9)) == 84_431


# --- granting ---------------------------------------------------------------------------


def test_a_granted_loan_takes_its_rate_from_the_lending_city_s_policy() -> None:
    record = granted(terms())
    assert (record.city, record.annual_rate_bp, record.monthly_instalment_fen) == (
        "cd",
        285,
        84_625,
    )


def test_a_granted_loan_keeps_its_bank_and_start_month() -> None:
    record = granted(terms())
    assert (record.bank, record.start_month, record.term_months) == (
        "Bank of Chengdu",
        NOVEMBER,
        12,
    )


def test_a_loan_exactly_at_the_ceiling_is_granted() -> None:
    assert granted(terms(amount=15_000_000)).amount_fen == 15_000_000


def test_a_loan_one_fen_above_the_ceiling_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        granted(terms(amount=15_000_001))
    assert refused.value.code == "amount-above-ceiling"


def test_no_loan_is_granted_without_eligibility() -> None:
    not_eligible = assess_loan(deposits("2026-05", "2026-10", "cd"), BALANCE, OCTOBER, policy("cd"))
    with pytest.raises(DomainError) as refused:
        grant_loan("cd-loan-1", PERSON, terms(), not_eligible, policy("cd"))
    assert refused.value.code == "not-eligible"


@pytest.mark.parametrize("term", [0, 361])
def test_a_term_outside_one_month_to_the_policy_s_longest_is_refused(term: int) -> None:
    with pytest.raises(DomainError) as refused:
        granted(terms(term=term))
    assert refused.value.code == "invalid-term"


def test_the_longest_term_of_the_policy_is_granted() -> None:
    assert granted(terms(term=360)).term_months == 360


def test_a_first_instalment_before_the_application_month_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        granted(terms(start=Month(2026, 9)))
    assert refused.value.code == "start-before-application"


def test_a_loan_names_its_bank() -> None:
    with pytest.raises(DomainError) as refused:
        granted(terms(bank="  "))
    assert refused.value.code == "invalid-bank"


def test_an_eligibility_of_the_other_city_cannot_grant_a_loan() -> None:
    with pytest.raises(ValueError, match="other"):
        grant_loan("cq-loan-1", PERSON, terms(), eligible_in_chengdu(), policy("cq"))


# --- a loan outstanding in either city (loan eligibility) -------------------------------


def test_without_loans_given_the_eligibility_keeps_its_two_rules() -> None:
    result = assess_loan(deposits("2025-11", "2026-10", "cd"), BALANCE, OCTOBER, policy("cd"))
    assert [r.rule for r in result.rules] == ["consecutive-months", "ceiling"]


def test_no_loan_in_either_city_passes_the_outstanding_loan_rule() -> None:
    result = assess_loan(
        deposits("2025-11", "2026-10", "cd"), BALANCE, OCTOBER, policy("cd"), existing_loans=()
    )
    assert result.eligible
    assert result.rules[2].rule == "no-outstanding-loan"


def test_a_loan_outstanding_in_the_other_city_makes_a_second_loan_ineligible() -> None:
    in_chongqing = loan(city="cq", loan_id="cq-loan-7", start_month=Month(2025, 1), term_months=240)
    result = assess_loan(
        deposits("2025-11", "2026-10", "cd"),
        BALANCE,
        OCTOBER,
        policy("cd"),
        existing_loans=[in_chongqing],
    )
    assert not result.eligible
    assert result.ceiling_fen == 0
    assert "Chongqing loan cq-loan-7" in result.rules[2].detail


def test_a_loan_paid_off_by_the_application_month_does_not_count() -> None:
    paid_off = loan(city="cq", start_month=Month(2025, 11), term_months=12)  # last: 2026-10
    result = assess_loan(
        deposits("2025-11", "2026-10", "cd"),
        BALANCE,
        OCTOBER,
        policy("cd"),
        existing_loans=[paid_off],
    )
    assert result.eligible


def test_where_policy_allows_a_second_loan_an_outstanding_one_does_not_refuse() -> None:
    outstanding = loan(city="cq", start_month=Month(2025, 1), term_months=240)
    result = assess_loan(
        deposits("2025-11", "2026-10", "cd"),
        BALANCE,
        OCTOBER,
        policy("cd", second_loan_allowed=True),
        existing_loans=[outstanding],
    )
    assert result.eligible
    assert "a second loan is allowed in Chengdu" in result.rules[2].detail
