"""Both cities on real PostgreSQL, events handed across through the kit's real inbox in
chosen orders: the cross-city ledger, the one-retirement-city rule in both orders of
competing claims, review flags after a determination, and care recognition around the
moderate-level effective date."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
from insurance_years_bus import (
    Bus,
    MedCity,
    of_type,
    payloads,
    ref,
    resident,
    two_cities,
)

from chengyu_contracts.cities import City
from chengyu_contracts.events.medins import (
    CareAssessmentRecognised,
    CareAssessmentRefused,
    ContributionYearsAccrued,
    RetirementCityClaimed,
    RetirementCityDetermined,
    RetirementCityRefused,
    RetirementReviewFlagged,
)
from chengyu_insurance_years import usecases
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.unit import Actor

pytestmark = pytest.mark.integration

ALICE = resident(11)  # male
BETTY = resident(12, "female")


@pytest.fixture
async def cities(postgres: LocalPostgres) -> AsyncIterator[tuple[MedCity, MedCity, Bus]]:
    async for trio in two_cities(postgres):
        yield trio


def shown(report: usecases.LedgerReport) -> tuple[object, ...]:
    """What both cities must agree on for a person: every period's current version and the
    totals."""
    return (
        report.ledger.periods,
        report.totals,
        report.cumulative_by_policy,
        None if report.determination is None else report.determination.determination,
        [(f.flag, f.period_version, f.request_id) for f in report.flags],
    )


async def career_in_both(cq: MedCity, cd: MedCity, bus: Bus, person: str = ALICE) -> None:
    """192 months in Chongqing, then 249 in Chengdu up to the retirement: either city's
    policy would determine (cq: 300 and 120 in cq; cd: 360 and 180 in cd)."""
    await cq.record(person, "1990-01", "2005-12")
    await cd.record(person, "2006-01", "2026-09")
    await bus.settle()


# -- the ledger -----------------------------------------------------------------------------------


async def test_both_cities_hold_the_same_ledger_and_count_a_month_paid_twice_once(
    cities: tuple[MedCity, MedCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.record(ALICE, "2010-01", "2015-12")
    await cd.record(ALICE, "2015-07", "2020-06")  # 2015-07..12 paid in both cities
    await cq.record(ALICE, "1985-01", "1989-12", kind="deemed")
    await bus.settle()

    here, there = await cq.ledger(ALICE), await cd.ledger(ALICE)
    assert shown(here) == shown(there)
    totals = here.totals
    assert (totals.city("cq").actual, totals.city("cd").actual) == (72, 60)
    assert totals.months_in_both == 6
    assert totals.actual_months == 126
    assert totals.deemed_months == 60
    # Chongqing counts deemed years, Chengdu does not (illustrative default policies).
    assert here.cumulative_by_policy == {"cq": 186, "cd": 126}
    assert {p.city for p in here.ledger.periods} == {"cq", "cd"}


async def test_each_city_shows_who_recorded_a_version_the_other_names_only_the_office(
    cities: tuple[MedCity, MedCity, Bus],
) -> None:
    cq, cd, bus = cities
    clerk = Actor(kind="clerk", subject="mi-clerk-12", agency="mi", city="cq")
    command = usecases.RecordPeriod(ALICE, "2010-01", "2015-12", "actual")
    async with cq.unit(actor=clerk, request_id="req-period-1") as unit:
        recorded = await usecases.record_period(command, unit, cq.book)
    await bus.settle()

    here = await cq.history(recorded.period.period_id)
    there = await cd.history(recorded.period.period_id)
    assert [(v.recorded_by, v.request_id) for v in here] == [("cq/mi/mi-clerk-12", "req-period-1")]
    office = clerk.reference(cq.person_ref_key)
    assert [(v.recorded_by, v.request_id) for v in there] == [(office, None)]
    assert office.startswith("cq/mi/c") and "mi-clerk-12" not in office


async def test_versions_out_of_order_and_twice_leave_the_highest_and_change_nothing_more(
    cities: tuple[MedCity, MedCity, Bus],
) -> None:
    cq, cd, bus = cities
    first = await cq.record(ALICE, "2010-01", "2015-12")
    await cq.correct(first.period_id, "2010-01", "2016-06")
    await cq.cancel(first.period_id)
    versions = await bus.publish(cq)
    assert [e.version for e in payloads(versions, ContributionYearsAccrued)] == [1, 2, 3]

    # Chengdu gets the cancellation first, then the older versions, then all of them again.
    await bus.deliver(cd, [versions[2]])
    await bus.deliver(cd, [versions[0]])
    await bus.deliver(cd, [versions[1]])
    again = await bus.deliver(cd, versions)
    assert again.duplicates == 3
    report = await cd.ledger(ALICE)
    [period] = report.ledger.periods
    assert (period.version, period.cancelled) == (3, True)
    assert report.totals.actual_months == 0
    history = await cd.history(first.period_id)
    assert [v.period.version for v in history] == [1, 2, 3]
    # Every version is kept, in the order it arrived, also the late ones.
    arrival = sorted(history, key=lambda v: v.received_at)
    assert [v.period.version for v in arrival] == [3, 1, 2]
    await bus.deliver(cq, versions)
    assert shown(await cq.ledger(ALICE)) == shown(report)
    assert bus.dead == []


async def test_versions_of_one_period_in_one_batch_are_each_kept_and_the_highest_counts(
    cities: tuple[MedCity, MedCity, Bus],
) -> None:
    cq, cd, bus = cities
    first = await cq.record(ALICE, "2010-01", "2015-12")
    await cq.correct(first.period_id, "2010-01", "2016-06")
    await cq.cancel(first.period_id)
    versions = await bus.publish(cq)
    # One batch: each version sees the one before it in the batch (the consumer defers
    # only history rows), and version 2 arrives after version 3 replaced it.
    outcome = await bus.deliver(cd, [versions[0], versions[2], versions[1]])
    assert (outcome.applied, outcome.dead_lettered) == (3, 0)
    assert [v.period.version for v in await cd.history(first.period_id)] == [1, 2, 3]
    [period] = (await cd.ledger(ALICE)).ledger.periods
    assert (period.version, period.cancelled) == (3, True)
    assert bus.dead == []


async def test_a_second_copy_of_a_version_under_a_new_event_id_changes_nothing(
    cities: tuple[MedCity, MedCity, Bus],
) -> None:
    cq, cd, bus = cities
    period = await cq.record(ALICE, "2010-01", "2015-12")
    await bus.settle()
    before = await cd.ledger(ALICE)
    # The bureau's system publishes the same version again (a retry after a timeout): a new
    # event id, so the inbox does not catch it; the version rule does.
    await cq.pool.execute(
        "INSERT INTO outbox (topic, key, value, header_names, header_values, event_id)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        *_row(cq.issuer.issue(ContributionYearsAccrued(**_accrual_fields(period)))),
    )
    await bus.settle()
    assert shown(await cd.ledger(ALICE)) == shown(before)
    assert await cd.count("contribution_period_version") == 1
    assert bus.dead == []


async def test_a_conflicting_version_and_a_version_in_the_other_citys_name_are_dead_lettered(
    cities: tuple[MedCity, MedCity, Bus],
) -> None:
    cq, cd, bus = cities
    period = await cq.record(ALICE, "2010-01", "2015-12")
    await bus.settle()
    before = await cd.ledger(ALICE)
    fields = _accrual_fields(period)
    # Version 1 again, with other months: a bureau must publish a version 2 instead.
    forged_months = cq.issuer.issue(ContributionYearsAccrued(**{**fields, "end_month": "2016-12"}))
    # Chengdu's key signing a period said to be recorded in Chongqing (another person, so
    # that the kit does not merely hold it behind the first one's parked event).
    in_cq_name = cd.issuer.issue(
        ContributionYearsAccrued(
            **{**fields, "period_id": "per-cq-forged", "person_ref": ref(BETTY)}
        )
    )
    for record in (forged_months, in_cq_name):
        await cd.pool.execute(
            "INSERT INTO outbox (topic, key, value, header_names, header_values, event_id)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            *_row(record),
        )
    await bus.settle()
    assert sorted(bus.dead_reasons()) == [
        "conflicting-version",
        "conflicting-version",
        "wrong-issuing-city",
        "wrong-issuing-city",
    ]
    assert shown(await cd.ledger(ALICE)) == shown(before)
    assert shown(await cq.ledger(ALICE)) == shown(before)


def _accrual_fields(period: object) -> dict[str, object]:
    from chengyu_insurance_years.wire import accrual_event

    return accrual_event(period).model_dump()  # type: ignore[arg-type]


def _row(record: object) -> tuple[object, ...]:
    from chengyu_kit.outbox import OutgoingRecord

    assert isinstance(record, OutgoingRecord)
    return (
        record.topic,
        record.key,
        record.value,
        [name for name, _ in record.headers],
        [value for _, value in record.headers],
        record.event_id,
    )


# -- one retirement city -------------------------------------------------------------------------


@pytest.mark.parametrize("first", ["cq", "cd"])
async def test_two_competing_claims_the_first_in_the_log_wins_in_both_cities(
    cities: tuple[MedCity, MedCity, Bus], first: City
) -> None:
    cq, cd, bus = cities
    await career_in_both(cq, cd, bus)
    by_city = {"cq": cq, "cd": cd}
    winner, loser = by_city[first], by_city["cd" if first == "cq" else "cq"]
    # Each city's clerk asks for their own city at the same time; the log puts the claim
    # of ``first`` before the other.
    won = await winner.request_retirement(ALICE, winner.city)
    lost = await loser.request_retirement(ALICE, loser.city)
    claims = [*(await bus.publish(winner)), *(await bus.publish(loser))]
    assert [c.chosen_city for c in payloads(claims, RetirementCityClaimed)] == [
        winner.city,
        loser.city,
    ]

    # The loser's city reads both claims before the winner's decision is on the log: it
    # must not decide its own claim yet.
    await bus.deliver(loser)
    waiting = await loser.claim(lost)
    assert waiting.state == "pending"
    assert "earlier" in (usecases.waiting_for(waiting, loser.city) or "")
    await bus.settle()

    for city in (cq, cd):
        assert (await city.claim(won)).state == "determined", city.city
        refused = await city.claim(lost)
        assert (refused.state, refused.code, refused.determined_city) == (
            "refused",
            "retirement-city-already-determined",
            winner.city,
        ), city.city
        report = await city.ledger(ALICE)
        assert report.determination is not None
        assert report.determination.determination.city == winner.city
        assert report.determination.request_id == won
    assert shown(await cq.ledger(ALICE)) == shown(await cd.ledger(ALICE))
    assert len(payloads(bus.log, RetirementCityDetermined)) == 1
    assert len(payloads(bus.log, RetirementCityRefused)) == 1
    assert bus.dead == []


@pytest.mark.parametrize("first", ["cq", "cd"])
async def test_competing_claims_delivered_in_every_interleaving_still_have_one_winner(
    cities: tuple[MedCity, MedCity, Bus], first: City
) -> None:
    cq, cd, bus = cities
    await career_in_both(cq, cd, bus)
    by_city = {"cq": cq, "cd": cd}
    a, b = by_city[first], by_city["cd" if first == "cq" else "cq"]
    first_id = await a.request_retirement(ALICE, a.city)
    second_id = await b.request_retirement(ALICE, b.city)
    await bus.publish(a)
    await bus.publish(b)
    # Each city reads one record at a time, alternating, each publishing what it decided
    # right away, so decisions land on the log between the claims' deliveries.
    while True:
        moved = False
        for city in (b, a):
            await bus.publish(city)
            unread = bus.log[bus.read.get(city.city, 0) :]
            if unread:
                bus.read[city.city] = bus.read.get(city.city, 0) + 1
                await bus.deliver(city, unread[:1])
                moved = True
        if not moved:
            break
    for city in (cq, cd):
        assert (await city.claim(first_id)).state == "determined"
        assert (await city.claim(second_id)).code == "retirement-city-already-determined"
    assert len(payloads(bus.log, RetirementCityDetermined)) == 1


async def test_a_refused_first_claim_lets_the_next_one_be_decided_on_its_own_merits(
    cities: tuple[MedCity, MedCity, Bus],
) -> None:
    cq, cd, bus = cities
    # Betty (female): 249 months, all in Chongqing. Chengdu needs 300 and 180 there.
    await cq.record(BETTY, "2006-01", "2026-09")
    await bus.settle()
    to_chengdu = await cq.request_retirement(BETTY, "cd")
    to_chongqing = await cq.request_retirement(BETTY, "cq")
    await bus.publish(cq)
    await bus.deliver(cq)
    # Chengdu decides the first; Chongqing waits for that answer before its own.
    assert (await cq.claim(to_chongqing)).state == "pending"
    await bus.settle()
    for city in (cq, cd):
        refused = await city.claim(to_chengdu)
        assert (refused.state, refused.code, refused.alternative_city) == (
            "refused",
            "requirements-not-met",
            "cq",
        )
        assert refused.reason is not None and "Chongqing would qualify" in refused.reason
        assert refused.shortfalls == [
            {"rule": "cumulative-months", "city": "cd", "required": 300, "counted": 249},
            {"rule": "actual-months-in-city", "city": "cd", "required": 180, "counted": 0},
        ]
        assert (await city.claim(to_chongqing)).state == "determined"


async def test_a_claim_for_the_other_city_is_decided_there_by_its_policy(
    cities: tuple[MedCity, MedCity, Bus],
) -> None:
    cq, cd, bus = cities
    await career_in_both(cq, cd, bus)
    request_id = await cq.request_retirement(ALICE, "cd")
    assert (await cq.claim(request_id)).state == "submitted"
    await bus.settle()
    [decided] = payloads(bus.log, RetirementCityDetermined)
    assert decided.city == "cd"
    assert decided.figures.required_cumulative_months == 360
    assert (decided.figures.cumulative_months, decided.figures.actual_months_in_city) == (441, 249)
    issued_by = {r.value for r in of_type(bus.log, RetirementCityDetermined)}
    assert all(b'"source":"/cd/mi/insurance-years"' in v for v in issued_by if v)


async def test_a_second_request_after_a_determination_is_refused_by_either_city(
    cities: tuple[MedCity, MedCity, Bus],
) -> None:
    cq, cd, bus = cities
    await career_in_both(cq, cd, bus)
    await cq.request_retirement(ALICE, "cq")
    await bus.settle()
    again_here = await cq.request_retirement(ALICE, "cq")
    over_there = await cd.request_retirement(ALICE, "cd")
    await bus.settle()
    for city in (cq, cd):
        for request_id in (again_here, over_there):
            claim = await city.claim(request_id)
            assert (claim.code, claim.determined_city) == (
                "retirement-city-already-determined",
                "cq",
            )
    assert await cq.count("retirement_determination") == 1
    assert await cd.count("retirement_determination") == 1


# -- review after a change of history --------------------------------------------------------------


async def test_changes_of_history_after_a_determination_are_flagged_in_both_cities(
    cities: tuple[MedCity, MedCity, Bus],
) -> None:
    cq, cd, bus = cities
    own = await cq.record(ALICE, "1990-01", "2005-12")
    await cd.record(ALICE, "2006-01", "2026-09")
    await bus.settle()
    await cq.request_retirement(ALICE, "cq")
    await bus.settle()

    # Chengdu records months nobody knew of: Chongqing's figures grow, it flags on reading.
    await cd.record(ALICE, "1985-01", "1989-12")
    await bus.settle()
    # Chongqing cancels its own period: its figures fall below the minimum, flagged at once.
    cancelled = await cq.cancel(own.period_id)
    assert cancelled.flagged is True
    await bus.settle()

    flags = payloads(bus.log, RetirementReviewFlagged)
    assert [f.code for f in flags] == [
        "determination-figures-changed",
        "determination-no-longer-met",
    ]
    assert (
        flags[0].figures_after.cumulative_months == flags[0].figures_before.cumulative_months + 60
    )
    for city in (cq, cd):
        report = await city.ledger(ALICE)
        assert [f.flag.code for f in report.flags] == [f.code for f in flags]
        # The determination stands; a clerk decides what to do.
        assert report.determination is not None and report.determination.determination.city == "cq"
    assert shown(await cq.ledger(ALICE)) == shown(await cd.ledger(ALICE))
    assert bus.dead == []


async def test_a_period_delivered_twice_after_a_determination_is_flagged_once(
    cities: tuple[MedCity, MedCity, Bus],
) -> None:
    cq, cd, bus = cities
    await career_in_both(cq, cd, bus)
    await cd.request_retirement(ALICE, "cd")
    await bus.settle()
    await cq.record(ALICE, "1980-01", "1984-12")
    late = await bus.publish(cq)
    await bus.settle()
    await bus.deliver(cd, late)
    assert await cd.count("retirement_review_flag") == 1
    assert await cq.count("retirement_review_flag") == 1


# -- long-term care ---------------------------------------------------------------------------

# Illustrative defaults: Chengdu recognises moderate assessments from 2025-10-01, Chongqing
# from 2025-07-01.
MODERATE_FROM = {"cd": date(2025, 10, 1), "cq": date(2025, 7, 1)}


@pytest.mark.parametrize("assessing", ["cq", "cd"])
@pytest.mark.parametrize("day_offset", [-1, 0])
async def test_a_moderate_assessment_is_recognised_from_the_other_citys_effective_date(
    cities: tuple[MedCity, MedCity, Bus], assessing: City, day_offset: int
) -> None:
    cq, cd, bus = cities
    by_city = {"cq": cq, "cd": cd}
    there, other = by_city[assessing], by_city["cd" if assessing == "cq" else "cq"]
    effective = MODERATE_FROM[other.city]
    day = date.fromordinal(effective.toordinal() + day_offset)
    for city in (cq, cd):
        city.set_day(day)
    assessment_id = await there.assess(BETTY, "moderate", date(2025, 6, 1), date(2027, 5, 31))
    await bus.settle()
    stored = await there.assessment(assessment_id)
    assert stored.recognition is not None
    assert stored.recognition.recognising_city == other.city
    if day_offset < 0:
        assert (stored.recognition.recognised, stored.recognition.code) == (
            False,
            "level-not-recognised",
        )
        assert f"only from {effective.isoformat()} on" in (stored.recognition.reason or "")
        assert len(payloads(bus.log, CareAssessmentRefused)) == 1
    else:
        assert stored.recognition.recognised is True
        assert stored.recognition.valid_until == date(2027, 5, 31)
        assert len(payloads(bus.log, CareAssessmentRecognised)) == 1
    # Both cities show the same decision.
    assert (await other.assessment(assessment_id)) == stored


async def test_an_expired_assessment_is_refused_and_a_severe_one_recognised(
    cities: tuple[MedCity, MedCity, Bus],
) -> None:
    cq, cd, bus = cities
    for city in (cq, cd):
        city.set_day(date(2026, 1, 1))
    expired = await cq.assess(BETTY, "severe", date(2024, 1, 1), date(2025, 12, 31))
    valid = await cq.assess(BETTY, "severe", date(2025, 1, 1), date(2026, 12, 31))
    await bus.settle()
    _, found = await cq.recognitions(BETTY)
    decisions = {s.assessment.assessment_id: s.recognition for s in found}
    refused, recognised = decisions[expired], decisions[valid]
    assert refused is not None and refused.code == "assessment-expired"
    assert recognised is not None and recognised.recognised is True
    # Delivered again: decided once.
    await bus.deliver(cd, bus.log)
    assert await cd.count("care_recognition") == 2
    assert len(payloads(bus.log, CareAssessmentRecognised)) == 1


async def test_the_person_ref_is_the_same_in_both_cities(
    cities: tuple[MedCity, MedCity, Bus],
) -> None:
    cq, cd, bus = cities
    period = await cd.record(ALICE, "2010-01", "2010-12")
    assert period.person_ref == ref(ALICE)
    await bus.settle()
    assert (await cq.ledger(ALICE)).ledger.periods == ((await cd.ledger(ALICE)).ledger.periods)
