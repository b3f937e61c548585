"""job-matching: how well matching ranks postings for a seeker, on a labelled synthetic set,
against two simple baselines; and which text relevance ranks better, jieba words or
PostgreSQL trigrams.

    uv run python -m benchmarks.job_matching_ranking          # ~2 min
    uv run python -m benchmarks.job_matching_ranking --help   # --postings, --seekers, --seed

**The set.** The demo's seeded plan (``chengyu_demo.jobs``) of both cities' postings and
key-group seekers, written into Chengdu's database by the service's own rules and store
(``benchmarks/_jobs_data.py``). Each planned seeker is after one occupation (``intended``)
that the service never sees as such: the seeker states it and sometimes a related one of the
same sub-major group (中类), with skills and interest words of the intended one.

**The labels** (graded, per seeker and posting that passes the hard filters):

- 2, a good fit: the posting's occupation is the intended one, its salary reaches the
  seeker's floor (or is 面议, or the seeker states none) and its workplace is acceptable (a
  district the seeker asked for, within the commute radius, or the seeker is willing to
  move);
- 1: the intended occupation, but the salary or the place is not acceptable;
- 0: another occupation.

The labels use what the generator knows (the intended occupation) and the seeker's stated
constraints, so the salary and distance factors agree with them by construction; what the
evaluation tests is whether the weighted factors put the intended occupation's acceptable
postings first when the seeker's stated codes are ambiguous, not how real people choose.

**The rankers**, each over the same candidates (the postings passing the hard filters):

- *matching*: the service's answer (``matches_for_seeker``, the best 10);
- *occupation code only* (baseline): the occupation factor alone, ties in random order;
- *random* (baseline);
- *text only, jieba*: the text factor alone (the share of the seeker's interest words, as
  segmented by jieba-rs, in the posting's title and description), ties in random order;
- *text only, trigrams*: PostgreSQL ``pg_trgm``'s ``word_similarity`` of each interest to
  the title and description, averaged over the interests;
- *matching with trigram text*: the service's score with its text factor replaced by the
  trigram one.

For each: precision@10 (the share of the first ten that are good fits), precision@10 of the
intended occupation (label 1 or 2), and nDCG@10 with gains 2^label - 1, averaged over the
seekers with at least one good fit. Writes ``benchmarks/results/job_matching_ranking.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import platform
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks._infrastructure import ROOT, save_report
from benchmarks._jobs_data import ANSWERING, LoadedSeeker, answering_city, jobs_data, load
from chengyu_contracts.city_bounds import distance_km
from chengyu_job_matching.matching import usecases
from chengyu_job_matching.matching.score import (
    FactorName,
    Match,
    PostingFacts,
    SeekerFacts,
    fails_filter,
    score,
)
from chengyu_job_matching.policy import CityPolicy, default_policy_book
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.unit import Unit

NOW = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)
RESULTS = ROOT / "benchmarks" / "results" / "job_matching_ranking.json"
UNUSED_ISSUERS = {"cq": "http://127.0.0.1:9/cq", "cd": "http://127.0.0.1:9/cd"}
K = 10


def label(planned: LoadedSeeker, seeker: SeekerFacts, posting: PostingFacts) -> int:
    """The graded relevance of ``posting`` to the seeker (the module's definition)."""
    if posting.occupation_code != planned.planned.intended:
        return 0
    floor = seeker.salary_floor_yuan
    salary_ok = floor is None or posting.salary_max_yuan is None or posting.salary_max_yuan >= floor
    place_ok = (
        posting.district in seeker.desired_districts
        or seeker.willing_to_move
        or distance_km(seeker.home, posting.place) <= seeker.commute_radius_km
    )
    return 2 if salary_ok and place_ok else 1


def ndcg(ranked: Sequence[int], every: Sequence[int], k: int = K) -> float:
    """nDCG@k of the labels ``ranked`` (in ranked order) against the best order of ``every``."""

    def dcg(labels: Sequence[int]) -> float:
        return math.fsum((2**rel - 1) / math.log2(i + 2) for i, rel in enumerate(labels[:k]))

    ideal = dcg(sorted(every, reverse=True))
    return dcg(ranked) / ideal if ideal else 0.0


@dataclass
class Tally:
    """The per-seeker figures of one ranker."""

    good: list[float]
    intended: list[float]
    ndcg: list[float]

    def add(self, ranked: Sequence[int], every: Sequence[int]) -> None:
        """Count one seeker's first ten labels (fewer when fewer candidates)."""
        top = list(ranked[:K])
        self.good.append(sum(rel == 2 for rel in top) / K)
        self.intended.append(sum(rel >= 1 for rel in top) / K)
        self.ndcg.append(ndcg(top, every))

    def summary(self) -> dict[str, float]:
        """The means, rounded."""
        return {
            "precision_at_10": round(statistics.fmean(self.good), 4),
            "precision_at_10_intended": round(statistics.fmean(self.intended), 4),
            "ndcg_at_10": round(statistics.fmean(self.ndcg), 4),
        }


def ranked_by(
    candidates: Sequence[PostingFacts], key: Callable[[PostingFacts], float], rng: random.Random
) -> list[PostingFacts]:
    """``candidates`` best ``key`` first, ties in random order."""
    shuffled = list(candidates)
    rng.shuffle(shuffled)
    return sorted(shuffled, key=key, reverse=True)


def with_text(match: Match, text_score: float) -> float:
    """``match``'s score with its text factor's score replaced by ``text_score``."""
    total_weight = sum(f.weight for f in match.factors.values())
    text = match.factors["text"]
    return match.score + (text_score - text.score) * text.weight / total_weight


async def trigram_text(
    runtime: ServiceRuntime, interests: Sequence[str], posting_ids: Sequence[str]
) -> dict[str, float]:
    """The mean ``word_similarity`` of each interest to each posting's title and description."""
    if not interests:
        return dict.fromkeys(posting_ids, 0.5)
    rows = await runtime.pool.fetch(
        """
        SELECT posting_id,
               (SELECT avg(word_similarity(i, title || ' ' || description))
                  FROM unnest($1::text[]) AS i) AS similarity
          FROM posting WHERE posting_id = ANY($2)
        """,
        list(interests),
        list(posting_ids),
    )
    return {r["posting_id"]: float(r["similarity"]) for r in rows}


def orderings(
    candidates: Sequence[PostingFacts],
    matches: dict[str, Match],
    trigrams: dict[str, float],
    rng: random.Random,
) -> dict[str, list[PostingFacts]]:
    """The candidates in the order of each ranker but the service's own answer."""

    def factor(name: FactorName) -> Callable[[PostingFacts], float]:
        return lambda p: matches[p.posting_id].factors[name].score

    return {
        "occupation code only": ranked_by(candidates, factor("occupation"), rng),
        "random": ranked_by(candidates, lambda _: 0.0, rng),
        "text only, jieba": ranked_by(candidates, factor("text"), rng),
        "text only, trigrams": ranked_by(candidates, lambda p: trigrams[p.posting_id], rng),
        "matching with trigram text": ranked_by(
            candidates, lambda p: with_text(matches[p.posting_id], trigrams[p.posting_id]), rng
        ),
    }


async def evaluate(
    runtime: ServiceRuntime, seekers: Sequence[LoadedSeeker], rng: random.Random
) -> dict[str, Any]:
    """Rank every seeker's candidates by every ranker; the figures and the time spent."""
    book = default_policy_book()
    policy: CityPolicy = book.policy_for(ANSWERING, NOW.date())
    rows = await runtime.pool.fetch(
        "SELECT posting_id, city, state, title, employer_name, occupation_code, education,"
        " skills, terms, salary_min_yuan, salary_max_yuan, district, lat_e6, lon_e6,"
        " closing_on FROM posting"
    )
    postings = [usecases.posting_facts(r) for r in rows]
    tallies = {
        name: Tally([], [], [])
        for name in (
            "matching",
            "occupation code only",
            "random",
            "text only, jieba",
            "text only, trigrams",
            "matching with trigram text",
        )
    }
    skipped = 0
    exact = 0
    trigram_seconds = 0.0
    today = NOW.date()
    for planned in seekers:
        async with runtime.pool.acquire() as conn:
            unit = Unit(
                conn=conn,
                now=NOW,
                city=ANSWERING,
                person_ref_key=runtime.settings.person_ref_hmac_key(),
                issuer=runtime.issuer,
            )
            row = await conn.fetchrow(
                "SELECT seeker_ref, city, occupation_codes, skills, interests, education,"
                " desired_cities, desired_districts, home_district, salary_floor_yuan,"
                " willing_to_move, commute_radius_km FROM seeker_profile WHERE seeker_ref = $1",
                planned.seeker_ref,
            )
            answer = await usecases.matches_for_seeker(unit, planned.seeker_ref, K, book)
        assert row is not None, planned.seeker_ref
        seeker = usecases.seeker_facts(row)
        candidates = [p for p in postings if fails_filter(seeker, p, today) is None]
        labels = {p.posting_id: label(planned, seeker, p) for p in candidates}
        every = list(labels.values())
        if 2 not in every:
            skipped += 1
            continue
        matches = {p.posting_id: score(seeker, p, policy) for p in candidates}
        started = time.perf_counter()
        trigrams = await trigram_text(runtime, row["interests"], list(labels))
        trigram_seconds += time.perf_counter() - started
        tallies["matching"].add([labels[m.posting.posting_id] for m in answer.matches], every)
        # The tiered cut must answer as scoring every candidate would.
        everything = sorted(candidates, key=lambda p: (-matches[p.posting_id].score, p.posting_id))
        exact += [m.posting.posting_id for m in answer.matches] == [
            p.posting_id for p in everything[:K]
        ]
        orders = orderings(candidates, matches, trigrams, rng)
        for name, ranked in orders.items():
            tallies[name].add([labels[p.posting_id] for p in ranked], every)
    return {
        "evaluated_seekers": len(seekers) - skipped,
        "skipped_without_good_fit": skipped,
        "answers_as_scoring_every_candidate": exact,
        "trigram_query_seconds": round(trigram_seconds, 1),
        "rankers": {name: tally.summary() for name, tally in tallies.items()},
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start PostgreSQL, write the set, evaluate, stop."""
    rng = random.Random(args.seed)
    data = jobs_data(
        args.seed,
        NOW,
        postings=args.postings,
        seekers=args.seekers,
        chunk=max(args.postings, args.seekers),
    )
    async with answering_city(NOW, "ranking_bench") as runtime:
        await load(runtime, data, NOW, NOW.date())
        # The service does not use trigrams: only this comparison does.
        await runtime.pool.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        started = time.perf_counter()
        figures = await evaluate(runtime, data.seekers, rng)
        evaluate_seconds = time.perf_counter() - started
    print(
        f"{figures['evaluated_seekers']} seekers evaluated over {len(data.postings)} postings"
        f" ({figures['skipped_without_good_fit']} without a good fit skipped)"
    )
    print(
        f"service's answers equal to scoring every candidate: "
        f"{figures['answers_as_scoring_every_candidate']} of {figures['evaluated_seekers']}"
    )
    print(f"{'ranker':<28} {'P@10':>6} {'P@10 occ.':>9} {'nDCG@10':>8}")
    for name, summary in figures["rankers"].items():
        print(
            f"{name:<28} {summary['precision_at_10']:6.3f}"
            f" {summary['precision_at_10_intended']:9.3f} {summary['ndcg_at_10']:8.3f}"
        )
    return {
        "setup": {
            "postings": len(data.postings),
            "seekers": len(data.seekers),
            "answering_city": ANSWERING,
            "seed": args.seed,
            "evaluate_seconds": round(evaluate_seconds, 1),
            "python": platform.python_version(),
            "machine": platform.machine(),
        },
        **figures,
    }


def main() -> None:
    """Run the evaluation, print the figures and write them as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=int, default=4000)
    parser.add_argument("--seekers", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261116)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    started = time.perf_counter()
    report = asyncio.run(run(args))
    save_report(report, args.results, started)
    print(f"written to {args.results}")


if __name__ == "__main__":
    main()
