"""The blood plan (pure): time order, nothing in the future, every unit moved once after
its collection, the short lines crossing into orange and red, the service's DIN shape."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from chengyu_blood_dispatch.din import din_for
from chengyu_demo.blood import blood_plan, din

END = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_dins_are_the_services() -> None:
    assert din("cq", 2026, 7) == din_for("cq", 2026, 7).text
    assert din("cd", 2026, 7) == din_for("cd", 2026, 7).text


def test_the_plan_is_in_time_order_and_in_the_past() -> None:
    for days in (14, 30):
        plan = blood_plan(3, end=END, days=days)
        ats = [s.at for s in plan.steps]
        assert ats == sorted(ats) and ats[-1] < END
        assert blood_plan(3, end=END, days=days) == plan


def test_every_unit_is_collected_before_it_moves_and_moves_once() -> None:
    plan = blood_plan(3, end=END)
    collected: dict[str, datetime] = {}
    moved: Counter[str] = Counter()
    for s in plan.steps:
        if s.kind == "collect":
            assert s.din not in collected
            assert s.collected_at is not None and s.collected_at <= s.at
            collected[s.din] = s.at
        else:
            assert collected[s.din] <= s.at
            moved[s.din] += 1
    assert set(moved.values()) == {1}


def test_the_short_lines_are_issued_faster_than_collected() -> None:
    plan = blood_plan(3, end=END)
    for city, (product, abo, rhd) in plan.short.items():
        units = {
            s.din
            for s in plan.steps
            if s.city == city
            and s.kind == "collect"
            and (s.product, s.abo, s.rhd) == (product, abo, rhd)
        }
        issued = [s for s in plan.steps if s.kind == "issue" and s.din in units]
        left = len(units) - len(issued)
        daily = len(issued) / 14
        assert left / daily < 3  # red at the end
