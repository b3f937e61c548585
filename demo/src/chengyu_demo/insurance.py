"""The insurance-years workload of ``chengyu-demo``, as pure data: people whose careers
span both cities, their contribution periods, corrections, retirement-city requests and
long-term-care assessments, each with the outcome the domain rules predict.

:func:`generate_insurance_workload` turns a seed (and the day it runs on) into the same
workload every time; nothing here does I/O. ``chengyu_demo.cli_insurance`` drives it
against both cities' insurance-years services over HTTP.

Everyone is synthetic: resident ID numbers are made with
:func:`chengyu_contracts.resident_id.synthesize_resident_id` from the cities' county codes
(:data:`chengyu_demo.fund.CITY_REGIONS`). The insurance API takes no names (a person is
their ID number at the edge and their ``person_ref`` inside), so the plan has none.

Every person worked in both cities, in two to four spells that alternate between them;
at most switches a month or three was paid in both cities (the ledger counts it once).
Work before the cities' employee medical insurance began (:data:`SCHEME_FROM`) is
recorded, for most of those who had any, as deemed years (视同缴费). Each person follows
one scenario:

``working``
    of working age: periods only.
``retiring``
    at retirement age, asks for a city whose policy their months meet: determined.
``short``
    at retirement age, asks for a city whose policy their months do not meet: refused
    ``requirements-not-met`` with the shortfall (and the other city, if it would qualify).
``race``
    at retirement age and meeting both cities' policies; a clerk in each city asks for
    their own city at the same moment: exactly one is determined, the other refused
    ``retirement-city-already-determined``.

Some periods are first recorded with a wrong end month and corrected; some are recorded
by mistake and cancelled. Some people have a care assessment concluded in the city they
live in now (severe, moderate, mild, or one that has expired), which the other city
recognises or refuses by its policy.

The expected outcomes come from the service's own domain functions
(:mod:`chengyu_insurance_years`) applied to the final periods and the default policies,
so the demo checks that what crosses the bus and the databases gives what the rules say.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from chengyu_contracts.masking import mask_resident_id
from chengyu_contracts.months import Month
from chengyu_contracts.resident_id import Sex, synthesize_resident_id
from chengyu_demo.fund import CITIES, CITY_REGIONS, City, other_city
from chengyu_insurance_years.care import CareAssessment, Recognition, recognise
from chengyu_insurance_years.ledger import build_ledger, totals
from chengyu_insurance_years.periods import ContributionPeriod, PeriodKind
from chengyu_insurance_years.policy import (
    NATIONAL_LTC_SCALE_2021,
    CityPolicy,
    DisabilityLevel,
    PolicyBook,
    default_policies,
)
from chengyu_insurance_years.retirement import (
    Determined,
    RetirementDecision,
    RetirementRequest,
    decide_retirement_city,
)

__all__ = [
    "CARE_CASES",
    "SCHEME_FROM",
    "CareCase",
    "InsuranceWorkload",
    "InsuredPerson",
    "LedgerFigures",
    "PlannedAssessment",
    "PlannedPeriod",
    "PlannedRequest",
    "PlannedRetirement",
    "RetirementScenario",
    "generate_insurance_workload",
    "insurance_scenario_counts",
]

RetirementScenario = Literal["working", "retiring", "short", "race"]
CareCase = Literal["severe", "moderate", "mild", "expired"]
CARE_CASES: tuple[CareCase, ...] = ("severe", "moderate", "mild", "expired")

#: The month from which each city's employee medical insurance collected contributions in
#: this plan; work before it is deemed years. ILLUSTRATIVE: the national scheme was set up
#: by the State Council's decision of December 1998 and cities joined in the years after.
SCHEME_FROM: dict[City, Month] = {"cq": Month(1999, 1), "cd": Month(1999, 1)}

# Share of the people in each special scenario; "working" takes the rest. Races need a
# career that meets both policies, rarer, so fewer of them.
_SHARES: dict[RetirementScenario, float] = {"retiring": 0.2, "short": 0.1, "race": 0.05}
# Share of the people with a care assessment, and of the assessments in each case.
_CARE_SHARE = 0.4
_CARE_WEIGHTS: dict[CareCase, float] = {
    "severe": 0.35,
    "moderate": 0.3,
    "mild": 0.15,
    "expired": 0.2,
}
_CORRECTED_SHARE = 0.15
_CANCELLED_SHARE = 0.1
# At a switch between cities: how often a month or more was paid in both.
_OVERLAP_CHANCE = 0.6
# Of those who worked before the scheme, how many have those years recorded as deemed.
_DEEMED_CHANCE = 0.7
# Careers drawn for a retirement scenario until one fits it; a plain loop, deterministic.
_ATTEMPTS = 500


@dataclass(frozen=True)
class InsuredPerson:
    """A synthetic person. ``key`` (``m007``) names them in the plan and in any output;
    the number goes only to the services' HTTP API."""

    key: str
    resident_id: str
    sex: Sex
    birth_date: date
    home_city: City  # where the career began
    scenario: RetirementScenario

    def __repr__(self) -> str:
        # Keeps the number out of logs and tracebacks that print a person.
        return (
            f"InsuredPerson({self.key}, {mask_resident_id(self.resident_id)},"
            f" home={self.home_city}, {self.scenario})"
        )


@dataclass(frozen=True)
class PlannedPeriod:
    """A contribution period a clerk of ``city`` records for ``person``.

    ``start``..``end`` (``YYYY-MM``, both included) and ``kind`` are the true, final
    figures. ``recorded_end`` is set when the clerk first typed another end month and then
    corrected it; ``cancelled`` when the whole period was recorded by mistake and is then
    cancelled (it counts for nothing).
    """

    person: str  # InsuredPerson.key
    city: City
    start: str
    end: str
    kind: PeriodKind
    recorded_end: str | None = None
    cancelled: bool = False

    @property
    def first_end(self) -> str:
        """The end month of the first recording."""
        return self.recorded_end if self.recorded_end is not None else self.end


@dataclass(frozen=True)
class LedgerFigures:
    """The totals a person's ledger must show in both cities: distinct months, counted
    once (``by_city`` is ``(city, actual, deemed)`` per city, in :data:`CITIES` order)."""

    actual_months: int
    months_in_both: int
    deemed_months: int
    by_city: tuple[tuple[City, int, int], ...]


@dataclass(frozen=True)
class PlannedRequest:
    """A retirement-city request a clerk of ``requested_in`` makes for ``chosen_city``,
    and what the chosen city decides if no other request of the person came first."""

    requested_in: City
    chosen_city: City
    expected: Literal["determined", "refused"]
    expected_code: str | None  # the refusal's code
    shortfalls: tuple[str, ...] = ()  # rules not met, e.g. "cumulative-months"
    alternative_city: City | None = None


@dataclass(frozen=True)
class PlannedRetirement:
    """A person's retirement: one request, or two at once (a race) in both cities."""

    person: str  # InsuredPerson.key
    retirement_date: date
    requests: tuple[PlannedRequest, ...]

    @property
    def is_race(self) -> bool:
        """Whether both cities' clerks ask at the same moment."""
        return len(self.requests) > 1


@dataclass(frozen=True)
class PlannedAssessment:
    """A long-term-care assessment concluded in ``city``, and what the other city decides
    when it reads it on the workload's day."""

    person: str  # InsuredPerson.key
    city: City
    case: CareCase
    level: DisabilityLevel
    scale_version: str
    concluded_on: date
    valid_until: date
    expected: Literal["recognised", "refused"]
    expected_code: str | None


@dataclass(frozen=True)
class InsuranceWorkload:
    """Everything the insurance part of ``chengyu-demo`` does, in order: record the
    periods (and correct or cancel some), check the ledgers, request the retirement cities,
    record the care assessments."""

    seed: int
    today: date
    people: tuple[InsuredPerson, ...]
    periods: tuple[PlannedPeriod, ...]
    retirements: tuple[PlannedRetirement, ...]
    assessments: tuple[PlannedAssessment, ...]

    def person(self, key: str) -> InsuredPerson:
        """The person of ``key``."""
        for person in self.people:
            if person.key == key:
                return person
        raise KeyError(key)

    def periods_of(self, key: str) -> tuple[PlannedPeriod, ...]:
        """The periods recorded for the person of ``key``, in recording order."""
        return tuple(p for p in self.periods if p.person == key)

    def ledger_figures(self, key: str) -> LedgerFigures:
        """The totals the person's ledger must show once every period has arrived."""
        return _figures(self.periods_of(key))

    @property
    def corrections(self) -> int:
        """How many periods are corrected after their first recording."""
        return sum(1 for p in self.periods if p.recorded_end is not None)

    @property
    def cancellations(self) -> int:
        """How many periods are cancelled after their recording."""
        return sum(1 for p in self.periods if p.cancelled)

    def scenario_counts(self) -> Counter[RetirementScenario]:
        """How many people follow each scenario."""
        return Counter(p.scenario for p in self.people)


def insurance_scenario_counts(people: int) -> dict[RetirementScenario, int]:
    """How many people follow each scenario: the shares of :data:`_SHARES` rounded, at
    least one race, one determined and one refused retirement when there are people for
    them (in that order), the rest ``working``."""
    if people < 0:
        raise ValueError("people must not be negative")
    counts: dict[RetirementScenario, int] = {}
    left = people
    for scenario in ("race", "retiring", "short"):
        wanted = min(left, max(1, round(people * _SHARES[scenario])))
        counts[scenario] = wanted
        left -= wanted
    counts["working"] = left
    return counts


def generate_insurance_workload(
    seed: int,
    *,
    today: date,
    people: int = 60,
    policies: Sequence[CityPolicy] | None = None,
) -> InsuranceWorkload:
    """The insurance workload of ``seed`` on day ``today`` (China's day: no month after it
    is recorded, no assessment concluded after it).

    The same arguments give the same workload. Expected outcomes follow ``policies``
    (default: the services' default policies); retirement dates lie from 300 days before
    ``today`` to 60 days after it, and not before both cities have a policy in force.
    """
    if people > 5000:
        raise ValueError("at most 5000 people: resident ID numbers must stay unique")
    book = PolicyBook(default_policies() if policies is None else policies)
    # A string seed keeps this stream apart from the fund part's, which uses the same seed.
    rng = random.Random(f"chengyu-demo-insurance-{seed}")
    counts = insurance_scenario_counts(people)
    scenarios: list[RetirementScenario] = [s for s, n in counts.items() for _ in range(n)]
    rng.shuffle(scenarios)
    window = _retirement_window(today, book)
    seen: set[str] = set()

    people_out: list[InsuredPerson] = []
    periods: list[PlannedPeriod] = []
    retirements: list[PlannedRetirement] = []
    for index, scenario in enumerate(scenarios):
        key = f"m{index + 1:03d}"
        home: City = CITIES[index % 2]  # both directions in equal numbers
        if scenario == "working":
            person, planned = _working_person(rng, key, home, today, seen)
        else:
            person, planned, retirement = _retiring_person(
                rng, key, home, scenario, today, window, book, seen
            )
            retirements.append(retirement)
        people_out.append(person)
        periods.extend(planned)
    periods = _with_mistakes(rng, periods, Month.of(today))
    assessments = _assessments(rng, people_out, periods, today, book)
    return InsuranceWorkload(
        seed=seed,
        today=today,
        people=tuple(people_out),
        periods=tuple(periods),
        retirements=tuple(retirements),
        assessments=tuple(assessments),
    )


# -- people and careers --------------------------------------------------------------------


def _resident_id(
    rng: random.Random, home: City, birth: date, sex: Sex, seen: set[str]
) -> str | None:
    # Most people were born in the city where their career began; some in the other one.
    born_in = home if rng.random() < 0.8 else other_city(home)
    number = synthesize_resident_id(
        rng.choice(CITY_REGIONS[born_in]), birth, rng.randint(0, 499), sex
    )
    if number in seen:
        return None
    seen.add(number)
    return number


def _working_person(
    rng: random.Random, key: str, home: City, today: date, seen: set[str]
) -> tuple[InsuredPerson, list[PlannedPeriod]]:
    """A person of working age (25 to 58) and their career so far."""
    current = Month.of(today)
    while True:
        age = rng.randint(25, 58)
        birth = today - timedelta(days=age * 365 + rng.randint(5, 360))
        sex: Sex = rng.choice(("male", "female"))
        number = _resident_id(rng, home, birth, sex, seen)
        if number is not None:
            break
    # Most are paying this month; some stopped a while ago (between jobs, studying).
    last = current.plus(-rng.choice((0, 0, 0, 0, 1, 2, 3, 6, 12)))
    first = Month.of(birth).plus(rng.randint(20, 24) * 12 + rng.randint(0, 11))
    # At least three years, so that two spells of a year or more fit: the youngest
    # started at 20 or 21.
    first = min(first, last.plus(-36))
    person = InsuredPerson(key, number, sex, birth, home, "working")
    return person, _career(rng, key, home, first, last)


def _retirement_window(today: date, book: PolicyBook) -> tuple[date, date]:
    # A request needs a policy of the chosen city in force on the retirement date.
    starts = []
    for city in CITIES:
        first = next((p for p in book.policies() if p.city == city), None)
        if first is None:
            raise ValueError(f"no policy of {city}: no retirement can be requested")
        starts.append(first.effective_from)
    earliest, latest = max(today - timedelta(days=300), *starts), today + timedelta(days=60)
    if latest < earliest:
        raise ValueError(f"no policy is in force in both cities by {latest.isoformat()}")
    return earliest, latest


def _retiring_person(
    rng: random.Random,
    key: str,
    home: City,
    scenario: RetirementScenario,
    today: date,
    window: tuple[date, date],
    book: PolicyBook,
    seen: set[str],
) -> tuple[InsuredPerson, list[PlannedPeriod], PlannedRetirement]:
    """A person at retirement age whose career fits ``scenario``, and their request(s).

    Careers are drawn until one fits (a race needs both cities' policies met, for
    example), so the scenario's outcome is the one the rules give, not an assumption.
    """
    current = Month.of(today)
    for _ in range(_ATTEMPTS):
        retirement_date = window[0] + timedelta(days=rng.randint(0, (window[1] - window[0]).days))
        # Races need long careers in both cities: women, whose minimum is lower, qualify
        # in Chengdu (which does not count deemed years) far more often.
        sex: Sex = "female" if scenario == "race" else rng.choice(("male", "female"))
        # About the statutory age (60 for men; 50 or 55 for women), being raised gradually
        # from 2025: a few months more for some.
        age = 60 if sex == "male" else rng.choice((50, 55))
        day = min(retirement_date.day, 28)  # every year has that day in that month
        birth = date(retirement_date.year - age, retirement_date.month, day)
        retirement_date = date(birth.year + age, birth.month, birth.day) + timedelta(
            days=rng.choice((0, 0, 31, 92))
        )
        if not window[0] <= retirement_date <= window[1]:
            continue
        first = Month.of(birth).plus(rng.randint(18, 24) * 12 + rng.randint(0, 11))
        last = min(Month.of(retirement_date), current)
        periods = _career(rng, key, home, first, last, long_spells=True)
        ledger = build_ledger(key, _domain_periods(periods))
        decisions = {
            city: decide_retirement_city(
                RetirementRequest(key, sex, retirement_date, city), ledger, book, None
            )
            for city in CITIES
        }
        meets = [city for city in CITIES if isinstance(decisions[city], Determined)]
        fails = [city for city in CITIES if city not in meets]
        requests: tuple[PlannedRequest, ...]
        if scenario == "race":
            if len(meets) < 2 or not _has_overlap(periods):
                continue
            requests = (
                _request("cq", "cq", decisions["cq"]),
                _request("cd", "cd", decisions["cd"]),
            )
        else:
            candidates = meets if scenario == "retiring" else fails
            if not candidates:
                continue
            chosen = rng.choice(candidates)
            requests = (_request(rng.choice(CITIES), chosen, decisions[chosen]),)
        number = _resident_id(rng, home, birth, sex, seen)
        if number is None:
            continue
        person = InsuredPerson(key, number, sex, birth, home, scenario)
        return person, periods, PlannedRetirement(key, retirement_date, requests)
    raise RuntimeError(f"no career for scenario {scenario!r} in {_ATTEMPTS} draws")


def _request(requested_in: City, chosen: City, decision: RetirementDecision) -> PlannedRequest:
    if isinstance(decision, Determined):
        return PlannedRequest(requested_in, chosen, "determined", None)
    return PlannedRequest(
        requested_in,
        chosen,
        "refused",
        decision.code,
        tuple(s.rule for s in decision.shortfalls),
        decision.alternative_city,
    )


def _career(
    rng: random.Random,
    key: str,
    home: City,
    first: Month,
    last: Month,
    *,
    long_spells: bool = False,
) -> list[PlannedPeriod]:
    """The periods of a career from ``first`` to ``last`` in two to four spells that
    alternate between the cities, starting at ``home``.

    At a switch, the next spell starts one to three months before the previous one ends
    (paid in both cities while changing jobs) or up to six months after it. Months before
    :data:`SCHEME_FROM` are deemed, or left out for those with no deemed years recorded.
    """
    has_deemed = rng.random() < _DEEMED_CHANCE
    if not has_deemed:
        # Without deemed years the insured career starts with the schemes; otherwise a
        # spell before them would leave no trace and the career might not span both cities.
        first = max(first, *SCHEME_FROM.values())
    length = last.index - first.index + 1
    minimum = 60 if long_spells else 12  # months per spell
    spells = max(2, min(rng.randint(2, 4), length // minimum))
    if length < 2 * minimum:
        raise ValueError("a career spanning both cities needs two spells")
    cuts = sorted(rng.sample(range(first.index + minimum, last.index - minimum + 2), spells - 1))
    bounds = [first.index, *cuts, last.index + 1]
    periods: list[PlannedPeriod] = []
    city = home
    for number in range(spells):
        start, end = bounds[number], bounds[number + 1] - 1
        if number > 0:
            if rng.random() < _OVERLAP_CHANCE:
                start -= rng.randint(1, 3)
            else:
                start += rng.randint(0, min(6, end - start))
        periods.extend(
            _spell(key, city, Month.from_index(start), Month.from_index(end), has_deemed)
        )
        city = other_city(city)
    return periods


def _spell(key: str, city: City, start: Month, end: Month, has_deemed: bool) -> list[PlannedPeriod]:
    """One spell in ``city``: deemed months before the city's scheme, actual ones after."""
    scheme = SCHEME_FROM[city]
    spell: list[PlannedPeriod] = []
    if start < scheme and has_deemed:
        spell.append(
            PlannedPeriod(key, city, str(start), str(min(end, scheme.previous())), "deemed")
        )
    if end >= scheme:
        spell.append(PlannedPeriod(key, city, str(max(start, scheme)), str(end), "actual"))
    return spell


def _has_overlap(periods: Sequence[PlannedPeriod]) -> bool:
    return _figures(periods).months_in_both > 0


def _domain_periods(periods: Sequence[PlannedPeriod]) -> list[ContributionPeriod]:
    return [
        ContributionPeriod(
            f"{p.person}-{n}", p.person, p.city, Month.parse(p.start), Month.parse(p.end), p.kind
        )
        for n, p in enumerate(periods)
        if not p.cancelled
    ]


def _figures(periods: Sequence[PlannedPeriod]) -> LedgerFigures:
    live = _domain_periods(periods)
    if not live:
        return LedgerFigures(0, 0, 0, tuple((c, 0, 0) for c in CITIES))
    counted = totals(build_ledger(live[0].person_ref, live))
    return LedgerFigures(
        actual_months=counted.actual_months,
        months_in_both=counted.months_in_both,
        deemed_months=counted.deemed_months,
        by_city=tuple((c.city, c.actual, c.deemed) for c in counted.by_city),
    )


# -- corrections and cancellations ---------------------------------------------------------


def _with_mistakes(
    rng: random.Random, periods: list[PlannedPeriod], current: Month
) -> list[PlannedPeriod]:
    """``periods`` with some first recorded with a wrong end month (then corrected), and
    some periods recorded by mistake (then cancelled), at least one of each."""
    people = list(dict.fromkeys(p.person for p in periods))  # in the plan's order
    if not people:
        return periods
    corrected = set(rng.sample(people, max(1, round(len(people) * _CORRECTED_SHARE))))
    cancelled = set(rng.sample(people, max(1, round(len(people) * _CANCELLED_SHARE))))
    out: list[PlannedPeriod] = []
    for person in people:
        own = [p for p in periods if p.person == person]
        if person in corrected:
            # A typo in the end month of one actual period.
            index = rng.choice([n for n, p in enumerate(own) if p.kind == "actual"])
            own[index] = _mistyped(rng, own[index], current)
        if person in cancelled:
            # One spell's months recorded again, in the other city's name: a mistake the
            # recording city cancels. Cancelled, it must count for nothing anywhere.
            copied = rng.choice([p for p in own if p.kind == "actual"])
            start = Month.parse(copied.start)
            end = min(Month.parse(copied.end), start.plus(rng.randint(2, 11)))
            wrong = PlannedPeriod(
                person, other_city(copied.city), str(start), str(end), "actual", cancelled=True
            )
            own.insert(rng.randint(0, len(own)), wrong)
        out.extend(own)
    return out


def _mistyped(rng: random.Random, period: PlannedPeriod, current: Month) -> PlannedPeriod:
    start, end = Month.parse(period.start), Month.parse(period.end)
    # Never before the start (the service refuses it) nor after this month (likewise).
    shifts = [d for d in range(-6, 7) if d and start <= end.plus(d) <= current]
    if not shifts:  # a one-month period ending this month: nothing to mistype
        return period
    return PlannedPeriod(
        period.person,
        period.city,
        period.start,
        period.end,
        period.kind,
        recorded_end=str(end.plus(rng.choice(shifts))),
    )


# -- care assessments ----------------------------------------------------------------------


def _care_cases(rng: random.Random, count: int) -> list[CareCase]:
    """``count`` cases in the shares of :data:`_CARE_WEIGHTS`, each case at least once
    from four assessments on."""
    cases: list[CareCase] = list(CARE_CASES[:count])
    cases += rng.choices(
        CARE_CASES, weights=[_CARE_WEIGHTS[c] for c in CARE_CASES], k=count - len(cases)
    )
    rng.shuffle(cases)
    return cases


def _assessments(
    rng: random.Random,
    people: Sequence[InsuredPerson],
    periods: Sequence[PlannedPeriod],
    today: date,
    book: PolicyBook,
) -> list[PlannedAssessment]:
    if not people:
        return []
    count = max(min(len(people), len(CARE_CASES)), round(len(people) * _CARE_SHARE))
    chosen = sorted(rng.sample(range(len(people)), count))
    planned: list[PlannedAssessment] = []
    for index, case in zip(chosen, _care_cases(rng, count), strict=True):
        person = people[index]
        # Assessed where they live now: the city of their latest period.
        own = [p for p in periods if p.person == person.key and not p.cancelled]
        city = max(own, key=lambda p: (p.end, p.start)).city
        level: DisabilityLevel
        if case == "expired":
            # An assessment that would be recognised, but its validity ran out long ago.
            level = rng.choice(("severe", "moderate"))
            concluded = today - timedelta(days=rng.randint(800, 1500))
        else:
            level = case
            concluded = today - timedelta(days=rng.randint(0, 330))
        # Valid one to two years: an unexpired one stays valid well past today, so the
        # other city reads it as valid whenever the demo runs that day.
        valid_until = concluded + timedelta(days=rng.randint(365, 730))
        assessment = CareAssessment(
            f"{person.key}-ltc",
            person.key,
            city,
            level,
            NATIONAL_LTC_SCALE_2021,
            concluded,
            valid_until,
        )
        decision = recognise(assessment, other_city(city), today, book)
        recognised = isinstance(decision, Recognition)
        planned.append(
            PlannedAssessment(
                person=person.key,
                city=city,
                case=case,
                level=level,
                scale_version=NATIONAL_LTC_SCALE_2021,
                concluded_on=concluded,
                valid_until=valid_until,
                expected="recognised" if recognised else "refused",
                expected_code=None if isinstance(decision, Recognition) else decision.code,
            )
        )
    return planned
