"""A seeded history of both cities' blood centres (pure): collections, issues, discards
and expiries, reported after the fact (each movement with its ``at``) in time order, with
a shortage of one group in each city that the other city can answer.

Used by the end-to-end test (two weeks), the demo (a month) and the benchmark. The plan
never talks to a service; it only says what each centre's information system reports and
when. Per line (red cells of a group in a city): an opening stock released before the
history starts, then each day as many units collected as issued (a steady line stays at
its opening days of supply), except the *short* line, issued heavily in the last days
with nothing collected (it crosses into orange, then red), and the line the other city
answers from, which holds three times the usual stock (it can spare down to its target).
Plasma units close to their expiry are released and expire during the history; a few
units are discarded. Issues take the newest units of a line, so that the first-expiring
units stay for the other city's offers.
"""

from __future__ import annotations

import random
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from chengyu_contracts.cities import CITIES, City

Kind = Literal["collect", "issue", "expire", "discard"]

#: The placeholder facility (FIN) of each city's centre (the service's ``din.py``).
FACILITY: dict[City, str] = {"cq": "X9990", "cd": "X9991"}
RED_CELLS_DAYS = 35
PLASMA_DAYS = 365
#: Each city's short group (the other city holds plenty of it).
SHORT: dict[City, tuple[str, str]] = {"cq": ("A", "pos"), "cd": ("B", "pos")}
STEADY_GROUPS: tuple[tuple[str, str], ...] = (
    ("O", "pos"),
    ("A", "pos"),
    ("B", "pos"),
    ("O", "neg"),
)


def din(city: City, year: int, sequence: int) -> str:
    """A DIN of ``city``'s placeholder facility (13 characters, no check character)."""
    return f"{FACILITY[city]}{year % 100:02d}{sequence:06d}"


@dataclass(frozen=True)
class Step:
    """One movement a centre reports: ``at`` is when it happened."""

    city: City
    kind: Kind
    din: str
    at: datetime
    product: str = "red-cells"
    abo: str = "O"
    rhd: str = "pos"
    collected_at: datetime | None = None
    expires_at: datetime | None = None

    def row(self, line: int = 0) -> dict[str, object]:
        """The unit as ``POST /units`` or a batch row takes it (collections only)."""
        assert self.kind == "collect" and self.collected_at and self.expires_at
        body: dict[str, object] = {
            "din": self.din,
            "product": self.product,
            "abo": self.abo,
            "rhd": self.rhd,
            "collected_at": self.collected_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "at": self.at.isoformat(),
        }
        if line:
            body["line"] = line
        return body


@dataclass(frozen=True)
class BloodPlan:
    """The history in time order, and what it should lead to."""

    start: datetime
    end: datetime
    steps: tuple[Step, ...]
    #: Each city's short line (product, abo, rhd): the other city answers it.
    short: dict[City, tuple[str, str, str]] = field(default_factory=dict)

    def counts(self) -> Counter[tuple[City, Kind]]:
        """Movements per city and kind."""
        return Counter((s.city, s.kind) for s in self.steps)

    def days(self) -> list[list[Step]]:
        """The steps grouped by day of the history (in order)."""
        grouped: dict[int, list[Step]] = {}
        for s in self.steps:
            grouped.setdefault((s.at - self.start).days, []).append(s)
        return [grouped[d] for d in sorted(grouped)]


@dataclass
class _Builder:
    rng: random.Random
    start: datetime
    steps: list[Step] = field(default_factory=list)
    sequence: dict[City, int] = field(default_factory=lambda: dict.fromkeys(CITIES, 0))

    def next_din(self, city: City) -> str:
        self.sequence[city] += 1
        return din(city, self.start.year, self.sequence[city])

    def collect(self, city: City, group: tuple[str, str], at: datetime, **kw: object) -> str:
        product = str(kw.get("product", "red-cells"))
        collected = kw.get("collected_at")
        collected_at = collected if isinstance(collected, datetime) else at - timedelta(hours=6)
        keeps = kw.get("keeps")
        shelf = keeps if isinstance(keeps, timedelta) else timedelta(days=RED_CELLS_DAYS)
        unit = self.next_din(city)
        self.steps.append(
            Step(
                city,
                "collect",
                unit,
                at,
                product,
                group[0],
                group[1],
                collected_at,
                collected_at + shelf,
            )
        )
        return unit

    def move(self, city: City, kind: Kind, unit: str, at: datetime) -> None:
        self.steps.append(Step(city, kind, unit, at))


def blood_plan(seed: int, *, end: datetime, days: int = 14, daily: int = 4) -> BloodPlan:
    """Both cities' history of ``days`` days ending just before ``end`` (a movement is
    never in the future), ``daily`` units of a steady line issued (and collected) a day.
    Issues take the first-expiring unit until the last days, then the newest (so that the
    first-expiring units stay for the other city's offers)."""
    rng = random.Random(seed)
    start = (end - timedelta(days=days, hours=1)).replace(minute=0, second=0, microsecond=0)
    b = _Builder(rng, start)
    opening_at = start - timedelta(hours=2)
    stock: dict[tuple[City, tuple[str, str]], deque[str]] = {}
    for city in CITIES:
        other: City = "cd" if city == "cq" else "cq"
        for group in STEADY_GROUPS:
            # Opening stock in days of supply: the short line 10, what the other city is
            # short of 30, the others 15.
            per_day = 1 if group == ("O", "neg") else daily
            opening = 10 if group == SHORT[city] else 30 if group == SHORT[other] else 15
            stock[(city, group)] = deque(
                b.collect(city, group, opening_at, collected_at=opening_at - timedelta(days=1))
                for _ in range(opening * per_day)
            )
        # Plasma released close to its expiry: it expires during the history.
        for i in range(3):
            expiry = start + timedelta(days=1 + (days - 2) * i // 3, hours=5)
            unit = b.collect(
                city,
                ("AB", "pos"),
                opening_at,
                product="plasma",
                collected_at=expiry - timedelta(days=PLASMA_DAYS),
                keeps=timedelta(days=PLASMA_DAYS),
            )
            b.move(city, "expire", unit, expiry + timedelta(minutes=30))
    heavy_from = days - 4
    for day in range(days):
        morning = start + timedelta(days=day, hours=8)
        newest_first = day >= heavy_from - 1
        for city in CITIES:
            for group in STEADY_GROUPS:
                per_day = 1 if group == ("O", "neg") else daily
                short = group == SHORT[city] and day >= heavy_from
                line = stock[(city, group)]
                for n in range(0 if short else per_day):
                    line.append(b.collect(city, group, morning + timedelta(minutes=n)))
                issued = 2 * per_day if short else per_day
                if group == ("O", "pos") and day % 5 == 2:
                    b.move(city, "discard", line.pop(), morning + timedelta(hours=1))
                    issued -= 1
                for n in range(issued):
                    at = morning + timedelta(hours=2 + rng.random() * 8, minutes=n)
                    b.move(city, "issue", line.pop() if newest_first else line.popleft(), at)
    steps = sorted(b.steps, key=lambda s: (s.at, s.kind != "collect", s.din))
    short_lines = {c: ("red-cells", *SHORT[c]) for c in CITIES}
    return BloodPlan(start, end, tuple(steps), short_lines)


def expected_census(plan: BloodPlan) -> dict[City, Counter[str]]:
    """Per city, units collected and how many the plan itself issues, expires, discards."""
    found: dict[City, Counter[str]] = {c: Counter() for c in CITIES}
    for s in plan.steps:
        found[s.city][s.kind] += 1
    return found
