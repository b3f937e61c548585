"""The allowance's state machine, its verification boundaries, and what a payment run owes:
every listed transition and every refused one; suspension, resumption and lapse at the exact
grace and window months; months due never twice, never settled, never another city's, never
beyond the back-pay limit; deaths and what they make recoverable."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import pytest
from elder_allowance_rule_builders import (
    AMOUNTS,
    CITY,
    FIRST_DUE,
    PERSON,
    POLICY_START,
    allowance,
    births,
    book,
    months,
    policy,
)
from hypothesis import assume, given
from hypothesis import strategies as st

from chengyu_contracts.domain_error import Conflict, DomainError
from chengyu_contracts.months import Month, month_range
from chengyu_elder_allowance.allowance.allowance import (
    ALLOWANCE_STATES,
    TERMINATION_REASONS,
    TRANSITIONS,
    Allowance,
    AllowanceState,
    BandChanged,
    Change,
    Resumed,
    Suspended,
    Terminated,
    TerminationReason,
    Verified,
    apply,
    change_band,
    grant,
    review,
    terminate,
    verify,
    withheld,
)
from chengyu_elder_allowance.allowance.eligibility import band_in, monthly_amount
from chengyu_elder_allowance.allowance.payable import (
    Due,
    DueKind,
    first_grant_month,
    last_paid_month_after_death,
    months_due,
    overpaid,
)
from chengyu_elder_allowance.policy import Band, CityPolicy, PolicyBook

BORN_80_IN_2026_03 = date(1946, 2, 14)  # 80 on 2026-02-14: month-after pays from 2026-03

# --- the transition table -----------------------------------------------------------------

#: The state machine as the module docstring states it; any other pair is refused.
EXPECTED: dict[tuple[AllowanceState, type[Change]], AllowanceState] = {
    ("active", Verified): "active",
    ("active", BandChanged): "active",
    ("active", Suspended): "suspended",
    ("active", Terminated): "terminated",
    ("suspended", Resumed): "active",
    ("suspended", BandChanged): "suspended",
    ("suspended", Terminated): "terminated",
    ("terminated", Terminated): "terminated",
}
SAMPLE_CHANGES: dict[type[Change], Change] = {
    Verified: Verified(Month(2028, 1)),
    BandChanged: BandChanged("90-99", Month(2026, 6)),
    Suspended: Suspended(Month(2027, 4), Month(2027, 7)),
    Resumed: Resumed(Month(2027, 4), 2, Month(2028, 5)),
    Terminated: Terminated(Month(2026, 3), "death"),  # before the sample's 2026-06
}
PAIRS = [(state, kind) for state in ALLOWANCE_STATES for kind in SAMPLE_CHANGES]


def test_the_table_is_the_documented_state_machine() -> None:
    assert TRANSITIONS == EXPECTED


@pytest.mark.parametrize(("state", "kind"), [p for p in PAIRS if p in EXPECTED])
def test_every_listed_transition_reaches_its_state(
    state: AllowanceState, kind: type[Change]
) -> None:
    assert apply(allowance(state=state), SAMPLE_CHANGES[kind]).state == EXPECTED[(state, kind)]


@pytest.mark.parametrize(("state", "kind"), [p for p in PAIRS if p not in EXPECTED])
def test_every_other_transition_is_refused(state: AllowanceState, kind: type[Change]) -> None:
    with pytest.raises(DomainError) as refused:
        apply(allowance(state=state), SAMPLE_CHANGES[kind])
    assert refused.value.code == "illegal-transition"


@pytest.mark.parametrize("band", ["80-89", "90-99"])
def test_a_band_change_to_the_same_or_a_lower_band_is_refused(band: Band) -> None:
    with pytest.raises(DomainError) as refused:
        apply(allowance(band="90-99"), BandChanged(band, Month(2026, 6)))
    assert refused.value.code == "illegal-transition"


def test_a_verification_of_a_terminated_allowance_is_a_conflict() -> None:
    with pytest.raises(Conflict) as refused:
        verify(allowance(state="terminated"), date(2026, 7, 1), policy())
    assert refused.value.code == "allowance-terminated"


def test_review_and_band_of_a_terminated_allowance_change_nothing() -> None:
    ended = allowance(state="terminated")
    assert review(ended, Month(2030, 1), policy()) == (ended, None)
    assert change_band(ended, date(1930, 1, 1), Month(2030, 1), policy()) == (ended, None)


# --- granting -------------------------------------------------------------------------------


def test_a_grant_is_active_and_first_verified_an_interval_after_its_first_month() -> None:
    granted = grant(PERSON, CITY, BORN_80_IN_2026_03, Month(2026, 3), Month(2026, 4), policy())
    assert granted.state == "active"
    assert (granted.band, granted.first_month) == ("80-89", Month(2026, 3))
    assert granted.verification_due == Month(2027, 3)


def test_a_grant_before_the_first_paid_month_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        grant(PERSON, CITY, BORN_80_IN_2026_03, Month(2026, 2), Month(2026, 4), policy())
    assert refused.value.code == "not-of-allowance-age"


def test_a_late_grant_takes_the_band_reached_by_the_run() -> None:
    born = date(1936, 5, 17)  # 90-99 from 2026-06 (month-after)
    granted = grant(PERSON, CITY, born, Month(2026, 1), Month(2026, 6), policy())
    assert granted.band == "90-99"


# --- band changes ---------------------------------------------------------------------------


def test_the_band_changes_from_the_new_bands_first_paid_month() -> None:
    born = date(1936, 5, 17)
    before, none = change_band(allowance(), born, Month(2026, 5), policy())
    assert none is None and before.band == "80-89"
    after, changed = change_band(allowance(), born, Month(2026, 8), policy())
    assert changed == BandChanged("90-99", Month(2026, 6))
    assert after.band == "90-99"


@given(births, months)
def test_a_band_change_never_back_pays_the_difference(birth: date, run: Month) -> None:
    """Every month back paid after a band change pays its own band: the months before the
    new band's first paid month keep the lower amount."""
    paying = policy(back_pay_limit_months=24)
    first = first_grant_month(birth, run, None, book(paying), CITY)
    assume(first is not None)
    assert first is not None
    granted = grant(PERSON, CITY, birth, first, run, paying)
    for due in months_due(
        run, granted, birth, None, lambda _: "none", lambda _: True, frozenset(), book(paying), CITY
    ):
        band = band_in(birth, due.month, "month-after")
        assert band is not None
        assert due.amount_fen == AMOUNTS[band]


# --- verification at the exact boundaries ---------------------------------------------------

grace_windows = st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(1, 24)).map(
    lambda t: (min(t[0], t[1]), max(t[0], t[1]), t[2])
)


def paying(grace: int, window: int, interval: int) -> CityPolicy:
    return policy(grace=grace, window=window, interval=interval)


def day_in(month: Month, day: int = 15) -> date:
    return date(month.year, month.month, day)


@given(grace_windows)
def test_payment_continues_through_the_grace_months(gwi: tuple[int, int, int]) -> None:
    grace, window, interval = gwi
    for run in month_range(FIRST_DUE.plus(-1), FIRST_DUE.plus(grace - 1)):
        assert review(allowance(), run, paying(grace, window, interval)) == (allowance(), None)


@given(grace_windows)
def test_the_run_of_the_first_month_past_grace_suspends_from_that_month(
    gwi: tuple[int, int, int],
) -> None:
    grace, window, interval = gwi
    run = FIRST_DUE.plus(grace)
    suspended, change = review(allowance(), run, paying(grace, window, interval))
    assert change == Suspended(FIRST_DUE.plus(grace), FIRST_DUE.plus(window))
    assert suspended.state == "suspended"
    assert withheld(suspended, run) and not withheld(suspended, run.previous())


@given(grace_windows)
def test_a_suspension_stands_through_its_resume_by_month(gwi: tuple[int, int, int]) -> None:
    grace, window, interval = gwi
    suspended, _ = review(allowance(), FIRST_DUE.plus(grace), paying(grace, window, interval))
    assert review(suspended, FIRST_DUE.plus(window), paying(grace, window, interval)) == (
        suspended,
        None,
    )


@given(grace_windows)
def test_the_run_after_resume_by_terminates_before_the_suspended_months(
    gwi: tuple[int, int, int],
) -> None:
    grace, window, interval = gwi
    rules = paying(grace, window, interval)
    suspended, _ = review(allowance(), FIRST_DUE.plus(grace), rules)
    ended, change = review(suspended, FIRST_DUE.plus(window + 1), rules)
    assert change == Terminated(FIRST_DUE.plus(grace - 1), "verification-lapsed")
    assert (ended.state, ended.last_month) == ("terminated", FIRST_DUE.plus(grace - 1))
    assert ended.end_reason == "verification-lapsed"


@given(grace_windows)
def test_a_run_already_past_the_window_terminates_an_active_allowance_at_once(
    gwi: tuple[int, int, int],
) -> None:
    grace, window, interval = gwi
    ended, change = review(allowance(), FIRST_DUE.plus(window + 1), paying(grace, window, interval))
    assert change == Terminated(FIRST_DUE.plus(grace - 1), "verification-lapsed")
    assert withheld(ended, FIRST_DUE.plus(grace))


@given(grace_windows, st.integers(1, 28))
def test_a_verification_in_the_resume_by_month_resumes_with_every_suspended_month(
    gwi: tuple[int, int, int], day: int
) -> None:
    grace, window, interval = gwi
    rules = paying(grace, window, interval)
    suspended, _ = review(allowance(), FIRST_DUE.plus(grace), rules)
    resume_by = FIRST_DUE.plus(window)
    resumed, change = verify(suspended, day_in(resume_by, day), rules)
    assert change == Resumed(
        from_month=FIRST_DUE.plus(grace),
        back_paid_months=window - grace + 1,
        verification_due=resume_by.plus(interval),
    )
    assert resumed.state == "active" and resumed.suspended_from is None
    assert not any(withheld(resumed, m) for m in month_range(FIRST_DUE, resume_by))


@given(grace_windows, st.integers(1, 28))
def test_a_verification_after_the_resume_by_month_is_too_late(
    gwi: tuple[int, int, int], day: int
) -> None:
    grace, window, interval = gwi
    rules = paying(grace, window, interval)
    suspended, _ = review(allowance(), FIRST_DUE.plus(grace), rules)
    ended, change = verify(suspended, day_in(FIRST_DUE.plus(window + 1), day), rules)
    assert change == Terminated(FIRST_DUE.plus(grace - 1), "verification-lapsed")
    assert ended.state == "terminated"


@given(grace_windows, st.integers(0, 6))
def test_a_verification_within_the_window_keeps_an_active_allowance_active(
    gwi: tuple[int, int, int], late: int
) -> None:
    grace, window, interval = gwi
    verified_in = FIRST_DUE.plus(min(late, window))
    kept, change = verify(allowance(), day_in(verified_in), paying(grace, window, interval))
    assert change == Verified(verified_in.plus(interval))
    assert (kept.state, kept.verification_due) == ("active", verified_in.plus(interval))


def test_the_same_verification_twice_changes_nothing_the_second_time() -> None:
    rules = policy()
    suspended, _ = review(allowance(), FIRST_DUE.plus(3), rules)
    resumed, _ = verify(suspended, date(2027, 5, 2), rules)
    assert verify(resumed, date(2027, 5, 2), rules) == (resumed, None)


def test_a_verification_older_than_the_one_applied_changes_nothing() -> None:
    verified, _ = verify(allowance(), date(2026, 12, 20), policy())
    assert verify(verified, date(2026, 11, 3), policy()) == (verified, None)


# --- terminations ---------------------------------------------------------------------------

reasons = st.sampled_from(TERMINATION_REASONS)
states = st.sampled_from(("active", "suspended"))


@given(states, months, reasons)
def test_the_same_termination_twice_changes_nothing(
    state: AllowanceState, last: Month, reason: TerminationReason
) -> None:
    once, first = terminate(allowance(state=state), last, reason)
    assert terminate(once, last, reason) == (once, first)
    assert first == Terminated(last, reason)


@given(states, months, reasons, months, reasons)
def test_of_two_terminations_the_earliest_last_month_stands(
    state: AllowanceState,
    last_a: Month,
    reason_a: TerminationReason,
    last_b: Month,
    reason_b: TerminationReason,
) -> None:
    ended, _ = terminate(allowance(state=state), last_a, reason_a)
    ended, change = terminate(ended, last_b, reason_b)
    assert ended.last_month == change.last_month == min(last_a, last_b)
    assert change.reason_code == (reason_b if last_b < last_a else reason_a)


@given(months, months)
def test_an_active_allowance_withholds_only_before_its_first_month_and_after_its_last(
    month: Month, last: Month
) -> None:
    live = allowance()
    assert withheld(live, month) == (month < live.first_month)
    ended, _ = terminate(live, last, "death")
    assert withheld(ended, month) == (month < live.first_month or month > last)


# --- months due -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """A run month, an allowance in any state, and what the store knows: settled and
    failed months, months another city pays, a death; and the policy's back-pay limit."""

    month: Month
    allowance: Allowance
    birth: date
    died_on: date | None
    others: frozenset[Month]
    settled: frozenset[Month]
    failed: frozenset[Month]
    limit: int
    pay_death_month: bool

    @property
    def book(self) -> PolicyBook:
        return book(policy(back_pay_limit_months=self.limit, pay_death_month=self.pay_death_month))

    def due(self) -> list[Due]:
        return months_due(
            self.month,
            self.allowance,
            self.birth,
            self.died_on,
            lambda _: "dibao",
            lambda month: month not in self.others,
            self.settled,
            self.book,
            CITY,
            self.failed,
        )


@st.composite
def runs(draw: st.DrawFn) -> Run:
    run = draw(st.builds(Month, st.integers(2021, 2030), st.integers(1, 12)))
    near = st.builds(lambda back: run.plus(-back), st.integers(0, 30))
    state = draw(st.sampled_from(ALLOWANCE_STATES))
    suspended_from = draw(near) if state != "active" else None
    live = allowance(
        state=state,
        first_month=draw(near),
        suspended_from=suspended_from,
        resume_by=suspended_from.plus(3) if suspended_from else None,
        last_month=draw(near) if state == "terminated" else None,
    )
    settled = draw(st.frozensets(near, max_size=10))
    return Run(
        month=run,
        allowance=live,
        birth=draw(st.dates(date(1920, 1, 1), date(1950, 12, 31))),
        died_on=draw(st.none() | st.dates(date(2019, 1, 1), date(2030, 12, 31))),
        others=draw(st.frozensets(near, max_size=10)),
        settled=settled,
        failed=draw(st.frozensets(near, max_size=10)) - settled,
        limit=draw(st.integers(0, 24)),
        pay_death_month=draw(st.booleans()),
    )


@given(runs())
def test_no_month_is_due_twice_and_none_after_the_run(run: Run) -> None:
    due_months = [d.month for d in run.due()]
    assert due_months == sorted(set(due_months))
    assert all(m <= run.month for m in due_months)


@given(runs())
def test_no_settled_month_is_due(run: Run) -> None:
    assert not {d.month for d in run.due()} & run.settled


@given(runs())
def test_no_month_another_city_pays_is_due(run: Run) -> None:
    assert not {d.month for d in run.due()} & run.others


@given(runs())
def test_no_month_beyond_the_back_pay_limit_or_before_the_policy_is_due(run: Run) -> None:
    for due in run.due():
        assert due.month >= run.month.plus(-run.limit)
        assert due.month >= Month.of(POLICY_START)


@given(runs())
def test_no_withheld_month_and_no_month_after_death_is_due(run: Run) -> None:
    for due in run.due():
        assert not withheld(run.allowance, due.month)
        if run.died_on is not None:
            death_month = Month.of(run.died_on)
            assert due.month <= death_month
            if not run.pay_death_month:
                assert due.month < death_month


@given(runs())
def test_every_payable_month_of_the_window_is_due_with_its_kind_and_amount(run: Run) -> None:
    expected: list[Due] = []
    start = max(run.month.plus(-run.limit), Month.of(POLICY_START))
    for month in month_range(start, run.month):
        in_force = run.book.for_month(CITY, month)
        assert in_force is not None
        amount = monthly_amount(run.birth, month, "dibao", in_force)
        alive = run.died_on is None or month <= last_paid_month_after_death(run.died_on, in_force)
        payable = month not in run.settled and month not in run.others
        if payable and alive and amount and not withheld(run.allowance, month):
            kind: DueKind = (
                "retry" if month in run.failed else "regular" if month == run.month else "back-pay"
            )
            expected.append(Due(month, amount, kind))
    assert run.due() == expected


def test_back_pay_across_a_policy_change_pays_each_month_under_its_own_policy() -> None:
    raised = policy(effective_from=date(2026, 3, 1), scale=2)
    dues = months_due(
        Month(2026, 4),
        allowance(first_month=Month(2026, 1)),
        date(1940, 1, 1),
        None,
        lambda _: "none",
        lambda _: True,
        frozenset(),
        book(policy(), raised),
        CITY,
    )
    assert [(str(d.month), d.amount_fen, d.kind) for d in dues] == [
        ("2026-01", 10_000, "back-pay"),
        ("2026-02", 10_000, "back-pay"),
        ("2026-03", 20_000, "back-pay"),
        ("2026-04", 20_000, "regular"),
    ]


def test_a_failed_payment_is_due_again_as_a_retry() -> None:
    dues = months_due(
        Month(2026, 4),
        allowance(),
        date(1940, 1, 1),
        None,
        lambda _: "none",
        lambda _: True,
        frozenset({Month(2026, 1), Month(2026, 2)}),
        book(),
        CITY,
        failed=frozenset({Month(2026, 3)}),
    )
    assert [(str(d.month), d.kind) for d in dues] == [("2026-03", "retry"), ("2026-04", "regular")]


def test_a_month_the_policy_pays_nothing_for_is_not_due() -> None:
    # Some places pay the 80-89 band only to 低保/特困 recipients: no zero-fen payments.
    only_assisted = replace(policy(), monthly_fen={**policy().monthly_fen, ("80-89", "none"): 0})
    dues = months_due(
        Month(2026, 3),
        allowance(),
        date(1944, 1, 1),
        None,
        lambda month: "dibao" if month == Month(2026, 2) else "none",
        lambda _: True,
        frozenset(),
        book(only_assisted),
        CITY,
    )
    assert [(str(d.month), d.amount_fen) for d in dues] == [("2026-02", 15_000)]


# --- death ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pay_death_month", "last"), [(True, Month(2026, 3)), (False, Month(2026, 2))]
)
def test_death_in_the_month_of_a_payment(pay_death_month: bool, last: Month) -> None:
    died_on = date(2026, 3, 10)
    rules = policy(pay_death_month=pay_death_month)
    assert last_paid_month_after_death(died_on, rules) == last
    dues = months_due(
        Month(2026, 3),
        allowance(),
        date(1940, 1, 1),
        died_on,
        lambda _: "none",
        lambda _: True,
        frozenset({Month(2026, 1)}),
        book(rules),
        CITY,
    )
    assert [d.month for d in dues] == list(month_range(Month(2026, 2), last))


@pytest.mark.parametrize(
    ("pay_death_month", "months_back", "total"),
    [(True, ["2026-03"], 10_000), (False, ["2026-02", "2026-03"], 20_000)],
)
def test_a_death_reported_after_the_run_makes_exactly_the_later_months_recoverable(
    pay_death_month: bool, months_back: list[str], total: int
) -> None:
    paid = {Month(2026, m): 10_000 for m in (1, 2, 3)}
    last = last_paid_month_after_death(date(2026, 2, 10), policy(pay_death_month=pay_death_month))
    recoverable, amount = overpaid(paid, last)
    assert [str(m) for m in recoverable] == months_back
    assert amount == total


@given(st.dictionaries(months, st.integers(0, 100_000), max_size=24), months)
def test_overpaid_is_exactly_the_months_after_the_last_and_their_total(
    paid: dict[Month, int], last: Month
) -> None:
    recoverable, amount = overpaid(paid, last)
    assert recoverable == sorted(m for m in paid if m > last)
    assert amount == sum(fen for m, fen in paid.items() if m > last)


# --- the first month of an automatic grant --------------------------------------------------


def test_a_long_eligible_person_newly_registered_is_back_paid_the_limit_only() -> None:
    first = first_grant_month(date(1930, 1, 1), Month(2026, 6), None, book(), CITY)
    assert first == Month(2025, 6)


def test_a_person_who_turned_80_in_the_window_starts_at_the_first_paid_month() -> None:
    first = first_grant_month(BORN_80_IN_2026_03, Month(2026, 6), None, book(), CITY)
    assert first == Month(2026, 3)


def test_a_grant_starts_no_earlier_than_the_registration() -> None:
    first = first_grant_month(date(1930, 1, 1), Month(2026, 6), Month(2026, 2), book(), CITY)
    assert first == Month(2026, 2)


def test_a_grant_starts_no_earlier_than_the_citys_first_policy() -> None:
    late = book(policy(effective_from=date(2026, 4, 1)))
    assert first_grant_month(date(1930, 1, 1), Month(2026, 6), None, late, CITY) == Month(2026, 4)


def test_no_grant_before_the_first_paid_month() -> None:
    assert first_grant_month(BORN_80_IN_2026_03, Month(2026, 2), None, book(), CITY) is None


@given(births, months, st.none() | months, st.integers(0, 24))
def test_the_grant_starts_at_the_first_payable_month_of_the_window(
    birth: date, run: Month, registered_from: Month | None, limit: int
) -> None:
    first = first_grant_month(
        birth, run, registered_from, book(policy(back_pay_limit_months=limit)), CITY
    )
    floor = max([run.plus(-limit), Month.of(POLICY_START), *[registered_from or run.plus(-limit)]])
    eligible = [m for m in month_range(floor, run) if band_in(birth, m, "month-after")]
    assert first == (eligible[0] if eligible else None)
