"""The one-retirement-city protocol in one city: claims consumed in log order, decided by
the chosen city only once every earlier claim of the person is decided.

Why this gives exactly one winner, in both cities:

1. Every claim is an event on ``medins.retirement`` keyed by ``person_ref``: all claims of
   a person sit in one partition, and both cities consume them in the same log order.
   Each city numbers them in that order (``seq``) as it consumes them.
2. A claim is decided by its chosen city only, and only when all earlier claims of the
   person have an outcome known there: its own decisions, or the other city's
   ``determined``/``refused`` events (which come after the claim they decide in the log,
   so each city learns them in the same order too). Until then the claim waits.
3. So claims are decided one at a time in log order, each by a city that knows every
   earlier outcome. The first claim whose city determines it wins; the decider of every
   later claim already holds that determination and refuses with
   ``retirement-city-already-determined``.

A claim's outcome is always published, never dead-lettered (a missing policy is a
refusal), because later claims of the person wait for it. The price of the rule: a claim
waits while an earlier claim awaits the other city's decision (for as long as that city is
down, for example); the request's ``GET`` says so.
"""

from __future__ import annotations

from chengyu_contracts.cities import CITY_NAMES
from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.events.medins import (
    RetirementCityClaimed,
    RetirementCityDetermined,
    RetirementCityRefused,
    RetirementReviewFlagged,
)
from chengyu_kit.db import Connection
from chengyu_kit.unit import Unit

from .policy import PolicyBook
from .retirement import Determined, Refused, decide_retirement_city
from .retirement_store import (
    Claim,
    Outcome,
    decide_claim,
    enqueue_claim,
    insert_determination,
    load_claim,
    load_determination,
    pending_claims,
    save_flag,
)
from .review import ReviewFlag
from .store import load_ledger, lock_person
from .wire import (
    determination_from_event,
    determined_event,
    figures_from_payload,
    figures_json,
    refused_event,
    shortfall_payload,
)


def claim_from_event(event: RetirementCityClaimed) -> Claim:
    """A consumed claim, not yet in the person's order."""
    return Claim(
        request_id=event.request_id,
        person_ref=event.person_ref,
        requested_in=event.requested_in,
        chosen_city=event.chosen_city,
        sex=event.sex,
        retirement_date=event.retirement_date,
        requested_at=event.requested_at,
        seq=None,
        state="pending",
    )


async def handle_claim(unit: Unit, event: RetirementCityClaimed, book: PolicyBook) -> None:
    """Queue a claim in the person's order; decide whatever this city can decide now."""
    await lock_person(unit.conn, event.person_ref)
    if await enqueue_claim(unit.conn, claim_from_event(event)) is None:
        return  # the same claim again: it has its place already
    await decide_ready_claims(unit, event.person_ref, book)


async def decide_ready_claims(unit: Unit, person_ref: str, book: PolicyBook) -> None:
    """Decide, in order, the person's pending claims that chose this city, stopping at the
    first pending claim that waits for the other city's decision, and emit each outcome.
    Call holding the person's lock."""
    for claim in await pending_claims(unit.conn, person_ref):
        if claim.chosen_city != unit.city:
            break  # every later claim waits for the other city's outcome of this one
        await _decide(unit, claim, book)


async def _decide(unit: Unit, claim: Claim, book: PolicyBook) -> None:
    conn, now = unit.conn, unit.now
    existing = await load_determination(conn, claim.person_ref)
    ledger = await load_ledger(conn, claim.person_ref)
    try:
        decision = decide_retirement_city(
            claim.request,
            ledger,
            book,
            None if existing is None else existing.determination,
        )
    except DomainError as error:
        # A claim's outcome must always be published: later claims wait for it.
        decision = Refused(claim.person_ref, claim.chosen_city, error.code, error.sentence)
    if isinstance(decision, Determined):
        determination = decision.determination
        await insert_determination(conn, claim.request_id, determination, now)
        await _save(
            conn, claim, Outcome("determined", now, figures=figures_json(determination.figures))
        )
        unit.emit(determined_event(claim.request_id, determination, now))
        return
    determined_city = None if existing is None else existing.determination.city
    await _save(
        conn,
        claim,
        Outcome(
            "refused",
            now,
            code=decision.code,
            reason=decision.sentence,
            figures=None if decision.figures is None else figures_json(decision.figures),
            shortfalls=[shortfall_payload(s).model_dump(mode="json") for s in decision.shortfalls],
            alternative_city=decision.alternative_city,
            determined_city=determined_city,
        ),
    )
    unit.emit(refused_event(claim.request_id, decision, determined_city, now))


async def _save(conn: Connection, claim: Claim, outcome: Outcome) -> None:
    if not await decide_claim(conn, claim.request_id, outcome):
        raise RuntimeError(f"claim {claim.request_id} was not pending when decided")


async def _claim_for_outcome(conn: Connection, request_id: str, person_ref: str) -> Claim:
    claim = await load_claim(conn, request_id)
    if claim is None or claim.seq is None or claim.person_ref != person_ref:
        # Its claim comes first in the same partition; an outcome without it means the log
        # was tampered with or the claim was parked: a clerk must look.
        raise DomainError(
            "unknown-claim", f"This city has consumed no retirement-city claim {request_id}."
        )
    return claim


async def handle_determined(unit: Unit, event: RetirementCityDetermined, book: PolicyBook) -> None:
    """The chosen city determined a claim. In the other city: save the outcome and the
    person's determination, then decide the claims that waited for it. In the deciding
    city (its own event back): nothing left to do."""
    conn = unit.conn
    await lock_person(conn, event.person_ref)
    claim = await _claim_for_outcome(conn, event.request_id, event.person_ref)
    if claim.state != "pending":
        _same_outcome(claim, "determined")
        return
    if event.city != claim.chosen_city:
        raise DomainError(
            "wrong-deciding-city",
            f"Claim {event.request_id} chose {CITY_NAMES[claim.chosen_city]}, not "
            f"{CITY_NAMES[event.city]}.",
        )
    existing = await load_determination(conn, event.person_ref)
    if existing is not None:
        # The protocol never lets this happen; never keep a second retirement city.
        raise DomainError(
            "second-determination",
            f"The person already has a retirement city ({CITY_NAMES[existing.determination.city]})"
            f"; claim {event.request_id} cannot determine another.",
        )
    determination = determination_from_event(event)
    # The decider's time, so that both cities show the same moment.
    decided_at = event.decided_at
    await insert_determination(conn, event.request_id, determination, decided_at)
    await _save(
        conn,
        claim,
        Outcome("determined", decided_at, figures=event.figures.model_dump(mode="json")),
    )
    await decide_ready_claims(unit, event.person_ref, book)


async def handle_refused(unit: Unit, event: RetirementCityRefused, book: PolicyBook) -> None:
    """The chosen city refused a claim: save the outcome (in the other city) and decide the
    claims that waited for it."""
    conn = unit.conn
    await lock_person(conn, event.person_ref)
    claim = await _claim_for_outcome(conn, event.request_id, event.person_ref)
    if claim.state != "pending":
        _same_outcome(claim, "refused")
        return
    await _save(
        conn,
        claim,
        Outcome(
            "refused",
            event.decided_at,
            code=event.code,
            reason=event.reason,
            figures=None if event.figures is None else event.figures.model_dump(mode="json"),
            shortfalls=[s.model_dump(mode="json") for s in event.shortfalls],
            alternative_city=event.alternative_city,
            determined_city=event.determined_city,
        ),
    )
    await decide_ready_claims(unit, event.person_ref, book)


def _same_outcome(claim: Claim, state: str) -> None:
    # The deciding city's own event coming back, or a second copy: it must agree.
    if claim.state != state:
        raise DomainError(
            "conflicting-outcome",
            f"Claim {claim.request_id} is {claim.state} here; an event says {state}.",
        )


async def handle_review_flagged(unit: Unit, event: RetirementReviewFlagged) -> None:
    """Copy the determined city's review flag, so a clerk sees it in either city."""
    flag = ReviewFlag(
        person_ref=event.person_ref,
        city=event.city,
        period_id=event.period_id,
        code=event.code,
        sentence=event.reason,
        figures_before=figures_from_payload(event.figures_before),
        figures_after=figures_from_payload(event.figures_after),
    )
    await save_flag(unit.conn, event.request_id, flag, event.period_version, event.flagged_at)
