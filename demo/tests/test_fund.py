"""The pure part of ``chengyu-demo``: the seeded workload (people, accounts, deposits,
transfers) and its summary. The HTTP driving is exercised by running the demo on the stack."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from chengyu_contracts.months import Month
from chengyu_contracts.resident_id import parse_resident_id
from chengyu_demo.cli import DemoReport, summary_lines
from chengyu_demo.fund import (
    CITY_REGIONS,
    GIVEN_NAMES,
    SURNAMES,
    PlannedAccount,
    Workload,
    generate_workload,
    other_city,
    scenario_counts,
)
from chengyu_fund_transfer.policy import default_policy_book

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
    assert first == again
    assert first.people != other.people


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


def test_scenario_counts_add_up_and_include_every_scenario() -> None:
    counts = scenario_counts(60, 0.5)
    assert sum(counts.values()) == 60
    assert counts["stay"] == 30
    assert all(n >= 1 for n in counts.values())
    small = scenario_counts(10, 0.5)  # 5 transfers: one of each scenario
    assert sum(small.values()) == 10
    assert all(n >= 1 for n in small.values())
    assert scenario_counts(10, 0.0) == {
        "merge": 0,
        "round-trip": 0,
        "no-account": 0,
        "conflict": 0,
        "move": 0,
        "stay": 10,
    }
    with pytest.raises(ValueError):
        scenario_counts(10, 1.5)


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
