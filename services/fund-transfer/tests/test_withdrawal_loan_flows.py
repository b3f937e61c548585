"""Withdrawals and loans across the two cities on real PostgreSQL, events handed across by
hand (end to end on the bus: tests/test_fund_transfer_faults.py): the other city sees a
withdrawal's balance and a granted loan; a loan query is answered once, signed, with what is
still owed; a repayment withdrawal for the other city's loan needs that answer."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fund_transfer_saga import KEY, SagaCity, resident, two_cities

from chengyu_contracts.domain_error import DomainError, NotFound
from chengyu_contracts.events.fund import (
    AccountWithdrawalRecorded,
    LoanQueryAnswered,
    LoanQueryRequested,
    LoanRecorded,
)
from chengyu_contracts.months import Month
from chengyu_contracts.person_ref import person_ref
from chengyu_contracts.resident_id import parse_resident_id
from chengyu_fund_transfer import loan_usecases, usecases, withdrawal_usecases
from chengyu_fund_transfer.withdrawal_store import StoredWithdrawal
from chengyu_fund_transfer.withdrawal_usecases import WithdrawalRequest
from chengyu_kit.local.postgres import LocalPostgres

pytestmark = pytest.mark.integration

ALICE = resident(21)
ALICE_REF = person_ref(parse_resident_id(ALICE), KEY)


@pytest.fixture
async def cities(postgres: LocalPostgres) -> AsyncIterator[tuple[SagaCity, SagaCity]]:
    async for pair in two_cities(postgres):
        yield pair


async def saver(city: SagaCity, months: int = 12, amount_fen: int = 300_000) -> str:
    """Alice's account with ``months`` deposits up to October 2026 (the clocks' month)."""
    stored = await city.open_account(ALICE, kind="employee")
    for n in range(months):
        month = Month(2026, 10).plus(n - months + 1)
        await city.deposit(stored.account_id, str(month), amount_fen)
    return stored.account_id


async def grant(city: SagaCity, amount_fen: int = 10_000_000) -> str:
    command = loan_usecases.GrantLoan(ALICE, amount_fen, 120, "成都银行", "2026-11")
    loan = await city.within(lambda unit: loan_usecases.grant_loan(command, unit, city.book))
    return loan.loan_id


async def ask(city: SagaCity) -> LoanQueryRequested:
    command = loan_usecases.AskLoanQuery(ALICE, "loan-repayment-withdrawal")
    await city.within(lambda unit: loan_usecases.ask_loan_query(command, unit, city.book))
    return await city.last(LoanQueryRequested)


def repayment(account_id: str, loan_id: str, query_id: str | None) -> WithdrawalRequest:
    return WithdrawalRequest(
        account_id=account_id,
        kind="loan-repayment",
        amount_fen=500_000,
        proofs=(("loan-contract", "JK-2026-0042"),),
        loan_id=loan_id,
        loan_query_id=query_id,
    )


async def test_a_loan_query_is_answered_once_with_what_is_still_owed(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    cq, cd = cities
    await saver(cq)
    loan_id = await grant(cq)
    request = await ask(cd)

    answered = await cq.run(lambda unit: loan_usecases.answer_loan_query(unit, request))
    again = await cq.run(lambda unit: loan_usecases.answer_loan_query(unit, request))

    assert again == [] and len(answered) == 1
    answer = answered[0]
    assert isinstance(answer, LoanQueryAnswered)
    (statement,) = answer.loans
    assert (statement.loan_id, statement.as_of_month) == (loan_id, "2026-10")
    # Nothing is due before November: the whole loan is still owed, 120 instalments left.
    assert (statement.outstanding_fen, len(statement.remaining)) == (10_000_000, 120)
    await cd.run(lambda unit: loan_usecases.receive_loan_answer(unit, answer))
    query = await cd.within(lambda unit: loan_usecases.get_loan_query(request.query_id, unit))
    assert query.loans is not None and query.loans[0]["loan_id"] == loan_id


async def test_a_person_without_a_loan_there_gets_an_empty_answer(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    cq, cd = cities
    request = await ask(cd)
    (answer,) = await cq.run(lambda unit: loan_usecases.answer_loan_query(unit, request))
    assert isinstance(answer, LoanQueryAnswered) and answer.loans == []


async def test_an_answer_to_a_query_never_asked_is_refused(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    cq, cd = cities
    request = await ask(cd)
    (answer,) = await cq.run(lambda unit: loan_usecases.answer_loan_query(unit, request))
    assert isinstance(answer, LoanQueryAnswered)
    stray = answer.model_copy(update={"query_id": "lq-cd-never-asked"})
    with pytest.raises(NotFound, match="lq-cd-never-asked"):
        await cd.run(lambda unit: loan_usecases.receive_loan_answer(unit, stray))


async def test_repaying_the_other_citys_loan_needs_its_answer(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    cq, cd = cities
    await saver(cq)
    loan_id = await grant(cq)
    account_id = await saver(cd)
    request = await ask(cd)

    async def apply(query_id: str | None) -> object:
        command = repayment(account_id, loan_id, query_id)
        return await cd.within(
            lambda unit: withdrawal_usecases.apply_for_withdrawal(command, unit, cd.book)
        )

    with pytest.raises(DomainError) as unconfirmed:
        await apply(None)  # the loan is not Chengdu's: its own records confirm nothing
    assert unconfirmed.value.code == "loan-not-confirmed"
    with pytest.raises(DomainError) as waiting:
        await apply(request.query_id)
    assert waiting.value.code == "loan-query-unanswered"

    (answer,) = await cq.run(lambda unit: loan_usecases.answer_loan_query(unit, request))
    assert isinstance(answer, LoanQueryAnswered)
    await cd.run(lambda unit: loan_usecases.receive_loan_answer(unit, answer))
    applied = await apply(request.query_id)

    assert isinstance(applied, StoredWithdrawal)
    assert applied.withdrawal.application.loan is not None
    assert applied.withdrawal.application.loan.city == "cq"


async def test_the_other_city_sees_the_balance_after_a_withdrawal(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    cq, cd = cities
    account_id = await saver(cq, months=4)  # three of them before October
    command = WithdrawalRequest(
        account_id,
        "rent",
        400_000,
        (("rental-contract", "ZL-1"), ("no-home-certificate", "WF-1")),
    )
    applied = await cq.within(
        lambda unit: withdrawal_usecases.apply_for_withdrawal(command, unit, cq.book)
    )
    await cq.within(
        lambda unit: withdrawal_usecases.pay_withdrawal(applied.withdrawal.withdrawal_id, unit)
    )
    report = await cq.last(AccountWithdrawalRecorded)
    assert (report.balance_after_fen, report.account_closed) == (800_000, False)

    await cd.run(lambda unit: withdrawal_usecases.receive_withdrawal_report(unit, report))
    await cd.run(lambda unit: withdrawal_usecases.receive_withdrawal_report(unit, report))

    balance = await cd.pool.fetchval(
        "SELECT balance_fen FROM reported_account WHERE account_id = $1", account_id
    )
    assert balance == 800_000
    assert await cd.pool.fetchval("SELECT count(*) FROM reported_withdrawal") == 1


async def test_a_loan_granted_in_one_city_bars_a_second_in_the_other(
    cities: tuple[SagaCity, SagaCity],
) -> None:
    cq, cd = cities
    await saver(cq)
    await grant(cq)
    report = await cq.last(LoanRecorded)
    assert report.person_ref == ALICE_REF
    await saver(cd)
    assert (await _eligible(cd)) is True

    await cd.run(lambda unit: loan_usecases.receive_loan_report(unit, report))

    assert (await _eligible(cd)) is False
    with pytest.raises(DomainError) as refused:
        await grant(cd)
    assert refused.value.code == "not-eligible"


async def _eligible(city: SagaCity) -> bool:
    command = usecases.AssessLoan(ALICE, None)
    answer = await city.within(lambda unit: usecases.loan_eligibility(command, unit, city.book))
    return answer.eligible
