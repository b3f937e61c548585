"""The postings area's use cases: publish, revise and close this city's postings (one, or a
batch), the daily expiry sweep, list both cities' postings; schedule, revise and cancel this
city's joint fairs and show both cities'; and the steps the handlers take on the other
city's events. Each runs in the caller's unit of work; time is only the unit's.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog

from chengyu_contracts.cities import CITIES, City
from chengyu_contracts.domain_error import Conflict, DomainError, NotFound
from chengyu_contracts.events.hr import (
    JobFairCancelled,
    JobFairScheduled,
    JobPostingClosed,
    JobPostingPublished,
)
from chengyu_kit.unit import Unit

from ..occupations import occupation_of
from . import store
from .rules import (
    Fair,
    FairContent,
    FairFields,
    Posting,
    PostingContent,
    PostingFields,
    cancel_fair,
    check_fair,
    check_posting,
    clerk_close_reason,
    close_posting,
    expired,
    revise_posting,
)
from .rules import revise_fair as revised_fair
from .store import POSTING_STATES, PostingQuery

log = structlog.get_logger(__name__)

#: Postings one batch may carry.
MAX_BATCH = 1000
#: Postings the sweep closes per transaction.
EXPIRY_BATCH = 500
#: Postings one page may list.
MAX_PER_PAGE = 200


class UnitSource(Protocol):
    """What opens units of work for background jobs (the runtime, a test's city)."""

    def unit(self) -> contextlib.AbstractAsyncContextManager[Unit]:
        """A unit of work on the service's database and clock."""
        ...


def _published(posting: Posting) -> JobPostingPublished:
    content = posting.content
    return JobPostingPublished(
        posting_id=posting.posting_id,
        city=posting.city,
        version=posting.version,
        employer_name=content.employer_name,
        title=content.title,
        description=content.description,
        occupation_code=content.occupation_code,
        education=content.education,
        skills=list(content.skills),
        salary_min_yuan=content.salary_min_yuan,
        salary_max_yuan=content.salary_max_yuan,
        district=content.district,
        lat_e6=content.lat_e6,
        lon_e6=content.lon_e6,
        openings=content.openings,
        closing_on=content.closing_on,
        published_at=posting.published_at,
    )


def _closed(posting: Posting) -> JobPostingClosed:
    if posting.closed_reason is None:
        raise ValueError("an open posting has no closing to publish")
    return JobPostingClosed(
        posting_id=posting.posting_id,
        city=posting.city,
        version=posting.version,
        reason=posting.closed_reason,
        closed_at=posting.published_at,
    )


def _new_posting(content: PostingContent, unit: Unit) -> Posting:
    return Posting(
        posting_id=f"pst-{unit.city}-{uuid.uuid4().hex}",
        city=unit.city,
        version=1,
        state="open",
        closed_reason=None,
        content=content,
        published_at=unit.now,
    )


async def publish(fields: PostingFields, unit: Unit) -> Posting:
    """Publish a posting of this city to both cities (version 1, open). Refusals: those of
    :func:`.rules.check_posting`."""
    posting = _new_posting(check_posting(fields, unit.city, unit.today), unit)
    await store.save_posting(unit.conn, posting, unit.now)
    unit.emit(_published(posting))
    return posting


async def _own(unit: Unit, posting_id: str) -> Posting:
    found = await store.posting(unit.conn, posting_id, for_update=True)
    if found is None:
        raise NotFound("unknown-posting", f"There is no posting {posting_id} here.")
    return found


@dataclass(frozen=True)
class RevisePosting:
    """A clerk restates one of this city's open postings."""

    posting_id: str
    fields: PostingFields


async def revise(command: RevisePosting, unit: Unit) -> Posting:
    """The posting's next version (published to both cities); unchanged: nothing written,
    the current version answered. Refusals: those of :func:`.rules.check_posting`,
    ``unknown-posting``, ``other-citys-posting``, ``posting-closed``."""
    content = check_posting(command.fields, unit.city, unit.today)
    current = await _own(unit, command.posting_id)
    revised = revise_posting(current, content, unit.city, unit.now)
    if revised is None:
        return current
    await store.save_posting(unit.conn, revised, unit.now)
    unit.emit(_published(revised))
    return revised


@dataclass(frozen=True)
class ClosePosting:
    """A clerk closes one of this city's postings: ``filled`` or ``withdrawn``."""

    posting_id: str
    reason: str


async def close(command: ClosePosting, unit: Unit) -> Posting:
    """Close the posting (its next version; both cities stop matching it). Refusals:
    ``unknown-close-reason``, ``unknown-posting``, ``other-citys-posting``,
    ``posting-closed``."""
    reason = clerk_close_reason(command.reason)
    current = await _own(unit, command.posting_id)
    closed = close_posting(current, reason, unit.city, unit.now)
    await store.save_posting(unit.conn, closed, unit.now)
    unit.emit(_closed(closed))
    return closed


@dataclass(frozen=True)
class Refused:
    """A batch row refused: its index in the batch, the code and the sentence."""

    index: int
    code: str
    message: str


@dataclass(frozen=True)
class BatchReport:
    """What a batch did: the postings published (index, posting_id) and the rows refused."""

    accepted: list[tuple[int, str]]
    refused: list[Refused]


async def publish_batch(rows: Sequence[PostingFields | DomainError], unit: Unit) -> BatchReport:
    """Publish each good row as :func:`publish` does; a row that is a refusal already (it
    could not be read) or breaks a rule is reported by index, and the others still go. The
    same batch again (with its ``Idempotency-Key``) is answered as the first time."""
    if len(rows) > MAX_BATCH:
        raise DomainError("batch-too-large", f"A batch carries at most {MAX_BATCH} postings.")
    accepted: list[tuple[int, str]] = []
    refused: list[Refused] = []
    for index, row in enumerate(rows):
        try:
            if isinstance(row, DomainError):
                raise row
            posting = _new_posting(check_posting(row, unit.city, unit.today), unit)
        except DomainError as error:
            refused.append(Refused(index, error.code, error.sentence))
            continue
        await store.save_posting(unit.conn, posting, unit.now)
        unit.emit(_published(posting))
        accepted.append((index, posting.posting_id))
    log.info("postings batch", received=len(rows), accepted=len(accepted), refused=len(refused))
    return BatchReport(accepted, refused)


async def posting(posting_id: str, unit: Unit) -> Posting:
    """A posting of either city; ``unknown-posting``."""
    found = await store.posting(unit.conn, posting_id)
    if found is None:
        raise NotFound("unknown-posting", f"There is no posting {posting_id} here.")
    return found


@dataclass(frozen=True)
class ListPostings:
    """The listing's parameters as given (text, unchecked)."""

    city: str | None = None
    state: str | None = None
    occupation: str | None = None
    page: int = 1
    per_page: int = 50


def _occupation_filter(text: str) -> str:
    parts = text.split("-")
    widths = (1, 2, 2, 2)
    if (
        len(parts) > len(widths)
        or not all(p.isdigit() and p.isascii() for p in parts)
        or any(len(p) != w for p, w in zip(parts, widths, strict=False))
    ):
        raise DomainError(
            "invalid-occupation-code",
            "occupation is a code of the 2022 classification (2-02-10-03) or of one of its"
            " groups (2, 2-02, 2-02-10).",
        )
    if len(parts) == len(widths):
        occupation_of(text)
    return text


def _query(command: ListPostings) -> PostingQuery:
    city: City | None = None
    if command.city is not None:
        city = next((c for c in CITIES if c == command.city), None)
        if city is None:
            raise DomainError("unknown-city", "city is cq (Chongqing) or cd (Chengdu).")
    state = None
    if command.state is not None:
        state = next((s for s in POSTING_STATES if s == command.state), None)
        if state is None:
            raise DomainError("unknown-posting-state", "state is open or closed.")
    if command.page < 1:
        raise DomainError("invalid-page", "page counts from 1.")
    if not 1 <= command.per_page <= MAX_PER_PAGE:
        raise DomainError("invalid-per-page", f"per_page is 1 to {MAX_PER_PAGE}.")
    occupation = None if command.occupation is None else _occupation_filter(command.occupation)
    return PostingQuery(city, state, occupation, command.page, command.per_page)


async def list_postings(command: ListPostings, unit: Unit) -> tuple[list[Posting], int]:
    """One page of both cities' postings, newest first, and how many match. Refusals:
    ``unknown-city``, ``unknown-posting-state``, ``invalid-occupation-code``,
    ``unknown-occupation``, ``invalid-page``, ``invalid-per-page``."""
    return await store.list_postings(unit.conn, _query(command))


async def expire_due(units: UnitSource, *, limit: int = EXPIRY_BATCH) -> int:
    """Close this city's open postings past their closing date as ``expired``, ``limit``
    per transaction, each published; how many were closed. Run again the same day, it
    finds none."""
    total = 0
    while True:
        async with units.unit() as unit:
            due = await store.expiring(unit.conn, unit.city, unit.today, limit)
            for current in due:
                if not expired(current, unit.today):
                    continue
                closed = close_posting(current, "expired", unit.city, unit.now)
                await store.save_posting(unit.conn, closed, unit.now)
                unit.emit(_closed(closed))
        total += len(due)
        if len(due) < limit:
            if total:
                log.info("postings expired", closed=total)
            return total


# --------------------------------------------------------------------------------------------
# fairs


def _scheduled(fair: Fair) -> JobFairScheduled:
    content = fair.content
    return JobFairScheduled(
        fair_id=fair.fair_id,
        city=fair.city,
        version=fair.version,
        title=content.title,
        venue=content.venue,
        starts_on=content.starts_on,
        ends_on=content.ends_on,
        posting_ids=list(content.posting_ids),
        scheduled_at=fair.at,
    )


async def _check_fair_postings(unit: Unit, ids: Sequence[str]) -> None:
    known = await store.postings_by_id(unit.conn, ids)
    unknown = [p for p in ids if p not in known]
    if unknown:
        shown = ", ".join(unknown[:10]) + (" ..." if len(unknown) > 10 else "")
        raise DomainError(
            "unknown-postings",
            f"{len(unknown)} of the fair's postings are unknown in either city: {shown}.",
        )
    closed = [p for p in ids if known[p].state != "open"]
    if closed:
        shown = ", ".join(closed[:10]) + (" ..." if len(closed) > 10 else "")
        raise Conflict("postings-closed", f"{len(closed)} of the postings are closed: {shown}.")


async def schedule_fair(fields: FairFields, unit: Unit) -> Fair:
    """Schedule a joint fair of this city with open postings of both cities (version 1).
    Refusals: those of :func:`.rules.check_fair`, ``unknown-postings``,
    ``postings-closed``."""
    content = check_fair(fields, unit.today)
    fair = Fair(
        fair_id=f"fair-{unit.city}-{uuid.uuid4().hex}",
        city=unit.city,
        version=1,
        state="scheduled",
        content=content,
        cancel_reason=None,
        at=unit.now,
    )
    await _check_fair_postings(unit, content.posting_ids)
    await store.save_fair(unit.conn, fair)
    unit.emit(_scheduled(fair))
    return fair


async def _fair_here(unit: Unit, fair_id: str, *, for_update: bool = False) -> Fair:
    found = await store.fair(unit.conn, fair_id, for_update=for_update)
    if found is None:
        raise NotFound("unknown-fair", f"There is no fair {fair_id} here.")
    return found


@dataclass(frozen=True)
class ReviseFair:
    """The organising city's clerk restates a fair."""

    fair_id: str
    fields: FairFields


async def revise_fair(command: ReviseFair, unit: Unit) -> Fair:
    """The fair's next version; unchanged: nothing written. Refusals: those of
    :func:`.rules.check_fair` (a start already past may stay), ``unknown-fair``,
    ``other-citys-fair``, ``fair-cancelled``, ``unknown-postings``, ``postings-closed``
    (for postings added)."""
    current = await _fair_here(unit, command.fair_id, for_update=True)
    content = check_fair(command.fields, unit.today, keeps_start=current.content.starts_on)
    revised = revised_fair(current, content, unit.city, unit.now)
    if revised is None:
        return current
    added = [p for p in content.posting_ids if p not in current.content.posting_ids]
    if added:
        await _check_fair_postings(unit, added)
    await store.save_fair(unit.conn, revised)
    unit.emit(_scheduled(revised))
    return revised


@dataclass(frozen=True)
class CancelFair:
    """The organising city's clerk calls a fair off."""

    fair_id: str
    reason: str


async def cancel(command: CancelFair, unit: Unit) -> Fair:
    """Cancel the fair (its next version). Refusals: ``invalid-reason``,
    ``personal-data-in-text``, ``unknown-fair``, ``other-citys-fair``,
    ``fair-cancelled``."""
    current = await _fair_here(unit, command.fair_id, for_update=True)
    cancelled = cancel_fair(current, command.reason, unit.city, unit.now)
    await store.save_fair(unit.conn, cancelled)
    if cancelled.cancel_reason is None:
        raise ValueError("a cancelled fair has its reason")
    unit.emit(
        JobFairCancelled(
            fair_id=cancelled.fair_id,
            city=cancelled.city,
            version=cancelled.version,
            reason=cancelled.cancel_reason,
            cancelled_at=cancelled.at,
        )
    )
    return cancelled


@dataclass(frozen=True)
class FairWithPostings:
    """A fair and the postings of it known here (a posting of the other city not yet read
    here is absent from ``postings``)."""

    fair: Fair
    postings: dict[str, Posting]


async def fair(fair_id: str, unit: Unit) -> FairWithPostings:
    """A fair of either city with its postings; ``unknown-fair``."""
    found = await _fair_here(unit, fair_id)
    return FairWithPostings(found, await store.postings_by_id(unit.conn, found.content.posting_ids))


async def fairs(unit: Unit) -> list[FairWithPostings]:
    """Every fair of both cities known here, soonest first, with their postings."""
    every = await store.list_fairs(unit.conn)
    ids = sorted({p for f in every for p in f.content.posting_ids})
    known = await store.postings_by_id(unit.conn, ids)
    return [
        FairWithPostings(f, {p: known[p] for p in f.content.posting_ids if p in known})
        for f in every
    ]


# --------------------------------------------------------------------------------------------
# the other city's events


async def handle_published(unit: Unit, event: JobPostingPublished) -> None:
    """Keep the other city's posting at the event's version unless a version as high is
    known (redelivery and replay change nothing)."""
    content = PostingContent(
        employer_name=event.employer_name,
        title=event.title,
        description=event.description,
        occupation_code=event.occupation_code,
        education=event.education,
        skills=tuple(event.skills),
        salary_min_yuan=event.salary_min_yuan,
        salary_max_yuan=event.salary_max_yuan,
        district=event.district,
        lat_e6=event.lat_e6,
        lon_e6=event.lon_e6,
        openings=event.openings,
        closing_on=event.closing_on,
    )
    seen = Posting(
        posting_id=event.posting_id,
        city=event.city,
        version=event.version,
        state="open",
        closed_reason=None,
        content=content,
        published_at=event.published_at,
    )
    await store.see_posting(unit.conn, seen, unit.now)


async def handle_closed(unit: Unit, event: JobPostingClosed) -> None:
    """Close the other city's posting here (a later version only)."""
    seen = store.SeenClose(
        event.posting_id, event.city, event.version, event.reason, event.closed_at
    )
    await store.see_close(unit.conn, seen, unit.now)


async def handle_fair_scheduled(unit: Unit, event: JobFairScheduled) -> None:
    """Keep the other city's fair at the event's version unless a version as high is
    known."""
    seen = Fair(
        fair_id=event.fair_id,
        city=event.city,
        version=event.version,
        state="scheduled",
        content=FairContent(
            title=event.title,
            venue=event.venue,
            starts_on=event.starts_on,
            ends_on=event.ends_on,
            posting_ids=tuple(event.posting_ids),
        ),
        cancel_reason=None,
        at=event.scheduled_at,
    )
    await store.see_fair(unit.conn, seen)


async def handle_fair_cancelled(unit: Unit, event: JobFairCancelled) -> None:
    """Cancel the other city's fair here (a later version only)."""
    seen = store.SeenCancel(
        event.fair_id, event.city, event.version, event.reason, event.cancelled_at
    )
    await store.see_cancel(unit.conn, seen)
