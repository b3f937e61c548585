"""The pure part of ``chengyu-demo``: the seeded workload (people, accounts, deposits,
transfers, withdrawals, a loan) and its summary. The plan's withdrawals and loan are judged
here by the service's own pure rules (``chengyu_fund_transfer``), so each one is planned to
end the way the running services will decide it. The HTTP driving is exercised by running
the demo on the stack."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pytest

from chengyu_contracts.months import Month
from chengyu_contracts.resident_id import parse_resident_id
from chengyu_demo.cli import DemoReport, summary_lines
from chengyu_demo.cli_withdrawals import LoanSeen, WithdrawalSeen
from chengyu_demo.fund import (
    CITY_REGIONS,
    GIVEN_NAMES,
    SURNAMES,
    City,
    PlannedAccount,
    PlannedWithdrawal,
    Scenario,
    Workload,
    generate_workload,
    other_city,
    scenario_counts,
)
from chengyu_fund_transfer.account import Account, Deposit
from chengyu_fund_transfer.eligibility import assess_loan
from chengyu_fund_transfer.loan import Loan, equal_instalment_fen
from chengyu_fund_transfer.money import Fen
from chengyu_fund_transfer.policy import default_policy_book
from chengyu_fund_transfer.withdrawal import Application, Decision, Proof, assess_withdrawal

# Chengdu's default policy raises the flexible maximum on 2026-01-01: test both sides.
DAYS = (date(2025, 3, 15), date(2026, 11, 29))
SEEDS = (0, 7, 2025)


def _workloads() -> list[Workload]:
    return [generate_workload(seed, today=day) for seed in SEEDS for day in DAYS]


WORKLOADS = _workloads()


def _accounts_of(workload: Workload, person: str) -> dict[str, PlannedAccount]:
    return {a.city: a for a in workload.accounts if a.person == person}


@pytest.mark.parametrize("workload", WORKLOADS)
def test_resident_ids_are_valid_unique_and_from_the_two_cities(workload: Workload) -> None:
    numbers = [person.resident_id for person in workload.people]
    assert len(set(numbers)) == len(numbers)
    regions = set()
    for number in numbers:
        parsed = parse_resident_id(number, today=workload.today)
        assert parsed.region_code in CITY_REGIONS["cq"] + CITY_REGIONS["cd"]
        regions.add(parsed.region_code[:4])
        age = (workload.today - parsed.birth_date).days / 365.25
        assert 21 < age < 59
    assert regions == {"5001", "5101"}  # Chongqing's districts and Chengdu's


def test_region_codes_are_the_cities_own() -> None:
    assert all(code.startswith("5001") for code in CITY_REGIONS["cq"])
    assert all(code.startswith("5101") for code in CITY_REGIONS["cd"])
    assert {"500101", "500120", "510104", "510112"} <= {
        *CITY_REGIONS["cq"],
        *CITY_REGIONS["cd"],
    }


@pytest.mark.parametrize("workload", WORKLOADS)
def test_names_combine_a_surname_and_a_given_name(workload: Workload) -> None:
    for person in workload.people:
        assert person.name[0] in SURNAMES
        assert person.name[1:] in GIVEN_NAMES


def test_the_same_seed_gives_the_same_workload_and_another_seed_another() -> None:
    day = DAYS[1]
    first = generate_workload(11, today=day, people=40, transfer_share=0.6)
    again = generate_workload(11, today=day, people=40, transfer_share=0.6)
    other = generate_workload(12, today=day, people=40, transfer_share=0.6)
    assert first == again  # withdrawals and loans included
    assert first.withdrawals and first.loans
    assert first.people != other.people
    assert first.withdrawals != other.withdrawals
    assert first.loans != other.loans


@pytest.mark.parametrize("workload", WORKLOADS)
def test_flexible_deposits_are_within_the_city_policy_in_force(workload: Workload) -> None:
    book = default_policy_book()
    kinds = Counter(account.kind for account in workload.accounts)
    assert kinds["flexible"] > 0
    assert kinds["employee"] > 0
    for account in workload.accounts:
        policy = book.policy_for(account.city, workload.today)
        for deposit in account.deposits:
            assert isinstance(deposit.amount_fen, int)
            assert deposit.amount_fen > 0
            assert deposit.amount_fen % 100 == 0  # whole yuan
            if account.kind == "flexible":
                low, high = policy.flexible_deposit_min_fen, policy.flexible_deposit_max_fen
                assert low <= deposit.amount_fen <= high


def test_chengdu_flexible_deposits_follow_the_2026_maximum() -> None:
    book = default_policy_book()
    old_max = book.policy_for("cd", DAYS[0]).flexible_deposit_max_fen
    new_max = book.policy_for("cd", DAYS[1]).flexible_deposit_max_fen
    assert old_max < new_max
    amounts_2025 = [
        d.amount_fen
        for w in WORKLOADS
        if w.today == DAYS[0]
        for a in w.accounts
        if a.city == "cd" and a.kind == "flexible"
        for d in a.deposits
    ]
    assert max(amounts_2025) <= old_max


@pytest.mark.parametrize("workload", WORKLOADS)
def test_no_month_is_in_the_future_or_twice_in_an_account(workload: Workload) -> None:
    current = Month.of(workload.today)
    for account in workload.accounts:
        months = [Month.parse(d.month) for d in account.deposits]
        assert months
        assert months == sorted(set(months))
        assert months[-1] <= current


@pytest.mark.parametrize("workload", WORKLOADS)
def test_transfers_go_both_ways_and_each_person_has_an_account(workload: Workload) -> None:
    directions = Counter((t.from_city, t.to_city) for t in workload.wave(1))
    assert directions[("cq", "cd")] > 0
    assert directions[("cd", "cq")] > 0
    for person in workload.people:
        assert person.home_city in _accounts_of(workload, person.key)


@pytest.mark.parametrize("workload", WORKLOADS)
def test_failing_cases_are_present_and_fail_for_their_real_reason(workload: Workload) -> None:
    expected = workload.expected_outcomes()
    assert expected[("rejected", "no-such-account")] > 0
    assert expected[("reverted", "history-conflict")] > 0
    assert expected[("completed", None)] > expected[("rejected", "no-such-account")]
    for transfer in workload.wave(1):
        accounts = _accounts_of(workload, transfer.person)
        sending = accounts.get(transfer.from_city)
        receiving = accounts.get(transfer.to_city)
        if transfer.expected == "rejected":
            assert sending is None  # nothing to send from there
            continue
        assert sending is not None
        overlap = set()
        if receiving is not None:
            overlap = {d.month for d in sending.deposits} & {d.month for d in receiving.deposits}
        if transfer.expected == "reverted":
            assert overlap  # a month paid in both cities cannot be merged
        else:
            assert not overlap


@pytest.mark.parametrize("workload", WORKLOADS)
def test_wave_two_brings_back_an_account_that_moved_in_wave_one(workload: Workload) -> None:
    assert workload.wave(2)
    for back in workload.wave(2):
        there = [t for t in workload.wave(1) if t.person == back.person]
        assert len(there) == 1
        assert there[0].expected == "completed"
        assert (back.from_city, back.to_city) == (there[0].to_city, there[0].from_city)


TRANSFER_SCENARIOS: tuple[Scenario, ...] = (
    "move",
    "merge",
    "round-trip",
    "no-account",
    "conflict",
    "move-rent",
)
ONE_EACH: tuple[Scenario, ...] = ("rent-refused", "too-few-months", "retirement", "borrow")


def test_scenario_counts_add_up_and_include_every_scenario() -> None:
    counts = scenario_counts(60, 0.5)
    assert sum(counts.values()) == 60
    assert sum(counts[s] for s in TRANSFER_SCENARIOS) == 30
    assert counts["move-rent"] == 1
    assert all(counts[s] == 1 for s in ONE_EACH)
    assert counts["rent"] == 3  # a tenth of the 30 who stay
    assert counts["stay"] == 30 - 4 - 3
    assert all(n >= 1 for n in counts.values())
    small = scenario_counts(10, 0.5)  # 5 transfers: one of each failing or special one
    assert sum(small.values()) == 10
    assert all(small[s] >= 1 for s in TRANSFER_SCENARIOS if s != "move-rent")
    # One plain move only, and 5 who stay: too few for a rent after a move or withdrawals.
    assert small["move-rent"] == 0 and small["rent"] == 0
    assert all(small[s] == 0 for s in ONE_EACH)
    without = scenario_counts(10, 0.0)
    assert without == {
        "merge": 0,
        "round-trip": 0,
        "no-account": 0,
        "conflict": 0,
        "move": 0,
        "move-rent": 0,
        "rent-refused": 1,
        "too-few-months": 1,
        "retirement": 1,
        "borrow": 1,
        "rent": 2,
        "stay": 4,
    }
    with pytest.raises(ValueError):
        scenario_counts(10, 1.5)


# -- withdrawals and the loan, judged by the service's own rules ---------------------------


def _deposits(account: PlannedAccount) -> list[Deposit]:
    return [
        Deposit(Month.parse(d.month), Fen(d.amount_fen), account.city) for d in account.deposits
    ]


def _account_at_withdrawal(workload: Workload, person: str, city: City) -> Account:
    """The person's account in ``city`` once every transfer has ended as planned: its own
    deposits and those a completed transfer to ``city`` brought over, with their cities."""
    own = workload.account_of(person, city)
    deposits = [] if own is None else _deposits(own)
    for transfer in workload.transfers:
        if (transfer.person, transfer.to_city, transfer.expected) == (person, city, "completed"):
            sent = workload.account_of(person, transfer.from_city)
            assert sent is not None
            deposits += _deposits(sent)
    deposits.sort(key=lambda d: d.month)
    assert len({d.month for d in deposits}) == len(deposits)  # the histories merge
    kind = own.kind if own is not None else "employee"
    balance = Fen(sum(d.amount_fen for d in deposits))
    return Account(f"ref-{person}", city, kind, "active", balance, tuple(deposits))


def _loan_record(workload: Workload, person: str) -> Loan:
    planned = workload.loan_of(person)
    rate = default_policy_book().policy_for(planned.city, workload.today).loan_annual_rate_bp
    return Loan(
        loan_id="loan-planned",
        person_ref=f"ref-{person}",
        city=planned.city,
        amount_fen=Fen(planned.amount_fen),
        term_months=planned.term_months,
        annual_rate_bp=rate,
        monthly_instalment_fen=equal_instalment_fen(planned.amount_fen, planned.term_months, rate),
        bank=planned.bank,
        start_month=Month.parse(planned.start_month),
    )


def _decision(workload: Workload, planned: PlannedWithdrawal, account: Account) -> Decision:
    """What the withdrawal's city decides of it on the workload's day."""
    loan = _loan_record(workload, planned.person) if planned.kind == "loan-repayment" else None
    application = Application(
        kind=planned.kind,
        amount_fen=planned.amount_fen,
        proofs=tuple(Proof(p.kind, p.reference) for p in planned.proofs),
        day=workload.today,
        loan=loan,
    )
    policy = default_policy_book().policy_for(planned.city, workload.today)
    return assess_withdrawal(account, [], application, policy)


def _scenario(workload: Workload, withdrawal: PlannedWithdrawal) -> str:
    return workload.person(withdrawal.person).scenario


@pytest.mark.parametrize("workload", WORKLOADS)
def test_each_withdrawal_ends_as_the_services_rules_decide(workload: Workload) -> None:
    assert workload.withdrawals
    for planned in workload.withdrawals:
        account = _account_at_withdrawal(workload, planned.person, planned.city)
        decision = _decision(workload, planned, account)
        if planned.expected == "not-allowed":
            assert decision.codes == (planned.expected_code,), decision.rules
        else:  # paid, or refused by a clerk only after applying
            assert decision.allowed, (planned, decision.rules)
        if planned.kind == "retirement":
            assert planned.amount_fen is None  # the whole balance
        else:
            assert planned.amount_fen is not None
            assert 0 < planned.amount_fen <= account.balance_fen
            assert planned.amount_fen % 10_000 == 0 or planned.amount_fen == account.balance_fen


@pytest.mark.parametrize("workload", WORKLOADS)
def test_the_plan_has_every_kind_of_withdrawal_in_both_cities(workload: Workload) -> None:
    outcomes = workload.expected_withdrawals()
    assert outcomes[("refused", "proof-not-genuine")] == 1
    assert outcomes[("not-allowed", "too-few-months")] == 1
    paid = [w for w in workload.withdrawals if w.expected == "paid"]
    assert {w.city for w in paid if w.kind == "rent"} == {"cq", "cd"}
    assert [w.kind for w in paid].count("retirement") == 1
    assert [w.kind for w in paid].count("loan-repayment") == 1
    scenarios = [_scenario(workload, w) for w in workload.withdrawals]
    assert scenarios.count("move-rent") == 1
    assert scenarios.count("rent") >= 2


@pytest.mark.parametrize("workload", WORKLOADS)
def test_rent_after_a_move_is_allowed_only_by_the_months_brought_over(workload: Workload) -> None:
    (planned,) = [w for w in workload.withdrawals if _scenario(workload, w) == "move-rent"]
    person = workload.person(planned.person)
    assert (person.home_city, planned.city) == ("cq", "cd")
    (transfer,) = [t for t in workload.transfers if t.person == planned.person]
    assert (transfer.from_city, transfer.to_city, transfer.expected) == ("cq", "cd", "completed")
    here = workload.account_of(planned.person, "cd")
    assert here is not None
    before = Account(
        f"ref-{planned.person}",
        "cd",
        here.kind,
        "active",
        Fen(here.deposited_fen),
        tuple(_deposits(here)),
    )
    refused = _decision(workload, planned, before)
    assert refused.codes == ("too-few-months",)
    months = next(r.detail for r in refused.rules if r.rule == "consecutive-months")
    assert "cq 0, cd 2" in months  # Chengdu's own: one month short of the 3 needed
    after = _decision(workload, planned, _account_at_withdrawal(workload, planned.person, "cd"))
    assert after.allowed
    months = next(r.detail for r in after.rules if r.rule == "consecutive-months")
    assert "cd 2" in months and "cq 0," not in months


@pytest.mark.parametrize("workload", WORKLOADS)
def test_the_loan_is_granted_in_chengdu_on_chongqings_deposits(workload: Workload) -> None:
    (loan,) = workload.loans
    assert (workload.person(loan.person).home_city, loan.city, loan.asking_city) == (
        "cq",
        "cd",
        "cq",
    )
    assert workload.account_of(loan.person, "cd") is None  # no account there: cq's count
    home = workload.account_of(loan.person, "cq")
    assert home is not None
    policy = default_policy_book().policy_for("cd", workload.today)
    eligibility = assess_loan(
        _deposits(home), home.deposited_fen, Month.of(workload.today), policy, existing_loans=()
    )
    assert eligibility.eligible, eligibility.rules
    assert eligibility.ceiling_fen == loan.ceiling_fen
    assert 0 < loan.amount_fen <= loan.ceiling_fen
    assert loan.amount_fen % 1_000_000 == 0  # whole 10,000 yuan
    assert loan.term_months <= policy.loan_max_term_months
    assert loan.start_month == str(Month.of(workload.today).next())
    (repayment,) = [w for w in workload.withdrawals if w.person == loan.person]
    assert (repayment.kind, repayment.city) == ("loan-repayment", "cq")
    assert repayment.amount_fen is not None
    assert repayment.amount_fen <= min(home.deposited_fen, loan.amount_fen)


def test_few_people_plan_no_withdrawals_and_no_loan() -> None:
    workload = generate_workload(5, today=DAYS[1], people=4, transfer_share=0.0)
    assert workload.withdrawals == () and workload.loans == ()


def test_other_city() -> None:
    assert other_city("cq") == "cd"
    assert other_city("cd") == "cq"


def test_a_person_prints_masked() -> None:
    person = WORKLOADS[0].people[0]
    shown = repr(person)
    assert person.resident_id not in shown
    assert person.name not in shown
    assert person.resident_id[:6] in shown


def test_summary_counts_outcomes_by_reason_and_checks_conservation() -> None:
    workload = generate_workload(3, today=DAYS[1], people=20)
    report = DemoReport(seed=3, day="2026-11-29", people=20)
    report.deposits = 10
    report.deposited_fen = 123_456
    report.requested = 4
    report.outcomes.update(
        {"completed": 2, "rejected/no-such-account": 1, "reverted/history-conflict": 1}
    )
    report.balances_fen.update({"cq": 100_000, "cd": 23_456})
    report.recorded_fen.update({"cq": 80_000, "cd": 43_456})  # some moved to the other city
    text = "\n".join(summary_lines(report, workload))
    assert "2 completed" in text
    assert "1 rejected (no-such-account 1)" in text
    assert "1 reverted (history-conflict 1)" in text
    assert "conserved" in text
    assert report.ok
    report.balances_fen["cd"] -= 1
    assert not report.conserved
    assert "DIFFERS" in "\n".join(summary_lines(report, workload))


def test_money_is_not_said_to_differ_when_a_lost_answer_hides_an_account() -> None:
    workload = generate_workload(3, today=DAYS[1], people=20)
    report = DemoReport(seed=3, day="2026-11-29", people=20)
    report.requested = 1
    report.balances_fen.update({"cq": 0, "cd": 0})
    report.recorded_fen.update({"cq": 5_000, "cd": 0})  # moved where the demo cannot see
    report.unconfirmed["request transfer: answer lost, transfer id unknown"] += 1
    text = "\n".join(summary_lines(report, workload))
    assert "DIFFERS" not in text
    assert "NOT CONFIRMED" in text
    assert "1 x request transfer: answer lost" in text


def test_the_money_check_uses_what_the_services_hold_not_the_demos_bookkeeping() -> None:
    workload = generate_workload(3, today=DAYS[1], people=20)
    report = DemoReport(seed=3, day="2026-11-29", people=20)
    report.deposited_fen = 1_000  # the demo's own count missed a deposit whose answer was lost
    report.balances_fen.update({"cq": 1_500, "cd": 0})
    report.recorded_fen.update({"cq": 1_500, "cd": 0})
    assert report.conserved
    assert "conserved" in "\n".join(summary_lines(report, workload))


def _money_report(workload: Workload) -> DemoReport:
    report = DemoReport(seed=3, day="2026-11-29", people=20)
    report.balances_fen.update({"cq": 80_000, "cd": 50_000})
    report.recorded_fen.update({"cq": 100_000, "cd": 50_000})
    report.money.withdrawn_fen.update({"cq": 20_000, "cd": 0})
    return report


def test_the_money_check_is_deposits_less_the_withdrawals_paid() -> None:
    workload = generate_workload(3, today=DAYS[1], people=20)
    report = _money_report(workload)
    assert report.conserved and report.ok
    text = "\n".join(summary_lines(report, workload))
    assert "150,000 fen of deposits recorded - 20,000 fen of withdrawals paid = 130,000 fen" in text
    assert "130,000 fen (read from both cities' APIs)" in text
    assert "to the fen: conserved" in text
    report.money.withdrawn_fen["cq"] -= 1  # a fen paid out that no balance shows
    assert not report.conserved
    assert "DIFFERS" in "\n".join(summary_lines(report, workload))


def test_a_withdrawal_whose_answer_was_lost_leaves_the_money_unconfirmed() -> None:
    workload = generate_workload(3, today=DAYS[1], people=20)
    report = _money_report(workload)
    report.money.withdrawn_fen["cq"] = 0  # the lost withdrawal was paid, unseen
    report.unconfirmed["apply withdrawal: answer lost, withdrawal id unknown"] += 1
    text = "\n".join(summary_lines(report, workload))
    assert "DIFFERS" not in text and "NOT CONFIRMED" in text


def _seen(
    person: str,
    scenario: str,
    city: str,
    kind: str,
    outcome: str,
    code: str | None = None,
    **more: Any,
) -> WithdrawalSeen:
    """A withdrawal that ended as planned: ``outcome``, with ``code``."""
    return WithdrawalSeen(
        person, scenario, city, kind, outcome, code, state=outcome, code=code, **more
    )


def test_the_summary_tells_each_withdrawal_and_the_loan_with_their_figures() -> None:
    workload = generate_workload(3, today=DAYS[1], people=20)
    report = _money_report(workload)
    months = "consecutive months of deposits up to 2026-10: {} (needs 3); of them cq {}, cd 2"
    seen = [
        _seen(
            "p001",
            "move-rent",
            "cd",
            "rent",
            "paid",
            amount_fen=300_000,
            months_rule=months.format(14, 12),
            before_transfer=f"too-few-months ({months.format(2, 0)})",
        ),
        _seen(
            "p002", "rent-refused", "cq", "rent", "refused", "proof-not-genuine", amount_fen=200_000
        ),
        _seen(
            "p003",
            "too-few-months",
            "cd",
            "rent",
            "not-allowed",
            "too-few-months",
            months_rule=months.format(2, 0),
        ),
        _seen(
            "p004",
            "retirement",
            "cd",
            "retirement",
            "paid",
            amount_fen=1_234_567,
            account_closed=True,
        ),
        _seen(
            "p005",
            "borrow",
            "cq",
            "loan-repayment",
            "paid",
            amount_fen=500_000,
            loan_query_id="lq-cq-1",
        ),
    ]
    report.money.withdrawals.extend(seen)
    report.money.loans.append(
        LoanSeen(
            person="p005",
            city="cd",
            asking_city="cq",
            loan_id="loan-cd-1",
            amount_fen=30_000_000,
            term_months=240,
            annual_rate_bp=285,
            monthly_instalment_fen=164_123,
            bank="成都银行",
            start_month="2026-12",
            eligibility=["consecutive-months: consecutive months up to 2026-11: 20"],
            query_id="lq-cq-1",
            query_state="answered",
            answered_at="2026-11-29T08:00:01.123456Z",
            outstanding_fen=30_000_000,
            as_of_month="2026-11",
            instalments_left=240,
        )
    )
    text = "\n".join(summary_lines(report, workload))
    assert "paid: rent 1 (cd 1), retirement 1 (cd 1), loan-repayment 1 (cq 1)" in text
    assert "refused by a cq clerk after applying (proof-not-genuine)" in text
    assert (
        f"not allowed at assessment (too-few-months): p003's rent in cd, {months.format(2, 0)}"
        in text
    )
    assert "p001 moved cq -> cd" in text
    assert f"before the move   too-few-months ({months.format(2, 0)})" in text
    assert f"after it          paid 3,000.00 yuan: {months.format(14, 12)}" in text
    assert "12,345.67 yuan, the whole balance; the account closed" in text
    assert "300,000.00 yuan over 240 months at 2.85 %, 1,641.23 yuan a month" in text
    assert "answered at 2026-11-29T08:00:01Z, signed by cd" in text
    assert "300,000.00 yuan outstanding as of 2026-11, 240 instalments left" in text
    assert "p005 in cq towards cd's loan, with the answer to its query: paid 5,000.00 yuan" in text
    assert "each one ended as planned" in text
    assert report.ok
    seen[1].state, seen[1].code = "paid", None  # the clerk's refusal did not hold
    assert report.money.not_as_planned == 1 and not report.ok
    assert "1 ended otherwise than planned" in "\n".join(summary_lines(report, workload))
