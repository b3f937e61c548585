"""The jobs plan (pure): seeded, every code in the service's classification, every body the
API's shape with its boundaries kept, no personal data in shared text, every request
received just before ``now``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from chengyu_contracts.cities import CITIES
from chengyu_contracts.districts import district_of
from chengyu_contracts.personal_text import personal_data_in
from chengyu_demo.jobs import (
    DISTRICT_SEATS,
    credit_code,
    jobs_plan,
)
from chengyu_job_matching.occupations import occupations

NOW = datetime(2026, 12, 2, 17, 40, tzinfo=UTC)  # 01:40 on 3 December in China
TODAY = date(2026, 12, 3)


def test_the_plan_is_seeded() -> None:
    assert jobs_plan(5, now=NOW) == jobs_plan(5, now=NOW)
    assert jobs_plan(5, now=NOW) != jobs_plan(6, now=NOW)


def test_postings_name_known_occupations_in_their_city_with_sane_salaries() -> None:
    plan = jobs_plan(5, now=NOW, postings=400)
    assert {p.city for p in plan.postings} == set(CITIES)
    for posting in plan.postings:
        body = posting.body
        assert body["occupation_code"] in occupations()
        assert district_of(posting.city, body["district"]).city == posting.city
        low, high = body["salary_min_yuan"], body["salary_max_yuan"]
        assert (low is None) == (high is None)
        assert low is None or 0 < low <= high
        assert date.fromisoformat(body["closing_on"]) > TODAY
        assert 1 <= len(body["skills"]) <= 30
        assert not personal_data_in(body["description"]), body["description"]


def test_postings_lie_near_their_district_seat() -> None:
    for posting in jobs_plan(5, now=NOW).postings:
        _, lat, lon = DISTRICT_SEATS[posting.city][posting.body["district"]]
        assert abs(posting.body["latitude"] - lat) <= 0.011
        assert abs(posting.body["longitude"] - lon) <= 0.011


def test_seekers_are_distinct_people_with_known_codes() -> None:
    plan = jobs_plan(5, now=NOW, seekers=2400)
    ids = [s.body["id_number"] for s in plan.seekers]
    assert len(set(ids)) == len(ids)
    for seeker in plan.seekers:
        body = seeker.body
        assert seeker.intended == body["occupation_codes"][0]
        assert set(body["occupation_codes"]) <= set(occupations())
        assert (body["graduation_year"] is None) == ("college-graduate" not in body["groups"])
        assert district_of(seeker.city, body["home_district"]).city == seeker.city
        for district in body["desired_districts"]:
            assert any(district in DISTRICT_SEATS[c] for c in body["desired_cities"])


def test_one_consenting_seeker_of_each_city_withdraws() -> None:
    plan = jobs_plan(5, now=NOW)
    withdrawing = [s for s in plan.seekers if s.withdraws]
    assert sorted(s.city for s in withdrawing) == sorted(CITIES)
    assert all(s.body["consent_other_city"] for s in withdrawing)


def test_every_path_runs_both_ways_and_summaries_hold_no_personal_data() -> None:
    plan = jobs_plan(5, now=NOW)
    paths = {(r.from_city, r.path) for r in plan.requests}
    assert len(paths) == 2 * 6
    for request in plan.requests:
        assert not personal_data_in(request.body["summary"])
        assert (request.body["caller_kind"] == "enterprise") == (
            request.body["caller_credit_code"] is not None
        )


def test_requests_are_received_just_before_now_and_never_after() -> None:
    plan = jobs_plan(5, now=NOW)
    assert plan.today == TODAY
    for request in plan.requests:
        received = datetime.fromisoformat(request.body["received_at"])
        assert NOW - timedelta(minutes=30) <= received < NOW


def test_credit_codes_carry_both_check_characters() -> None:
    # A published example of GB 32100-2015.
    assert credit_code("350100", "M000100Y") == "91350100M000100Y43"
    assert len(credit_code("500103", "MA000001")) == 18


def test_files_run_both_ways_one_incomplete_each() -> None:
    plan = jobs_plan(5, now=NOW)
    for holder in CITIES:
        mine = [f for f in plan.files if f.holder == holder]
        assert [f.incomplete for f in mine] == [True, False]
        assert mine[0].missing_parts
