"""The 12333 request's state machine: every (state, step) pair of the table is allowed
and lands where the table says, every other pair is refused with ``illegal-transition``;
what each step records; extensions one at a time and decided once."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hotline_builders import AT, hotline_request

from chengyu_contracts.domain_error import Conflict, NotFound
from chengyu_job_matching.hotline.request import (
    STATES,
    TRANSITIONS,
    AskExtension,
    Close,
    DecideExtension,
    Extension,
    HotlineRequest,
    HotlineState,
    HotlineStep,
    Reforward,
    Reopen,
    Resolve,
    Return,
    Sign,
    apply,
    waiting_for,
)

LATER = AT + timedelta(hours=2)
PENDING = Extension("ext-1", 2, "需调取外地档案", AT)

STEPS: dict[type[HotlineStep], HotlineStep] = {
    Sign: Sign(LATER, date(2026, 2, 24)),
    Return: Return(LATER, "不属本市管辖"),
    Reforward: Reforward(LATER, date(2026, 2, 25)),
    AskExtension: AskExtension(LATER, "ext-2", 3, "需要会商"),
    DecideExtension: DecideExtension(LATER, "ext-1", True, date(2026, 2, 26)),
    Resolve: Resolve(LATER, "已告知办理流程"),
    Close: Close(LATER, "satisfied"),
    Reopen: Reopen(LATER, "dissatisfied", date(2026, 3, 3)),
}


def before(state: HotlineState, step: HotlineStep) -> HotlineRequest:
    """A request in ``state``; one waiting for a decision on ext-1 when ``step`` decides."""
    request = hotline_request(state)
    if isinstance(step, DecideExtension):
        return replace(request, extensions=(PENDING,))
    return request


@pytest.mark.parametrize(
    ("state", "kind"),
    [pytest.param(s, k, id=f"{s}-{k.__name__}") for s, k in itertools.product(STATES, STEPS)],
)
def test_each_pair_is_allowed_exactly_as_the_table_says(
    state: HotlineState, kind: type[HotlineStep]
) -> None:
    step = STEPS[kind]
    target = TRANSITIONS.get((state, kind))
    if target is None:
        with pytest.raises(Conflict) as refused:
            apply(before(state, step), step)
        assert refused.value.code == "illegal-transition"
        assert state in refused.value.sentence
    else:
        after = apply(before(state, step), step)
        assert after.state == target
        assert after.history[-1].at == LATER


def test_closed_takes_no_step_and_returned_only_records_a_crossing_reforward() -> None:
    assert not [k for (s, k) in TRANSITIONS if s == "closed"]
    assert [k for (s, k) in TRANSITIONS if s == "returned"] == [Reforward]
    crossed = apply(hotline_request("returned"), STEPS[Reforward])
    assert (crossed.state, crossed.attempt) == ("returned", 2)


def test_a_reforward_crossing_a_signature_records_the_attempt_and_keeps_the_signature() -> None:
    crossed = apply(hotline_request("signed"), STEPS[Reforward])
    assert (crossed.state, crossed.attempt, crossed.signed_attempt) == ("signed", 2, 1)
    assert crossed.resolve_by == date(2026, 2, 24)


def test_signing_records_the_attempt_and_the_deadline() -> None:
    after = apply(hotline_request(attempt=2), STEPS[Sign])
    assert (after.signed_at, after.signed_attempt, after.resolve_by) == (
        LATER,
        2,
        date(2026, 2, 24),
    )
    crossed = apply(hotline_request(attempt=2), Sign(LATER, date(2026, 2, 24), attempt=1))
    assert crossed.signed_attempt == 1


def test_a_reforward_is_the_next_attempt_with_a_new_sign_by() -> None:
    after = apply(hotline_request(), STEPS[Reforward])
    assert (after.attempt, after.sign_by, after.forwarded_at) == (2, date(2026, 2, 25), LATER)
    assert after.first_sign_by == date(2026, 2, 14)
    assert after.history[-1].step == "reforwarded"


def test_an_approved_extension_moves_resolve_by_a_refused_one_does_not() -> None:
    pending = replace(hotline_request("signed"), extensions=(PENDING,))
    approved = apply(pending, STEPS[DecideExtension])
    assert approved.resolve_by == date(2026, 2, 26)
    assert approved.extension("ext-1").state == "approved"
    refused = apply(pending, DecideExtension(LATER, "ext-1", False, date(2026, 2, 24)))
    assert refused.resolve_by == date(2026, 2, 24)
    assert refused.extension("ext-1").state == "refused"


def test_one_extension_waits_at_a_time_and_is_decided_once() -> None:
    pending = replace(hotline_request("signed"), extensions=(PENDING,))
    with pytest.raises(Conflict) as waiting:
        apply(pending, STEPS[AskExtension])
    assert waiting.value.code == "extension-pending"
    with pytest.raises(Conflict) as same:
        apply(pending, AskExtension(LATER, "ext-1", 1, "again"))
    assert same.value.code == "duplicate-extension"
    decided = apply(pending, STEPS[DecideExtension])
    with pytest.raises(Conflict) as twice:
        apply(decided, STEPS[DecideExtension])
    assert twice.value.code == "extension-decided"
    with pytest.raises(NotFound) as unknown:
        apply(decided, DecideExtension(LATER, "ext-9", True, date(2026, 3, 1)))
    assert unknown.value.code == "unknown-extension"


def test_a_reopened_request_counts_the_reopening_and_waits_again() -> None:
    after = apply(hotline_request("resolved"), STEPS[Reopen])
    assert (after.state, after.reopens, after.resolve_by) == ("reopened", 1, date(2026, 3, 3))
    assert waiting_for(after) == ("resolve", date(2026, 3, 3))


def test_what_each_state_waits_for() -> None:
    assert waiting_for(hotline_request()) == ("sign", date(2026, 2, 14))
    assert waiting_for(hotline_request("signed")) == ("resolve", date(2026, 2, 24))
    for state in ("resolved", "returned", "closed"):
        assert waiting_for(hotline_request(state)) is None
