"""Matching's use cases: the postings of both cities for a seeker, and the seekers (this
city's and the other city's consenting ones) for a posting, best first, each explained.
The answering city's policy in force today weighs the factors."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import asyncpg

from chengyu_contracts.city_bounds import Point
from chengyu_contracts.domain_error import NotFound
from chengyu_kit.unit import Unit

from ..district_seats import seat_of
from ..occupations import occupations
from ..policy import PolicyBook
from ..text_terms import terms
from . import store
from .score import Match, PostingFacts, SeekerFacts, fails_filter, score

__all__ = ["Answer", "matches_for_posting", "matches_for_seeker", "posting_facts", "seeker_facts"]


@dataclass(frozen=True)
class Answer:
    """The best matches and how many candidates passed the filters and were scored."""

    considered: int
    matches: list[Match]


@cache
def _codes_of_sub_major(prefix: str) -> tuple[str, ...]:
    return tuple(code for code in occupations() if code.startswith(prefix))


def related_codes(codes: tuple[str, ...]) -> list[str]:
    """The codes of the classification in the same sub-major group (中类) as any of
    ``codes``, and ``codes`` themselves: what the candidate cut calls related."""
    found = set(codes)
    for code in codes:
        found.update(_codes_of_sub_major(code[:4]))
    return sorted(found)


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


def _best(matches: list[Match], limit: int, key: str) -> list[Match]:
    # Ties broken by id, so that the same data always answers in the same order.
    if key == "posting":
        matches.sort(key=lambda m: (-m.score, m.posting.posting_id))
    else:
        matches.sort(key=lambda m: (-m.score, m.seeker.seeker_ref))
    return matches[:limit]


async def matches_for_seeker(unit: Unit, seeker_ref: str, limit: int, book: PolicyBook) -> Answer:
    """The best ``limit`` open postings of both cities for ``seeker_ref``; ``seeker-not-found``
    when this city may not match that seeker (unknown, deregistered, or withdrawn)."""
    row = await store.seeker_row(unit.conn, seeker_ref)
    if row is None:
        raise NotFound("seeker-not-found", f"No seeker {seeker_ref} this city may match.")
    seeker = seeker_facts(row)
    policy = book.policy_for(unit.city, unit.today)
    related = store.Related(
        codes=related_codes(seeker.occupation_codes),
        skills=sorted(seeker.skills),
        terms=sorted(seeker.interest_terms),
    )
    rows = await store.postings_for(
        unit.conn,
        related,
        education=seeker.education,
        cities=sorted(seeker.desired_cities),
        today=unit.today,
    )
    candidates = [posting_facts(r) for r in rows]
    scored = [
        score(seeker, p, policy) for p in candidates if fails_filter(seeker, p, unit.today) is None
    ]
    return Answer(considered=len(scored), matches=_best(scored, limit, "posting"))


async def matches_for_posting(unit: Unit, posting_id: str, limit: int, book: PolicyBook) -> Answer:
    """The best ``limit`` seekers for ``posting_id`` (this city's active seekers and the
    other city's consenting ones); ``posting-not-found`` for an unknown posting."""
    row = await store.posting_row(unit.conn, posting_id)
    if row is None:
        raise NotFound("posting-not-found", f"No posting {posting_id}.")
    posting = posting_facts(row)
    policy = book.policy_for(unit.city, unit.today)
    if posting.state != "open" or posting.closing_on < unit.today:
        return Answer(considered=0, matches=[])
    related = store.Related(
        codes=related_codes((posting.occupation_code,)),
        skills=sorted(posting.skills),
        terms=sorted(posting.terms),
    )
    rows = await store.seekers_for(
        unit.conn, related, education=posting.education, city=posting.city
    )
    seekers = [seeker_facts(r) for r in rows]
    scored = [
        score(s, posting, policy) for s in seekers if fails_filter(s, posting, unit.today) is None
    ]
    return Answer(considered=len(scored), matches=_best(scored, limit, "seeker"))
