"""Per-city blood-dispatch policy with effective dates: data, never constants in the rules.

A city's policy applies from its ``effective_from`` until the same city's next one
(:class:`chengyu_contracts.policy_book.PolicyBook`). Every field has a default so that a
policy states only what differs:

* shelf lives and storage temperatures default to WS 399-2012 (血液储存要求): red cells
  and whole blood 2-6 °C and 35 days (CPDA-1 / MAP additive solution), platelets
  20-24 °C with continuous agitation and 5 days, fresh frozen plasma and cryoprecipitate
  at -18 °C or colder and 1 year;
* minimum donation intervals default to GB 18467-2011 (献血者健康检查要求);
* everything else (level thresholds, targets, holds, deadlines, remaining shelf life on
  arrival) is an ILLUSTRATIVE DEFAULT, NOT A BLOOD CENTRE'S PUBLISHED FIGURE: plausible
  orders of magnitude for demos and tests until each centre loads its own.

Temperatures are tenths of a degree Celsius in integers (``-180`` is -18.0 °C): a logger's
reading compares exactly, without binary fractions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Final, Literal, TypeVar

from chengyu_contracts.cities import CITIES, CITY_NAMES, City
from chengyu_contracts.policy_book import PolicyBook as DatedPolicyBook

from .blood_groups import PRODUCTS, Product

Urgency = Literal["urgent", "routine"]
URGENCIES: Final[tuple[Urgency, ...]] = ("urgent", "routine")

#: The steps of a dispatch with a deadline each: the offering centre offers, the requesting
#: centre accepts, the offering centre dispatches, the requesting centre receives.
DeadlineStep = Literal["offer", "accept", "dispatch", "receive"]
DEADLINE_STEPS: Final[tuple[DeadlineStep, ...]] = ("offer", "accept", "dispatch", "receive")

#: Whole blood (全血) or apheresis platelets (单采血小板): the two donation kinds whose
#: intervals GB 18467 sets.
DonationKind = Literal["whole-blood", "apheresis"]
DONATION_KINDS: Final[tuple[DonationKind, ...]] = ("whole-blood", "apheresis")

#: The rare phenotypes of the joint registry (特殊稀有血型库). ``RhD-neg`` is every RhD
#: negative donor (about 0.3-0.4 % of Han Chinese); the others are rarer still.
RHD_NEGATIVE_PHENOTYPE: Final = "RhD-neg"
DEFAULT_RARE_PHENOTYPES: Final[tuple[str, ...]] = (
    RHD_NEGATIVE_PHENOTYPE,
    "Rh-null",
    "Jk(a-b-)",
    "Fy(a-b-)",
    "Di(b-)",
)


@dataclass(frozen=True)
class TemperatureRange:
    """A storage range in tenths of a degree Celsius, bounds included; ``None`` is open."""

    lowest: int | None
    highest: int | None
    #: Platelets must be kept moving (continuous agitation), not only warm enough.
    agitation: bool = False

    def __post_init__(self) -> None:
        if self.lowest is None and self.highest is None:
            raise ValueError("a storage range needs at least one bound")
        if self.lowest is not None and self.highest is not None and self.lowest > self.highest:
            raise ValueError("a storage range's lowest bound is above its highest")

    def holds(self, coldest: int, warmest: int) -> bool:
        """Whether a logger that saw ``coldest`` to ``warmest`` stayed within the range."""
        if coldest > warmest:
            raise ValueError("a logger's coldest reading is above its warmest")
        too_cold = self.lowest is not None and coldest < self.lowest
        too_warm = self.highest is not None and warmest > self.highest
        return not (too_cold or too_warm)

    def __str__(self) -> str:
        def degrees(tenths: int) -> str:
            return f"{Decimal(tenths) / 10:f} °C"

        if self.lowest is None and self.highest is not None:
            return f"at most {degrees(self.highest)}"
        if self.highest is None and self.lowest is not None:
            return f"at least {degrees(self.lowest)}"
        assert self.lowest is not None and self.highest is not None
        return f"{degrees(self.lowest)} to {degrees(self.highest)}"


@dataclass(frozen=True)
class LevelThresholds:
    """Days of supply at which a line is green, yellow or orange (each bound included);
    below ``orange_from`` it is red."""

    green_from: Decimal
    yellow_from: Decimal
    orange_from: Decimal

    def __post_init__(self) -> None:
        if not self.green_from >= self.yellow_from >= self.orange_from > 0:
            raise ValueError("level thresholds must fall from green to orange and stay > 0")


K = TypeVar("K")
V = TypeVar("V")


def _frozen(mapping: Mapping[K, V]) -> Mapping[K, V]:
    return MappingProxyType(dict(mapping))


# WS 399-2012: 35 days is red cells and whole blood in CPDA-1 or MAP (21 in ACD-B / CPD).
WS399_SHELF_LIFE_DAYS: Final[Mapping[Product, int]] = _frozen(
    {"whole-blood": 35, "red-cells": 35, "platelets": 5, "plasma": 365, "cryo": 365}
)
WS399_STORAGE: Final[Mapping[Product, TemperatureRange]] = _frozen(
    {
        "whole-blood": TemperatureRange(20, 60),
        "red-cells": TemperatureRange(20, 60),
        "platelets": TemperatureRange(200, 240, agitation=True),
        "plasma": TemperatureRange(None, -180),
        "cryo": TemperatureRange(None, -180),
    }
)
# GB 18467-2011: (previous donation, next donation) -> days at least between them.
GB18467_INTERVAL_DAYS: Final[Mapping[tuple[DonationKind, DonationKind], int]] = _frozen(
    {
        ("whole-blood", "whole-blood"): 180,
        ("whole-blood", "apheresis"): 90,
        ("apheresis", "apheresis"): 14,
        ("apheresis", "whole-blood"): 28,
    }
)


def _thresholds(green: str, yellow: str, orange: str) -> LevelThresholds:
    return LevelThresholds(Decimal(green), Decimal(yellow), Decimal(orange))


# ILLUSTRATIVE: red cells as the issue suggests (>= 7 green, 5-7 yellow, 3-5 orange, < 3 red);
# platelets keep 5 days at most, so their bands are short; frozen products keep a year.
ILLUSTRATIVE_THRESHOLDS: Final[Mapping[Product, LevelThresholds]] = _frozen(
    {
        "whole-blood": _thresholds("7", "5", "3"),
        "red-cells": _thresholds("7", "5", "3"),
        "platelets": _thresholds("3", "2", "1"),
        "plasma": _thresholds("14", "10", "7"),
        "cryo": _thresholds("14", "10", "7"),
    }
)
ILLUSTRATIVE_TARGET_DAYS: Final[Mapping[Product, Decimal]] = _frozen(
    {
        "whole-blood": Decimal(8),
        "red-cells": Decimal(10),
        "platelets": Decimal(4),
        "plasma": Decimal(21),
        "cryo": Decimal(21),
    }
)
# ILLUSTRATIVE: substitutes (another compatible group) allowed for every product but whole
# blood, which compatibility.py already limits to the identical ABO group.
ILLUSTRATIVE_SUBSTITUTION: Final[Mapping[Product, bool]] = _frozen(
    {"whole-blood": False, "red-cells": True, "platelets": True, "plasma": True, "cryo": True}
)
# ILLUSTRATIVE: red cells 7 days and platelets 1 day as the issue suggests; frozen 30 days.
ILLUSTRATIVE_MIN_REMAINING_DAYS: Final[Mapping[Product, int]] = _frozen(
    {"whole-blood": 7, "red-cells": 7, "platelets": 1, "plasma": 30, "cryo": 30}
)
# ILLUSTRATIVE: each step's time from the previous one (offer: from the request; receive:
# from departure, Chongqing-Chengdu being about 4 hours by road).
ILLUSTRATIVE_DEADLINES: Final[Mapping[tuple[Urgency, DeadlineStep], timedelta]] = _frozen(
    {
        ("urgent", "offer"): timedelta(minutes=15),
        ("urgent", "accept"): timedelta(minutes=15),
        ("urgent", "dispatch"): timedelta(hours=1),
        ("urgent", "receive"): timedelta(hours=6),
        ("routine", "offer"): timedelta(hours=4),
        ("routine", "accept"): timedelta(hours=4),
        ("routine", "dispatch"): timedelta(hours=24),
        ("routine", "receive"): timedelta(hours=24),
    }
)


@dataclass(frozen=True)
class CityPolicy:
    """What one city's blood centre applies from ``effective_from`` until its next policy.

    Every mapping is keyed by every product (or every pair it names); a missing key is
    refused when the policy is built, never discovered at a shortage.
    """

    city: City
    effective_from: date
    _: KW_ONLY
    shelf_life_days: Mapping[Product, int] = field(default_factory=lambda: WS399_SHELF_LIFE_DAYS)
    storage: Mapping[Product, TemperatureRange] = field(default_factory=lambda: WS399_STORAGE)
    #: Days of issues averaged for days of supply.
    issue_window_days: int = 14
    #: How far back a centre's information system may report a movement (its ``at``).
    report_window_days: int = 45
    thresholds: Mapping[Product, LevelThresholds] = field(
        default_factory=lambda: ILLUSTRATIVE_THRESHOLDS
    )
    #: Days of supply a centre keeps for itself: it offers only what is above them, and a
    #: low line asks for what reaches them.
    target_days: Mapping[Product, Decimal] = field(default_factory=lambda: ILLUSTRATIVE_TARGET_DAYS)
    #: How long a better level must hold before the shown level improves (no flapping).
    deescalation_hold: timedelta = timedelta(hours=6)
    substitution: Mapping[Product, bool] = field(default_factory=lambda: ILLUSTRATIVE_SUBSTITUTION)
    #: Shelf life a unit must still have when it arrives in the other city.
    min_remaining_days: Mapping[Product, int] = field(
        default_factory=lambda: ILLUSTRATIVE_MIN_REMAINING_DAYS
    )
    deadlines: Mapping[tuple[Urgency, DeadlineStep], timedelta] = field(
        default_factory=lambda: ILLUSTRATIVE_DEADLINES
    )
    #: ILLUSTRATIVE: the journey between the centres, for the shelf life left on arrival.
    transit_time: timedelta = timedelta(hours=6)
    rare_phenotypes: tuple[str, ...] = DEFAULT_RARE_PHENOTYPES
    donation_interval_days: Mapping[tuple[DonationKind, DonationKind], int] = field(
        default_factory=lambda: GB18467_INTERVAL_DAYS
    )

    def __post_init__(self) -> None:
        if self.city not in CITIES:
            raise ValueError(f"unknown city {self.city!r}; expected one of {CITIES}")
        per_product: dict[str, Mapping[Product, object]] = {
            "shelf_life_days": self.shelf_life_days,
            "storage": self.storage,
            "thresholds": self.thresholds,
            "target_days": self.target_days,
            "substitution": self.substitution,
            "min_remaining_days": self.min_remaining_days,
        }
        for name, mapping in per_product.items():
            missing = set(PRODUCTS) - set(mapping)
            if missing:
                raise ValueError(f"{name} lacks {sorted(missing)}")
        for product in PRODUCTS:
            if self.shelf_life_days[product] < 1:
                raise ValueError(f"{product} needs a shelf life of at least one day")
            if not 0 <= self.min_remaining_days[product] < self.shelf_life_days[product]:
                raise ValueError(f"{product}'s remaining shelf life on arrival is out of range")
            if self.target_days[product] <= 0:
                raise ValueError(f"{product} needs a target above zero days")
        if self.issue_window_days < 1:
            raise ValueError("the issue window needs at least one day")
        if self.report_window_days < 0:
            raise ValueError("the report window cannot be negative")
        if self.transit_time < timedelta(0):
            raise ValueError("the transit time cannot be negative")
        if self.deescalation_hold < timedelta(0):
            raise ValueError("the de-escalation hold cannot be negative")
        wanted = {(u, s) for u in URGENCIES for s in DEADLINE_STEPS}
        if wanted - set(self.deadlines):
            raise ValueError(f"deadlines lack {sorted(wanted - set(self.deadlines))}")
        if any(d <= timedelta(0) for d in self.deadlines.values()):
            raise ValueError("a step deadline must be after the step before")
        if RHD_NEGATIVE_PHENOTYPE not in self.rare_phenotypes:
            raise ValueError(f"the rare phenotypes must include {RHD_NEGATIVE_PHENOTYPE}")
        pairs = {(a, b) for a in DONATION_KINDS for b in DONATION_KINDS}
        if pairs - set(self.donation_interval_days):
            raise ValueError("donation intervals lack a pair of donation kinds")
        for name in (*per_product, "deadlines", "donation_interval_days"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    def shelf_life(self, product: Product) -> timedelta:
        """How long ``product`` keeps from collection at most."""
        return timedelta(days=self.shelf_life_days[product])

    @property
    def report_window(self) -> timedelta:
        """How far back a movement may be reported."""
        return timedelta(days=self.report_window_days)

    def min_remaining(self, product: Product) -> timedelta:
        """The shelf life a unit of ``product`` must still have on arrival."""
        return timedelta(days=self.min_remaining_days[product])

    def target(self, product: Product) -> Fraction:
        """The days of supply the centre keeps of each line of ``product``."""
        return Fraction(self.target_days[product])

    def deadline(self, urgency: Urgency, step: DeadlineStep) -> timedelta:
        """The time ``step`` has after the step before, for an ``urgency`` request."""
        return self.deadlines[(urgency, step)]

    def donation_interval(self, previous: DonationKind, following: DonationKind) -> timedelta:
        """The least time from a ``previous`` donation to a ``following`` one."""
        return timedelta(days=self.donation_interval_days[(previous, following)])

    @property
    def city_name(self) -> str:
        """The city's name, for sentences."""
        return CITY_NAMES[self.city]


class PolicyBook(DatedPolicyBook[CityPolicy]):
    """Both cities' blood-dispatch policies over time."""

    subject = "blood-dispatch"


def default_policies() -> tuple[CityPolicy, ...]:
    """Illustrative default policies for Chongqing's and Chengdu's blood centres.

    ILLUSTRATIVE DEFAULTS, NOT THE CENTRES' PUBLISHED FIGURES (shelf lives, storage
    temperatures and donation intervals are the national standards'). The cities differ on
    purpose: Chengdu answers urgent requests within 20 minutes rather than 15, keeps a
    higher platelet target and holds a better level longer before showing it.
    """
    cq = CityPolicy("cq", date(2025, 1, 1))
    cd = CityPolicy(
        "cd",
        date(2025, 1, 1),
        target_days={**ILLUSTRATIVE_TARGET_DAYS, "platelets": Decimal(5)},
        deescalation_hold=timedelta(hours=8),
        deadlines={**ILLUSTRATIVE_DEADLINES, ("urgent", "offer"): timedelta(minutes=20)},
    )
    return (cq, cd)


def default_policy_book() -> PolicyBook:
    """A :class:`PolicyBook` of :func:`default_policies` (ILLUSTRATIVE DEFAULTS)."""
    return PolicyBook(default_policies())
