"""job-matching benchmarks' data: the demo's seeded postings and seekers of both cities
(``chengyu_demo.jobs``, whose seekers carry the occupation they are after), checked by the
service's own rules and written into one city's database by the service's own store, as
that city holds them: its own rows and the other city's shared ones.

The demo's plan numbers a city's seekers into their synthetic ID numbers, which only go so
far; large sets are therefore made of several plans of consecutive seeds (``chunk`` each),
their keys prefixed with the plan's number.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from chengyu_contracts.cities import City
from chengyu_demo.jobs import PlannedPosting, PlannedSeeker, jobs_plan
from chengyu_job_matching.postings import store as posting_store
from chengyu_job_matching.postings.rules import Posting, PostingFields, check_posting
from chengyu_job_matching.seekers import store as seeker_store
from chengyu_job_matching.seekers.profile import ProfileDraft, check_profile
from chengyu_job_matching.seekers.seeker import registered
from chengyu_job_matching.service import SERVICE
from chengyu_kit.clock import FixedClock
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.runtime import ServiceRuntime
from chengyu_kit.testing.stand_in import serve_without_bus, settings_for

__all__ = ["JobsData", "LoadedPosting", "LoadedSeeker", "answering_city", "jobs_data", "load"]

#: The city whose database the benchmarks query (either would do: both hold both cities).
ANSWERING: City = "cd"
# No provider runs: no route is called, so these are never contacted.
_UNUSED_ISSUERS = {"cq": "http://127.0.0.1:9/cq", "cd": "http://127.0.0.1:9/cd"}


@contextlib.asynccontextmanager
async def answering_city(now: datetime, name: str) -> AsyncIterator[ServiceRuntime]:
    """The answering city's job-matching runtime on a fresh, migrated database of an
    embedded PostgreSQL in a temporary folder (no Kafka), its clock fixed at ``now``;
    everything stopped and removed after."""
    with tempfile.TemporaryDirectory(prefix=f"chengyu-bench-{name}-") as tmp:
        folder = Path(tmp)
        postgres = LocalPostgres(folder / "pg")
        await asyncio.to_thread(postgres.start)
        try:
            await postgres.ensure_database(name)
            settings = settings_for(
                SERVICE,
                ANSWERING,
                database_url=postgres.dsn(name),
                key_folder=folder / "keys",
                issuers=_UNUSED_ISSUERS,
                log_level="warning",
            )
            async with serve_without_bus(SERVICE, settings, clock=FixedClock(now)) as (
                _client,
                runtime,
            ):
                yield runtime
        finally:
            await asyncio.to_thread(postgres.stop)


@dataclass(frozen=True)
class LoadedPosting:
    """A planned posting as the service checked it."""

    planned: PlannedPosting
    posting: Posting


@dataclass(frozen=True)
class LoadedSeeker:
    """A planned seeker with the ``seeker_ref`` the benchmark gave it."""

    planned: PlannedSeeker
    seeker_ref: str


@dataclass(frozen=True)
class JobsData:
    """Postings and seekers of both cities, as the answering city holds them."""

    postings: list[LoadedPosting]
    seekers: list[LoadedSeeker]


def _posting(planned: PlannedPosting, key: str, today: date, at: datetime) -> Posting:
    body = planned.body
    fields = PostingFields(
        employer_name=body["employer_name"],
        title=body["title"],
        description=body["description"],
        occupation_code=body["occupation_code"],
        education=body["education"],
        skills=tuple(body["skills"]),
        salary_min_yuan=body["salary_min_yuan"],
        salary_max_yuan=body["salary_max_yuan"],
        district=body["district"],
        latitude=Decimal(repr(body["latitude"])),
        longitude=Decimal(repr(body["longitude"])),
        openings=body["openings"],
        closing_on=body["closing_on"],
    )
    content = check_posting(fields, planned.city, today)
    return Posting(
        posting_id=f"pst-{planned.city}-{key}",
        city=planned.city,
        version=1,
        state="open",
        closed_reason=None,
        content=content,
        published_at=at,
    )


def jobs_data(seed: int, now: datetime, *, postings: int, seekers: int, chunk: int) -> JobsData:
    """``postings`` and ``seekers`` of both cities from plans of ``chunk`` seekers each
    (seeds ``seed``, ``seed + 1``, ...), as :data:`ANSWERING` holds them: every posting, its
    own seekers and the other city's consenting ones."""
    plans = max(1, -(-max(postings, seekers) // chunk))
    loaded_postings: list[LoadedPosting] = []
    loaded_seekers: list[LoadedSeeker] = []
    for n in range(plans):
        plan = jobs_plan(
            seed + n,
            now=now,
            postings=min(chunk, max(0, postings - n * chunk)),
            seekers=min(chunk, max(0, seekers - n * chunk)),
        )
        for planned in plan.postings:
            key = f"{n:03d}-{planned.key}"
            posting = _posting(planned, key, plan.today, now)
            loaded_postings.append(LoadedPosting(replace(planned, key=key), posting))
        for seeker in plan.seekers:
            if seeker.city != ANSWERING and not seeker.body["consent_other_city"]:
                continue
            key = f"{n:03d}-{seeker.key}"
            loaded_seekers.append(LoadedSeeker(replace(seeker, key=key), f"skr-{key}"))
    return JobsData(postings=loaded_postings, seekers=loaded_seekers)


async def load(runtime: ServiceRuntime, data: JobsData, now: datetime, today: date) -> None:
    """Write ``data`` with the service's store (its own rows as the clerk's write would, the
    other city's as its events would), in transactions of a thousand rows; then ANALYZE."""
    batch = 1000
    for first in range(0, len(data.postings), batch):
        async with runtime.pool.acquire() as conn, conn.transaction():
            for loaded in data.postings[first : first + batch]:
                await posting_store.save_posting(conn, loaded.posting, now)
    for first in range(0, len(data.seekers), batch):
        async with runtime.pool.acquire() as conn, conn.transaction():
            for one in data.seekers[first : first + batch]:
                seeker = one.planned
                body = seeker.body
                draft = ProfileDraft(
                    groups=body["groups"],
                    graduation_year=body["graduation_year"],
                    occupation_codes=body["occupation_codes"],
                    skills=body["skills"],
                    interests=body["interests"],
                    education=body["education"],
                    desired_cities=body["desired_cities"],
                    desired_districts=body["desired_districts"],
                    home_district=body["home_district"],
                    salary_floor_yuan=body["salary_floor_yuan"],
                    willing_to_move=body["willing_to_move"],
                    commute_radius_km=body["commute_radius_km"],
                )
                profile = check_profile(draft, seeker.city, today.year)
                shared = bool(body["consent_other_city"])
                found = registered(one.seeker_ref, seeker.city, profile, shared)
                if seeker.city == ANSWERING:
                    await seeker_store.save_own(conn, found, now)
                else:
                    await seeker_store.see_profile(conn, found, now)
    await runtime.pool.execute("ANALYZE posting")
    await runtime.pool.execute("ANALYZE seeker_profile")
