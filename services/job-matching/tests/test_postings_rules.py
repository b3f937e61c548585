"""The posting and fair rules (pure): each refusal at its boundary, 面议, coordinates in the
city's box, versions and closing, and the fair's dates and postings."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from postings_bus import posting_fields

from chengyu_contracts.city_bounds import CITY_BOUNDS
from chengyu_contracts.domain_error import Conflict, DomainError, Forbidden
from chengyu_job_matching.postings.rules import (
    MAX_SALARY_YUAN,
    MAX_SKILLS,
    FairFields,
    Posting,
    check_fair,
    check_posting,
    clerk_close_reason,
    close_posting,
    degrees_e6,
    expired,
    revise_posting,
)

TODAY = date(2026, 3, 2)
AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def refusal(**fields: object) -> str:
    with pytest.raises(DomainError) as refused:
        check_posting(posting_fields("cq", **fields), "cq", TODAY)
    return refused.value.code


def a_posting(**fields: object) -> Posting:
    content = check_posting(posting_fields("cq", **fields), "cq", TODAY)
    return Posting("pst-cq-1", "cq", 1, "open", None, content, AT)


def test_a_good_posting_is_kept_in_micro_degrees_with_its_skills_deduplicated() -> None:
    content = check_posting(
        posting_fields("cq", skills=["Java", " Java ", "SQL"], title="  Java开发  "), "cq", TODAY
    )
    assert (content.lat_e6, content.lon_e6) == (29_556_000, 106_568_000)
    assert content.skills == ("Java", "SQL")
    assert content.title == "Java开发"
    assert content.education == "bachelor"
    assert not content.negotiable


def test_both_salary_bounds_absent_is_negotiable() -> None:
    content = check_posting(
        posting_fields("cq", salary_min_yuan=None, salary_max_yuan=None), "cq", TODAY
    )
    assert content.negotiable
    assert (content.salary_min_yuan, content.salary_max_yuan) == (None, None)


@pytest.mark.parametrize(("low", "high"), [(8000, None), (None, 15000)])
def test_one_salary_bound_alone_is_refused(low: int | None, high: int | None) -> None:
    assert refusal(salary_min_yuan=low, salary_max_yuan=high) == "salary-bound-missing"


@given(low=st.integers(1, MAX_SALARY_YUAN), high=st.integers(1, MAX_SALARY_YUAN))
def test_a_salary_floor_above_the_ceiling_is_refused_and_any_other_range_kept(
    low: int, high: int
) -> None:
    fields = posting_fields("cq", salary_min_yuan=low, salary_max_yuan=high)
    if low > high:
        with pytest.raises(DomainError) as refused:
            check_posting(fields, "cq", TODAY)
        assert refused.value.code == "salary-floor-above-ceiling"
        assert f"({low} yuan)" in refused.value.sentence
    else:
        content = check_posting(fields, "cq", TODAY)
        assert (content.salary_min_yuan, content.salary_max_yuan) == (low, high)


@pytest.mark.parametrize("bound", [0, -1, MAX_SALARY_YUAN + 1])
def test_a_salary_bound_out_of_range_is_refused(bound: int) -> None:
    assert refusal(salary_min_yuan=bound, salary_max_yuan=MAX_SALARY_YUAN + 5) == "invalid-salary"


@given(days=st.integers(-400, 400))
def test_the_closing_date_may_be_today_or_later_never_earlier(days: int) -> None:
    closing = TODAY + timedelta(days=days)
    fields = posting_fields("cq", closing_on=closing.isoformat())
    if days < 0:
        with pytest.raises(DomainError) as refused:
            check_posting(fields, "cq", TODAY)
        assert refused.value.code == "closing-date-past"
    else:
        assert check_posting(fields, "cq", TODAY).closing_on == closing


def test_a_closing_date_not_written_yyyy_mm_dd_is_refused() -> None:
    assert refusal(closing_on="30/04/2026") == "invalid-date"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("2-02-10", "invalid-occupation-code"),
        ("9-99-99-99", "invalid-occupation-code"),
        ("2-99-99-99", "unknown-occupation"),
    ],
)
def test_an_occupation_not_in_the_classification_is_refused(code: str, expected: str) -> None:
    assert refusal(occupation_code=code) == expected


def test_a_district_of_the_other_city_or_of_neither_is_refused() -> None:
    assert refusal(district="510107") == "district-of-other-city"
    assert refusal(district="110101") == "unknown-district"
    assert refusal(district="5001") == "invalid-district"


@given(
    lat=st.decimals(min_value=-90, max_value=90, places=6),
    lon=st.decimals(min_value=-180, max_value=180, places=6),
)
def test_coordinates_are_kept_exactly_when_inside_the_citys_box(lat: Decimal, lon: Decimal) -> None:
    box = CITY_BOUNDS["cq"]
    inside = box.south <= lat <= box.north and box.west <= lon <= box.east
    fields = posting_fields("cq")
    fields = replace(fields, latitude=lat, longitude=lon)
    if inside:
        content = check_posting(fields, "cq", TODAY)
        assert (content.lat_e6, content.lon_e6) == (int(lat * 1_000_000), int(lon * 1_000_000))
    else:
        with pytest.raises(DomainError) as refused:
            check_posting(fields, "cq", TODAY)
        assert refused.value.code == "coordinates-outside-city"


def test_the_box_edges_are_inside() -> None:
    box = CITY_BOUNDS["cd"]
    fields = replace(
        posting_fields("cd"), latitude=Decimal(str(box.north)), longitude=Decimal(str(box.west))
    )
    assert check_posting(fields, "cd", TODAY).lat_e6 == 31_500_000
    assert degrees_e6("NaN") is None
    assert degrees_e6("29.5630004") == 29_563_000


def test_at_most_thirty_skills_of_at_most_forty_characters() -> None:
    assert len(a_posting(skills=[f"s{n}" for n in range(MAX_SKILLS)]).content.skills) == 30
    assert refusal(skills=[f"s{n}" for n in range(MAX_SKILLS + 1)]) == "too-many-skills"
    assert refusal(skills=["x" * 41]) == "invalid-skill"
    assert refusal(skills=["  "]) == "invalid-skill"


def test_personal_data_in_the_description_is_refused() -> None:
    assert refusal(description="有意者请联系王经理 13912345678") == "personal-data-in-text"


def test_other_text_rules() -> None:
    assert refusal(employer_name=" ") == "invalid-employer-name"
    assert refusal(title="x" * 101) == "invalid-title"
    assert refusal(description="x" * 5001) == "invalid-description"
    assert refusal(education="primary") == "unknown-education"
    assert refusal(openings=0) == "invalid-openings"


def test_a_revision_is_the_next_version_and_an_unchanged_one_nothing() -> None:
    current = a_posting()
    assert revise_posting(current, current.content, "cq", AT) is None
    changed = replace(current.content, openings=5)
    revised = revise_posting(current, changed, "cq", AT + timedelta(hours=1))
    assert revised is not None
    assert (revised.version, revised.content.openings) == (2, 5)


def test_only_the_posting_city_revises_or_closes_and_never_once_closed() -> None:
    current = a_posting()
    with pytest.raises(Forbidden) as other:
        close_posting(current, "filled", "cd", AT)
    assert other.value.code == "other-citys-posting"
    closed = close_posting(current, "filled", "cq", AT)
    assert (closed.version, closed.state, closed.closed_reason) == (2, "closed", "filled")
    with pytest.raises(Conflict) as again:
        revise_posting(closed, current.content, "cq", AT)
    assert again.value.code == "posting-closed"


def test_a_clerk_closes_as_filled_or_withdrawn_only() -> None:
    assert clerk_close_reason("withdrawn") == "withdrawn"
    with pytest.raises(DomainError) as refused:
        clerk_close_reason("expired")
    assert refused.value.code == "unknown-close-reason"


def test_a_posting_expires_the_day_after_its_closing_date() -> None:
    posting = a_posting(closing_on="2026-03-10")
    assert not expired(posting, date(2026, 3, 10))
    assert expired(posting, date(2026, 3, 11))
    assert not expired(close_posting(posting, "filled", "cq", AT), date(2026, 3, 11))


def fair_fields(**fields: object) -> FairFields:
    values: dict[str, object] = {
        "title": "联合招聘会",
        "venue": "成都世纪城",
        "starts_on": "2026-03-02",
        "ends_on": "2026-03-02",
        "posting_ids": ("a", "b", "a"),
    }
    values.update(fields)
    return FairFields(**values)  # type: ignore[arg-type]


def test_a_fair_may_start_today_and_last_one_day() -> None:
    fair = check_fair(fair_fields(), TODAY)
    assert fair.posting_ids == ("a", "b")
    assert fair.starts_on == fair.ends_on == TODAY


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"starts_on": "2026-03-01", "ends_on": "2026-03-03"}, "fair-start-past"),
        ({"starts_on": "2026-03-05", "ends_on": "2026-03-04"}, "fair-ends-before-start"),
        ({"posting_ids": ()}, "invalid-posting-ids"),
        ({"title": ""}, "invalid-fair-title"),
        ({"venue": "联系电话 023-63861234"}, "personal-data-in-text"),
    ],
)
def test_a_fair_is_refused(fields: dict[str, object], code: str) -> None:
    with pytest.raises(DomainError) as refused:
        check_fair(fair_fields(**fields), TODAY)
    assert refused.value.code == code


def test_a_revised_fair_may_keep_a_start_already_past() -> None:
    fields = fair_fields(starts_on="2026-03-01", ends_on="2026-03-03")
    assert check_fair(fields, TODAY, keeps_start=date(2026, 3, 1)).starts_on == date(2026, 3, 1)
