"""The pure part of the elder half of ``chengyu-demo`` (and of the elder end-to-end test):
the seeded workload (elders, moves, deaths, verifications, late registrations with
applications, assessments, institutions) and the payments and recovery claims it
predicts. The HTTP driving is exercised by running the demo on the stack and by
``tests/test_elder_allowance_e2e.py``."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from chengyu_contracts.months import Month, month_range
from chengyu_contracts.resident_id import parse_resident_id
from chengyu_demo.cli_elder import ElderReport, elder_summary_lines
from chengyu_demo.elder import (
    HOUSEHOLD_DISTRICTS,
    ElderWorkload,
    assessment_level,
    generate_elder_workload,
    reaches_age_on,
    story_counts,
)
from chengyu_elder_allowance.policy import default_policy_book

TODAY = date(2026, 12, 2)
DEMO = [generate_elder_workload(seed, today=TODAY) for seed in (0, 7, 2025)]
E2E = generate_elder_workload(
    20261202, today=TODAY, elders=1000, first_month=Month(2025, 1), last_month=Month(2026, 12)
)
WORKLOADS = [*DEMO, E2E]


def test_the_same_seed_gives_the_same_workload_and_another_seed_another() -> None:
    first = generate_elder_workload(11, today=TODAY, elders=80)
    assert first == generate_elder_workload(11, today=TODAY, elders=80)
    other = generate_elder_workload(12, today=TODAY, elders=80)
    assert first.elders != other.elders


def test_story_counts_add_up_and_every_special_story_is_there() -> None:
    counts = story_counts(300)
    assert sum(counts.values()) == 300
    assert all(n >= 1 for n in counts.values())
    assert story_counts(3) == {**dict.fromkeys(counts, 0), "moves": 1, "dies": 1, "dies-late": 1}


@pytest.mark.parametrize("workload", WORKLOADS)
def test_elders_are_synthetic_unique_and_of_their_city(workload: ElderWorkload) -> None:
    numbers = [e.resident_id for e in workload.elders]
    assert len(set(numbers)) == len(numbers)
    assert len({e.phone for e in workload.elders}) == len(workload.elders)
    for elder in workload.elders:
        parsed = parse_resident_id(elder.resident_id, today=workload.today)
        assert (parsed.birth_date, parsed.sex) == (elder.birth_date, elder.sex)
        assert elder.district in HOUSEHOLD_DISTRICTS[elder.home_city]
        assert elder.name.startswith("测试老人") and elder.bank_account_token.startswith("tok-")
        assert elder.resident_id not in repr(elder) and elder.name not in repr(elder)
    assert {e.home_city for e in workload.elders} == {"cq", "cd"}


@pytest.mark.parametrize("workload", WORKLOADS)
def test_no_date_of_the_plan_is_after_today(workload: ElderWorkload) -> None:
    days = [d.died_on for d in workload.deaths]
    days += [v.verified_on for v in workload.verifications]
    days += [a.assessed_on for a in workload.assessments]
    assert max(days) <= workload.today
    assert workload.last_month <= Month.of(workload.today)


def test_elders_cross_each_band_during_the_timeline_with_birthdays_on_the_edges() -> None:
    months = set(month_range(E2E.first_month, E2E.last_month))
    crossed = Counter(
        age
        for e in E2E.elders
        for age in (80, 90, 100)
        if Month.of(reaches_age_on(e.birth_date, age)) in months
    )
    assert all(crossed[age] >= 10 for age in (80, 90, 100)), crossed
    days = {e.birth_date.day for e in E2E.elders}
    assert 1 in days and {28, 29, 30, 31} & days
    assert any((e.birth_date.month, e.birth_date.day) == (2, 29) for e in E2E.elders)


def test_a_29_february_birthday_reaches_its_age_on_28_february_in_a_common_year() -> None:
    # The service's one rule (allowance.eligibility.birthday_in): it stays in February.
    assert reaches_age_on(date(1936, 2, 29), 90) == date(2026, 2, 28)
    assert reaches_age_on(date(1936, 2, 29), 88) == date(2024, 2, 29)


@pytest.mark.parametrize("workload", WORKLOADS)
def test_every_person_and_month_is_paid_at_most_once_by_one_city(
    workload: ElderWorkload,
) -> None:
    keys = [(p.person, p.month) for p in workload.payments]
    assert len(set(keys)) == len(keys)
    assert all(p.amount_fen > 0 for p in workload.payments)


@pytest.mark.parametrize("workload", WORKLOADS)
def test_a_move_hands_the_months_over_without_gap_or_overlap(workload: ElderWorkload) -> None:
    assert {(m.from_city, m.to_city) for m in workload.moves} == {("cq", "cd"), ("cd", "cq")}
    for move in workload.moves:
        paid = sorted((p.month, p.city) for p in workload.payments if p.person == move.person)
        months = [m.index for m, _ in paid]
        assert months == list(range(months[0], months[0] + len(months))) if months else True
        assert all(city == move.from_city for m, city in paid if m <= move.month)
        assert all(city == move.to_city for m, city in paid if m > move.month)


@pytest.mark.parametrize("workload", WORKLOADS)
def test_a_death_recorded_late_claims_back_exactly_the_months_paid_after_it(
    workload: ElderWorkload,
) -> None:
    late = {d.person: d for d in workload.deaths if d.late}
    claims = {c.person: c for c in workload.claims}
    assert set(claims) <= set(late)
    book = default_policy_book()
    for person, claim in claims.items():
        death = late[person]
        overpaid = [p for p in workload.payments if p.person == person and p.overpaid]
        assert claim.months == tuple(p.month for p in overpaid)
        assert claim.amount_fen == sum(p.amount_fen for p in overpaid)
        policy = book.for_month(claim.city, Month.of(death.died_on))
        assert policy is not None
        last_paid = Month.of(death.died_on) if policy.pay_death_month else None
        assert all(last_paid is None or m > last_paid for m in claim.months)
        assert all(m < death.recorded_in for m in claim.months)
    for death in workload.deaths:
        died = Month.of(death.died_on)
        assert not any(
            p.month > died and p.month >= death.recorded_in
            for p in workload.payments
            if p.person == death.person
        )


def test_the_e2e_workload_has_enough_of_every_story() -> None:
    counts = E2E.story_counts()
    assert counts["moves"] >= 50 and counts["lapses"] >= 20 and counts["applies"] >= 20
    assert len(E2E.claims) >= 20
    elsewhere = [v for v in E2E.verifications if v.recorded_in != v.paying_city]
    assert len(elsewhere) >= 100
    assert sum(v.resumes for v in E2E.verifications) == counts["lapses"]
    assert len(E2E.institutions) == 100


def test_applications_are_made_in_the_other_city_before_a_late_import() -> None:
    for application in E2E.applications:
        elder = E2E.elder(application.person)
        assert elder.story == "applies" and elder.imported_in == application.month.next()
        assert application.accepted_in != application.household_city == elder.home_city
        # Decided in the timeline's last month (today's): the months the register missed
        # are back paid by that month's run, no further back than the policy's limit.
        assert elder.imported_in == E2E.last_month
        months = sorted(p.month for p in E2E.payments if p.person == elder.key)
        assert months and months[-1] == E2E.last_month and months[0] < E2E.last_month
        policy = default_policy_book().for_month(elder.home_city, E2E.last_month)
        assert policy is not None
        assert months[0] >= E2E.last_month.plus(-policy.back_pay_limit_months)


def test_the_first_import_refuses_exactly_the_bad_rows_by_line() -> None:
    for city in ("cq", "cd"):
        rows = E2E.first_import(city)
        assert [r["line"] for r in rows] == list(range(2, len(rows) + 2))
        assert sorted(E2E.refused_lines(city).values()) == [
            "bad-check-digit",
            "not-of-register-age",
            "unknown-district",
        ]


@pytest.mark.parametrize(
    ("total", "coma", "dementia", "events", "levels"),
    [
        (90, False, False, 0, (0, 0)),
        (89, False, False, 0, (1, 1)),
        (66, False, False, 0, (1, 1)),
        (65, False, False, 0, (2, 2)),
        (46, False, False, 0, (2, 2)),
        (45, False, False, 0, (3, 3)),
        (30, False, False, 0, (3, 3)),
        (29, False, False, 0, (4, 4)),
        (90, True, False, 0, (0, 4)),
        (70, False, True, 0, (1, 2)),
        (70, False, False, 2, (1, 2)),
        (70, False, False, 1, (1, 1)),
        (70, False, True, 3, (1, 2)),
        (10, False, True, 3, (4, 4)),
    ],
)
def test_the_assessment_level_follows_the_standard(
    total: int, coma: bool, dementia: bool, events: int, levels: tuple[int, int]
) -> None:
    assert assessment_level(total, coma=coma, dementia=dementia, care_risk_events=events) == levels


def test_two_adjustments_stack_only_when_the_policy_says_so() -> None:
    both = {"coma": False, "dementia": True, "care_risk_events": 2}
    assert assessment_level(70, **both) == (1, 2)  # type: ignore[arg-type]
    assert assessment_level(70, stack=True, **both) == (1, 3)  # type: ignore[arg-type]


@pytest.mark.parametrize("workload", WORKLOADS)
def test_assessments_and_institutions_are_in_range(workload: ElderWorkload) -> None:
    for a in workload.assessments:
        assert 0 <= a.total <= 90 and a.self_care <= 32 and a.basic_mobility <= 15
        assert a.mental_state <= 28 and a.perception_and_social <= 15
    ids = [i.institution_id for i in workload.institutions]
    assert len(set(ids)) == len(ids)
    for i in workload.institutions:
        assert i.institution_id.startswith(f"{i.city}-")
        assert i.nursing_beds <= i.beds and i.vacancies <= i.beds
        assert i.district in HOUSEHOLD_DISTRICTS[i.city]


def test_the_summary_names_no_person_and_says_when_an_invariant_breaks() -> None:
    workload = DEMO[0]
    report = ElderReport(seed=0, day="2026-12-02", elders=len(workload.elders), months="x")
    report.example = "http://127.0.0.1:8203/allowances/pr1_x"
    text = "\n".join(elder_summary_lines(report, workload))
    assert "invariants          hold" in text and report.ok
    for elder in workload.elders:
        assert elder.resident_id not in text and elder.name not in text
    report.paid_twice = 1
    assert "DO NOT HOLD" in "\n".join(elder_summary_lines(report, workload))
    assert not report.ok
