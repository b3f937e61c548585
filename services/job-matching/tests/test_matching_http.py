"""The matching routes on one city's real app (real PostgreSQL, no bus): postings of both
cities for a seeker and seekers of both cities for a posting, best first, each explained,
and nothing personal in an answer. The other city's rows are put where its events would put
them (the two-city flows of postings and seekers prove that they get there)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from postings_bus import posting_body
from seekers_bus import NAME, PHONE, resident, seeker_fields
from seekers_http import Served, serve

from chengyu_job_matching.matching import store, usecases
from chengyu_job_matching.matching.score import fails_filter, score_value
from chengyu_job_matching.policy import default_policy_book
from chengyu_kit.local.oidc import OidcProvider

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def cq(database: str, tmp_path: Path, oidc_provider: OidcProvider) -> AsyncIterator[Served]:
    async for service in serve(database, oidc_provider, tmp_path):
        yield service


async def publish(cq: Served, **fields: Any) -> str:
    answer = await cq.client.post("/postings", json=posting_body("cq", **fields))
    assert answer.status_code == 201, answer.text
    posting_id: str = answer.json()["posting_id"]
    return posting_id


async def register(cq: Served, serial: int, **fields: Any) -> str:
    answer = await cq.client.post("/seekers", json=seeker_fields(resident(serial), **fields))
    assert answer.status_code == 201, answer.text
    seeker_ref: str = answer.json()["seeker_ref"]
    return seeker_ref


async def as_chengdus(cq: Served, posting_id: str, new_id: str) -> None:
    """A copy of ``posting_id`` as a posting Chengdu published (in 武侯区)."""
    await cq.pool.execute(
        """
        INSERT INTO posting
        SELECT $2, 'cd', version, state, closed_reason, '蓉城数据科技有限公司', title, description,
               occupation_code, education, skills, salary_min_yuan, salary_max_yuan, '510107',
               30642000, 104043000, openings, closing_on, published_at, terms, updated_at
          FROM posting WHERE posting_id = $1
        """,
        posting_id,
        new_id,
    )


async def chengdu_seeker(cq: Served, seeker_ref: str, template: str) -> None:
    """A copy of this city's profile ``template`` as a consenting Chengdu seeker's."""
    await cq.pool.execute(
        """
        INSERT INTO seeker_profile
        SELECT $2, 'cd', version, true, true, groups, graduation_year, occupation_codes, skills,
               interests, education, desired_cities, '{}', '510107', salary_floor_yuan,
               willing_to_move, commute_radius_km, updated_at
          FROM seeker_profile WHERE seeker_ref = $1
        """,
        template,
        seeker_ref,
    )


async def matches(cq: Served, path: str, **query: Any) -> dict[str, Any]:
    answer = await cq.client.get(path, params=query)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_a_seekers_matches_span_both_cities_best_first_each_factor_explained(
    cq: Served,
) -> None:
    software = await publish(cq)
    await as_chengdus(cq, software, "cd-software")
    nursing = await publish(
        cq,
        title="病房护士",
        description="负责住院病人护理",
        occupation_code="2-05-08-01",
        skills=["护理"],
    )
    seeker = await register(cq, 1, desired_districts=[], commute_radius_km=10)

    body = await matches(cq, f"/seekers/{seeker}/matches", limit=10)

    found = [(m["posting_id"], m["city"]) for m in body["matches"]]
    assert found[:2] == [(software, "cq"), ("cd-software", "cd")]
    assert found[-1] == (nursing, "cq")
    scores = [m["score"] for m in body["matches"]]
    assert scores == sorted(scores, reverse=True)
    best = body["matches"][0]
    assert set(best["factors"]) == {"occupation", "skills", "text", "distance", "salary"}
    assert all(f["why"] and 0 <= f["score"] <= 1 for f in best["factors"].values())
    assert "the same occupation" in best["factors"]["occupation"]["why"]
    assert body["considered"] == 3


async def test_postings_failing_a_hard_filter_are_not_matches(cq: Served) -> None:
    closed = await publish(cq)
    assert (await cq.client.post(f"/postings/{closed}/close", json={"reason": "filled"})).is_success
    doctorate = await publish(cq, education="doctor")
    chengdu = await publish(cq)
    await as_chengdus(cq, chengdu, "cd-only")
    seeker = await register(cq, 2, desired_cities=["cq"], desired_districts=[])

    body = await matches(cq, f"/seekers/{seeker}/matches")

    found = {m["posting_id"] for m in body["matches"]}
    assert found == {chengdu}
    assert not {closed, doctorate, "cd-only"} & found


async def test_a_postings_matches_are_both_cities_seekers_by_reference_only(cq: Served) -> None:
    posting = await publish(cq)
    own = await register(cq, 3)
    await chengdu_seeker(cq, "cd-seeker-1", own)
    gone = await register(cq, 4)
    assert (await cq.client.post(f"/seekers/{gone}/deregister")).is_success

    body = await matches(cq, f"/postings/{posting}/matches")

    assert {(m["seeker_ref"], m["city"]) for m in body["matches"]} == {
        (own, "cq"),
        ("cd-seeker-1", "cd"),
    }
    text = str(body)
    assert NAME not in text and PHONE not in text and resident(3) not in text


async def test_the_limit_bounds_the_answer(cq: Served) -> None:
    for _ in range(4):
        await publish(cq)
    seeker = await register(cq, 5)
    body = await matches(cq, f"/seekers/{seeker}/matches", limit=2)
    assert len(body["matches"]) == 2 and body["considered"] == 4


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/seekers/no-such-seeker/matches", "seeker-not-found"),
        ("/postings/no-such-posting/matches", "posting-not-found"),
    ],
)
async def test_matching_an_unknown_seeker_or_posting_is_404(
    cq: Served, path: str, code: str
) -> None:
    answer = await cq.client.get(path)
    assert answer.status_code == 404
    assert answer.json()["error"] == code


async def test_a_limit_out_of_range_is_refused(cq: Served) -> None:
    seeker = await register(cq, 6)
    answer = await cq.client.get(f"/seekers/{seeker}/matches", params={"limit": 0})
    assert answer.status_code == 422
    assert "limit" in answer.text


async def test_postings_sharing_only_a_word_are_read_only_when_they_could_enter_the_answer(
    cq: Served,
) -> None:
    # The same occupation, no common skill: the first tier, scoring above what any posting
    # sharing only a word can reach (0.5775 with the default weights).
    close = await publish(cq)
    worded = await publish(
        cq,
        title="护理信息员",
        description="负责护理信息系统数据库的录入与核对",
        occupation_code="2-05-08-01",
        skills=["护理"],
    )
    seeker = await register(cq, 7)

    best_one = await matches(cq, f"/seekers/{seeker}/matches", limit=1)
    short_answer = await matches(cq, f"/seekers/{seeker}/matches", limit=10)

    assert [m["posting_id"] for m in best_one["matches"]] == [close]
    assert best_one["considered"] == 1
    assert [m["posting_id"] for m in short_answer["matches"]] == [close, worded]
    assert short_answer["considered"] == 2


async def test_reading_the_cut_tier_by_tier_answers_as_scoring_every_posting(cq: Served) -> None:
    # Postings of every relation to the seeker's occupation, with and without common
    # skills and words, at several salaries: the answers of every length must be the best
    # of all open postings as the scorer ranks them, ties by id.
    codes = ("2-02-10-03", "2-02-10-09", "2-02-07-01", "2-05-08-01", "4-01-02-02")
    skills: tuple[list[str], ...] = (["Python", "SQL"], ["Java"], ["护理"], [])
    texts = ("负责数据库后端开发", "负责病房护理", "负责仓库管理")
    for n in range(30):
        low = 4000 + 1000 * (n % 7)
        await publish(
            cq,
            occupation_code=codes[n % len(codes)],
            skills=skills[n % len(skills)],
            description=texts[n % len(texts)],
            salary_min_yuan=low,
            salary_max_yuan=low + 3000,
        )
    seeker = await register(cq, 8, salary_floor_yuan=7000)
    today = cq.clock.now().date()
    policy = default_policy_book().policy_for("cq", today)
    async with cq.pool.acquire() as conn:
        seeker_row = await store.seeker_row(conn, seeker)
    assert seeker_row is not None
    facts = usecases.seeker_facts(seeker_row)
    every = [
        usecases.posting_facts(row)
        for row in await cq.pool.fetch("SELECT * FROM posting WHERE state = 'open'")
    ]
    passing = [p for p in every if fails_filter(facts, p, today) is None]
    best_first = sorted(passing, key=lambda p: (-score_value(facts, p, policy), p.posting_id))

    for limit in (1, 3, 10, 30):
        body = await matches(cq, f"/seekers/{seeker}/matches", limit=limit)
        assert [m["posting_id"] for m in body["matches"]] == [
            p.posting_id for p in best_first[:limit]
        ], limit
