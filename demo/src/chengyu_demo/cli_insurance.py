"""The insurance part of ``chengyu-demo``: drive a seeded workload through both cities'
insurance-years services.

The workload comes from :mod:`chengyu_demo.insurance` (pure); this module only speaks
HTTP to the clerks' API, as a clerk's client would: record contribution periods in each
city (and correct or cancel some), wait until both cities' ledgers hold every version and
compare them, request retirement cities (both cities at once for some people) and follow
each request to its outcome, record care assessments and follow the other city's
recognition.

Resident ID numbers go only into request bodies; nothing here prints or logs them (people
are named by their plan key, ``m007``; the services answer with ``person_ref``).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from rich.progress import Progress, TaskID

from chengyu_demo.driver import DemoDriver, View, bearer, not_ready
from chengyu_demo.stack import CITIES, City

if TYPE_CHECKING:
    from chengyu_demo.insurance import (
        InsuranceWorkload,
        InsuredPerson,
        PlannedAssessment,
        PlannedPeriod,
        PlannedRetirement,
    )

__all__ = [
    "SERVICE",
    "InsuranceReport",
    "insurance_summary_lines",
    "run_insurance_demo",
]

SERVICE = "insurance-years"
DECIDED = frozenset({"determined", "refused"})
ALREADY_DETERMINED = "retirement-city-already-determined"

_T = TypeVar("_T")


class InsuranceDemoError(RuntimeError):
    """The insurance part cannot run (a service does not answer); the message says what
    to do."""


@dataclass
class InsuranceReport:
    """What the insurance part did and what both cities answered (no personal data)."""

    seed: int
    day: str
    people: int
    periods_recorded: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CITIES, 0))
    deemed_recorded: int = 0
    corrected: int = 0
    cancelled: int = 0
    skipped_people: int = 0
    # Ledgers: read in both cities once every version arrived (or the wait ran out).
    ledgers_checked: int = 0
    ledgers_equal: int = 0  # the same periods and totals in both cities
    ledgers_differ: int = 0
    ledgers_not_as_planned: int = 0  # equal, but not the totals the plan computed
    people_with_months_in_both: int = 0
    months_in_both: int = 0
    # Retirement requests: "determined/cq", "refused/requirements-not-met", ...
    requested: int = 0
    retirements: Counter[str] = field(default_factory=Counter)
    shortfalls: Counter[str] = field(default_factory=Counter)
    # Both-cities races: the winning city, or "no single winner" / "cities disagree".
    races: Counter[str] = field(default_factory=Counter)
    # Care assessments: "recognised/severe", "refused/assessment-expired", ...
    assessments: int = 0
    care: Counter[str] = field(default_factory=Counter)
    not_as_planned: int = 0
    unfinished: int = 0
    problems: Counter[str] = field(default_factory=Counter)
    example_ledger: str = ""

    @property
    def races_ok(self) -> bool:
        """Every race had exactly one winner, and both cities agree on it."""
        return all(key in CITIES for key in self.races)

    @property
    def ok(self) -> bool:
        """Every call answered as a clerk expects, every ledger is equal in both cities
        and to the plan, and every request and assessment ended, as planned."""
        return (
            not self.problems
            and self.unfinished == 0
            and self.ledgers_differ == 0
            and self.ledgers_not_as_planned == 0
            and self.not_as_planned == 0
            and self.races_ok
        )

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (for the marker file)."""
        data = asdict(self)
        for name in ("retirements", "shortfalls", "races", "care", "problems"):
            data[name] = dict(getattr(self, name))
        data["ok"] = self.ok
        return data


class _Driver(DemoDriver):
    """The HTTP side of one run of the insurance part."""

    def __init__(
        self,
        workload: InsuranceWorkload,
        clients: dict[City, httpx.AsyncClient],
        progress: Progress,
        *,
        concurrency: int,
        wait_seconds: float,
    ) -> None:
        self.workload = workload
        self.report = InsuranceReport(
            seed=workload.seed, day=workload.today.isoformat(), people=len(workload.people)
        )
        super().__init__(
            clients,
            progress,
            self.report.problems,
            concurrency=concurrency,
            wait_seconds=wait_seconds,
        )
        self.refs: dict[str, str] = {}  # person key -> person_ref
        self.skipped: set[str] = set()  # people the stack knew before this run
        # person key -> period_id -> the last version this run created
        self.versions: dict[str, dict[str, int]] = {}

    # -- calls -----------------------------------------------------------------------------

    def _active(self, key: str) -> bool:
        return key in self.refs and key not in self.skipped

    # -- people ----------------------------------------------------------------------------

    async def look_up_people(self) -> None:
        """Learn each person's ``person_ref``; leave out people whose ledger already holds
        periods (an earlier, unfinished run with this seed), whose plan no longer holds."""
        task = self.progress.add_task("look up people", total=len(self.workload.people))

        async def one(person: InsuredPerson) -> None:
            view = await self._call(
                "look up ledger",
                person.home_city,
                "POST",
                "/ledgers/lookup",
                {"resident_id": person.resident_id},
                200,
            )
            if view is not None:
                self.refs[person.key] = view["person_ref"]
                if view["periods"]:
                    self.skipped.add(person.key)
            self.progress.advance(task)

        await asyncio.gather(*(one(p) for p in self.workload.people))
        self.report.skipped_people = len(self.skipped)

    # -- periods ---------------------------------------------------------------------------

    async def record_periods(self) -> None:
        """Record every planned period in its city, then correct or cancel it if planned."""
        planned = [p for p in self.workload.periods if self._active(p.person)]
        calls = sum(1 + (p.recorded_end is not None or p.cancelled) for p in planned)
        task = self.progress.add_task("record periods", total=calls)

        async def person(key: str) -> None:
            # One person's periods in order: a correction follows its recording.
            for period in planned:
                if period.person == key:
                    await self._period(period, task)

        await asyncio.gather(*(person(key) for key in dict.fromkeys(p.person for p in planned)))

    async def _period(self, planned: PlannedPeriod, task: TaskID) -> None:
        person = self.workload.person(planned.person)
        view = await self._call(
            "record period",
            planned.city,
            "POST",
            "/contribution-periods",
            {
                "resident_id": person.resident_id,
                "start_month": planned.start,
                "end_month": planned.first_end,
                "kind": planned.kind,
            },
            201,
        )
        self.progress.advance(task)
        if view is None:
            if planned.recorded_end is not None or planned.cancelled:
                self.progress.advance(task)
            return
        period_id: str = view["period_id"]
        self.versions.setdefault(planned.person, {})[period_id] = int(view["version"])
        self.report.periods_recorded[planned.city] += 1
        if planned.kind == "deemed":
            self.report.deemed_recorded += 1
        if planned.recorded_end is not None:
            view = await self._call(
                "correct period",
                planned.city,
                "POST",
                f"/contribution-periods/{period_id}/corrections",
                {"start_month": planned.start, "end_month": planned.end, "kind": planned.kind},
                201,
            )
            if view is not None:
                self.report.corrected += 1
        elif planned.cancelled:
            view = await self._call(
                "cancel period",
                planned.city,
                "POST",
                f"/contribution-periods/{period_id}/cancellation",
                {},
                201,
            )
            if view is not None:
                self.report.cancelled += 1
        else:
            return
        self.progress.advance(task)
        if view is not None:
            self.versions[planned.person][period_id] = int(view["version"])

    # -- ledgers ---------------------------------------------------------------------------

    async def check_ledgers(self) -> None:
        """Wait (bounded) until both cities' ledgers of each person hold every version
        recorded, then compare them with each other and with the plan's totals."""
        keys = [p.key for p in self.workload.people if self._active(p.key)]
        task = self.progress.add_task("check ledgers", total=len(keys))
        deadline = self._deadline()

        async def one(key: str) -> None:
            await self._check_ledger(key, deadline)
            self.progress.advance(task)

        await asyncio.gather(*(one(key) for key in keys))

    async def _check_ledger(self, key: str, deadline: float) -> None:
        expected = self.versions.get(key, {})
        path = f"/ledgers/{self.refs[key]}"

        def complete(view: View) -> bool:
            return {p["period_id"]: p["version"] for p in view["periods"]} == expected

        (cq, _), (cd, _) = await asyncio.gather(
            self._poll("cq", path, complete, deadline), self._poll("cd", path, complete, deadline)
        )
        if cq is None or cd is None:
            self._problem("read ledger", None, "no answer")
            return
        report = self.report
        report.ledgers_checked += 1
        if (cq["periods"], cq["totals"]) != (cd["periods"], cd["totals"]):
            report.ledgers_differ += 1
            return
        report.ledgers_equal += 1
        totals = cq["totals"]
        figures = self.workload.ledger_figures(key)
        shown = (
            totals["actual_months"],
            totals["months_in_both"],
            totals["deemed_months"],
            tuple((c["city"], c["actual_months"], c["deemed_months"]) for c in totals["by_city"]),
        )
        planned = (
            figures.actual_months,
            figures.months_in_both,
            figures.deemed_months,
            figures.by_city,
        )
        if shown != planned:
            report.ledgers_not_as_planned += 1
        if totals["months_in_both"]:
            report.people_with_months_in_both += 1
            report.months_in_both += totals["months_in_both"]
            if not report.example_ledger:
                url = str(self.clients["cd"].base_url).rstrip("/")
                report.example_ledger = f"{url}{path}"

    # -- retirement cities -----------------------------------------------------------------

    async def request_retirements(self) -> None:
        """Request each planned retirement city (both cities at once for a race) and
        follow each request until it is decided."""
        planned = [r for r in self.workload.retirements if self._active(r.person)]
        task = self.progress.add_task(
            "retirement requests", total=sum(len(r.requests) for r in planned)
        )
        deadline = self._deadline()
        await asyncio.gather(*(self._retirement(r, task, deadline) for r in planned))

    async def _retirement(self, planned: PlannedRetirement, task: TaskID, deadline: float) -> None:
        person = self.workload.person(planned.person)

        async def ask(requested_in: City, chosen: City) -> str | None:
            view = await self._call(
                "request retirement city",
                requested_in,
                "POST",
                "/retirement-requests",
                {
                    "resident_id": person.resident_id,
                    "retirement_date": planned.retirement_date.isoformat(),
                    "chosen_city": chosen,
                },
                202,
            )
            if view is None:
                return None
            self.report.requested += 1
            request_id: str = view["request_id"]
            return request_id

        # Both requests of a race leave together: neither clerk knows of the other.
        ids = await asyncio.gather(*(ask(r.requested_in, r.chosen_city) for r in planned.requests))
        found = [request_id for request_id in ids if request_id is not None]
        if len(found) != len(ids):
            self.progress.advance(task, len(ids))
            return
        # Each request as every city sees it: a race's outcome must be the same in both.
        outcomes = await asyncio.gather(
            *(
                self._decided(city, request_id, deadline)
                for request_id in found
                for city in CITIES
                if planned.is_race or city == planned.requests[0].requested_in
            )
        )
        self.progress.advance(task, len(ids))
        if any(view is None for view in outcomes):
            self.report.unfinished += 1
            return
        views = [view for view in outcomes if view is not None]
        if planned.is_race:
            self._race(views)
        else:
            self._single(planned, views[0])

    async def _decided(self, city: City, request_id: str, deadline: float) -> View | None:
        view, done = await self._poll(
            city, f"/retirement-requests/{request_id}", lambda v: v["state"] in DECIDED, deadline
        )
        return view if done else None

    def _count(self, view: View) -> None:
        if view["state"] == "determined":
            self.report.retirements[f"determined/{view['chosen_city']}"] += 1
        else:
            self.report.retirements[f"refused/{view['code']}"] += 1
            for shortfall in view["shortfalls"]:
                self.report.shortfalls[shortfall["rule"]] += 1

    def _single(self, planned: PlannedRetirement, view: View) -> None:
        self._count(view)
        request = planned.requests[0]
        shown = (
            view["state"],
            view["code"],
            tuple(s["rule"] for s in view["shortfalls"]),
            view["alternative_city"],
        )
        wanted = (
            request.expected,
            request.expected_code,
            request.shortfalls,
            request.alternative_city,
        )
        if shown != wanted:
            self.report.not_as_planned += 1

    def _race(self, views: list[View]) -> None:
        """Both requests, each as both cities see it (cq's request in cq and cd, then
        cd's): exactly one determined, the other refused naming the winner, alike in both."""
        by_request: dict[str, list[View]] = {}
        for view in views:
            by_request.setdefault(view["request_id"], []).append(view)
        seen = [
            [(v["state"], v["code"], v["determined_city"]) for v in copies]
            for copies in by_request.values()
        ]
        if any(len(set(copies)) != 1 for copies in seen):
            self.report.races["cities disagree"] += 1
            self.report.not_as_planned += 1
            return
        outcome = [copies[0] for copies in by_request.values()]
        for copies in by_request.values():
            self._count(copies[0])
        winners = [v["chosen_city"] for v in outcome if v["state"] == "determined"]
        losers = [v for v in outcome if v["state"] != "determined"]
        if len(winners) != 1 or any(
            (v["code"], v["determined_city"]) != (ALREADY_DETERMINED, winners[0]) for v in losers
        ):
            self.report.races["no single winner"] += 1
            self.report.not_as_planned += 1
            return
        self.report.races[winners[0]] += 1

    # -- care assessments ------------------------------------------------------------------

    async def record_assessments(self) -> None:
        """Record each planned assessment in its city and follow the other city's
        recognition decision."""
        planned = [a for a in self.workload.assessments if self._active(a.person)]
        task = self.progress.add_task("care assessments", total=len(planned))
        deadline = self._deadline()

        async def one(assessment: PlannedAssessment) -> None:
            await self._assessment(assessment, deadline)
            self.progress.advance(task)

        await asyncio.gather(*(one(a) for a in planned))

    async def _assessment(self, planned: PlannedAssessment, deadline: float) -> None:
        person = self.workload.person(planned.person)
        view = await self._call(
            "record care assessment",
            planned.city,
            "POST",
            "/care-assessments",
            {
                "resident_id": person.resident_id,
                "level": planned.level,
                "scale_version": planned.scale_version,
                "concluded_on": planned.concluded_on.isoformat(),
                "valid_until": planned.valid_until.isoformat(),
            },
            201,
        )
        if view is None:
            return
        self.report.assessments += 1
        # The assessing city shows the other city's decision once it is back over the bus.
        decided, done = await self._poll(
            planned.city,
            f"/care-assessments/{view['assessment_id']}",
            lambda v: v["recognition"] is not None,
            deadline,
        )
        if decided is None or not done:
            self.report.unfinished += 1
            return
        recognition = decided["recognition"]
        if recognition["recognised"]:
            self.report.care[f"recognised/{planned.level}"] += 1
            shown = ("recognised", None)
        else:
            self.report.care[f"refused/{recognition['code']}"] += 1
            shown = ("refused", recognition["code"])
        if shown != (planned.expected, planned.expected_code):
            self.report.not_as_planned += 1


async def run_insurance_demo(
    workload: InsuranceWorkload,
    urls: dict[City, str],
    *,
    tokens: Mapping[City, str],
    progress: Progress,
    concurrency: int = 8,
    wait_seconds: float = 180.0,
) -> InsuranceReport:
    """Drive ``workload`` through the insurance-years services at ``urls`` as a clerk of
    each city (``tokens``: a clerk's access token per city); what happened.

    Raises :class:`InsuranceDemoError` when a service is not ready. Corrections come before
    the ledger check and retirement requests after it, so each chosen city decides on the
    person's whole history (a later correction would only flag the decision for review).
    """
    async with (
        httpx.AsyncClient(base_url=urls["cq"], timeout=30, headers=bearer(tokens["cq"])) as cq,
        httpx.AsyncClient(base_url=urls["cd"], timeout=30, headers=bearer(tokens["cd"])) as cd,
    ):
        clients: dict[City, httpx.AsyncClient] = {"cq": cq, "cd": cd}
        problem = await not_ready(clients, SERVICE)
        if problem is not None:
            raise InsuranceDemoError(problem)
        driver = _Driver(
            workload, clients, progress, concurrency=concurrency, wait_seconds=wait_seconds
        )
        await driver.look_up_people()
        await driver.record_periods()
        await driver.check_ledgers()
        await driver.request_retirements()
        await driver.record_assessments()
        return driver.report


# -- output --------------------------------------------------------------------------------


def _counts(counter: Counter[str], prefix: str, order: tuple[str, ...] = ()) -> tuple[int, str]:
    """The total of ``counter``'s labels under ``prefix/`` and the parts (``cq 2, cd 1``),
    those named in ``order`` first and in that order, then the others by name."""
    parts = sorted(
        (
            (label.split("/", 1)[1], n)
            for label, n in counter.items()
            if label.startswith(f"{prefix}/")
        ),
        key=lambda part: (order.index(part[0]) if part[0] in order else len(order), part[0]),
    )
    return sum(n for _, n in parts), ", ".join(f"{name} {n}" for name, n in parts) or "-"


_MORE = " " * 22  # where a continued fact starts


def insurance_summary_lines(report: InsuranceReport, workload: InsuranceWorkload) -> list[str]:
    """The end-of-run summary of the insurance part, one line per fact (counts only)."""
    recorded = report.periods_recorded
    lines = [
        f"insurance demo seed {report.seed} on {report.day}: {report.people} people,"
        " careers in both cities",
        f"  periods             {sum(recorded.values())} recorded of {len(workload.periods)}"
        f" planned (cq {recorded['cq']}, cd {recorded['cd']}), {report.deemed_recorded} of"
        " them deemed years",
        f"{_MORE}{report.corrected} corrected, {report.cancelled} cancelled",
    ]
    verdict = "equal in both cities"
    if report.ledgers_not_as_planned == 0:
        verdict += ", totals as planned"
    lines.append(
        f"  ledgers             {report.ledgers_equal} of {report.ledgers_checked} people {verdict}"
    )
    if report.ledgers_differ:
        lines.append(f"{_MORE}{report.ledgers_differ} DIFFER between the cities")
    if report.ledgers_not_as_planned:
        lines.append(f"{_MORE}{report.ledgers_not_as_planned} equal, but NOT the planned totals")
    lines.append(
        f"{_MORE}{report.people_with_months_in_both} with months paid in both cities"
        f" ({report.months_in_both} months, each counted once)"
    )
    determined, by_city = _counts(report.retirements, "determined", CITIES)
    refused, by_code = _counts(report.retirements, "refused")
    planned_requests = sum(len(r.requests) for r in workload.retirements)
    lines += [
        f"  retirements         {report.requested} requested of {planned_requests} planned:"
        f" {determined} determined ({by_city})",
        f"{_MORE}{refused} refused ({by_code})",
    ]
    if report.shortfalls:
        rules = ", ".join(f"{rule} {n}" for rule, n in sorted(report.shortfalls.items()))
        lines.append(f"{_MORE}shortfalls: {rules}")
    races = sum(report.races.values())
    if races:
        winners = ", ".join(f"{c} {report.races[c]}" for c in CITIES)
        if report.races_ok:
            lines += [
                f"  both-cities races   {races}, each won by exactly one city (won by {winners});",
                f"{_MORE}the other request refused, alike in both cities",
            ]
        else:
            wrong = ", ".join(
                f"{label} {n}" for label, n in sorted(report.races.items()) if label not in CITIES
            )
            lines.append(f"  both-cities races   {races}: {wrong}; won by {winners}")
    recognised, by_level = _counts(report.care, "recognised", ("severe", "moderate", "mild"))
    care_refused, by_reason = _counts(report.care, "refused")
    lines += [
        f"  care assessments    {report.assessments} recorded of {len(workload.assessments)}"
        f" planned: {recognised} recognised ({by_level})",
        f"{_MORE}{care_refused} refused ({by_reason})",
    ]
    if report.unfinished:
        lines.append(f"  NOT DECIDED         {report.unfinished} within the wait")
    if report.not_as_planned:
        lines.append(f"  NOT AS PLANNED      {report.not_as_planned} requests or assessments")
    elif not report.unfinished and (report.requested or report.assessments):
        lines.append("  outcomes            each request and assessment ended as planned")
    if report.skipped_people:
        lines.append(
            f"  skipped             {report.skipped_people} people already known to the"
            " stack (an earlier, unfinished run?)"
        )
    for problem, count in sorted(report.problems.items()):
        lines.append(f"  PROBLEM             {count} x {problem}")
    if report.example_ledger:
        # As an auditor (reads both cities); the token is asked for when the line is run.
        token = (
            "$(uv run chengyu token --city cq --role auditor --agency audit"
            " --service insurance-years)"
        )
        auth = f'-H "Authorization: Bearer {token}"'
        lines.append(f"  look at one         curl -s {auth} {report.example_ledger}")
    return lines
