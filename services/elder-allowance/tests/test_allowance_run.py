"""The monthly payment run of one city on real PostgreSQL: grants without application,
one payment per eligible person and month, amounts by band, assistance and policy, reruns
and interrupted runs that never pay twice, bounded back pay, retries of failed payments,
recovery claims after a late death, duplicates paid by neither city, and verification
suspension, resumption and termination."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
from elder_allowance_rows import AllowanceCity, add_elder, city_on, flag_duplicate, payments
from elder_allowance_rows import set_household as household

from chengyu_contracts.months import Month
from chengyu_elder_allowance.allowance import bank_file
from chengyu_kit.local.postgres import LocalPostgres

pytestmark = pytest.mark.integration

COMPLETED = "cn.chengyu.elder.allowance-payment-run-completed.v1"


@pytest.fixture
async def cq(postgres: LocalPostgres) -> AsyncIterator[AllowanceCity]:
    city = await city_on(postgres, "cq")
    try:
        yield city
    finally:
        await city.close()


async def test_a_run_pays_each_eligible_person_once_by_band_assistance_and_policy(
    cq: AllowanceCity,
) -> None:
    eighty = await add_elder(cq.pool, date(1945, 6, 15), 1, registered_from="2026-03")
    dibao = await add_elder(
        cq.pool,
        date(1944, 1, 20),
        2,
        registered_from="2026-03",
        assistance=[("dibao", date(2020, 1, 1), None)],
    )
    ninety = await add_elder(cq.pool, date(1935, 5, 5), 3, registered_from="2026-03")
    hundred = await add_elder(cq.pool, date(1926, 2, 1), 4, registered_from="2026-03")
    # 80 on 2026-03-01: Chongqing pays from the month after the birthday.
    not_yet = await add_elder(cq.pool, date(1946, 3, 1), 5, registered_from="2026-03")

    summary = await cq.run("2026-03")

    assert summary is not None
    assert [p.amount_fen for p in await payments(cq.pool, eighty.person_ref)] == [10_000]
    assert [p.amount_fen for p in await payments(cq.pool, dibao.person_ref)] == [15_000]
    assert [p.amount_fen for p in await payments(cq.pool, ninety.person_ref)] == [20_000]
    assert [p.amount_fen for p in await payments(cq.pool, hundred.person_ref)] == [50_000]
    assert await payments(cq.pool, not_yet.person_ref) == []
    assert (summary.counts.granted, summary.counts.payments) == (4, 4)
    assert summary.counts.amount_fen == 95_000


async def test_a_policy_change_applies_from_its_effective_month(cq: AllowanceCity) -> None:
    ninety = await add_elder(cq.pool, date(1935, 5, 5), 1, registered_from="2026-06")

    await cq.runs("2026-06", "2026-07")

    # The illustrative Chongqing raise of the 90-99 band from 2026-07.
    assert [(p.month, p.amount_fen) for p in await payments(cq.pool, ninety.person_ref)] == [
        ("2026-06", 20_000),
        ("2026-07", 30_000),
    ]


async def test_a_rerun_of_a_completed_month_pays_nothing_more(cq: AllowanceCity) -> None:
    for serial in range(1, 4):
        await add_elder(cq.pool, date(1940, 1, serial), serial, registered_from="2026-03")
    first = await cq.run("2026-03")

    again = await cq.run("2026-03")

    assert again == first
    assert await cq.count("payment") == 3
    assert (await cq.outbox_types()).count(COMPLETED) == 1


async def test_an_interrupted_run_continues_and_pays_each_person_exactly_once(
    cq: AllowanceCity,
) -> None:
    people = [
        await add_elder(cq.pool, date(1940, 1, serial), serial, registered_from="2026-03")
        for serial in range(1, 8)
    ]
    stopped = await cq.run("2026-03", chunk_size=2, max_chunks=2)
    assert stopped is None
    assert await cq.count("payment") == 4

    summary = await cq.run("2026-03", chunk_size=3)

    assert summary is not None
    for person in people:
        assert [p.month for p in await payments(cq.pool, person.person_ref)] == ["2026-03"]
    assert (summary.counts.granted, summary.counts.payments) == (7, 7)
    assert (await cq.outbox_types()).count(COMPLETED) == 1


async def test_back_pay_reaches_the_later_of_registration_and_the_limit(
    cq: AllowanceCity,
) -> None:
    long_known = await add_elder(cq.pool, date(1940, 1, 1), 1)
    late = await add_elder(cq.pool, date(1940, 1, 2), 2, registered_from="2025-10")

    summary = await cq.run("2026-03")

    paid = await payments(cq.pool, long_known.person_ref)
    # Chongqing's back pay is bounded by 12 months before the run's month.
    assert [p.month for p in paid] == [str(Month(2025, 3).plus(i)) for i in range(13)]
    assert [p.kind for p in paid].count("back-pay") == 12
    late_months = [p.month for p in await payments(cq.pool, late.person_ref)]
    assert (late_months[0], late_months[-1]) == ("2025-10", "2026-03")
    assert summary is not None
    assert summary.counts.back_payments == 12 + 5


async def test_a_failed_payment_is_retried_by_the_next_run(cq: AllowanceCity) -> None:
    person = await add_elder(cq.pool, date(1940, 1, 1), 1, registered_from="2026-03")
    await cq.run("2026-03")
    reference = await cq.pool.fetchval(
        "SELECT reference FROM payment WHERE person_ref = $1", person.person_ref
    )
    async with cq.unit() as unit:
        await bank_file.record_bank_return(unit, Month(2026, 3), [(reference, "account-closed")])

    summary = await cq.run("2026-04")

    march, april = await payments(cq.pool, person.person_ref)
    assert (march.kind, march.status, march.attempts, march.run_month) == (
        "retry",
        "issued",
        2,
        "2026-04",
    )
    assert (april.kind, april.status) == ("regular", "issued")
    assert summary is not None
    assert (summary.counts.retried, summary.counts.payments) == (1, 2)


async def test_a_death_recorded_after_months_were_paid_claims_exactly_those_months(
    cq: AllowanceCity,
) -> None:
    person = await add_elder(cq.pool, date(1935, 1, 1), 1, registered_from="2026-03")
    await cq.runs("2026-03", "2026-05")
    await cq.pool.execute(
        "UPDATE elder SET died_on = $2 WHERE person_ref = $1", person.person_ref, date(2026, 3, 20)
    )
    await household(cq.pool, person.person_ref, "cq", status="deceased", registered_from="2026-03")

    await cq.registration_changed(person.person_ref)
    await cq.registration_changed(person.person_ref)

    view = await cq.allowance(person.person_ref)
    assert (view.state, str(view.last_month)) == ("terminated", "2026-03")
    [claim] = view.claims
    assert [str(m) for m in claim.months] == ["2026-04", "2026-05"]
    assert claim.amount_fen == 2 * 20_000
    types = await cq.outbox_types()
    assert types.count("cn.chengyu.elder.allowance-recovery-claimed.v1") == 1
    assert types.count("cn.chengyu.elder.allowance-terminated.v1") == 1
    await cq.run("2026-06")
    assert [p.month for p in await payments(cq.pool, person.person_ref)][-1] == "2026-05"


async def test_a_duplicate_flagged_person_is_not_paid(cq: AllowanceCity) -> None:
    person = await add_elder(cq.pool, date(1940, 1, 1), 1, registered_from="2026-03")
    await household(cq.pool, person.person_ref, "cd", registered_from="2026-03")
    await flag_duplicate(cq.pool, person.person_ref, "2026-03")

    summary = await cq.run("2026-03")

    assert await payments(cq.pool, person.person_ref) == []
    assert summary is not None
    assert summary.counts.granted == 0


async def test_a_missed_verification_suspends_then_a_late_one_resumes_with_back_pay(
    cq: AllowanceCity,
) -> None:
    person = await add_elder(cq.pool, date(1940, 1, 1), 1, registered_from="2026-03")
    await cq.run("2026-03")
    assert str((await cq.allowance(person.person_ref)).verification_due) == "2027-03"

    # Chongqing: 3 months of grace after the due month, then suspended.
    await cq.runs("2026-04", "2027-06")
    suspended = await cq.allowance(person.person_ref)
    assert suspended.state == "suspended"
    paid = [p.month for p in await payments(cq.pool, person.person_ref)]
    assert paid[-1] == "2027-05"

    cq.set_day(date(2027, 7, 15))
    await cq.verify(person.id_number, date(2027, 7, 15))
    await cq.run("2027-07")

    resumed = await cq.allowance(person.person_ref)
    assert resumed.state == "active"
    paid_after = await payments(cq.pool, person.person_ref)
    assert [(p.month, p.kind) for p in paid_after[-2:]] == [
        ("2027-06", "back-pay"),
        ("2027-07", "regular"),
    ]
    assert "cn.chengyu.elder.allowance-resumed.v1" in await cq.outbox_types()


async def test_no_verification_within_the_window_terminates_the_allowance(
    cq: AllowanceCity,
) -> None:
    person = await add_elder(cq.pool, date(1940, 1, 1), 1, registered_from="2026-03")

    await cq.runs("2026-03", "2027-10")

    view = await cq.allowance(person.person_ref)
    assert view.state == "terminated"
    assert [p.month for p in await payments(cq.pool, person.person_ref)][-1] == "2027-05"
    types = await cq.outbox_types()
    assert types.count("cn.chengyu.elder.allowance-suspended.v1") == 1
    assert types.count("cn.chengyu.elder.allowance-terminated.v1") == 1
