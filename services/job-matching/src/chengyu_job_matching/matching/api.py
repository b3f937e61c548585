"""The clerks' routes of matching: the postings of both cities for a seeker and the seekers
for a posting, best first, with every factor's score, weight and reason. Answers name
seekers by their pseudonymous ``seeker_ref`` only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from chengyu_kit.web import UnitOfWork, service_router

from ..policy import PolicyBook
from . import usecases
from .score import Match

Limit = Annotated[int, Query(ge=1, le=500, description="matches to answer at most")]


def _factors(match: Match) -> dict[str, dict[str, Any]]:
    return {
        name: {"score": round(f.score, 4), "weight": f.weight, "why": f.why}
        for name, f in match.factors.items()
    }


def router(book: PolicyBook) -> APIRouter:
    """The matching routes."""
    routes = service_router(tags=["matching"])

    @routes.get("/seekers/{seeker_ref}/matches")
    async def postings_for_seeker(
        seeker_ref: str, unit: UnitOfWork, limit: Limit = 10
    ) -> dict[str, Any]:
        """Open postings of both cities for the seeker, best first, explained."""
        bounded = min(limit, book.policy_for(unit.city, unit.today).max_results)
        answer = await usecases.matches_for_seeker(unit, seeker_ref, bounded, book)
        return {
            "seeker_ref": seeker_ref,
            "considered": answer.considered,
            "matches": [
                {
                    "posting_id": m.posting.posting_id,
                    "city": m.posting.city,
                    "title": m.posting.title,
                    "employer_name": m.posting.employer_name,
                    "occupation_code": m.posting.occupation_code,
                    "score": round(m.score, 4),
                    "factors": _factors(m),
                }
                for m in answer.matches
            ],
        }

    @routes.get("/postings/{posting_id}/matches")
    async def seekers_for_posting(
        posting_id: str, unit: UnitOfWork, limit: Limit = 10
    ) -> dict[str, Any]:
        """This city's and the other city's consenting seekers for the posting, best first,
        explained (pseudonymous references only)."""
        bounded = min(limit, book.policy_for(unit.city, unit.today).max_results)
        answer = await usecases.matches_for_posting(unit, posting_id, bounded, book)
        return {
            "posting_id": posting_id,
            "considered": answer.considered,
            "matches": [
                {
                    "seeker_ref": m.seeker.seeker_ref,
                    "city": m.seeker.city,
                    "score": round(m.score, 4),
                    "factors": _factors(m),
                }
                for m in answer.matches
            ],
        }

    return routes
