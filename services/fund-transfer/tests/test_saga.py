"""The transfer saga step by step on real PostgreSQL: both cities' databases, events
handed across by hand. Each rejection reason, the compensation, overdue on an injected
clock, and replays that must change nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from fund_transfer_saga import KEY, SagaCity, resident, two_cities

from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.events.fund import (
    AccountDepositRecorded,
    TransferCompleted,
    TransferCredited,
    TransferCreditRefused,
    TransferFundsSent,
    TransferOverdue,
    TransferRejected,
    TransferRequested,
    TransferReverted,
)
from chengyu_contracts.person_ref import person_ref
from chengyu_contracts.resident_id import parse_resident_id
from chengyu_fund_transfer import saga
from chengyu_fund_transfer.sweep import sweep_overdue
from chengyu_kit.local.postgres import LocalPostgres

pytestmark = pytest.mark.integration

ALICE = resident(11)


@pytest.fixture
async def cities(postgres: LocalPostgres) -> AsyncIterator[tuple[SagaCity, SagaCity]]:
    async for pair in two_cities(postgres):
        yield pair


async def alice_in(city: SagaCity, months: int = 3, amount: int = 50_000) -> str:
    """Alice's account in ``city`` with ``months`` deposits from 2026-01."""
    stored = await city.open_account(ALICE)
    for m in range(1, months + 1):
        await city.deposit(stored.account_id, f"2026-{m:02d}", amount)
    return stored.account_id


async def requested(receiving: SagaCity, from_city: str) -> TransferRequested:
    await receiving.request_transfer(ALICE, from_city)
    return await receiving.last(TransferRequested)


async def send(sending: SagaCity, request: TransferRequested) -> list[object]:
    return list(await sending.run(lambda unit: saga.handle_request(unit, request, sending.book)))


async def credit(receiving: SagaCity, funds: TransferFundsSent) -> list[object]:
    return list(await receiving.run(lambda unit: saga.handle_funds_sent(unit, funds)))


async def report_to(city: SagaCity, report: AccountDepositRecorded) -> None:
    await city.run(lambda unit: saga.handle_deposit_reported(unit, report))


async def state(city: SagaCity, transfer_id: str) -> str:
    value = await city.pool.fetchval(
        "SELECT state FROM transfer WHERE transfer_id = $1", transfer_id
    )
    return str(value)


# -- requesting --------------------------------------------------------------------------------


async def test_a_request_is_saved_with_its_deadline_and_published(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    _, cd = cities
    request = await requested(cd, "cq")
    assert (request.from_city, request.to_city) == ("cq", "cd")
    assert request.person_ref == person_ref(parse_resident_id(ALICE), KEY)
    assert request.deadline - request.requested_at == timedelta(days=10)
    assert await state(cd, request.transfer_id) == "requested"


async def test_a_second_unfinished_transfer_from_the_same_city_is_refused(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    _, cd = cities
    await cd.request_transfer(ALICE, "cq")
    with pytest.raises(DomainError) as refused:
        await cd.request_transfer(ALICE, "cq")
    assert refused.value.code == "transfer-in-progress"
    assert len(await cd.outbox(TransferRequested)) == 1


@pytest.mark.parametrize(("from_city", "code"), [("cd", "same-city"), ("xa", "unknown-city")])
async def test_a_request_naming_no_other_city_is_refused_and_writes_nothing(
    cities: tuple[SagaCity, SagaCity], from_city: str, code: str
) -> None:
    _, cd = cities
    with pytest.raises(DomainError) as refused:
        await cd.request_transfer(ALICE, from_city)
    assert refused.value.code == code
    assert await cd.pool.fetchval("SELECT count(*) FROM transfer") == 0
    assert await cd.outbox(TransferRequested) == []


# -- the sending city's checks -----------------------------------------------------------------


async def test_no_account_in_the_sending_city_rejects_the_transfer(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    cq, cd = cities
    request = await requested(cd, "cq")
    [rejection] = await send(cq, request)
    assert isinstance(rejection, TransferRejected)
    assert rejection.reason_code == "no-such-account"
    await cd.run(lambda unit: saga.handle_rejected(unit, rejection))
    assert await state(cd, request.transfer_id) == "rejected"
    assert await state(cq, request.transfer_id) == "rejected"


async def test_a_sealed_account_is_rejected_where_the_city_forbids_moving_it(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    cq, cd = cities
    in_cd = await alice_in(cd)
    await cd.pool.execute("UPDATE account SET status = 'sealed' WHERE account_id = $1", in_cd)
    request = await requested(cq, "cd")
    [rejection] = await send(cd, request)
    assert isinstance(rejection, TransferRejected)
    assert rejection.reason_code == "account-sealed"
    assert (
        await cd.pool.fetchval("SELECT status FROM account WHERE account_id = $1", in_cd)
        == "sealed"
    )


async def test_an_account_already_frozen_by_another_transfer_is_rejected(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    cq, cd = cities
    await alice_in(cq)
    first = await requested(cd, "cq")
    await send(cq, first)
    second = first.model_copy(update={"transfer_id": "tr-cd-second"})
    [rejection] = await send(cq, second)
    assert isinstance(rejection, TransferRejected)
    assert rejection.reason_code == "already-transferring"


async def test_no_policy_in_force_rejects_rather_than_losing_the_request(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    cq, cd = cities
    await alice_in(cq)
    request = await requested(cd, "cq")
    cq.clock.advance(-timedelta(days=3650))  # a day before any Chongqing policy
    [rejection] = await send(cq, request)
    assert isinstance(rejection, TransferRejected)
    assert rejection.reason_code == "no-policy-in-force"


async def test_the_request_is_handled_once_even_if_it_arrives_again(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    cq, cd = cities
    await alice_in(cq)
    request = await requested(cd, "cq")
    await send(cq, request)
    with pytest.raises(DomainError) as again:
        await send(cq, request)
    assert again.value.code == "duplicate-transfer"
    assert len(await cq.outbox(TransferFundsSent)) == 1


# -- the happy path ----------------------------------------------------------------------------


async def test_the_whole_saga_moves_the_balance_and_history_and_closes_the_old_account(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    cq, cd = cities
    in_cq = await alice_in(cq, months=3)
    request = await requested(cd, "cq")

    [funds] = await send(cq, request)
    assert isinstance(funds, TransferFundsSent)
    assert (funds.amount_fen, [d.month for d in funds.deposits]) == (
        150_000,
        ["2026-01", "2026-02", "2026-03"],
    )
    assert (
        await cq.pool.fetchval("SELECT status FROM account WHERE account_id = $1", in_cq)
        == "transferring"
    )

    [credited] = await credit(cd, funds)
    assert isinstance(credited, TransferCredited)
    assert await cd.balance(credited.receiving_account_id) == 150_000

    [completed] = await cq.run(lambda unit: saga.handle_credited(unit, credited))
    assert isinstance(completed, TransferCompleted) and completed.amount_fen == 150_000
    assert await cq.balance(in_cq) == 0
    await cd.run(lambda unit: saga.handle_completed(unit, completed))

    assert await state(cq, request.transfer_id) == "completed"
    assert await state(cd, request.transfer_id) == "completed"
    view = await cd.transfer(request.transfer_id)
    assert [s.state for s in view.transfer.history] == [
        "requested",
        "funds_sent",
        "credited",
        "completed",
    ]


async def test_funds_are_credited_into_the_persons_existing_account_with_its_months_kept(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    cq, cd = cities
    await alice_in(cq, months=2)
    existing = await cd.open_account(ALICE)
    await cd.deposit(existing.account_id, "2026-05", 30_000)
    [funds] = await send(cq, await requested(cd, "cq"))
    assert isinstance(funds, TransferFundsSent)
    [credited] = await credit(cd, funds)
    assert isinstance(credited, TransferCredited)
    assert credited.receiving_account_id == existing.account_id
    stored = await cd.account(existing.account_id)
    assert [(str(d.month), d.city) for d in stored.account.deposits] == [
        ("2026-01", "cq"),
        ("2026-02", "cq"),
        ("2026-05", "cd"),
    ]
    assert stored.account.balance_fen == 130_000


async def test_a_second_credit_of_the_same_transfer_is_refused_and_creates_no_money(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    cq, cd = cities
    await alice_in(cq)
    [funds] = await send(cq, await requested(cd, "cq"))
    assert isinstance(funds, TransferFundsSent)
    [credited] = await credit(cd, funds)
    assert isinstance(credited, TransferCredited)
    with pytest.raises(DomainError) as again:
        await credit(cd, funds)
    assert again.value.code == "illegal-transition"
    assert await cd.balance(credited.receiving_account_id) == 150_000
    assert await cd.pool.fetchval("SELECT count(*) FROM credited_transfer") == 1


async def test_funds_for_a_transfer_this_city_never_requested_are_refused(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    cq, cd = cities
    await alice_in(cq)
    [funds] = await send(cq, await requested(cd, "cq"))
    assert isinstance(funds, TransferFundsSent)
    stranger = funds.model_copy(update={"transfer_id": "tr-cd-unknown"})
    with pytest.raises(DomainError) as refused:
        await credit(cd, stranger)
    assert refused.value.code == "unknown-transfer"
    assert await cd.pool.fetchval("SELECT count(*) FROM account") == 0


# -- compensation ------------------------------------------------------------------------------


async def test_a_refused_credit_restores_the_sending_account_exactly_and_reverts(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    cq, cd = cities
    in_cq = await alice_in(cq, months=3)
    before = await cq.account(in_cq)
    clash = await cd.open_account(ALICE)
    await cd.deposit(clash.account_id, "2026-02", 40_000)
    request = await requested(cd, "cq")

    [funds] = await send(cq, request)
    assert isinstance(funds, TransferFundsSent)
    [refusal] = await credit(cd, funds)
    assert isinstance(refusal, TransferCreditRefused)
    assert refusal.reason_code == "history-conflict"
    assert await cd.balance(clash.account_id) == 40_000

    [reverted] = await cq.run(lambda unit: saga.handle_credit_refused(unit, refusal))
    assert isinstance(reverted, TransferReverted)
    after = await cq.account(in_cq)
    assert after.account == before.account
    await cd.run(lambda unit: saga.handle_reverted(unit, reverted))
    assert await state(cd, request.transfer_id) == "reverted"
    assert await state(cq, request.transfer_id) == "reverted"


# -- overdue -----------------------------------------------------------------------------------


async def test_a_transfer_is_overdue_only_after_its_deadline_and_escalated_once(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    _, cd = cities
    request = await requested(cd, "cq")
    cd.clock.advance(timedelta(days=10))
    assert await sweep_overdue(cd) == 0
    cd.clock.advance(timedelta(seconds=1))
    assert await sweep_overdue(cd) == 1
    assert await sweep_overdue(cd) == 0
    [notice] = await cd.outbox(TransferOverdue)
    assert (notice.transfer_id, notice.awaiting) == (request.transfer_id, "answer")
    assert await state(cd, request.transfer_id) == "overdue"


async def test_an_overdue_transfer_is_never_credited_without_funds_and_still_takes_them(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    cq, cd = cities
    await alice_in(cq)
    request = await requested(cd, "cq")
    cd.clock.advance(timedelta(days=11))
    await sweep_overdue(cd)
    assert await cd.pool.fetchval("SELECT count(*) FROM account") == 0

    [funds] = await send(cq, request)
    assert isinstance(funds, TransferFundsSent)
    [credited] = await credit(cd, funds)
    assert isinstance(credited, TransferCredited)
    assert await state(cd, request.transfer_id) == "credited"


async def test_the_sending_city_mirrors_an_overdue_notice_unless_it_has_finished(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    cq, cd = cities
    await alice_in(cq)
    request = await requested(cd, "cq")
    await send(cq, request)
    cd.clock.advance(timedelta(days=11))
    await sweep_overdue(cd)
    notice = await cd.last(TransferOverdue)
    await cq.run(lambda unit: saga.handle_overdue_notice(unit, notice))
    assert await state(cq, request.transfer_id) == "overdue"
    await cq.run(lambda unit: saga.handle_overdue_notice(unit, notice))  # again: no change
    assert await state(cq, request.transfer_id) == "overdue"


# -- deposits reported across cities -------------------------------------------------------------


async def test_each_deposit_is_reported_with_the_balance_and_a_growing_version(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    cq, _ = cities
    await alice_in(cq, months=2, amount=30_000)
    reports = await cq.outbox(AccountDepositRecorded)
    assert [(r.month, r.balance_after_fen, r.account_version) for r in reports] == [
        ("2026-01", 30_000, 1),
        ("2026-02", 60_000, 2),
    ]


async def test_reports_arriving_out_of_order_keep_the_newest_balance(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    cq, cd = cities
    await alice_in(cq, months=2, amount=30_000)
    first, second = await cq.outbox(AccountDepositRecorded)
    for report in (second, first, second):
        await report_to(cd, report)
    assert await cd.pool.fetchval("SELECT balance_fen FROM reported_account") == 60_000
    assert await cd.pool.fetchval("SELECT count(*) FROM reported_deposit") == 2


async def test_a_credited_transfer_stops_the_old_accounts_reported_balance_counting(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    cq, cd = cities
    await alice_in(cq, months=2, amount=30_000)
    for report in await cq.outbox(AccountDepositRecorded):
        await report_to(cd, report)
    [funds] = await send(cq, await requested(cd, "cq"))
    assert isinstance(funds, TransferFundsSent)
    await credit(cd, funds)
    late = (await cq.outbox(AccountDepositRecorded))[-1].model_copy(
        update={"account_version": 99, "balance_after_fen": 999}
    )
    await report_to(cd, late)
    assert await cd.pool.fetchval("SELECT closed FROM reported_account") is True
    assert await cd.pool.fetchval("SELECT balance_fen FROM reported_account") == 0
