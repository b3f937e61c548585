"""The fund-transfer service as the kit runs it (``python -m chengyu_kit.run
chengyu_fund_transfer``): its name and agency, the topics it consumes and their handlers,
the clerks' API (accounts, transfers, withdrawals, loans), the overdue sweep, and its own
settings."""

from __future__ import annotations

from pydantic import Field

from chengyu_contracts.events.fund import ACCOUNT_TOPIC, LOAN_QUERY_TOPIC, TRANSFER_TOPIC
from chengyu_kit.service import Service
from chengyu_kit.settings import ServiceSettings

from .api import fund_router
from .handlers import fund_handlers
from .loan_api import loan_router
from .policy import PolicyBook, default_policy_book
from .sweep import schedule_overdue_sweep
from .withdrawal_api import withdrawal_router


class FundSettings(ServiceSettings):
    """The kit's settings plus this service's own (environment variables)."""

    overdue_sweep_seconds: float = Field(
        default=60.0, gt=0, description="how often transfers past their deadline are escalated"
    )


SERVICE: Service[PolicyBook] = Service(
    name="fund-transfer",
    agency="hpf",
    package="chengyu_fund_transfer",
    policy=default_policy_book,
    topics=(TRANSFER_TOPIC, ACCOUNT_TOPIC, LOAN_QUERY_TOPIC),
    handlers=fund_handlers,
    routers=lambda book: [fund_router(book), withdrawal_router(book), loan_router(book)],
    settings=FundSettings,
    background=schedule_overdue_sweep,
)
