"""The clerks' HTTP API of one city's service: contribution periods, the cross-city ledger,
retirement-city requests and long-term-care assessments (OpenAPI at ``/docs``).

Resident ID numbers are accepted only here (in request bodies, never in paths), checked,
turned into ``person_ref`` and never returned, stored or logged. Every route runs in one
unit of work (:func:`chengyu_kit.web.service_router`): a write and its events commit
together, and a retried write with the same ``Idempotency-Key`` gets the first answer. A
rule's refusal raised by a route becomes an answer with its code and sentence, with the
status of its kind (the kit's handler: 422 invalid, 404 not found, 409 conflict).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from chengyu_contracts.cities import City
from chengyu_kit.web import UnitOfWork, reads, service_router

from . import usecases
from .care_store import StoredAssessment
from .ledger import LedgerTotals
from .periods import ContributionPeriod
from .policy import PolicyBook
from .retirement_store import Claim, StoredDetermination, StoredFlag
from .store import ReceivedVersion
from .wire import figures_json

ResidentIdText = Annotated[StrictStr, Field(max_length=64, description="18-character number")]
MonthField = Annotated[StrictStr, Field(max_length=16, description="YYYY-MM")]
DayField = Annotated[StrictStr, Field(max_length=16, description="YYYY-MM-DD")]
KindField = Annotated[
    StrictStr, Field(max_length=16, description="actual, or deemed (视同缴费) years")
]


# --------------------------------------------------------------------------------------------
# request bodies


class RecordPeriodBody(BaseModel):
    """A contribution period paid (or deemed) in this city."""

    model_config = ConfigDict(extra="forbid")

    resident_id: ResidentIdText
    start_month: MonthField
    end_month: Annotated[StrictStr, Field(max_length=16, description="YYYY-MM, included")]
    kind: KindField


class CorrectPeriodBody(BaseModel):
    """The corrected months and kind of a period recorded in this city."""

    model_config = ConfigDict(extra="forbid")

    start_month: MonthField
    end_month: Annotated[StrictStr, Field(max_length=16, description="YYYY-MM, included")]
    kind: KindField


class ResidentBody(BaseModel):
    """A person, by resident ID number (kept out of URLs and logs)."""

    model_config = ConfigDict(extra="forbid")

    resident_id: ResidentIdText


class RetirementBody(BaseModel):
    """A request to make ``chosen_city`` the person's retirement city (医保退休认定地)."""

    model_config = ConfigDict(extra="forbid")

    resident_id: ResidentIdText
    sex: Annotated[
        StrictStr | None,
        Field(max_length=16, description="male or female; default: read from the ID number"),
    ] = None
    retirement_date: DayField
    chosen_city: Annotated[StrictStr, Field(max_length=16, description="cq or cd")]


class AssessmentBody(BaseModel):
    """A long-term-care disability assessment concluded in this city."""

    model_config = ConfigDict(extra="forbid")

    resident_id: ResidentIdText
    level: Annotated[StrictStr, Field(max_length=16, description="severe, moderate or mild")]
    scale_version: Annotated[
        StrictStr, Field(max_length=64, description="e.g. nhsa-ltc-2021 (national 2021 scale)")
    ]
    concluded_on: DayField
    valid_until: Annotated[StrictStr, Field(max_length=16, description="YYYY-MM-DD, included")]


# --------------------------------------------------------------------------------------------
# views


class PeriodView(BaseModel):
    """One version of a contribution period and the city that recorded it."""

    period_id: str
    person_ref: str
    city: str
    start_month: str
    end_month: str
    kind: str
    months: int
    version: int
    cancelled: bool


class RecordedPeriodView(PeriodView):
    """A version just recorded here; ``review_flagged`` if it altered the figures of a
    retirement city this city determined."""

    review_flagged: bool


class VersionView(BaseModel):
    """A version of a period as this city received it, and who recorded it: this city's
    clerk (``cq/mi/<subject>``), the other city's office as its event names it
    (``cd/mi/c<opaque>``), or ``null`` when unknown (versions kept before actors were)."""

    version: int
    start_month: str
    end_month: str
    kind: str
    cancelled: bool
    received_at: datetime
    recorded_by: str | None = None
    request_id: str | None = None


class PeriodHistoryView(BaseModel):
    """Every version of a period this city received (the highest one counts)."""

    period_id: str
    person_ref: str
    city: str
    versions: list[VersionView]


class CityMonthsView(BaseModel):
    """One city's distinct actual and deemed months."""

    city: str
    actual_months: int
    deemed_months: int


class TotalsView(BaseModel):
    """Totals of a ledger, every month counted once (an interval union, not a sum).

    ``actual_months``: months paid in at least one city; ``months_in_both``: of which paid
    in both; ``deemed_months``: deemed months no actual month covers;
    ``cumulative_months_by_policy``: what each city's policy in force today counts
    (deemed months included where it says so).
    """

    by_city: list[CityMonthsView]
    actual_months: int
    months_in_both: int
    deemed_months: int
    cumulative_months_by_policy: dict[str, int | None]


class FiguresView(BaseModel):
    """What a retirement decision rests on (months up to ``up_to``, the retirement month)."""

    city: str
    policy_effective_from: date
    up_to: str
    cumulative_months: int
    actual_months: int
    actual_months_in_city: int
    deemed_months: int
    deemed_counted: bool
    required_cumulative_months: int
    required_actual_months_in_city: int


class ShortfallView(BaseModel):
    """A rule not met: months required and counted."""

    rule: str
    city: str
    required: int
    counted: int


class DeterminationView(BaseModel):
    """The person's retirement city and the figures it was determined on."""

    request_id: str
    city: str
    sex: str
    retirement_date: date
    figures: FiguresView
    determined_at: datetime


class ReviewFlagView(BaseModel):
    """A change of history after the determination, for a clerk to review."""

    request_id: str
    city: str
    period_id: str
    period_version: int
    code: str
    reason: str
    figures_before: FiguresView
    figures_after: FiguresView
    flagged_at: datetime


class LedgerView(BaseModel):
    """A person's cross-city ledger: each period with its source city, the totals, the
    retirement city if determined, and review flags."""

    person_ref: str
    periods: list[PeriodView]
    totals: TotalsView
    retirement: DeterminationView | None
    review_flags: list[ReviewFlagView]


class RetirementRequestView(BaseModel):
    """A retirement-city request and, once the chosen city decided, its outcome.

    ``state``: ``submitted`` (not read back from the bus yet), ``pending`` (``waiting_for``
    says on what), ``determined`` or ``refused`` (``code``, ``reason``, ``shortfalls``,
    ``alternative_city``, ``determined_city``).
    """

    request_id: str
    person_ref: str
    requested_in: str
    chosen_city: str
    sex: str
    retirement_date: date
    requested_at: datetime
    state: str
    waiting_for: str | None
    code: str | None
    reason: str | None
    figures: FiguresView | None
    shortfalls: list[ShortfallView]
    alternative_city: str | None
    determined_city: str | None
    decided_at: datetime | None


class RecognitionView(BaseModel):
    """The other city's decision about an assessment (or this city's about the other's)."""

    recognising_city: str
    recognised: bool
    decided_on: date
    code: str | None
    reason: str | None
    valid_until: date | None
    policy_effective_from: date | None


class AssessmentView(BaseModel):
    """A care assessment and the recognition decision about it, once made."""

    assessment_id: str
    person_ref: str
    city: str
    level: str
    scale_version: str
    concluded_on: date
    valid_until: date
    recognition: RecognitionView | None


class RecognitionsView(BaseModel):
    """Every assessment of a person known in this city, both cities', newest first."""

    person_ref: str
    assessments: list[AssessmentView]


def _period_view(period: ContributionPeriod) -> PeriodView:
    return PeriodView(
        period_id=period.period_id,
        person_ref=period.person_ref,
        city=period.city,
        start_month=str(period.start),
        end_month=str(period.end),
        kind=period.kind,
        months=period.months,
        version=period.version,
        cancelled=period.cancelled,
    )


def _history_view(history: list[ReceivedVersion]) -> PeriodHistoryView:
    first = history[0].period
    return PeriodHistoryView(
        period_id=first.period_id,
        person_ref=first.person_ref,
        city=first.city,
        versions=[
            VersionView(
                version=v.period.version,
                start_month=str(v.period.start),
                end_month=str(v.period.end),
                kind=v.period.kind,
                cancelled=v.period.cancelled,
                received_at=v.received_at,
                recorded_by=v.recorded_by,
                request_id=v.request_id,
            )
            for v in history
        ],
    )


def _totals_view(counted: LedgerTotals, by_policy: dict[City, int | None]) -> TotalsView:
    return TotalsView(
        by_city=[
            CityMonthsView(city=c.city, actual_months=c.actual, deemed_months=c.deemed)
            for c in counted.by_city
        ],
        actual_months=counted.actual_months,
        months_in_both=counted.months_in_both,
        deemed_months=counted.deemed_months,
        cumulative_months_by_policy=dict(by_policy),
    )


def _determination_view(stored: StoredDetermination) -> DeterminationView:
    d = stored.determination
    return DeterminationView(
        request_id=stored.request_id,
        city=d.city,
        sex=d.sex,
        retirement_date=d.retirement_date,
        figures=FiguresView.model_validate(figures_json(d.figures)),
        determined_at=stored.determined_at,
    )


def _flag_view(stored: StoredFlag) -> ReviewFlagView:
    flag = stored.flag
    return ReviewFlagView(
        request_id=stored.request_id,
        city=flag.city,
        period_id=flag.period_id,
        period_version=stored.period_version,
        code=flag.code,
        reason=flag.sentence,
        figures_before=FiguresView.model_validate(figures_json(flag.figures_before)),
        figures_after=FiguresView.model_validate(figures_json(flag.figures_after)),
        flagged_at=stored.flagged_at,
    )


def _ledger_view(report: usecases.LedgerReport) -> LedgerView:
    return LedgerView(
        person_ref=report.ledger.person_ref,
        # Periods by start month then city; cancelled ones are shown (marked) after them.
        periods=[
            _period_view(p)
            for p in sorted(
                report.ledger.periods,
                key=lambda p: (p.cancelled, p.start, p.end, p.city, p.period_id),
            )
        ],
        totals=_totals_view(report.totals, report.cumulative_by_policy),
        retirement=None
        if report.determination is None
        else _determination_view(report.determination),
        review_flags=[_flag_view(f) for f in report.flags],
    )


def _claim_view(claim: Claim, me: City) -> RetirementRequestView:
    return RetirementRequestView(
        request_id=claim.request_id,
        person_ref=claim.person_ref,
        requested_in=claim.requested_in,
        chosen_city=claim.chosen_city,
        sex=claim.sex,
        retirement_date=claim.retirement_date,
        requested_at=claim.requested_at,
        state=claim.state,
        waiting_for=usecases.waiting_for(claim, me),
        code=claim.code,
        reason=claim.reason,
        figures=None if claim.figures is None else FiguresView.model_validate(claim.figures),
        shortfalls=[ShortfallView.model_validate(s) for s in claim.shortfalls or ()],
        alternative_city=claim.alternative_city,
        determined_city=claim.determined_city,
        decided_at=claim.decided_at,
    )


def _assessment_view(stored: StoredAssessment) -> AssessmentView:
    a, r = stored.assessment, stored.recognition
    return AssessmentView(
        assessment_id=a.assessment_id,
        person_ref=a.person_ref,
        city=a.city,
        level=a.level,
        scale_version=a.scale_version,
        concluded_on=a.concluded_on,
        valid_until=a.valid_until,
        recognition=None
        if r is None
        else RecognitionView(
            recognising_city=r.recognising_city,
            recognised=r.recognised,
            decided_on=r.decided_on,
            code=r.code,
            reason=r.reason,
            valid_until=r.valid_until,
            policy_effective_from=r.policy_effective_from,
        ),
    )


# --------------------------------------------------------------------------------------------


def insurance_router(book: PolicyBook) -> APIRouter:
    """The clerks' routes, deciding by ``book``. Time comes from the unit of work (the
    runtime's clock; the day is China's), so tests move it with a fixed clock."""
    router = service_router()
    _period_routes(router, book)
    _ledger_routes(router, book)
    _retirement_routes(router, book)
    _care_routes(router)
    return router


def _recorded_view(result: usecases.ContributionPeriodResult) -> RecordedPeriodView:
    return RecordedPeriodView(
        **_period_view(result.period).model_dump(), review_flagged=result.flagged
    )


def _period_routes(router: APIRouter, book: PolicyBook) -> None:
    @router.post("/contribution-periods", status_code=201, tags=["contribution periods"])
    async def record_period(body: RecordPeriodBody, unit: UnitOfWork) -> RecordedPeriodView:
        """Record a contribution period of this city (published to the other city, which
        adds it to its ledger too)."""
        command = usecases.RecordPeriod(
            resident_id=body.resident_id,
            start_month=body.start_month,
            end_month=body.end_month,
            kind=body.kind,
        )
        return _recorded_view(await usecases.record_period(command, unit, book))

    @router.post(
        "/contribution-periods/{period_id}/corrections",
        status_code=201,
        tags=["contribution periods"],
    )
    async def correct_period(
        period_id: str, body: CorrectPeriodBody, unit: UnitOfWork
    ) -> RecordedPeriodView:
        """Correct the months or kind of a period recorded in this city: a new version,
        published like the first (never an edit)."""
        command = usecases.CorrectPeriod(
            period_id=period_id,
            start_month=body.start_month,
            end_month=body.end_month,
            kind=body.kind,
        )
        return _recorded_view(await usecases.correct_period(command, unit, book))

    @router.post(
        "/contribution-periods/{period_id}/cancellation",
        status_code=201,
        tags=["contribution periods"],
    )
    async def cancel_period(period_id: str, unit: UnitOfWork) -> RecordedPeriodView:
        """Cancel a period recorded in this city: a new, cancelled version, published."""
        command = usecases.CancelPeriod(period_id=period_id)
        return _recorded_view(await usecases.cancel_period(command, unit, book))

    @router.get("/contribution-periods/{period_id}", tags=["contribution periods"])
    async def period_history(period_id: str, unit: UnitOfWork) -> PeriodHistoryView:
        """Every version of a period (of either city) this city received."""
        return _history_view(await usecases.get_period_history(period_id, unit))


def _ledger_routes(router: APIRouter, book: PolicyBook) -> None:
    @router.post("/ledgers/lookup", tags=["ledger"])
    @reads  # a lookup by resident ID in the body (kept out of URLs and logs)
    async def ledger_by_resident(body: ResidentBody, unit: UnitOfWork) -> LedgerView:
        """A person's ledger across both cities, by resident ID number."""
        return _ledger_view(await usecases.ledger_of_resident(body.resident_id, unit, book))

    @router.get("/ledgers/{person_ref}", tags=["ledger"])
    async def ledger_by_person_ref(person_ref: str, unit: UnitOfWork) -> LedgerView:
        """A person's ledger across both cities, by ``person_ref`` (for systems that hold
        only the pseudonym)."""
        return _ledger_view(await usecases.ledger_of(person_ref, unit, book))


def _retirement_routes(router: APIRouter, book: PolicyBook) -> None:
    @router.post("/retirement-requests", status_code=202, tags=["retirement city"])
    async def request_retirement_city(
        body: RetirementBody, unit: UnitOfWork, response: Response
    ) -> RetirementRequestView:
        """Ask that the chosen city become the person's retirement city. The chosen city
        decides when it reads the request from the bus, after any earlier request of the
        person; follow it with ``GET /retirement-requests/{request_id}``."""
        command = usecases.RequestRetirementCity(
            resident_id=body.resident_id,
            sex=body.sex,
            retirement_date=body.retirement_date,
            chosen_city=body.chosen_city,
        )
        claim = await usecases.request_retirement_city(command, unit, book)
        response.headers["Location"] = f"/retirement-requests/{claim.request_id}"
        return _claim_view(claim, unit.city)

    @router.get("/retirement-requests/{request_id}", tags=["retirement city"])
    async def retirement_request(request_id: str, unit: UnitOfWork) -> RetirementRequestView:
        """A retirement-city request (made in either city) and its outcome once decided."""
        claim = await usecases.get_retirement_request(request_id, unit)
        return _claim_view(claim, unit.city)


def _care_routes(router: APIRouter) -> None:
    @router.post("/care-assessments", status_code=201, tags=["long-term care"])
    async def record_assessment(body: AssessmentBody, unit: UnitOfWork) -> AssessmentView:
        """Record a long-term-care assessment concluded in this city; the other city
        decides whether it recognises it and publishes its answer."""
        command = usecases.RecordAssessment(
            resident_id=body.resident_id,
            level=body.level,
            scale_version=body.scale_version,
            concluded_on=body.concluded_on,
            valid_until=body.valid_until,
        )
        assessment = await usecases.record_assessment(command, unit)
        return _assessment_view(StoredAssessment(assessment, None))

    @router.get("/care-assessments/{assessment_id}", tags=["long-term care"])
    async def assessment(assessment_id: str, unit: UnitOfWork) -> AssessmentView:
        """An assessment of either city known here, and the recognition decision."""
        return _assessment_view(await usecases.get_assessment(assessment_id, unit))

    @router.post("/care-recognitions/lookup", tags=["long-term care"])
    @reads  # a lookup by resident ID in the body (kept out of URLs and logs)
    async def recognitions(body: ResidentBody, unit: UnitOfWork) -> RecognitionsView:
        """A person's assessments of both cities known here, with each recognition
        decision (recognised or refused, with the reason)."""
        ref, found = await usecases.recognitions_of_resident(body.resident_id, unit)
        return RecognitionsView(person_ref=ref, assessments=[_assessment_view(s) for s in found])
