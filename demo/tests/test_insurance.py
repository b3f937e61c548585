"""The pure part of the insurance half of ``chengyu-demo``: the seeded workload (people,
periods, corrections, retirements, care assessments), its summary, and the seed marker
that now records both parts. The HTTP driving is exercised by running the demo on the
stack."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from chengyu_contracts.months import Month
from chengyu_contracts.resident_id import parse_resident_id
from chengyu_demo.cli import read_marker, write_marker
from chengyu_demo.cli_insurance import InsuranceReport, insurance_summary_lines
from chengyu_demo.fund import CITY_REGIONS, other_city
from chengyu_demo.insurance import (
    CARE_CASES,
    SCHEME_FROM,
    InsuranceWorkload,
    generate_insurance_workload,
    insurance_scenario_counts,
)
from chengyu_insurance_years.policy import default_policy_book

# Before and after the moderate level's recognition took effect in both cities
# (Chongqing 2025-07-01, Chengdu 2025-10-01), and the day the demo was written.
DAYS = (date(2025, 3, 15), date(2026, 11, 29))
SEEDS = (0, 7, 2025)
WORKLOADS = [generate_insurance_workload(seed, today=day) for seed in SEEDS for day in DAYS]
_ALREADY = "retirement-city-already-determined"


def test_the_same_seed_gives_the_same_workload_and_another_seed_another() -> None:
    day = DAYS[1]
    first = generate_insurance_workload(11, today=day, people=40)
    assert first == generate_insurance_workload(11, today=day, people=40)
    other = generate_insurance_workload(12, today=day, people=40)
    assert first.people != other.people
    assert first.periods != other.periods


@pytest.mark.parametrize("workload", WORKLOADS)
def test_resident_ids_are_valid_unique_and_match_the_person(workload: InsuranceWorkload) -> None:
    numbers = [person.resident_id for person in workload.people]
    assert len(set(numbers)) == len(numbers)
    regions = set()
    for person in workload.people:
        parsed = parse_resident_id(person.resident_id, today=workload.today)
        assert parsed.region_code in CITY_REGIONS["cq"] + CITY_REGIONS["cd"]
        assert (parsed.birth_date, parsed.sex) == (person.birth_date, person.sex)
        regions.add(parsed.region_code[:4])
    assert regions == {"5001", "5101"}  # Chongqing's districts (500xxx), Chengdu's (5101xx)


def test_a_person_prints_masked() -> None:
    person = WORKLOADS[0].people[0]
    shown = repr(person)
    assert person.resident_id not in shown
    assert person.birth_date.strftime("%Y%m%d") not in shown
    assert person.resident_id[:6] in shown


@pytest.mark.parametrize("workload", WORKLOADS)
def test_periods_end_after_they_start_and_never_in_the_future(
    workload: InsuranceWorkload,
) -> None:
    current = Month.of(workload.today)
    for period in workload.periods:
        start = Month.parse(period.start)
        for end in (Month.parse(period.end), Month.parse(period.first_end)):
            assert start <= end <= current
        if period.recorded_end is not None:
            assert period.recorded_end != period.end  # a correction changes something


@pytest.mark.parametrize("workload", WORKLOADS)
def test_every_career_spans_both_cities(workload: InsuranceWorkload) -> None:
    for person in workload.people:
        live = [p for p in workload.periods_of(person.key) if not p.cancelled]
        assert {p.city for p in live} == {"cq", "cd"}
        assert min(live, key=lambda p: p.start).city == person.home_city


@pytest.mark.parametrize("workload", WORKLOADS)
def test_overlaps_deemed_years_corrections_and_cancellations_are_present(
    workload: InsuranceWorkload,
) -> None:
    overlaps = [p for p in workload.people if workload.ledger_figures(p.key).months_in_both]
    assert overlaps
    deemed = [p for p in workload.periods if p.kind == "deemed"]
    assert deemed
    # Deemed years are the work before the scheme began, and only that.
    assert all(Month.parse(p.end) < SCHEME_FROM[p.city] for p in deemed)
    actual = [p for p in workload.periods if p.kind == "actual"]
    assert all(Month.parse(p.start) >= SCHEME_FROM[p.city] for p in actual)
    assert workload.corrections >= 1
    assert workload.cancellations >= 1


def test_an_overlap_is_counted_once_and_a_cancelled_period_not_at_all() -> None:
    workload = WORKLOADS[-1]
    for person in workload.people:
        figures = workload.ledger_figures(person.key)
        by_city = sum(actual for _, actual, _ in figures.by_city)
        assert figures.actual_months == by_city - figures.months_in_both
    cancelled = next(p for p in workload.periods if p.cancelled)
    live = [p for p in workload.periods_of(cancelled.person) if not p.cancelled]
    without = InsuranceWorkload(workload.seed, workload.today, workload.people, tuple(live), (), ())
    assert without.ledger_figures(cancelled.person) == workload.ledger_figures(cancelled.person)


@pytest.mark.parametrize("workload", WORKLOADS)
def test_retirements_are_determined_refused_and_raced(workload: InsuranceWorkload) -> None:
    counts = workload.scenario_counts()
    assert counts["race"] >= 1
    outcomes = Counter(
        (request.expected, request.expected_code)
        for retirement in workload.retirements
        if not retirement.is_race
        for request in retirement.requests
    )
    assert outcomes[("determined", None)] == counts["retiring"] >= 1
    assert outcomes[("refused", "requirements-not-met")] == counts["short"] >= 1
    for retirement in workload.retirements:
        born, retires = workload.person(retirement.person).birth_date, retirement.retirement_date
        age = retires.year - born.year - ((retires.month, retires.day) < (born.month, born.day))
        assert age in (50, 55, 60)  # about the statutory age
        assert retirement.retirement_date >= date(2025, 1, 1)  # a policy is in force
        for request in retirement.requests:
            if request.expected == "refused":
                assert request.shortfalls  # the refusal says what is missing
        if retirement.is_race:
            # A clerk in each city asks for their own city, and each would determine alone:
            # only the protocol decides which one wins.
            assert [(r.requested_in, r.chosen_city) for r in retirement.requests] == [
                ("cq", "cq"),
                ("cd", "cd"),
            ]
            assert {r.expected for r in retirement.requests} == {"determined"}
            assert workload.ledger_figures(retirement.person).months_in_both > 0


@pytest.mark.parametrize("workload", WORKLOADS)
def test_each_care_level_is_assessed_and_expired_ones_refused(
    workload: InsuranceWorkload,
) -> None:
    cases = Counter(a.case for a in workload.assessments)
    assert set(cases) == set(CARE_CASES)
    assert {a.level for a in workload.assessments} == {"severe", "moderate", "mild"}
    book = default_policy_book()
    for assessment in workload.assessments:
        assert assessment.concluded_on <= workload.today <= assessment.valid_until or (
            assessment.case == "expired" and assessment.valid_until < workload.today
        )
        recognising = other_city(assessment.city)
        levels = book.policy_for(recognising, workload.today).ltc_recognised_levels
        if assessment.case == "expired":
            assert (assessment.expected, assessment.expected_code) == (
                "refused",
                "assessment-expired",
            )
        elif assessment.level in levels:
            assert (assessment.expected, assessment.expected_code) == ("recognised", None)
        else:
            assert (assessment.expected, assessment.expected_code) == (
                "refused",
                "level-not-recognised",
            )


def test_moderate_is_recognised_only_after_the_policy_took_effect() -> None:
    before = [a for w in WORKLOADS if w.today == DAYS[0] for a in w.assessments]
    after = [a for w in WORKLOADS if w.today == DAYS[1] for a in w.assessments]
    assert {a.expected for a in before if a.case == "moderate"} == {"refused"}
    assert {a.expected for a in after if a.case == "moderate"} == {"recognised"}
    assert {a.expected for a in after if a.case == "mild"} == {"refused"}


def test_scenario_counts_add_up_and_small_demos_keep_a_race() -> None:
    counts = insurance_scenario_counts(60)
    assert sum(counts.values()) == 60
    assert counts == {"race": 3, "retiring": 12, "short": 6, "working": 39}
    assert insurance_scenario_counts(2) == {"race": 1, "retiring": 1, "short": 0, "working": 0}
    small = generate_insurance_workload(5, today=DAYS[1], people=4)
    assert len(small.people) == 4
    assert set(small.scenario_counts()) == {"race", "retiring", "short", "working"}
    assert {a.case for a in small.assessments} == set(CARE_CASES)


def test_too_early_a_day_for_any_retirement_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="no policy"):
        generate_insurance_workload(1, today=date(2024, 6, 1), people=5)


def test_summary_counts_outcomes_by_reason_and_fails_on_a_difference() -> None:
    workload = generate_insurance_workload(3, today=DAYS[1], people=10)
    report = InsuranceReport(seed=3, day="2026-11-29", people=10)
    report.periods_recorded.update({"cq": 12, "cd": 11})
    report.ledgers_checked = report.ledgers_equal = 10
    report.requested = 4
    report.retirements.update(
        {"determined/cq": 2, "refused/requirements-not-met": 1, f"refused/{_ALREADY}": 1}
    )
    report.shortfalls.update({"cumulative-months": 1})
    report.races.update({"cd": 1})
    report.assessments = 4
    report.care.update(
        {
            "recognised/severe": 1,
            "recognised/moderate": 1,
            "refused/level-not-recognised": 1,
            "refused/assessment-expired": 1,
        }
    )
    text = "\n".join(insurance_summary_lines(report, workload))
    assert "10 of 10 people equal in both cities, totals as planned" in text
    assert "2 determined (cq 2)" in text
    assert f"2 refused (requirements-not-met 1, {_ALREADY} 1)" in text
    assert "1, each won by exactly one city (won by cq 0, cd 1)" in text
    assert "2 recognised (severe 1, moderate 1)" in text
    assert "2 refused (assessment-expired 1, level-not-recognised 1)" in text
    assert report.ok
    report.ledgers_differ = 1
    assert not report.ok
    assert "1 DIFFER between the cities" in "\n".join(insurance_summary_lines(report, workload))
    report.ledgers_differ = 0
    report.races["no single winner"] += 1
    assert not report.ok


def test_the_seed_marker_records_both_parts_and_reads_an_old_fund_marker(tmp_path: Path) -> None:
    marker = tmp_path / "demo" / "seed-2025.json"
    assert read_marker(marker) == {}
    old = {"urls": {"cq": "http://127.0.0.1:8101"}, "finished_at": "2026-11-28T10:00:00+00:00"}
    marker.parent.mkdir()
    marker.write_text(json.dumps(old))
    assert read_marker(marker) == {"fund": old}
    runs = read_marker(marker)
    runs["insurance"] = {"urls": {"cq": "http://127.0.0.1:8102"}, "finished_at": "now"}
    write_marker(marker, runs)
    assert read_marker(marker) == {"fund": old, "insurance": runs["insurance"]}
    marker.write_text("{not json")
    assert read_marker(marker) == {}
