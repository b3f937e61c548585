"""Matching's use cases: the postings of both cities for a seeker, and the seekers (this
city's and the other city's consenting ones) for a posting, best first, each explained.
The answering city's policy in force today weighs the factors."""

from __future__ import annotations

import heapq
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TypeVar

import asyncpg

from chengyu_contracts.city_bounds import Point
from chengyu_contracts.domain_error import NotFound
from chengyu_kit.unit import Unit

from ..district_seats import seat_of
from ..occupations import occupations
from ..policy import CityPolicy, PolicyBook
from ..text_terms import terms
from . import store
from .score import (
    NEUTRAL,
    Match,
    PostingFacts,
    SeekerFacts,
    ceiling,
    fails_filter,
    score,
    score_value,
)

__all__ = ["Answer", "matches_for_posting", "matches_for_seeker", "posting_facts", "seeker_facts"]

#: A candidate: a posting for a seeker, or a seeker for a posting.
C = TypeVar("C", PostingFacts, SeekerFacts)


@dataclass(frozen=True)
class Answer:
    """The best matches and how many candidates passed the filters and were scored."""

    considered: int
    matches: list[Match]


@cache
def _codes_of_group(prefix: str) -> tuple[str, ...]:
    return tuple(code for code in occupations() if code.startswith(prefix))


def related(codes: Sequence[str], skills: Iterable[str], terms: Iterable[str]) -> store.Related:
    """What the cut compares with ``codes``, ``skills`` and ``terms``: the codes themselves,
    the other codes of their minor groups (小类) and of their sub-major groups (中类) in the
    classification, disjoint."""
    unit = set(codes)
    minor = {c for code in codes for c in _codes_of_group(code[:7])} - unit
    sub_major = {c for code in codes for c in _codes_of_group(code[:4])} - unit - minor
    return store.Related(
        unit=sorted(unit),
        minor=sorted(minor),
        sub_major=sorted(sub_major),
        skills=sorted(skills),
        terms=sorted(terms),
    )


def tier_ceilings(policy: CityPolicy, unrelated_text: float) -> dict[store.Tier, float]:
    """The best score a row of each tier after the first can reach (``unrelated_text``: the
    text factor's best for rows sharing no word). Each tier's is at most the previous one's,
    so once a tier is not worth reading no later one is."""
    return {
        "minor": ceiling(policy, occupation="minor", skills=1.0, text=1.0),
        "sub-major": ceiling(policy, occupation="sub-major", skills=1.0, text=1.0),
        "skilled": ceiling(policy, occupation="major", skills=1.0, text=1.0),
        "worded": ceiling(policy, occupation="major", skills=NEUTRAL, text=1.0),
        "unrelated": ceiling(policy, occupation="major", skills=NEUTRAL, text=unrelated_text),
    }


def _micro(value: int) -> float:
    return value / 1_000_000


def posting_facts(row: asyncpg.Record) -> PostingFacts:
    """A ``posting`` row as the scorer sees it."""
    return PostingFacts(
        posting_id=row["posting_id"],
        city=row["city"],
        state=row["state"],
        title=row["title"],
        employer_name=row["employer_name"],
        occupation_code=row["occupation_code"],
        education=row["education"],
        skills=frozenset(row["skills"]),
        terms=frozenset(row["terms"]),
        salary_min_yuan=row["salary_min_yuan"],
        salary_max_yuan=row["salary_max_yuan"],
        district=row["district"],
        place=Point(_micro(row["lat_e6"]), _micro(row["lon_e6"])),
        closing_on=row["closing_on"],
    )


def seeker_facts(row: asyncpg.Record) -> SeekerFacts:
    """A ``seeker_profile`` row as the scorer sees it."""
    lat_e6, lon_e6 = seat_of(row["home_district"])
    return SeekerFacts(
        seeker_ref=row["seeker_ref"],
        city=row["city"],
        occupation_codes=tuple(row["occupation_codes"]),
        skills=frozenset(row["skills"]),
        interest_terms=frozenset(terms(*row["interests"])),
        education=row["education"],
        desired_cities=frozenset(row["desired_cities"]),
        desired_districts=frozenset(row["desired_districts"]),
        home_district=row["home_district"],
        home=Point(_micro(lat_e6), _micro(lon_e6)),
        salary_floor_yuan=row["salary_floor_yuan"],
        willing_to_move=row["willing_to_move"],
        commute_radius_km=row["commute_radius_km"],
    )


async def _best_over_tiers(
    read: Callable[[store.Tier], Awaitable[list[C]]],
    value: Callable[[C], float | None],
    key: Callable[[C], str],
    ceilings: Mapping[store.Tier, float],
    limit: int,
) -> tuple[int, list[C]]:
    """How many candidates passed the filters (``value`` None: failed) and the best
    ``limit`` of them, ties by ``key``, reading the cut's tiers closest first and a further
    tier only while its ceiling could still enter the answer: the answer is short, or its
    last score does not beat the ceiling (a tie may go to the unread row's id)."""
    ranked: list[tuple[float, C]] = []
    for tier in store.TIERS:
        if tier in ceilings and len(ranked) >= limit:
            last = heapq.nlargest(limit, (v for v, _ in ranked))[-1]
            if last > ceilings[tier]:
                break
        for candidate in await read(tier):
            found = value(candidate)
            if found is not None:
                ranked.append((found, candidate))
    ranked.sort(key=lambda pair: (-pair[0], key(pair[1])))
    return len(ranked), [candidate for _, candidate in ranked[:limit]]


async def matches_for_seeker(unit: Unit, seeker_ref: str, limit: int, book: PolicyBook) -> Answer:
    """The best ``limit`` open postings of both cities for ``seeker_ref``; ``seeker-not-found``
    when this city may not match that seeker (unknown, deregistered, or withdrawn).

    The cut's tiers are read closest first (``store.TIERS``); a further tier only while its
    best possible score (:func:`tier_ceilings`) could still enter the answer. Every
    candidate is ranked by its score alone; only the answer's are explained."""
    row = await store.seeker_row(unit.conn, seeker_ref)
    if row is None:
        raise NotFound("seeker-not-found", f"No seeker {seeker_ref} this city may match.")
    seeker = seeker_facts(row)
    policy = book.policy_for(unit.city, unit.today)
    cut = related(seeker.occupation_codes, seeker.skills, seeker.interest_terms)
    # A posting sharing no word with the interests scores 0 on text, or neutral without any.
    ceilings = tier_ceilings(policy, 0.0 if seeker.interest_terms else NEUTRAL)
    filters = store.SeekerFilters(
        education=seeker.education, cities=sorted(seeker.desired_cities), today=unit.today
    )

    async def read(tier: store.Tier) -> list[PostingFacts]:
        return [posting_facts(r) for r in await store.postings_for(unit.conn, cut, tier, filters)]

    def value(candidate: PostingFacts) -> float | None:
        if fails_filter(seeker, candidate, unit.today) is not None:
            return None
        return score_value(seeker, candidate, policy)

    considered, best = await _best_over_tiers(read, value, lambda p: p.posting_id, ceilings, limit)
    return Answer(considered, [score(seeker, posting, policy) for posting in best])


async def matches_for_posting(unit: Unit, posting_id: str, limit: int, book: PolicyBook) -> Answer:
    """The best ``limit`` seekers for ``posting_id`` (this city's active seekers and the
    other city's consenting ones); ``posting-not-found`` for an unknown posting. Tiers are
    read as for a seeker."""
    row = await store.posting_row(unit.conn, posting_id)
    if row is None:
        raise NotFound("posting-not-found", f"No posting {posting_id}.")
    posting = posting_facts(row)
    policy = book.policy_for(unit.city, unit.today)
    if posting.state != "open" or posting.closing_on < unit.today:
        return Answer(considered=0, matches=[])
    cut = related((posting.occupation_code,), posting.skills, posting.terms)
    # The cut compares a seeker's raw interests, the score their segmented words: a seeker
    # sharing no raw interest with the posting may still share a word, so text counts in full.
    ceilings = tier_ceilings(policy, 1.0)

    async def read(tier: store.Tier) -> list[SeekerFacts]:
        rows = await store.seekers_for(
            unit.conn, cut, tier, education=posting.education, city=posting.city
        )
        return [seeker_facts(r) for r in rows]

    def value(candidate: SeekerFacts) -> float | None:
        if fails_filter(candidate, posting, unit.today) is not None:
            return None
        return score_value(candidate, posting, policy)

    considered, best = await _best_over_tiers(read, value, lambda s: s.seeker_ref, ceilings, limit)
    return Answer(considered, [score(seeker, posting, policy) for seeker in best])
