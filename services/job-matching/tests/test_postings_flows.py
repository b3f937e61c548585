"""Postings and fairs across both cities on the bus: the other city sees a posting, a newer
version wins over an older one whatever the order, redelivery changes nothing, closing (by a
clerk or the expiry sweep) propagates, a closing read before its posting keeps it closed,
and a fair of both cities' postings is shown in both with their titles and states."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from postings_bus import Bus, PostingsCity, payloads, two_cities

from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.events.hr import JobPostingClosed, JobPostingPublished
from chengyu_kit.local.postgres import LocalPostgres

pytestmark = pytest.mark.integration


@pytest.fixture
async def cities(postgres: LocalPostgres) -> AsyncIterator[tuple[PostingsCity, PostingsCity, Bus]]:
    async for trio in two_cities(postgres):
        yield trio


async def test_chengdu_sees_a_chongqing_posting_with_its_terms(
    cities: tuple[PostingsCity, PostingsCity, Bus],
) -> None:
    cq, cd, bus = cities
    published = await cq.publish()
    await bus.settle()
    seen = await cd.posting(published.posting_id)
    assert seen == published
    listed, total = await cd.listed(city="cq")
    assert (total, [p.posting_id for p in listed]) == (1, [published.posting_id])
    terms = await cd.pool.fetchval(
        "SELECT terms FROM posting WHERE posting_id = $1", published.posting_id
    )
    assert "java" in terms
    assert bus.dead == []


async def test_a_newer_version_wins_and_an_older_one_read_later_changes_nothing(
    cities: tuple[PostingsCity, PostingsCity, Bus],
) -> None:
    cq, cd, bus = cities
    first = await cq.publish()
    await cq.revise(first.posting_id, openings=7)
    v1, v2 = await bus.publish(cq)
    assert [p.version for p in payloads([v1, v2], JobPostingPublished)] == [1, 2]

    await bus.deliver(cd, [v2])
    await bus.deliver(cd, [v1])
    seen = await cd.posting(first.posting_id)
    assert (seen.version, seen.content.openings) == (2, 7)
    assert bus.dead == []


async def test_redelivery_changes_nothing(cities: tuple[PostingsCity, PostingsCity, Bus]) -> None:
    cq, cd, bus = cities
    posting = await cq.publish()
    await cq.close_posting(posting.posting_id, "withdrawn")
    await bus.settle()
    before = await cd.rows()
    await bus.deliver(cd, bus.log)
    await bus.deliver(cq, bus.log)
    assert await cd.rows() == before
    assert bus.dead == []


async def test_a_close_propagates_and_the_other_city_cannot_close_it(
    cities: tuple[PostingsCity, PostingsCity, Bus],
) -> None:
    cq, cd, bus = cities
    posting = await cq.publish()
    await bus.settle()
    with pytest.raises(DomainError) as refused:
        await cd.close_posting(posting.posting_id)
    assert refused.value.code == "other-citys-posting"

    await cq.close_posting(posting.posting_id, "filled")
    await bus.settle()
    seen = await cd.posting(posting.posting_id)
    assert (seen.state, seen.closed_reason, seen.version) == ("closed", "filled", 2)
    assert (await cd.listed(state="open"))[1] == 0
    assert bus.dead == []


async def test_a_closing_read_before_its_posting_keeps_the_posting_closed(
    cities: tuple[PostingsCity, PostingsCity, Bus],
) -> None:
    cq, cd, bus = cities
    posting = await cq.publish()
    await cq.close_posting(posting.posting_id)
    published, closed = await bus.publish(cq)
    await bus.deliver(cd, [closed])
    await bus.deliver(cd, [published])
    seen = await cd.posting(posting.posting_id)
    assert (seen.state, seen.version, seen.content.title) == ("closed", 2, "Java后端开发工程师")
    assert await cd.pool.fetchval("SELECT count(*) FROM posting_close_seen") == 0
    assert bus.dead == []


async def test_the_sweep_expires_postings_past_their_closing_date_in_both_cities(
    cities: tuple[PostingsCity, PostingsCity, Bus],
) -> None:
    cq, cd, bus = cities
    due = await cq.publish(closing_on="2026-03-03")
    later = await cq.publish(closing_on="2026-03-31")
    theirs = await cd.publish(closing_on="2026-03-03")
    await bus.settle()
    assert await cq.expire() == 0
    cq.clock.advance(timedelta(days=1))  # the closing date itself: still open
    assert await cq.expire() == 0
    cq.clock.advance(timedelta(days=1))
    assert await cq.expire() == 1
    assert await cq.expire() == 0  # a second round the same day finds none
    records = await bus.publish(cq)
    assert [(e.posting_id, e.reason) for e in payloads(records, JobPostingClosed)] == [
        (due.posting_id, "expired")
    ]
    await bus.settle()
    for city in (cq, cd):
        assert (await city.posting(due.posting_id)).closed_reason == "expired"
        assert (await city.posting(later.posting_id)).state == "open"
        # Chengdu's posting is Chengdu's to expire, on its own sweep.
        assert (await city.posting(theirs.posting_id)).state == "open"
    assert bus.dead == []


async def test_a_fair_of_both_cities_postings_is_shown_in_both_and_its_cancel_too(
    cities: tuple[PostingsCity, PostingsCity, Bus],
) -> None:
    cq, cd, bus = cities
    ours = await cq.publish()
    theirs = await cd.publish(
        title="川菜厨师", occupation_code="4-03-02-01", education="junior-middle"
    )
    await bus.settle()
    fair = await cq.schedule_fair([ours.posting_id, theirs.posting_id])
    await bus.settle()
    for city in (cq, cd):
        shown = await city.fair(fair.fair_id)
        assert shown.fair == fair
        assert [
            (p.city, p.content.title, p.state)
            for p in (shown.postings[i] for i in fair.content.posting_ids)
        ] == [("cq", "Java后端开发工程师", "open"), ("cd", "川菜厨师", "open")]

    with pytest.raises(DomainError) as refused:
        await cd.cancel_fair(fair.fair_id)
    assert refused.value.code == "other-citys-fair"

    await cd.close_posting(theirs.posting_id)
    await cq.cancel_fair(fair.fair_id)
    await bus.settle()
    shown = await cd.fair(fair.fair_id)
    assert (shown.fair.state, shown.fair.version, shown.fair.cancel_reason) == (
        "cancelled",
        2,
        "场馆检修",
    )
    assert (await cq.fair(fair.fair_id)).postings[theirs.posting_id].state == "closed"
    assert bus.dead == []


async def test_a_fair_cannot_name_a_posting_unknown_in_either_city(
    cities: tuple[PostingsCity, PostingsCity, Bus],
) -> None:
    cq, cd, bus = cities
    theirs = await cd.publish()
    # Not yet delivered to Chongqing: unknown there.
    with pytest.raises(DomainError) as refused:
        await cq.schedule_fair([theirs.posting_id])
    assert refused.value.code == "unknown-postings"
    assert theirs.posting_id in refused.value.sentence
    await bus.settle()
    assert (await cq.schedule_fair([theirs.posting_id])).version == 1
