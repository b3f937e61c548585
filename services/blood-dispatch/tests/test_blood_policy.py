"""The blood-dispatch policy: WS 399 defaults, both cities in the book, a policy missing a
product or with disordered thresholds refused when built."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from chengyu_blood_dispatch.blood_groups import Product
from chengyu_blood_dispatch.policy import (
    ILLUSTRATIVE_THRESHOLDS,
    WS399_SHELF_LIFE_DAYS,
    CityPolicy,
    LevelThresholds,
    TemperatureRange,
    default_policy_book,
)


def test_the_book_has_both_cities_which_differ_a_little() -> None:
    book = default_policy_book()
    cq = book.policy_for("cq", date(2026, 3, 1))
    cd = book.policy_for("cd", date(2026, 3, 1))
    assert cq.deadline("urgent", "offer") == timedelta(minutes=15)
    assert cd.deadline("urgent", "offer") == timedelta(minutes=20)
    assert cq.shelf_life("platelets") == cd.shelf_life("platelets") == timedelta(days=5)
    assert cq.shelf_life("red-cells") == timedelta(days=35)
    assert cq.shelf_life("plasma") == timedelta(days=365)
    assert cq.min_remaining("red-cells") == timedelta(days=7)
    assert cq.min_remaining("platelets") == timedelta(days=1)


def test_storage_ranges_of_ws_399() -> None:
    policy = CityPolicy("cq", date(2025, 1, 1))
    assert policy.storage["red-cells"].holds(20, 60)
    assert not policy.storage["red-cells"].holds(19, 60)
    assert not policy.storage["red-cells"].holds(20, 61)
    assert policy.storage["platelets"].agitation
    assert policy.storage["platelets"].holds(200, 240)
    assert not policy.storage["platelets"].holds(195, 230)
    assert policy.storage["plasma"].holds(-400, -180)
    assert not policy.storage["plasma"].holds(-400, -179)
    assert str(policy.storage["cryo"]) == "at most -18 °C"
    assert str(policy.storage["whole-blood"]) == "2 °C to 6 °C"


def test_a_policy_missing_a_product_is_refused() -> None:
    shelf: dict[Product, int] = {k: v for k, v in WS399_SHELF_LIFE_DAYS.items() if k != "cryo"}
    with pytest.raises(ValueError, match="cryo"):
        CityPolicy("cq", date(2025, 1, 1), shelf_life_days=shelf)


def test_disordered_thresholds_are_refused() -> None:
    with pytest.raises(ValueError):
        LevelThresholds(Decimal(3), Decimal(5), Decimal(1))
    with pytest.raises(ValueError):
        TemperatureRange(60, 20)
    with pytest.raises(ValueError):
        CityPolicy("xx", date(2025, 1, 1))  # type: ignore[arg-type]


def test_the_policy_is_frozen_data() -> None:
    thresholds = dict(ILLUSTRATIVE_THRESHOLDS)
    policy = CityPolicy("cd", date(2025, 1, 1), thresholds=thresholds)
    thresholds.pop("cryo")
    assert "cryo" in policy.thresholds
