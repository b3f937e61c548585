"""The clerks' HTTP API of one city's service: accounts and deposits.

Resident ID numbers are accepted only here, checked, turned into ``person_ref`` and never
returned, stored or logged; answers show them masked. Domain refusals become
``chengyu_kit.http.DomainError`` answers (a status, a code and a sentence).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Literal, Protocol

import asyncpg
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from chengyu_contracts.masking import mask_name
from chengyu_contracts.person_ref import PersonRefKey
from chengyu_kit import http
from chengyu_kit.settings import ServiceSettings

from . import usecases
from .errors import DomainError
from .policy import PolicyBook, default_policy_book
from .store import StoredAccount

# China keeps one time zone without daylight saving: the day a deposit is made on.
CHINA_TIME = timezone(timedelta(hours=8), "CST")
# A bound far above any monthly deposit, so no sum can overflow the bigint columns.
MAX_AMOUNT_FEN = 10_000_000_000

_NOT_FOUND = frozenset({"unknown-account"})
_CONFLICT = frozenset(
    {
        "duplicate-month",
        "already-has-account",
        "account-sealed",
        "account-transferring",
        "account-closed",
    }
)


class FundRuntime(Protocol):
    """What the router needs of ``app.state.runtime`` (a ``ServiceRuntime`` fits)."""

    @property
    def pool(self) -> asyncpg.Pool: ...

    @property
    def settings(self) -> ServiceSettings: ...


class OpenAccountBody(BaseModel):
    """A clerk's request to open an account."""

    model_config = ConfigDict(extra="forbid")

    resident_id: Annotated[StrictStr, Field(max_length=64, description="18-character number")]
    name: Annotated[StrictStr, Field(min_length=1, max_length=usecases.MAX_NAME_LENGTH)]
    kind: Literal["employee", "flexible"]


class DepositBody(BaseModel):
    """A clerk's request to record one month's deposit."""

    model_config = ConfigDict(extra="forbid")

    month: Annotated[StrictStr, Field(max_length=16, description="YYYY-MM")]
    amount_fen: Annotated[
        StrictInt, Field(le=MAX_AMOUNT_FEN, description="whole fen (分); no floats, no text")
    ]


class DepositView(BaseModel):
    """One month's deposit and the city it was made in."""

    month: str
    amount_fen: int
    city: str


class AccountView(BaseModel):
    """An account as a clerk sees it; the name is masked."""

    account_id: str
    person_ref: str
    name_masked: str
    city: str
    kind: str
    status: str
    balance_fen: int
    opened_at: datetime
    deposits: list[DepositView]


class OpenedAccountView(AccountView):
    """A newly opened account, with the masked resident ID number it was opened with."""

    resident_id_masked: str


def _view(stored: StoredAccount) -> AccountView:
    account = stored.account
    return AccountView(
        account_id=stored.account_id,
        person_ref=account.person_ref,
        name_masked=mask_name(stored.full_name),
        city=account.city,
        kind=account.kind,
        status=account.status,
        balance_fen=account.balance_fen,
        opened_at=stored.opened_at,
        deposits=[
            DepositView(month=str(d.month), amount_fen=d.amount_fen, city=d.city)
            for d in account.deposits
        ],
    )


def http_status(code: str) -> int:
    """The HTTP status of a domain refusal: 404 unknown, 409 conflicts with the state,
    422 for everything wrong with the input itself."""
    if code in _NOT_FOUND:
        return 404
    if code in _CONFLICT:
        return 409
    return 422


def _http_error(error: DomainError) -> http.DomainError:
    return http.DomainError(http_status(error.code), error.code, error.sentence)


def _runtime(request: Request) -> FundRuntime:
    runtime: FundRuntime = request.app.state.runtime
    return runtime


def china_today() -> date:
    """Today's date in China."""
    return datetime.now(CHINA_TIME).date()


def fund_router(
    *,
    policy_book: PolicyBook | None = None,
    today: Callable[[], date] = china_today,
) -> APIRouter:
    """The accounts-and-deposits routes; ``today`` is injectable for tests."""
    book = policy_book if policy_book is not None else default_policy_book()
    router = APIRouter(tags=["accounts"])

    @router.post("/accounts", status_code=201)
    async def open_account(body: OpenAccountBody, request: Request) -> OpenedAccountView:
        """Open a provident-fund account in this city for a person."""
        runtime = _runtime(request)
        key = PersonRefKey.from_hex(runtime.settings.person_ref_key.get_secret_value())
        try:
            opened = await usecases.open_account(
                runtime.pool,
                resident_id_raw=body.resident_id,
                name=body.name,
                kind=body.kind,
                city=runtime.settings.city,
                today=today(),
                person_ref_key=key,
            )
        except DomainError as error:
            raise _http_error(error) from None
        return OpenedAccountView(
            **_view(opened.stored).model_dump(), resident_id_masked=opened.resident_id_masked
        )

    @router.post("/accounts/{account_id}/deposits", status_code=201)
    async def record_deposit(account_id: str, body: DepositBody, request: Request) -> AccountView:
        """Record one month's deposit; answers the account after it."""
        try:
            stored = await usecases.record_deposit(
                _runtime(request).pool, account_id, body.month, body.amount_fen, today(), book
            )
        except DomainError as error:
            raise _http_error(error) from None
        return _view(stored)

    @router.get("/accounts/{account_id}")
    async def get_account(account_id: str, request: Request) -> AccountView:
        """An account with its balance and deposit history."""
        try:
            stored = await usecases.get_account(_runtime(request).pool, account_id)
        except DomainError as error:
            raise _http_error(error) from None
        return _view(stored)

    return router
