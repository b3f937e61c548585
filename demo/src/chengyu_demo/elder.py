"""The elder-allowance workload of ``chengyu-demo`` and of the end-to-end test, as pure
data: synthetic elders of both cities, what happens to them month by month (household
moves, deaths, assistance changes, verifications, late registrations with applications in
the other city, capability assessments), the institutions of the map, and the outcome
the policy predicts: which city pays which person which month, and how much, and what
must be recovered after a death recorded late.

:func:`generate_elder_workload` turns a seed into the same workload every time; nothing
here does I/O. ``chengyu_demo.cli_elder`` drives it through both cities' services over
HTTP, and ``tests/test_elder_allowance_e2e.py`` drives a bigger one through real
processes.

A month of the timeline is driven in four steps, and the plan says what goes in which:

1. **register changes** in the paying city: moves out (the move month is this month),
   deaths (some recorded a month or two late), assistance changes (from the month's first
   day); then the bus settles;
2. **arrivals and answers**: each mover is imported by the new city (its registration
   starts the month after the move, as the old city's mirror says: the move is recorded
   first), persons the register missed are imported late by their household city, then
   verifications are recorded (some in the other city) and last month's applications
   are approved by the paying city's clerk; then the bus settles;
3. **the payment runs** of both cities for the month;
4. **applications**: persons the register missed apply in the other city after the run
   (the paying city cannot decide before it holds them: a clerk approves in step 2 of
   the next month, the timeline's last).

A decision grants from the month of the services' own clock (not the timeline's), so the
applications are decided in the timeline's last month, which is today's month.

Everyone is synthetic: resident ID numbers from
:func:`chengyu_contracts.resident_id.synthesize_resident_id`, names ``测试老人0001``,
bank tokens ``tok-…``, phones ``1380000xxxx``. Birth dates put some persons across 80, 90
and 100 during the timeline, with birthdays on the 1st, the last day of a month and 29
February.

The expected payments follow the services' policy data
(:func:`chengyu_elder_allowance.policy.default_policy_book`) and the allowance area's own
pure rules (:mod:`chengyu_elder_allowance.allowance`: ``eligibility``, ``payable``, the
``allowance`` state machine), replayed month by month in the order the timeline drives
the services: the paying city of a month is the household city (the old one through the
move month, the new one from the month after); a band applies from its first month by
the paying city's first-month rule; the amount is the paying city's policy for the band
and the assistance status on the month's first day; a run reviews verifications before it
pays; the death month is paid when the policy says so, and months paid after it become
one recovery claim.
"""

from __future__ import annotations

import calendar
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

from chengyu_contracts.masking import mask_resident_id
from chengyu_contracts.months import Month, month_range
from chengyu_contracts.resident_id import Sex, synthesize_resident_id
from chengyu_demo.fund import CITIES, CITY_REGIONS, City, other_city
from chengyu_elder_allowance.allowance import eligibility
from chengyu_elder_allowance.allowance.allowance import (
    Allowance,
    Suspended,
    grant,
    review,
    terminate,
    verify,
)
from chengyu_elder_allowance.allowance.payable import (
    first_grant_month,
    last_paid_month_after_death,
    months_due,
    overpaid,
)
from chengyu_elder_allowance.policy import (
    Assistance,
    Band,
    CityPolicy,
    PolicyBook,
    default_policy_book,
)

__all__ = [
    "CITY_CENTRES",
    "DEMO_FIRST_MONTH",
    "HOUSEHOLD_DISTRICTS",
    "STORIES",
    "ElderWorkload",
    "ExpectedClaim",
    "ExpectedPayment",
    "MonthPlan",
    "PlannedApplication",
    "PlannedAssessment",
    "PlannedAssistanceChange",
    "PlannedDeath",
    "PlannedElder",
    "PlannedInstitution",
    "PlannedMove",
    "PlannedVerification",
    "Story",
    "assessment_level",
    "band_in",
    "generate_elder_workload",
    "reaches_age_on",
    "story_counts",
]

#: What happens to a person over the timeline (one story each, so each outcome has one
#: cause): ``resident`` nothing but birthdays and verifications; ``moves`` a household
#: move to the other city; ``dies`` a death recorded in its month; ``dies-late`` a death
#: recorded one or two months late (months paid after it are recovered); ``lapses`` a
#: verification missed long enough to be suspended, then made within the window (back
#: pay); ``lapses-out`` never verified again (suspended, then terminated); ``applies``
#: missed by the register, imported late and applying in the other city;
#: ``assistance`` a 低保/特困 status granted or ended during the timeline.
Story = Literal[
    "resident", "moves", "dies", "dies-late", "lapses", "lapses-out", "applies", "assistance"
]
STORIES: tuple[Story, ...] = (
    "resident",
    "moves",
    "dies",
    "dies-late",
    "lapses",
    "lapses-out",
    "applies",
    "assistance",
)
_SHARES: dict[Story, float] = {
    "moves": 0.08,
    "dies": 0.05,
    "dies-late": 0.04,
    "lapses": 0.03,
    "lapses-out": 0.02,
    "applies": 0.04,
    "assistance": 0.05,
}

#: Household districts the plan uses (GB/T 2260): Chongqing's Yuzhong, Shapingba, Yubei,
#: Jiangbei, Nan'an, Jiulongpo; Chengdu's Jinjiang, Wuhou, Shuangliu, Qingyang, Jinniu,
#: Chenghua.
HOUSEHOLD_DISTRICTS: dict[City, tuple[str, ...]] = {
    "cq": ("500103", "500106", "500112", "500105", "500108", "500107"),
    "cd": ("510104", "510107", "510116", "510105", "510106", "510108"),
}
#: Where the map's institutions are scattered around (latitude, longitude).
CITY_CENTRES: dict[City, tuple[float, float]] = {"cq": (29.563, 106.551), "cd": (30.659, 104.066)}
_AREA_CODES: dict[City, str] = {"cq": "023", "cd": "028"}

# Of the people of a story that allows it: share with a 低保 / 特困 status from before the
# timeline, share of verifications recorded in the other city, share with an assessment.
_DIBAO_SHARE = 0.10
_TEKUN_SHARE = 0.05
_VERIFIED_ELSEWHERE = 0.3
_ASSESSED_SHARE = 0.08

AgeGroup = Literal["crosses-80", "in-80s", "crosses-90", "in-90s", "crosses-100", "over-100"]
_AGE_WEIGHTS: dict[AgeGroup, float] = {
    "crosses-80": 0.30,
    "in-80s": 0.32,
    "crosses-90": 0.14,
    "in-90s": 0.12,
    "crosses-100": 0.06,
    "over-100": 0.06,
}


# -- the rules the plan predicts with -------------------------------------------------------


def reaches_age_on(birth: date, age: int) -> date:
    """The day a person born on ``birth`` is ``age`` full years old (周岁), by the
    service's one rule (:func:`~chengyu_elder_allowance.allowance.eligibility.birthday_in`):
    a 29 February birthday is on 28 February in a common year."""
    return eligibility.birthday_in(birth, birth.year + age)


def band_in(birth: date, month: Month, policy: CityPolicy) -> Band | None:
    """The band ``month`` is paid in under ``policy`` (None: not of allowance age yet)."""
    return eligibility.band_in(birth, month, policy.first_month_rule)


def assessment_level(
    total: int, *, coma: bool, dementia: bool, care_risk_events: int, stack: bool = False
) -> tuple[int, int]:
    """The base level by the total (0 完好 at 90; 1 at 66-89; 2 at 46-65; 3 at 30-45; 4 at
    0-29) and the level after GB/T 42195's adjustments (coma: 4; dementia or another mental
    disorder: one up; two or more care-risk events in 30 days: one up; the two raises
    stack only when ``stack``; never beyond 4)."""
    if total == 90:
        base = 0
    elif total >= 66:
        base = 1
    elif total >= 46:
        base = 2
    elif total >= 30:
        base = 3
    else:
        base = 4
    if coma:
        return base, 4
    raises = int(dementia) + int(care_risk_events >= 2)
    if not stack:
        raises = min(raises, 1)
    return base, min(4, base + raises)


# -- the plan -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedElder:
    """A synthetic elder. ``key`` (``e0007``) names them in the plan and in any output;
    the ID number, name, bank token and phone go only to the services' HTTP API."""

    key: str
    resident_id: str
    name: str
    birth_date: date
    sex: Sex
    home_city: City
    district: str
    assistance: Assistance
    assistance_since: date | None
    bank_account_token: str
    phone: str
    story: Story
    #: None: in the first import of the home city; a month: imported late, before that
    #: month's payment run (the register missed them; they applied the month before).
    imported_in: Month | None = None

    def __repr__(self) -> str:
        # Keeps the number and the name out of logs and tracebacks that print a person.
        return (
            f"PlannedElder({self.key}, {mask_resident_id(self.resident_id)},"
            f" {self.home_city}, born {self.birth_date.year}, {self.story})"
        )

    def row(
        self, line: int, *, city: City | None = None, district: str | None = None
    ) -> dict[str, Any]:
        """The person's row of a register import (``POST /register/rows``) at ``line``:
        in the home city, or in ``city``'s ``district`` after a move."""
        return {
            "line": line,
            "id_number": self.resident_id,
            "name": self.name,
            "district": district if district is not None else self.district,
            "assistance": self.assistance if city in (None, self.home_city) else "none",
            "assistance_since": (
                self.assistance_since.isoformat()
                if self.assistance_since is not None and city in (None, self.home_city)
                else None
            ),
            "bank_account_token": self.bank_account_token,
            "phone": self.phone,
        }


@dataclass(frozen=True)
class PlannedMove:
    """The household moves from ``from_city`` to ``to_city`` in ``month``: the old city
    records it before that month's run; the new city imports the person the same month."""

    person: str
    from_city: City
    to_city: City
    month: Month
    new_district: str


@dataclass(frozen=True)
class PlannedDeath:
    """A death on ``died_on``, recorded by ``city`` in ``recorded_in`` before its run."""

    person: str
    city: City
    died_on: date
    recorded_in: Month

    @property
    def late(self) -> bool:
        """Whether the death was recorded after its month's run."""
        return self.recorded_in > Month.of(self.died_on)


@dataclass(frozen=True)
class PlannedAssistanceChange:
    """A 低保/特困 status (or its end: ``none``) from the first day of ``month``."""

    person: str
    city: City
    status: Assistance
    month: Month

    @property
    def since(self) -> date:
        """The day the status starts (``none``: the old one ends the day before)."""
        return date(self.month.year, self.month.month, 1)


@dataclass(frozen=True)
class PlannedVerification:
    """A verification (审验) recorded in ``recorded_in`` in ``month`` before its run."""

    person: str
    recorded_in: City
    paying_city: City
    verified_on: date
    month: Month
    resumes: bool = False  # made after a suspension, within the window


@dataclass(frozen=True)
class PlannedApplication:
    """An application accepted in ``accepted_in`` in ``month`` (after the run), before the
    household (paying) city holds the person; that city imports them and its clerk
    approves it in the next month, before the run."""

    person: str
    accepted_in: City
    household_city: City
    month: Month


@dataclass(frozen=True)
class PlannedAssessment:
    """A capability assessment (GB/T 42195-2022) recorded in ``city``, and the levels it
    must get."""

    person: str
    city: City
    assessed_on: date
    reason: Literal["first", "routine", "immediate", "re-assessment"]
    self_care: int
    basic_mobility: int
    mental_state: int
    perception_and_social: int
    coma: bool
    dementia: bool
    care_risk_events: int
    base_level: int
    level: int

    @property
    def total(self) -> int:
        """The four dimensions' sum (0-90)."""
        return self.self_care + self.basic_mobility + self.mental_state + self.perception_and_social

    def body(self, resident_id: str) -> dict[str, Any]:
        """The ``POST /assessments`` body."""
        return {
            "id_number": resident_id,
            "assessed_on": self.assessed_on.isoformat(),
            "reason": self.reason,
            "self_care": self.self_care,
            "basic_mobility": self.basic_mobility,
            "mental_state": self.mental_state,
            "perception_and_social": self.perception_and_social,
            "coma": self.coma,
            "dementia_or_mental_disorder": self.dementia,
            "care_risk_events_30d": self.care_risk_events,
        }


@dataclass(frozen=True)
class PlannedInstitution:
    """An elder-care institution of the map (public data)."""

    institution_id: str
    city: City
    name: str
    district: str
    address: str
    latitude: float
    longitude: float
    grade: int | None
    beds: int
    nursing_beds: int
    vacancies: int
    phone: str

    def body(self) -> dict[str, Any]:
        """The ``PUT /institutions/{id}`` body."""
        return {
            "name": self.name,
            "district": self.district,
            "address": self.address,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "grade": self.grade,
            "beds": self.beds,
            "nursing_beds": self.nursing_beds,
            "vacancies": self.vacancies,
            "phone": self.phone,
            "closed": False,
        }


@dataclass(frozen=True)
class ExpectedPayment:
    """One payment the services must hold at the end: ``city`` pays ``person``'s
    ``month`` with ``amount_fen`` (``overpaid``: paid after a death recorded late, and
    claimed back)."""

    person: str
    month: Month
    city: City
    amount_fen: int
    overpaid: bool = False


@dataclass(frozen=True)
class ExpectedClaim:
    """The recovery claim (追缴) ``city`` must make after a death recorded late."""

    person: str
    city: City
    months: tuple[Month, ...]
    amount_fen: int


@dataclass(frozen=True)
class ElderWorkload:
    """Everything the elder part does, by month, and what must come of it."""

    seed: int
    today: date
    first_month: Month
    last_month: Month
    elders: tuple[PlannedElder, ...]
    moves: tuple[PlannedMove, ...]
    deaths: tuple[PlannedDeath, ...]
    assistance_changes: tuple[PlannedAssistanceChange, ...]
    verifications: tuple[PlannedVerification, ...]
    applications: tuple[PlannedApplication, ...]
    assessments: tuple[PlannedAssessment, ...]
    institutions: tuple[PlannedInstitution, ...]
    #: Rows the first imports must refuse: (city, row) with the code each gets.
    bad_rows: tuple[tuple[City, dict[str, Any], str], ...]
    payments: tuple[ExpectedPayment, ...]
    claims: tuple[ExpectedClaim, ...]
    _by_key: dict[str, PlannedElder] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_key.update({e.key: e for e in self.elders})

    def elder(self, key: str) -> PlannedElder:
        """The elder of ``key``."""
        return self._by_key[key]

    @property
    def months(self) -> list[Month]:
        """The timeline's months, in order."""
        return list(month_range(self.first_month, self.last_month))

    def first_import(self, city: City) -> list[dict[str, Any]]:
        """``city``'s first register import: its elders not imported late, then the bad
        rows, numbered from line 2 (line 1 is a CSV file's header)."""
        rows = [e.row(0) for e in self.elders if e.home_city == city and e.imported_in is None]
        rows += [row for c, row, _ in self.bad_rows if c == city]
        return [{**row, "line": line} for line, row in enumerate(rows, start=2)]

    def refused_lines(self, city: City) -> dict[int, str]:
        """The lines of ``city``'s first import that must be refused, with their codes."""
        rows = self.first_import(city)
        codes = {r["id_number"]: code for c, r, code in self.bad_rows if c == city}
        return {r["line"]: codes[r["id_number"]] for r in rows if r["id_number"] in codes}

    def in_month(self, month: Month) -> MonthPlan:
        """What happens in ``month``."""
        return MonthPlan(
            month=month,
            moves=[m for m in self.moves if m.month == month],
            deaths=[d for d in self.deaths if d.recorded_in == month],
            assistance_changes=[a for a in self.assistance_changes if a.month == month],
            verifications=[v for v in self.verifications if v.month == month],
            decisions=[a for a in self.applications if a.month.next() == month],
            late_imports=[e for e in self.elders if e.imported_in == month],
            applications=[a for a in self.applications if a.month == month],
        )

    def expected_paid(self) -> dict[tuple[str, Month], ExpectedPayment]:
        """Every payment the services must hold at the end, by person and month."""
        return {(p.person, p.month): p for p in self.payments}

    def story_counts(self) -> Counter[Story]:
        """How many elders follow each story."""
        return Counter(e.story for e in self.elders)


@dataclass(frozen=True)
class MonthPlan:
    """One month of the timeline, step by step (see the module's docstring)."""

    month: Month
    moves: list[PlannedMove]
    deaths: list[PlannedDeath]
    assistance_changes: list[PlannedAssistanceChange]
    verifications: list[PlannedVerification]
    decisions: list[PlannedApplication]
    late_imports: list[PlannedElder]
    applications: list[PlannedApplication]


#: The first month of the demo's year of runs.
DEMO_FIRST_MONTH = Month(2026, 1)


# -- generating it ------------------------------------------------------------------------


def story_counts(elders: int) -> dict[Story, int]:
    """How many elders follow each story: the shares rounded, at least one of each
    special story when there are people for it, the rest ``resident``."""
    counts: dict[Story, int] = {}
    left = elders
    for story, share in _SHARES.items():
        wanted = min(left, max(1, round(elders * share)))
        counts[story] = wanted
        left -= wanted
    counts["resident"] = left
    return counts


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _day_in(rng: random.Random, year: int, month: int) -> date:
    """A birthday in the month: often on the 1st or the last day (the edges the rules must
    get right), else any day."""
    pick = rng.random()
    if pick < 0.25:
        return date(year, month, 1)
    if pick < 0.5:
        return date(year, month, _last_day(year, month))
    return date(year, month, rng.randint(1, _last_day(year, month)))


def _birth_date(rng: random.Random, group: AgeGroup, first: Month, last: Month) -> date:
    """A birth date of ``group`` for a timeline ``first``..``last``: a ``crosses-N``
    person's N-th birthday falls in the timeline's months."""
    crossing = {"crosses-80": 80, "crosses-90": 90, "crosses-100": 100}
    if group in crossing:
        age = crossing[group]
        if age == 90 and rng.random() < 0.15:
            # Born on 29 February: the 90th birthday in a common year is on 28 February.
            for year in range(first.year - 90, last.year - 90 + 1):
                if calendar.isleap(year) and first <= Month(year + 90, 2) < last:
                    return date(year, 2, 29)
        month = Month.from_index(rng.randint(first.index, last.index))
        return _day_in(rng, month.year - age, month.month)
    # Of the age all through the timeline (before its first month, well within the band).
    low, high = {"in-80s": (81, 88), "in-90s": (91, 98), "over-100": (101, 104)}[group]
    month = Month.from_index(first.index - 12 * rng.randint(low, high) - rng.randint(1, 11))
    return _day_in(rng, month.year, month.month)


def _resident_id(rng: random.Random, city: City, birth: date, sex: Sex, seen: set[str]) -> str:
    """A synthetic ID number not yet used, of a county of ``city`` (the birth place)."""
    while True:
        number = synthesize_resident_id(
            rng.choice(CITY_REGIONS[city]), birth, rng.randint(0, 499), sex
        )
        if number not in seen:
            seen.add(number)
            return number


def generate_elder_workload(
    seed: int,
    *,
    today: date,
    elders: int = 300,
    first_month: Month = DEMO_FIRST_MONTH,
    last_month: Month | None = None,
    institutions_per_city: int = 50,
    book: PolicyBook | None = None,
) -> ElderWorkload:
    """The elder workload of ``seed``: ``elders`` persons over the months ``first_month``
    to ``last_month`` (default: the month of ``today``; no date of the plan is after
    ``today``).

    The same arguments give the same workload. Expected outcomes follow ``book``
    (default: the services' default policies).
    """
    if elders > 5000:
        raise ValueError("at most 5000 elders: phones and ID numbers must stay unique")
    book = book if book is not None else default_policy_book()
    last = last_month if last_month is not None else Month.of(today)
    if last < first_month.plus(5):
        raise ValueError("the timeline needs at least six months")
    if last > Month.of(today):
        raise ValueError("the timeline cannot end after today's month")
    rng = random.Random(f"chengyu-demo-elder-{seed}")
    counts = story_counts(elders)
    stories: list[Story] = [s for s, n in counts.items() for _ in range(n)]
    rng.shuffle(stories)
    builder = _Builder(rng, today, first_month, last, book)
    for index, story in enumerate(stories):
        builder.person(f"e{index + 1:04d}", CITIES[index % 2], story)
    builder.bad_rows()
    institutions = tuple(
        _institution(rng, city, number)
        for city in CITIES
        for number in range(1, institutions_per_city + 1)
    )
    payments, claims = builder.expectations()
    return ElderWorkload(
        seed=seed,
        today=today,
        first_month=first_month,
        last_month=last,
        elders=tuple(builder.elders),
        moves=tuple(builder.moves),
        deaths=tuple(builder.deaths),
        assistance_changes=tuple(builder.assistance_changes),
        verifications=tuple(sorted(builder.verifications, key=lambda v: (v.month, v.person))),
        applications=tuple(builder.applications),
        assessments=tuple(builder.assessments),
        institutions=institutions,
        bad_rows=tuple(builder.bad),
        payments=tuple(payments),
        claims=tuple(claims),
    )


@dataclass(frozen=True)
class _Spell:
    """A stretch of one city's household registration within the plan."""

    city: City
    start: Month | None  # None: from before any month either city pays
    end: Month | None  # None: still registered at the end


class _Builder:
    """Draws the persons one story at a time and keeps what each month holds."""

    def __init__(
        self, rng: random.Random, today: date, first: Month, last: Month, book: PolicyBook
    ) -> None:
        self.rng = rng
        self.today = today
        self.first = first
        self.last = last
        self.book = book
        self.seen: set[str] = set()
        self.elders: list[PlannedElder] = []
        self.moves: list[PlannedMove] = []
        self.deaths: list[PlannedDeath] = []
        self.assistance_changes: list[PlannedAssistanceChange] = []
        self.verifications: list[PlannedVerification] = []
        self.applications: list[PlannedApplication] = []
        self.assessments: list[PlannedAssessment] = []
        self.bad: list[tuple[City, dict[str, Any], str]] = []

    # -- policy facts -------------------------------------------------------------------------

    def policy(self, city: City, month: Month) -> CityPolicy | None:
        return self.book.for_month(city, month)

    def any_policy(self, city: City) -> CityPolicy:
        found = self.policy(city, self.first) or self.policy(city, self.last)
        assert found is not None, f"no elder-allowance policy of {city} in the timeline"
        return found

    def first_eligible(self, birth: date, city: City) -> Month:
        """The first month ``city`` would pay (the first band's first paid month by the
        city's first-month rule, not before the city's earliest policy)."""
        own = eligibility.first_paid_month(birth, "80-89", self.any_policy(city).first_month_rule)
        earliest = self.book.earliest_month(city)
        return max(own, earliest) if earliest is not None else own

    @property
    def decision_month(self) -> Month:
        """The month a clerk's decision grants in: the services' clock (today), not the
        timeline's."""
        return Month.of(self.today)

    def grant_of(self, elder: PlannedElder, spell: _Spell) -> tuple[Month, Allowance] | None:
        """The month whose run (or, for a late registration, decision) grants the spell's
        allowance, and the allowance granted, by the allowance area's rules (None: never
        in the timeline). Deaths are not considered: their verifications stop anyway."""
        city = spell.city
        if elder.imported_in is not None:
            # Approved by the household city's clerk in ``imported_in``, on today's clock.
            decided = self.decision_month
            first = first_grant_month(elder.birth_date, decided, spell.start, self.book, city)
            if first is None:
                return None
            policy = self.policy(city, decided) or self.any_policy(city)
            return elder.imported_in, grant("plan", city, elder.birth_date, first, decided, policy)
        earliest = self.first if spell.start is None else max(self.first, spell.start)
        for run in month_range(earliest, self.last):
            in_force = self.policy(city, run)
            first = first_grant_month(elder.birth_date, run, spell.start, self.book, city)
            if in_force is not None and first is not None:
                return run, grant("plan", city, elder.birth_date, first, run, in_force)
        return None

    def day(self, month: Month, latest: int = 28) -> date:
        """A day of ``month`` not after today."""
        chosen = date(month.year, month.month, self.rng.randint(1, latest))
        return min(chosen, self.today)

    # -- persons ------------------------------------------------------------------------------

    def age_group(self, story: Story) -> AgeGroup:
        if story in ("dies-late", "lapses", "lapses-out"):
            # Paid from the timeline's first month: a late death overpays, a lapse lapses.
            return self.rng.choice(("in-80s", "in-90s", "over-100"))
        if story == "applies":
            return "crosses-80"  # a new elder the register missed
        groups = list(_AGE_WEIGHTS)
        return self.rng.choices(groups, weights=[_AGE_WEIGHTS[g] for g in groups])[0]

    def person(self, key: str, home: City, story: Story) -> None:
        rng = self.rng
        group = self.age_group(story)
        birth = _birth_date(rng, group, self.first, self.last)
        imported_in: Month | None = None
        if story == "applies":
            eligible = self.first_eligible(birth, home)
            if eligible < self.first.plus(1) or eligible.plus(4) > self.last:
                # Not enough timeline around the birthday: reach 80 in its middle instead.
                middle = Month.from_index(
                    rng.randint(self.first.plus(1).index, self.last.plus(-4).index)
                )
                birth = _day_in(rng, middle.year - 80, middle.month)
            # Missed by the register until the timeline's last month (decided on today's
            # clock): back pay reaches the eligibility month or the policy's limit.
            imported_in = self.last
        sex: Sex = "male" if rng.random() < 0.45 else "female"
        assistance: Assistance = "none"
        since: date | None = None
        if story in ("resident", "assistance", "dies", "moves") and rng.random() < (
            _DIBAO_SHARE + _TEKUN_SHARE
        ):
            assistance = (
                "dibao" if rng.random() < _DIBAO_SHARE / (_DIBAO_SHARE + _TEKUN_SHARE) else "tekun"
            )
            since = date(rng.randint(2015, self.first.year - 1), rng.randint(1, 12), 1)
        number = int(key[1:])
        elder = PlannedElder(
            key=key,
            resident_id=_resident_id(rng, home, birth, sex, self.seen),
            name=f"测试老人{number:04d}",
            birth_date=birth,
            sex=sex,
            home_city=home,
            district=rng.choice(HOUSEHOLD_DISTRICTS[home]),
            assistance=assistance,
            assistance_since=since,
            bank_account_token=f"tok-{home}-{number:05d}",
            phone=f"1380000{number:04d}",
            story=story,
            imported_in=imported_in,
        )
        self.elders.append(elder)
        spells = [_Spell(home, None, None)]
        if story == "moves":
            month = Month.from_index(
                rng.randint(self.first.plus(1).index, self.last.plus(-2).index)
            )
            to = other_city(home)
            self.moves.append(
                PlannedMove(key, home, to, month, rng.choice(HOUSEHOLD_DISTRICTS[to]))
            )
            spells = [_Spell(home, None, month), _Spell(to, month.next(), None)]
        elif story == "dies":
            month = Month.from_index(rng.randint(self.first.index, self.last.plus(-1).index))
            self.deaths.append(PlannedDeath(key, home, self.day(month), month))
        elif story == "dies-late":
            month = Month.from_index(rng.randint(self.first.index, self.last.plus(-3).index))
            recorded = month.plus(rng.randint(2, 3))  # one or two months paid after it
            self.deaths.append(PlannedDeath(key, home, self.day(month), recorded))
        elif story == "assistance":
            month = Month.from_index(rng.randint(self.first.plus(1).index, self.last.index))
            status: Assistance = rng.choice(("dibao", "tekun"))
            if assistance != "none":
                status = "none"
            self.assistance_changes.append(PlannedAssistanceChange(key, home, status, month))
        if story == "applies":
            assert imported_in is not None
            self.applications.append(
                PlannedApplication(key, other_city(home), home, imported_in.previous())
            )
        self.plan_verifications(elder, spells)
        if story not in ("dies", "dies-late") and rng.random() < _ASSESSED_SHARE:
            self.assessments.append(self.assessment(elder, spells))

    # -- verifications --------------------------------------------------------------------

    def no_verification_from(self, elder: PlannedElder, spell: _Spell) -> Month | None:
        """The first month in which no verification of the spell is made: the move month
        (the move is recorded before the month's verifications), the death month."""
        stops = [m for m in (spell.end,) if m is not None]
        stops += [Month.of(d.died_on) for d in self.deaths if d.person == elder.key]
        return min(stops) if stops else None

    def plan_verifications(self, elder: PlannedElder, spells: Sequence[_Spell]) -> None:
        """One verification per paying spell before it falls due (the month before), or
        the month after the grant when the grant was back-dated past it; the lapsing
        stories skip it (and ``lapses`` verifies within the window instead, two months
        into the suspension)."""
        for spell in spells:
            granted = self.grant_of(elder, spell)
            if granted is None:
                continue
            run, allowance = granted
            due = allowance.verification_due
            stop = self.no_verification_from(elder, spell)
            recorded_in = (
                other_city(spell.city) if self.rng.random() < _VERIFIED_ELSEWHERE else spell.city
            )
            if elder.story in ("lapses", "lapses-out"):
                if elder.story == "lapses":
                    month = self.suspension(allowance, spell.city).from_month.plus(2)
                    self.verifications.append(
                        PlannedVerification(
                            elder.key, recorded_in, spell.city, self.day(month), month, resumes=True
                        )
                    )
                continue
            month = max(due.previous(), run.next())
            if month > self.last or (stop is not None and month >= stop):
                continue
            self.verifications.append(
                PlannedVerification(elder.key, recorded_in, spell.city, self.day(month), month)
            )

    def suspension(self, allowance: Allowance, city: City) -> Suspended:
        """The suspension a missed verification brings: the review of the first run that
        withholds (``verification_due + grace``), by the allowance area's rule."""
        policy = self.any_policy(city)
        withheld_from = allowance.verification_due.plus(policy.verification_grace_months)
        _, change = review(allowance, withheld_from, self.policy(city, withheld_from) or policy)
        assert isinstance(change, Suspended), change
        return change

    def lapse_feasible(self, elder: PlannedElder) -> bool:
        """Whether a lapse of ``elder`` is suspended and resumed within the timeline."""
        granted = self.grant_of(elder, _Spell(elder.home_city, None, None))
        if granted is None:
            return False
        suspended = self.suspension(granted[1], elder.home_city)
        resumed = suspended.from_month.plus(2)
        return resumed <= self.last and resumed <= suspended.resume_by

    # -- assessments, bad rows --------------------------------------------------------------

    def assessment(self, elder: PlannedElder, spells: Sequence[_Spell]) -> PlannedAssessment:
        """An assessment in the city the person lives in at the timeline's end (the other
        city recognises it), with scores around one level's edges."""
        rng = self.rng
        city = spells[-1].city
        total = rng.choice((90, 89, 66, 65, 46, 45, 30, 29, 0, rng.randint(0, 90)))
        parts = [0, 0, 0, 0]
        caps = (32, 15, 28, 15)
        left = total
        for index in rng.sample(range(4), 4):
            parts[index] = min(caps[index], left)
            left -= parts[index]
        coma = rng.random() < 0.05
        dementia = rng.random() < 0.2
        events = rng.choice((0, 0, 1, 2, 3))
        base, level = assessment_level(
            total,
            coma=coma,
            dementia=dementia,
            care_risk_events=events,
            stack=self.any_policy(city).assessment_adjustments_stack,
        )
        return PlannedAssessment(
            person=elder.key,
            city=city,
            assessed_on=self.day(self.last, latest=1),
            reason=rng.choice(("first", "routine", "immediate", "re-assessment")),
            self_care=parts[0],
            basic_mobility=parts[1],
            mental_state=parts[2],
            perception_and_social=parts[3],
            coma=coma,
            dementia=dementia,
            care_risk_events=events,
            base_level=base,
            level=level,
        )

    def bad_rows(self) -> None:
        """Per city: a wrong check digit, a district of the other city, and a person far
        from allowance age; each refused by line with its code."""
        for number, city in enumerate(CITIES, start=1):
            birth = date(1940, 3, number)
            good = _resident_id(self.rng, city, birth, "female", self.seen)
            wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
            young = _resident_id(self.rng, city, date(1970, 5, number), "male", self.seen)
            other = _resident_id(self.rng, city, date(1941, 6, number), "male", self.seen)

            def row(
                resident: str, district: str, tag: str, city: City = city, number: int = number
            ) -> dict[str, Any]:
                return {
                    "line": 0,
                    "id_number": resident,
                    "name": f"测试错误{tag}",
                    "district": district,
                    "assistance": "none",
                    "assistance_since": None,
                    "bank_account_token": f"tok-bad-{city}-{tag}",
                    "phone": f"13900000{number}{len(tag):02d}",
                }

            own = HOUSEHOLD_DISTRICTS[city][0]
            self.bad += [
                (city, row(wrong, own, "1"), "bad-check-digit"),
                (
                    city,
                    row(other, HOUSEHOLD_DISTRICTS[other_city(city)][0], "22"),
                    "unknown-district",
                ),
                (city, row(young, own, "333"), "not-of-register-age"),
            ]

    # -- the expected outcome ---------------------------------------------------------------

    def expectations(self) -> tuple[list[ExpectedPayment], list[ExpectedClaim]]:
        """Every payment the services must make, and the recovery claims."""
        # Lapse stories that the timeline cannot hold become residents of the same age.
        for index, elder in enumerate(self.elders):
            if elder.story == "lapses" and not self.lapse_feasible(elder):
                self.elders[index] = _restory(elder, "resident")
                self.verifications = [v for v in self.verifications if v.person != elder.key]
                self.plan_verifications(self.elders[index], [_Spell(elder.home_city, None, None)])
        payments: list[ExpectedPayment] = []
        claims: list[ExpectedClaim] = []
        for elder in self.elders:
            paid, claim = self.expected_for(elder)
            payments += paid
            if claim is not None:
                claims.append(claim)
        return payments, claims

    def spells_of(self, elder: PlannedElder) -> list[_Spell]:
        for move in self.moves:
            if move.person == elder.key:
                return [
                    _Spell(move.from_city, None, move.month),
                    _Spell(move.to_city, move.month.next(), None),
                ]
        return [_Spell(elder.home_city, None, None)]

    def assistance_on(self, elder: PlannedElder, month: Month, city: City) -> Assistance:
        """The status on ``month``'s first day in the register of ``city``."""
        if city != elder.home_city:
            return "none"  # the new city imports the mover without a status
        status = elder.assistance
        for change in self.assistance_changes:
            if change.person == elder.key and change.month <= month:
                status = change.status
        return status

    def expected_for(
        self, elder: PlannedElder
    ) -> tuple[list[ExpectedPayment], ExpectedClaim | None]:
        """What the services must pay ``elder`` and claim back: each spell replayed."""
        paid: list[ExpectedPayment] = []
        claim: ExpectedClaim | None = None
        for spell in self.spells_of(elder):
            payments, spell_claim = self.replay(elder, spell)
            paid += payments
            claim = claim or spell_claim
        return paid, claim

    def replay(
        self, elder: PlannedElder, spell: _Spell
    ) -> tuple[list[ExpectedPayment], ExpectedClaim | None]:
        """One paying spell replayed month by month with the allowance area's pure rules,
        in the order the timeline drives the services: register changes (death, move
        out), then the clerk's decision and verifications, then the city's run (grant,
        review, the months due)."""
        city, birth, book = spell.city, elder.birth_date, self.book
        death = next((d for d in self.deaths if d.person == elder.key), None)
        verifications = [
            v for v in self.verifications if v.person == elder.key and v.paying_city == city
        ]
        allowance: Allowance | None = None
        paid: dict[Month, int] = {}
        claimed: tuple[list[Month], int] = ([], 0)

        def pays(month: Month) -> bool:
            # The households rule: the old city through the move month, the new one after.
            after_start = spell.start is None or month >= spell.start
            return after_start and (spell.end is None or month <= spell.end)

        def assistance(month: Month) -> Assistance:
            return self.assistance_on(elder, month, city)

        for run in month_range(self.first, self.last):
            death_known = death is not None and death.recorded_in <= run
            # 1. register changes
            if allowance is not None and death is not None and death.recorded_in == run:
                died = Month.of(death.died_on)
                death_policy = self.policy(city, died) or self.any_policy(city)
                last = last_paid_month_after_death(death.died_on, death_policy)
                allowance, ended = terminate(allowance, last, "death")
                claimed = overpaid(paid, ended.last_month)
            if allowance is not None and spell.end == run:
                allowance, _ = terminate(allowance, run, "household-moved")
            # 2. the clerk's decision on a late registration, verifications
            if elder.imported_in == run and allowance is None and not death_known:
                granted = self.grant_of(elder, spell)
                allowance = None if granted is None else granted[1]
            for v in verifications:
                if v.month == run and allowance is not None and allowance.state != "terminated":
                    on_day = self.policy(city, Month.of(v.verified_on)) or self.any_policy(city)
                    allowance, _ = verify(allowance, v.verified_on, on_day)
            # 3. the run: grant (免申即享), review, then the months due
            policy = self.policy(city, run)
            if policy is None:
                continue
            registered = (elder.imported_in is None or elder.imported_in <= run) and (
                spell.end is None or run < spell.end
            )
            if allowance is None and registered and not death_known and pays(run):
                first = first_grant_month(birth, run, spell.start, book, city)
                if first is not None:
                    allowance = grant("plan", city, birth, first, run, policy)
            if allowance is None:
                continue
            allowance, _ = review(allowance, run, policy)
            for due in months_due(
                run,
                allowance,
                birth,
                death.died_on if death is not None and death_known else None,
                assistance,
                pays,
                frozenset(paid),
                book,
                city,
            ):
                paid[due.month] = due.amount_fen
        over, amount = claimed
        payments = [
            ExpectedPayment(elder.key, month, city, fen, overpaid=month in over)
            for month, fen in sorted(paid.items())
        ]
        claim = ExpectedClaim(elder.key, city, tuple(over), amount) if over else None
        return payments, claim


def _restory(elder: PlannedElder, story: Story) -> PlannedElder:
    return replace(elder, story=story)


_INSTITUTION_KINDS = ("养老院", "敬老院", "康养中心", "护理院", "老年公寓")


def _institution(rng: random.Random, city: City, number: int) -> PlannedInstitution:
    """A synthetic institution scattered within about 25 km of the city's centre."""
    lat, lon = CITY_CENTRES[city]
    beds = rng.randint(40, 600)
    nursing = rng.randint(0, beds)
    return PlannedInstitution(
        institution_id=f"{city}-inst-{number:03d}",
        city=city,
        name=f"测试{_INSTITUTION_KINDS[number % len(_INSTITUTION_KINDS)]}{number:03d}",
        district=rng.choice(HOUSEHOLD_DISTRICTS[city]),
        address=f"测试路{number}号",
        latitude=round(lat + rng.uniform(-0.22, 0.22), 6),
        longitude=round(lon + rng.uniform(-0.25, 0.25), 6),
        grade=rng.choice((None, 1, 2, 3, 3, 4, 5)),
        beds=beds,
        nursing_beds=nursing,
        vacancies=rng.randint(0, beds // 4),
        phone=f"{_AREA_CODES[city]}-6{number:07d}",
    )
