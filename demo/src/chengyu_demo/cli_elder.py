"""The elder-allowance part of ``chengyu-demo``: drive a seeded register and a year of
monthly payment runs through both cities' elder-allowance services.

The workload comes from :mod:`chengyu_demo.elder` (pure); this module only speaks HTTP to
the clerks' API, as a civil-affairs clerk's client would: publish the institutions of the
map, import both registers (``POST /register/rows``), then month by month record moves,
deaths and assistance changes, import the movers in their new city once it knows of the
move, record verifications (some in the other city), approve last month's applications,
run both cities' payment runs, import the persons the register missed and let them apply
in the other city; at the end record assessments and read every elder's allowance in
both cities.

The summary checks the invariants on what the services answer: each person and month
paid at most once across both cities, a move hands the months over without gap or
overlap, a recovery claim equals what was paid after the death; and, when every run of
the year was new on this stack, that the payments are the ones the plan predicts.

ID numbers, names, bank tokens and phones go only into request bodies; nothing here
prints or logs them (elders are named by their plan key, ``e0007``).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
from rich.progress import Progress

from chengyu_contracts.months import Month
from chengyu_demo.driver import DemoDriver, View, bearer, not_ready
from chengyu_demo.stack import CITIES, City

if TYPE_CHECKING:
    from chengyu_demo.elder import ElderWorkload, MonthPlan

__all__ = ["SERVICE", "ElderDemoError", "ElderReport", "elder_summary_lines", "run_elder_demo"]

SERVICE = "elder-allowance"


class ElderDemoError(RuntimeError):
    """The elder part cannot run (a service does not answer); the message says what to
    do."""


@dataclass
class ElderReport:
    """What the elder part did and what both cities answered (counts only)."""

    seed: int
    day: str
    elders: int
    months: str
    imported: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CITIES, 0))
    refused_rows: int = 0
    refused_as_planned: bool = True
    moves: int = 0
    deaths: int = 0
    late_deaths: int = 0
    assistance_changes: int = 0
    verifications: int = 0
    verified_elsewhere: int = 0
    applications: int = 0
    approved: int = 0
    assessments: int = 0
    assessments_as_planned: int = 0
    institutions: int = 0
    institutions_seen: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CITIES, 0))
    # Runs: new (201) or already completed on this stack (200).
    runs_new: int = 0
    runs_repeated: int = 0
    paid_fen: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CITIES, 0))
    payments: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CITIES, 0))
    # The invariants, on what the services show at the end.
    paid_twice: int = 0
    move_gaps: int = 0
    move_overlaps: int = 0
    claims: int = 0
    claims_wrong: int = 0
    compared_with_plan: bool = False
    not_as_planned: int = 0
    unfinished: int = 0
    #: What was not seen within the wait: "<city> GET <path>" (paths carry person_refs only).
    unseen: list[str] = field(default_factory=list)
    #: Person-months paid otherwise than planned: "<plan key> <month>: paid ..., planned ...".
    differences: list[str] = field(default_factory=list)
    problems: Counter[str] = field(default_factory=Counter)
    example: str = ""

    @property
    def invariants_hold(self) -> bool:
        """Paid at most once, moves without gap or overlap, claims equal the overpaid."""
        return (
            self.paid_twice == 0
            and self.move_gaps == 0
            and self.move_overlaps == 0
            and self.claims_wrong == 0
        )

    @property
    def ok(self) -> bool:
        """Every call answered as a clerk expects and every invariant holds (and the plan,
        when it could be compared)."""
        return (
            not self.problems
            and self.unfinished == 0
            and self.invariants_hold
            and self.not_as_planned == 0
            and self.refused_as_planned
        )

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (for the marker file)."""
        data = asdict(self)
        data["problems"] = dict(self.problems)
        data["ok"] = self.ok
        return data


class _Driver(DemoDriver):
    """The HTTP side of one run of the elder part."""

    def __init__(
        self,
        workload: ElderWorkload,
        clients: dict[City, httpx.AsyncClient],
        progress: Progress,
        *,
        concurrency: int,
        wait_seconds: float,
    ) -> None:
        self.workload = workload
        self.report = ElderReport(
            seed=workload.seed,
            day=workload.today.isoformat(),
            elders=len(workload.elders),
            months=f"{workload.first_month}..{workload.last_month}",
        )
        super().__init__(
            clients,
            progress,
            self.report.problems,
            concurrency=concurrency,
            wait_seconds=wait_seconds,
        )
        self.refs: dict[str, str] = {}  # elder key -> person_ref
        self.application_ids: dict[str, str] = {}

    # -- calls -----------------------------------------------------------------------------

    def _not_seen(self, city: City, path: str) -> None:
        super()._not_seen(city, path)
        self.report.unfinished += 1
        self.report.unseen.append(f"{city} GET {path}")

    async def _all(self, calls: list[Any]) -> list[Any]:
        return list(await asyncio.gather(*calls))

    # -- registers and the map -------------------------------------------------------------

    async def publish_institutions(self) -> None:
        """Each city publishes its institutions."""
        institutions = self.workload.institutions
        task = self.progress.add_task("institutions", total=len(institutions))

        async def one(index: int) -> None:
            i = institutions[index]
            view = await self._call(
                "publish institution",
                i.city,
                "PUT",
                f"/institutions/{i.institution_id}",
                i.body(),
                200,
                201,
            )
            if view is not None:
                self.report.institutions += 1
            self.progress.advance(task)

        await self._all([one(n) for n in range(len(institutions))])

    async def import_registers(self) -> None:
        """Both cities' first imports, in chunks of 500 rows; the refused lines must be
        the planned bad rows."""
        for city in CITIES:
            rows = self.workload.first_import(city)
            refused: dict[int, str] = {}
            task = self.progress.add_task(f"import register {city}", total=len(rows))
            for first in range(0, len(rows), 500):
                chunk = rows[first : first + 500]
                report = await self._call(
                    "import rows", city, "POST", "/register/rows", {"rows": chunk}, 200
                )
                if report is not None:
                    self.report.imported[city] += report["registered"] + report["updated"]
                    refused.update({r["line"]: r["error"] for r in report["rejected"]})
                self.progress.advance(task, len(chunk))
            self.report.refused_rows += len(refused)
            self.report.refused_as_planned &= refused == self.workload.refused_lines(city)
        await self.learn_refs([e.key for e in self.workload.elders if e.imported_in is None])

    async def learn_refs(self, keys: list[str]) -> None:
        """Each elder's ``person_ref``, looked up in their household city."""

        async def one(key: str) -> None:
            elder = self.workload.elder(key)
            view = await self._call(
                "look up elder",
                elder.home_city,
                "POST",
                "/register/lookup",
                {"id_number": elder.resident_id},
                200,
            )
            if view is not None:
                self.refs[key] = view["person_ref"]

        await self._all([one(key) for key in keys])

    # -- a month ---------------------------------------------------------------------------

    async def month(self, plan: MonthPlan) -> None:
        """One month, in the plan's four steps."""
        await self.register_changes(plan)
        await self.arrivals_and_answers(plan)
        await self.payment_runs(plan.month)
        await self.applications(plan)

    async def register_changes(self, plan: MonthPlan) -> None:
        calls = []
        for m in plan.moves:
            if m.person in self.refs:
                body = {"to_city": m.to_city, "move_month": str(m.month)}
                path = f"/register/{self.refs[m.person]}/move-out"
                calls.append(
                    self._call("record move out", m.from_city, "POST", path, body, 200, 201)
                )
                self.report.moves += 1
        for d in plan.deaths:
            if d.person in self.refs:
                path = f"/register/{self.refs[d.person]}/death"
                body = {"died_on": d.died_on.isoformat()}
                calls.append(self._call("record death", d.city, "POST", path, body, 200, 201))
                self.report.deaths += 1
                self.report.late_deaths += d.late
        for a in plan.assistance_changes:
            if a.person in self.refs:
                path = f"/register/{self.refs[a.person]}/assistance"
                body = {"status": a.status, "since": a.since.isoformat()}
                calls.append(self._call("change assistance", a.city, "POST", path, body, 200, 201))
                self.report.assistance_changes += 1
        await self._all(calls)

    async def arrivals_and_answers(self, plan: MonthPlan) -> None:
        """Movers imported once the new city knows of the move; persons the register
        missed imported by their household city; verifications (in the other city once it
        knows the allowance); last month's applications approved once the paying city has
        them. Then the paying cities have every verification."""
        deadline = self._deadline()
        moves = [m for m in plan.moves if m.person in self.refs]

        def settled_move(move: Any) -> Callable[[View], bool]:
            def done(view: View) -> bool:
                registrations = view.get("registrations") or {}
                old = registrations.get(move.from_city) or {}
                new = registrations.get(move.to_city) or {}
                return (
                    old.get("status") == "moved-out"
                    and new.get("registered_from") == str(move.month.next())
                    and view.get("duplicate") is None
                )

            return done

        async def known_moved(move: Any) -> None:
            await self._until(
                move.to_city, f"/register/{self.refs[move.person]}", settled_move(move), deadline
            )

        # The new city imports the person (its register shows nobody before); once the
        # move has reached it over the bus, its registration starts the month after the
        # move (imported before the move arrived, the person is flagged in both registers
        # until it does).
        for to_city in CITIES:
            rows = [
                self.workload.elder(m.person).row(line, city=to_city, district=m.new_district)
                for line, m in enumerate((m for m in moves if m.to_city == to_city), start=2)
            ]
            if rows:
                await self._call(
                    "import movers", to_city, "POST", "/register/rows", {"rows": rows}, 200
                )
        await self._all([known_moved(m) for m in moves])
        # The household city holds the application (left for a clerk: it does not hold
        # the person yet) before it imports them; imported first, it would decide alone.
        await self._all(
            [
                self._until(
                    a.household_city,
                    f"/applications/{self.application_ids[a.person]}",
                    lambda _: True,
                    deadline,
                )
                for a in plan.decisions
                if a.person in self.application_ids
            ]
        )
        for city in CITIES:
            rows = [
                e.row(line)
                for line, e in enumerate(plan.late_imports, start=2)
                if e.home_city == city
            ]
            if rows:
                await self._call("import late", city, "POST", "/register/rows", {"rows": rows}, 200)
        await self.learn_refs([e.key for e in plan.late_imports])

        async def verify(v: Any) -> None:
            ref = self.refs.get(v.person)
            if ref is None:
                return
            if v.recorded_in != v.paying_city:
                await self._until(v.recorded_in, f"/allowances/{ref}", lambda _: True, deadline)
            view = await self._call(
                "record verification",
                v.recorded_in,
                "POST",
                "/verifications",
                {
                    "id_number": self.workload.elder(v.person).resident_id,
                    "verified_on": v.verified_on.isoformat(),
                },
                201,
            )
            if view is None:
                return
            self.report.verifications += 1
            self.report.verified_elsewhere += v.recorded_in != v.paying_city
            # The paying city applies it before its run: its next due moves past the month.
            await self._until(
                v.paying_city,
                f"/allowances/{ref}",
                lambda a: (
                    a.get("verification_due") is not None
                    and Month.parse(a["verification_due"]) > v.month
                ),
                deadline,
            )

        async def decide(a: Any) -> None:
            application_id = self.application_ids.get(a.person)
            if application_id is None:
                return
            known = await self._until(
                a.household_city, f"/applications/{application_id}", lambda _: True, deadline
            )
            if known is None:
                return
            view = await self._call(
                "decide application",
                a.household_city,
                "POST",
                f"/applications/{application_id}/decision",
                {"outcome": "approved", "reason": "registered late; of allowance age"},
                200,
                201,
            )
            if view is not None:
                self.report.approved += 1

        await self._all(
            [verify(v) for v in plan.verifications] + [decide(a) for a in plan.decisions]
        )

    async def payment_runs(self, month: Month) -> None:
        """Both cities' runs of ``month``."""

        async def one(city: City) -> None:
            answer = await self.send(city, "POST", "/payment-runs", {"month": str(month)})
            if answer.status == 201:
                self.report.runs_new += 1
            elif answer.status == 200:
                self.report.runs_repeated += 1
            else:
                self._problem("payment run", answer)

        await self._all([one(city) for city in CITIES])

    async def applications(self, plan: MonthPlan) -> None:
        """Persons the register missed apply in the other city after the run (their
        household city imports them next month, and its clerk approves)."""

        async def apply(a: Any) -> None:
            view = await self._call(
                "apply",
                a.accepted_in,
                "POST",
                "/applications",
                {
                    "id_number": self.workload.elder(a.person).resident_id,
                    "household_city": a.household_city,
                },
                201,
            )
            if view is not None:
                self.application_ids[a.person] = view["application_id"]
                self.report.applications += 1

        await self._all([apply(a) for a in plan.applications])

    # -- assessments and the end -----------------------------------------------------------

    async def record_assessments(self) -> None:
        """Each planned assessment; its total and levels as planned."""

        async def one(index: int) -> None:
            planned = self.workload.assessments[index]
            body = planned.body(self.workload.elder(planned.person).resident_id)
            view = await self._call(
                "record assessment", planned.city, "POST", "/assessments", body, 201
            )
            if view is None:
                return
            self.report.assessments += 1
            if (view["total"], view["base_level"], view["level"]) == (
                planned.total,
                planned.base_level,
                planned.level,
            ):
                self.report.assessments_as_planned += 1

        await self._all([one(n) for n in range(len(self.workload.assessments))])

    async def read_back(self) -> None:
        """Every elder's allowance in both cities, the map in both cities; the
        invariants, and the plan when every run was new."""
        task = self.progress.add_task("read allowances", total=len(self.refs))
        paid: dict[tuple[str, str], list[tuple[City, int]]] = {}
        claims: dict[str, int] = {}

        async def one(key: str) -> None:
            for city in CITIES:
                answer = await self.send(city, "GET", f"/allowances/{self.refs[key]}")
                if answer.status == 404:
                    continue
                if answer.status != 200:
                    self._problem("read allowance", answer)
                    continue
                view = answer.json()
                for p in view["payments"]:
                    paid.setdefault((key, p["month"]), []).append((city, int(p["amount_fen"])))
                if view["paying_city"] == city:  # the other city shows the same claims
                    for c in view["recovery_claims"]:
                        claims[key] = claims.get(key, 0) + int(c["amount_fen"])
                if not self.report.example and view["payments"]:
                    url = str(self.clients[city].base_url).rstrip("/")
                    self.report.example = f"{url}/allowances/{self.refs[key]}"
            self.progress.advance(task)

        await self._all([one(key) for key in self.refs])
        report = self.report
        for (_, _), rows in paid.items():
            report.payments[rows[0][0]] += 1
            report.paid_fen[rows[0][0]] += rows[0][1]
        report.paid_twice = sum(1 for rows in paid.values() if len(rows) > 1)
        for move in self.workload.moves:
            months = sorted(Month.parse(m) for (k, m) in paid if k == move.person)
            if not months:
                continue
            if [m.index for m in months] != list(range(months[0].index, months[-1].index + 1)):
                report.move_gaps += 1
            cities = {m: paid[(move.person, str(m))][0][0] for m in months}
            if any(
                (cities[m] != move.from_city) if m <= move.month else (cities[m] != move.to_city)
                for m in months
            ):
                report.move_overlaps += 1
        # A claim equals what the paying city paid after the death (months beyond it).
        for death in self.workload.deaths:
            if death.person not in self.refs:
                continue
            died = Month.of(death.died_on)
            after = sum(
                fen
                for (k, m), rows in paid.items()
                if k == death.person and Month.parse(m) > died
                for _, fen in rows
            )
            report.claims += death.person in claims
            if claims.get(death.person, 0) != after:
                report.claims_wrong += 1
        if report.runs_repeated == 0 and report.runs_new == 2 * len(self.workload.months):
            report.compared_with_plan = True
            shown = {(k, m): rows[0] for (k, m), rows in paid.items()}
            planned = {
                (p.person, str(p.month)): (p.city, p.amount_fen) for p in self.workload.payments
            }
            differ = set(shown.items()) ^ set(planned.items())
            report.not_as_planned = len(differ)
            report.differences = sorted(
                f"{k} {m}: paid {shown.get((k, m))}, planned {planned.get((k, m))}"
                for (k, m), _ in differ
            )
        for city in CITIES:
            answer = await self.send(city, "GET", "/institutions", None)
            if answer.status == 200:
                body = answer.json()
                report.institutions_seen[city] = int(body.get("total", len(body.get("items", []))))


async def run_elder_demo(
    workload: ElderWorkload,
    urls: dict[City, str],
    *,
    tokens: Mapping[City, str],
    progress: Progress,
    concurrency: int = 8,
    wait_seconds: float = 60.0,
) -> ElderReport:
    """Drive ``workload`` through the elder-allowance services at ``urls`` as a
    civil-affairs clerk of each city (``tokens``); what happened.

    Raises :class:`ElderDemoError` when a service is not ready."""
    async with (
        httpx.AsyncClient(base_url=urls["cq"], timeout=120, headers=bearer(tokens["cq"])) as cq,
        httpx.AsyncClient(base_url=urls["cd"], timeout=120, headers=bearer(tokens["cd"])) as cd,
    ):
        clients: dict[City, httpx.AsyncClient] = {"cq": cq, "cd": cd}
        problem = await not_ready(clients, SERVICE)
        if problem is not None:
            raise ElderDemoError(problem)
        driver = _Driver(
            workload, clients, progress, concurrency=concurrency, wait_seconds=wait_seconds
        )
        await driver.publish_institutions()
        await driver.import_registers()
        task = progress.add_task("months", total=len(workload.months))
        for month in workload.months:
            await driver.month(workload.in_month(month))
            progress.advance(task)
        await driver.record_assessments()
        await driver.read_back()
        return driver.report


# -- output --------------------------------------------------------------------------------

_MORE = " " * 22


def _yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d} yuan"


def elder_summary_lines(report: ElderReport, workload: ElderWorkload) -> list[str]:
    """The end-of-run summary of the elder part, one line per fact (counts only)."""
    lines = [
        f"elder demo seed {report.seed} on {report.day}: {report.elders} elders,"
        f" monthly runs {report.months}",
        f"  registers           imported cq {report.imported['cq']}, cd {report.imported['cd']};"
        f" {report.refused_rows} bad rows refused by line"
        + (" as planned" if report.refused_as_planned else " NOT AS PLANNED"),
        f"  changes             {report.moves} moves, {report.deaths} deaths"
        f" ({report.late_deaths} recorded late), {report.assistance_changes} assistance changes",
        f"  verifications       {report.verifications} ({report.verified_elsewhere} in the"
        " other city)",
        f"  applications        {report.applications} in the other city, {report.approved}"
        " approved by the paying city",
        f"  payment runs        {report.runs_new} new, {report.runs_repeated} already run on"
        " this stack",
    ]
    for city in CITIES:
        lines.append(
            f"  paid by {city}          {report.payments[city]:,} person-months,"
            f" {_yuan(report.paid_fen[city])}"
        )
    verdict = "hold" if report.invariants_hold else "DO NOT HOLD"
    lines += [
        f"  invariants          {verdict}: {report.paid_twice} person-months paid twice,"
        f" {report.move_gaps} moves with a gap, {report.move_overlaps} paid by the wrong city",
        f"{_MORE}{report.claims} recovery claims, {report.claims_wrong} not equal to the"
        " months paid after the death",
    ]
    if report.compared_with_plan:
        planned = len(workload.payments)
        lines.append(
            f"{_MORE}payments as the policy predicts: {planned - report.not_as_planned}"
            f" of {planned}"
            + ("" if report.not_as_planned == 0 else f" ({report.not_as_planned} DIFFER)")
        )
        lines.extend(f"{_MORE}  {difference}" for difference in report.differences[:10])
    lines += [
        f"  assessments         {report.assessments} recorded, {report.assessments_as_planned}"
        " with the planned level",
        f"  institutions        {report.institutions} published; listed in cq"
        f" {report.institutions_seen['cq']}, in cd {report.institutions_seen['cd']}",
    ]
    if report.unfinished:
        lines.append(f"  NOT SEEN            {report.unfinished} effects within the wait")
        lines.extend(f"                      {what}" for what in report.unseen[:10])
    for problem, count in sorted(report.problems.items()):
        lines.append(f"  PROBLEM             {count} x {problem}")
    if report.example:
        token = (
            "$(uv run chengyu token --city cq --agency ca --role clerk --service elder-allowance)"
        )
        lines.append(
            f'  look at one         curl -s -H "Authorization: Bearer {token}" {report.example}'
        )
    return lines
