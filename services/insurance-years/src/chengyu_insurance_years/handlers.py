"""The insurance-years consumers: both cities read all three ``medins`` topics.

Each event type has one issuing side, checked against the event's signed source, so that
one city cannot record periods, decide claims or recognise assessments in the other's
name. Refusals that are answers become events (see :mod:`retirement_flow`,
:mod:`care_flow`); an event that breaks a rule (a conflicting version of a period, an
outcome for a claim never seen) is dead-lettered with its code.
"""

from __future__ import annotations

from collections.abc import Sequence

from chengyu_contracts.events.medins import (
    CareAssessmentConcluded,
    CareAssessmentRecognised,
    CareAssessmentRefused,
    ContributionYearsAccrued,
    RetirementCityClaimed,
    RetirementCityDetermined,
    RetirementCityRefused,
    RetirementReviewFlagged,
)
from chengyu_contracts.policy_book import policy_day
from chengyu_contracts.registry import EventData
from chengyu_kit.handling import require_issuer, run_step
from chengyu_kit.inbox import EventContext, Handler

from . import care_flow, retirement_flow
from .accrual import Applied, apply_period
from .cities import City
from .policy import PolicyBook
from .wire import period_from_event


def insurance_handlers(city: City, policy_book: PolicyBook) -> dict[type[EventData], Handler]:
    """The handler of every medins event type for the service instance of ``city``."""

    async def accrued(context: EventContext, event: ContributionYearsAccrued) -> None:
        # Only the recording city issues versions of its periods.
        require_issuer(context, event.city, event)

        async def step() -> Sequence[EventData]:
            period = period_from_event(event)
            applied: Applied = await apply_period(
                context.conn, period, me=city, book=policy_book, now=context.clock.now()
            )
            return applied.events

        await run_step(context, step())

    async def claimed(context: EventContext, event: RetirementCityClaimed) -> None:
        require_issuer(context, event.requested_in, event)
        now = context.clock.now()
        await run_step(
            context, retirement_flow.handle_claim(context.conn, event, city, policy_book, now)
        )

    async def determined(context: EventContext, event: RetirementCityDetermined) -> None:
        require_issuer(context, event.city, event)
        now = context.clock.now()
        await run_step(
            context,
            retirement_flow.handle_determined(context.conn, event, city, policy_book, now),
        )

    async def refused(context: EventContext, event: RetirementCityRefused) -> None:
        require_issuer(context, event.chosen_city, event)
        now = context.clock.now()
        await run_step(
            context, retirement_flow.handle_refused(context.conn, event, city, policy_book, now)
        )

    async def flagged(context: EventContext, event: RetirementReviewFlagged) -> None:
        require_issuer(context, event.city, event)
        if event.city != city:
            await run_step(context, retirement_flow.handle_review_flagged(context.conn, event))

    async def concluded(context: EventContext, event: CareAssessmentConcluded) -> None:
        require_issuer(context, event.city, event)
        today = policy_day(context.clock.now())
        await run_step(
            context, care_flow.handle_concluded(context.conn, event, city, today, policy_book)
        )

    async def recognised(context: EventContext, event: CareAssessmentRecognised) -> None:
        require_issuer(context, event.recognising_city, event)
        await run_step(context, care_flow.handle_recognised(context.conn, event, city))

    async def care_refused(context: EventContext, event: CareAssessmentRefused) -> None:
        require_issuer(context, event.recognising_city, event)
        await run_step(context, care_flow.handle_refused(context.conn, event, city))

    return {
        ContributionYearsAccrued: accrued,
        RetirementCityClaimed: claimed,
        RetirementCityDetermined: determined,
        RetirementCityRefused: refused,
        RetirementReviewFlagged: flagged,
        CareAssessmentConcluded: concluded,
        CareAssessmentRecognised: recognised,
        CareAssessmentRefused: care_refused,
    }
