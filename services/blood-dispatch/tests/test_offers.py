"""Offers: never an incompatible unit, only green lines and only down to the target,
first-expiring first among the units with the remaining shelf life on arrival, as much as
can be spared (partial) and nothing when nothing can."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from fractions import Fraction

import pytest
from blood_rule_builders import CQ, T0, unit
from hypothesis import given, settings
from hypothesis import strategies as st
from test_compatibility import oracle

from chengyu_blood_dispatch.blood_groups import GROUPS, PRODUCTS, BloodGroup, Product, StockKey
from chengyu_blood_dispatch.compatibility import may_give
from chengyu_blood_dispatch.levels import LEVELS, Level
from chengyu_blood_dispatch.offers import (
    LineView,
    OfferRequest,
    eligible_units,
    plan_offer,
    spare_of,
)
from chengyu_blood_dispatch.policy import CityPolicy
from chengyu_blood_dispatch.unit import BloodUnit
from chengyu_contracts.domain_error import DomainError

DAY = timedelta(days=1)
NOW = T0 + 2 * DAY
ARRIVAL = NOW + timedelta(hours=5)
NO_SUBSTITUTES = replace(CQ, substitution=dict.fromkeys(PRODUCTS, False))
O_POS = BloodGroup("O", "pos")


def request(
    quantity: int, group: BloodGroup = O_POS, product: Product = "red-cells"
) -> OfferRequest:
    return OfferRequest(product, group, quantity, NOW, ARRIVAL)


def line(units: list[BloodUnit], daily: int = 1, level: Level = "green") -> LineView:
    return LineView(level, tuple(units), Fraction(daily))


def test_only_the_surplus_above_the_target_first_expiring_first() -> None:
    # 14 usable O pos red cells at one a day: the target (10 days) keeps 10, 4 are spare.
    units = [unit(n, keeps=timedelta(days=10 + n)) for n in range(14)]
    plan = plan_offer(request(6), {StockKey("red-cells", "O", "pos"): line(units)}, CQ)
    assert plan is not None and plan.partial
    assert [u.din.sequence for u in plan.units] == ["000000", "000001", "000002", "000003"]


def test_units_without_the_remaining_shelf_life_on_arrival_are_left() -> None:
    # Collected at T0: the first keeps until 9 days after T0, i.e. 7 days at NOW but less
    # than 7 at arrival; the second arrives with exactly 7 days left.
    short = unit(1, keeps=9 * DAY)
    exact = unit(2, keeps=9 * DAY + timedelta(hours=5))
    units = [short, exact] + [unit(n, keeps=30 * DAY) for n in range(3, 20)]
    plan = plan_offer(request(2), {StockKey("red-cells", "O", "pos"): line(units)}, CQ)
    assert plan is not None
    assert [u.din.sequence for u in plan.units] == ["000002", "000003"]


def test_a_line_not_green_spares_nothing_and_an_unneeded_line_spares_all() -> None:
    units = [unit(n, keeps=30 * DAY) for n in range(40)]
    key = StockKey("red-cells", "O", "pos")
    for level in LEVELS[1:]:
        assert plan_offer(request(3), {key: line(units, level=level)}, CQ) is None
    assert spare_of(key, line(units, daily=0), NOW, CQ) == 40


def test_identical_first_then_substitutes_and_none_without_the_policy() -> None:
    a_pos = [unit(n, abo="A", keeps=30 * DAY) for n in range(12)]
    o_neg = [unit(n, abo="O", rhd="neg", keeps=20 * DAY) for n in range(100, 115)]
    lines = {
        StockKey("red-cells", "A", "pos"): line(a_pos),
        StockKey("red-cells", "O", "neg"): line(o_neg),
    }
    plan = plan_offer(request(5, BloodGroup("A", "pos")), lines, CQ)
    assert plan is not None
    assert [u.group for u in plan.units] == [BloodGroup("A", "pos")] * 2 + [
        BloodGroup("O", "neg")
    ] * 3
    only_identical = plan_offer(request(5, BloodGroup("A", "pos")), lines, NO_SUBSTITUTES)
    assert only_identical is not None and len(only_identical.units) == 2
    declined = replace(request(5, BloodGroup("A", "pos")), accepts_substitutes=False)
    identical_only = plan_offer(declined, lines, CQ)
    assert identical_only is not None and len(identical_only.units) == 2


@pytest.mark.parametrize(
    ("quantity", "arrival", "code"),
    [(0, ARRIVAL, "bad-quantity"), (1, NOW - timedelta(minutes=1), "arrival-before-now")],
)
def test_a_bad_request_is_refused(quantity: int, arrival: datetime, code: str) -> None:
    bad = replace(request(1), quantity=quantity, arrival=arrival)
    with pytest.raises(DomainError) as refused:
        plan_offer(bad, {}, CQ)
    assert refused.value.code == code


# --- properties ---------------------------------------------------------------------------

# Per group: the line's shown level (green more often than not), its daily issues, and
# its units' expiries (hours from NOW, folded into the product's shelf life or up to two days
# ago: some already expired, some too short to arrive).
line_specs = st.dictionaries(
    st.sampled_from(GROUPS),
    st.tuples(
        st.one_of(st.just("green"), st.sampled_from(LEVELS)),
        st.sampled_from([0, 0, 1, 1, 2, 3]),
        st.lists(st.integers(0, 10_000), min_size=5, max_size=50),
    ),
    min_size=2,
    max_size=8,
)


def _lines(
    product: Product, specs: dict[BloodGroup, tuple[Level, int, list[int]]]
) -> dict[StockKey, LineView]:
    life = CQ.shelf_life(product)
    lines: dict[StockKey, LineView] = {}
    n = 0
    for group, (level, daily, expiries) in specs.items():
        units = []
        for drawn in expiries:
            hours = drawn % (life // timedelta(hours=1) + 48) - 48
            expires = NOW + timedelta(hours=hours)
            units.append(unit(n, product, group.abo, group.rhd, collected_at=expires - life))
            n += 1
        lines[StockKey.of(product, group)] = line(units, daily, level)
    return lines


@settings(max_examples=500)
@given(
    st.sampled_from(PRODUCTS),
    st.data(),
    st.integers(1, 30),
    st.sampled_from([CQ, NO_SUBSTITUTES]),
    st.booleans(),
    line_specs,
)
def test_an_offer_keeps_every_rule(
    product: Product,
    data: st.DataObject,
    quantity: int,
    policy: CityPolicy,
    accepts: bool,
    specs: dict[BloodGroup, tuple[Level, int, list[int]]],
) -> None:
    lines = _lines(product, specs)
    # A recipient with a line of their own often, so that offers are made and not only None.
    recipient = data.draw(st.sampled_from([*specs, *GROUPS]), label="recipient")
    ask = replace(request(quantity, recipient, product), accepts_substitutes=accepts)
    plan = plan_offer(ask, lines, policy)
    offered = () if plan is None else plan.units
    assert plan is None or offered  # nothing offered is None, never an empty offer
    assert len(offered) <= quantity
    assert len({u.din for u in offered}) == len(offered)
    taken = Counter(u.key for u in offered)
    for u in offered:
        # Never an incompatible unit, whatever the policy.
        assert u.product == product
        assert u.group == recipient or oracle(product, u.group, recipient)
        assert may_give(product, u.group, recipient, policy)
        assert u.group == recipient or (accepts and policy.substitution[product])
        # From a green line, and would arrive with the remaining shelf life.
        assert lines[u.key].level == "green"
        assert not u.expired_at(NOW)
        assert u.remaining_at(ARRIVAL) >= policy.min_remaining(product)
    for key, count in taken.items():
        # Never below the offering centre's own target.
        assert count <= spare_of(key, lines[key], NOW, policy)
        # First-expiring first within a group: the offered ones are a prefix of the eligible.
        eligible = eligible_units(key, lines[key], ask, policy)
        assert tuple(u for u in offered if u.key == key) == eligible[:count]
    if plan is None or plan.partial:
        # Could not have taken more: every allowed line gave all it could.
        for key, view in lines.items():
            if may_give(product, key.group, recipient, policy) and (
                key.group == recipient or accepts
            ):
                could = min(
                    spare_of(key, view, NOW, policy), len(eligible_units(key, view, ask, policy))
                )
                assert taken.get(key, 0) == could
