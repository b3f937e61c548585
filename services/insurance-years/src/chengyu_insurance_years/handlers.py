"""The insurance-years consumers: both cities read all three ``medins`` topics.

Each event type is declared with the city that issues it (checked against the event's
signed source, so that one city cannot record periods, decide claims or recognise
assessments in the other's name) and the city whose instance acts on it. Refusals that are
answers become events (see :mod:`retirement_flow`, :mod:`care_flow`); an event that breaks
a rule (a conflicting version of a period, an outcome for a claim never seen) is
dead-lettered with its code.
"""

from __future__ import annotations

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
from chengyu_kit.handling import EventHandlers
from chengyu_kit.inbox import EventContext

from . import care_flow, retirement_flow
from .accrual import apply_period
from .policy import PolicyBook
from .wire import period_from_event


def insurance_handlers(book: PolicyBook) -> EventHandlers:
    """The handler of every medins event type, deciding by ``book``."""
    handlers = EventHandlers()

    # Only the recording city issues versions of its periods; both cities keep the ledger
    # (the recording city's own version comes back and changes nothing).
    @handlers.on(ContributionYearsAccrued, issued_by=lambda e: e.city, acts="both")
    async def on_contribution_years_accrued(
        event: ContributionYearsAccrued, unit: EventContext
    ) -> None:
        await apply_period(unit, period_from_event(event), book)

    # Both cities number every claim in log order; the chosen city decides it.
    @handlers.on(RetirementCityClaimed, issued_by=lambda e: e.requested_in, acts="both")
    async def on_retirement_city_claimed(event: RetirementCityClaimed, unit: EventContext) -> None:
        await retirement_flow.handle_claim(unit, event, book)

    # In the deciding city too: its own outcome back must agree with what it saved.
    @handlers.on(RetirementCityDetermined, issued_by=lambda e: e.city, acts="both")
    async def on_retirement_city_determined(
        event: RetirementCityDetermined, unit: EventContext
    ) -> None:
        await retirement_flow.handle_determined(unit, event, book)

    @handlers.on(RetirementCityRefused, issued_by=lambda e: e.chosen_city, acts="both")
    async def on_retirement_city_refused(event: RetirementCityRefused, unit: EventContext) -> None:
        await retirement_flow.handle_refused(unit, event, book)

    # The determined city saved its flag when it raised it; the other city copies it.
    @handlers.on(RetirementReviewFlagged, issued_by=lambda e: e.city, acts="other")
    async def on_retirement_review_flagged(
        event: RetirementReviewFlagged, unit: EventContext
    ) -> None:
        await retirement_flow.handle_review_flagged(unit, event)

    # Both cities keep every assessment; the other city decides its recognition.
    @handlers.on(CareAssessmentConcluded, issued_by=lambda e: e.city, acts="both")
    async def on_care_assessment_concluded(
        event: CareAssessmentConcluded, unit: EventContext
    ) -> None:
        await care_flow.handle_concluded(unit, event, book)

    # The assessing city keeps the other city's answer.
    @handlers.on(CareAssessmentRecognised, issued_by=lambda e: e.recognising_city, acts="other")
    async def on_care_assessment_recognised(
        event: CareAssessmentRecognised, unit: EventContext
    ) -> None:
        await care_flow.handle_recognised(unit, event)

    @handlers.on(CareAssessmentRefused, issued_by=lambda e: e.recognising_city, acts="other")
    async def on_care_assessment_refused(event: CareAssessmentRefused, unit: EventContext) -> None:
        await care_flow.handle_refused(unit, event)

    return handlers
