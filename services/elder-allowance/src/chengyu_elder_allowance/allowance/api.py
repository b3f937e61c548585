"""The clerks' routes of the allowance area: payment runs and their bank files and returns,
a person's allowance, verifications (审验) recorded in either city.

``POST /payment-runs`` runs the month's run in chunks, each in its own transaction (opened
on the runtime, as the clerk), so a long run commits as it goes and a crash or a retry
continues where it stopped; the route's own unit only answers.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from chengyu_contracts.domain_error import NotFound
from chengyu_contracts.months import Month
from chengyu_kit.http import runtime_of
from chengyu_kit.unit import Unit, open_unit
from chengyu_kit.web import UnitOfWork, service_router

from ..policy import PolicyBook
from . import bank_file, run, store, usecases

MonthField = Annotated[StrictStr, Field(max_length=16, description="YYYY-MM")]


class RunBody(BaseModel):
    """The month to run."""

    model_config = ConfigDict(extra="forbid")

    month: MonthField


class FailedPayment(BaseModel):
    """A payment the bank could not make."""

    model_config = ConfigDict(extra="forbid")

    reference: Annotated[StrictStr, Field(min_length=1, max_length=64)]
    reason: Annotated[StrictStr, Field(min_length=1, max_length=200)]


class BankReturnBody(BaseModel):
    """The bank's return of a run's file: the payments that failed."""

    model_config = ConfigDict(extra="forbid")

    failed: Annotated[list[FailedPayment], Field(max_length=200_000)]


class VerificationBody(BaseModel):
    """A periodic verification (审验) of a recipient, by ID number (kept out of URLs)."""

    model_config = ConfigDict(extra="forbid")

    id_number: Annotated[StrictStr, Field(max_length=64, description="18-character number")]
    verified_on: Annotated[StrictStr, Field(max_length=16, description="YYYY-MM-DD")]


class RunView(BaseModel):
    """A payment run's summary."""

    run_id: str
    month: str
    status: str
    granted: int
    payments: int
    amount_fen: int
    back_payments: int
    retried: int
    suspended: int
    resumed: int
    terminated: int
    bank_file_sha256: str | None


class BankReturnView(BaseModel):
    """How many payments were marked failed."""

    failed: int


class PaymentItem(BaseModel):
    """One payment of a month."""

    month: str
    amount_fen: int
    run_month: str
    status: str


class ClaimItem(BaseModel):
    """A recovery claim (追缴)."""

    claim_id: str
    months: list[str]
    amount_fen: int


class AllowanceView(BaseModel):
    """A person's allowance; in the other city, what its events told (no payments)."""

    person_ref: str
    paying_city: str
    state: str
    band: str
    first_month: str
    verification_due: str | None
    last_month: str | None
    payments: list[PaymentItem]
    recovery_claims: list[ClaimItem]


class VerificationView(BaseModel):
    """A verification recorded here."""

    verification_id: str
    person_ref: str
    paying_city: str
    recorded_in: str


def _run_view(stored: store.StoredRun) -> RunView:
    c = stored.counts
    return RunView(
        run_id=stored.run_id,
        month=str(stored.month),
        status=stored.status,
        granted=c.granted,
        payments=c.payments,
        amount_fen=c.amount_fen,
        back_payments=c.back_payments,
        retried=c.retried,
        suspended=c.suspended,
        resumed=c.resumed,
        terminated=c.terminated,
        bank_file_sha256=stored.bank_file_sha256,
    )


def router(book: PolicyBook) -> APIRouter:
    """The allowance routes."""
    routes = service_router(tags=["allowance"])

    @routes.post("/payment-runs", status_code=201)
    async def run_payments(
        body: RunBody, request: Request, response: Response, unit: UnitOfWork
    ) -> RunView:
        """Run (or continue) this city's payment run of the month; 200 with the stored
        summary when it had already completed."""
        month = Month.parse(body.month)
        before = await store.load_run(unit.conn, month)
        if before is not None and before.status == "completed":
            response.status_code = 200
            return _run_view(before)
        runtime = runtime_of(request)

        def chunk_unit() -> AbstractAsyncContextManager[Unit]:
            return open_unit(
                runtime.pool,
                clock=runtime.clock,
                city=runtime.settings.city,
                person_ref_key=runtime.settings.person_ref_hmac_key(),
                issuer=runtime.issuer,
                actor=unit.actor,
                request_id=unit.request_id,
            )

        await run.run_month(chunk_unit, month, book)
        after = await store.load_run(unit.conn, month)
        assert after is not None
        return _run_view(after)

    @routes.get("/payment-runs/{month}")
    async def get_run(month: str, unit: UnitOfWork) -> RunView:
        """A payment run's summary."""
        stored = await store.load_run(unit.conn, Month.parse(month))
        if stored is None:
            raise NotFound("unknown-payment-run", f"No payment run of {month} was started here.")
        return _run_view(stored)

    @routes.get("/payment-runs/{month}/bank-file")
    async def get_bank_file(month: str, unit: UnitOfWork) -> Response:
        """The bank's CSV of a completed run."""
        content = await bank_file.bank_file(unit, Month.parse(month))
        return Response(
            content,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="elder-allowance-{month}.csv"'},
        )

    @routes.post("/payment-runs/{month}/bank-return")
    async def post_bank_return(
        month: str, body: BankReturnBody, unit: UnitOfWork
    ) -> BankReturnView:
        """The payments the bank could not make; the next run retries them."""
        failed = [(f.reference, f.reason) for f in body.failed]
        return BankReturnView(
            failed=await bank_file.record_bank_return(unit, Month.parse(month), failed)
        )

    @routes.get("/allowances/{person_ref}")
    async def get_allowance(person_ref: str, unit: UnitOfWork) -> AllowanceView:
        """A person's allowance, payments and recovery claims."""
        view = await usecases.allowance_of(unit, person_ref)
        return AllowanceView(
            person_ref=view.person_ref,
            paying_city=view.paying_city,
            state=view.state,
            band=view.band,
            first_month=str(view.first_month),
            verification_due=None if view.verification_due is None else str(view.verification_due),
            last_month=None if view.last_month is None else str(view.last_month),
            payments=[
                PaymentItem(
                    month=str(p.month),
                    amount_fen=p.amount_fen,
                    run_month=str(p.run_month),
                    status=p.status,
                )
                for p in view.payments
            ],
            recovery_claims=[
                ClaimItem(
                    claim_id=c.claim_id, months=[str(m) for m in c.months], amount_fen=c.amount_fen
                )
                for c in view.claims
            ],
        )

    @routes.post("/verifications", status_code=201)
    async def post_verification(body: VerificationBody, unit: UnitOfWork) -> VerificationView:
        """Record a verification here; the paying city applies it."""
        recorded = await usecases.record_verification(unit, body.id_number, body.verified_on, book)
        return VerificationView(
            verification_id=recorded.verification_id,
            person_ref=recorded.person_ref,
            paying_city=recorded.paying_city,
            recorded_in=recorded.recorded_in,
        )

    return routes
