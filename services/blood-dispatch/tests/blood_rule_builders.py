"""Builders shared by the blood-dispatch rule tests: times, policies and units."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chengyu_blood_dispatch.blood_groups import Abo, Product, Rhd
from chengyu_blood_dispatch.din import din_for
from chengyu_blood_dispatch.policy import CityPolicy, default_policy_book
from chengyu_blood_dispatch.unit import BloodUnit
from chengyu_contracts.cities import City

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CQ: CityPolicy = default_policy_book().policy_for("cq", T0.date())
CD: CityPolicy = default_policy_book().policy_for("cd", T0.date())


def unit(
    sequence: int,
    product: Product = "red-cells",
    abo: Abo = "O",
    rhd: Rhd = "pos",
    *,
    city: City = "cq",
    collected_at: datetime = T0,
    keeps: timedelta | None = None,
) -> BloodUnit:
    """A unit of ``city``'s placeholder facility keeping ``keeps`` (default: its shelf life)."""
    life = keeps if keeps is not None else CQ.shelf_life(product)
    return BloodUnit(
        din_for(city, collected_at.year, sequence),
        product,
        abo,
        rhd,
        collected_at,
        collected_at + life,
    )
