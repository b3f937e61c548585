"""The jobs part of ``chengyu-demo``: drive a seeded workload of both cities' human-resources
bureaus through their job-matching services.

The workload comes from :func:`chengyu_demo.jobs.jobs_plan` (pure); this module only speaks
HTTP to the clerks' API: each city's postings and seekers in batches (``POST
/postings/batch``, ``POST /seekers/batch``), then how long the other city takes to answer
with them; a seeker of each city withdraws consent (gone from the other city); matches
both ways, shown with each factor's explanation; a joint fair of both cities' postings;
12333 requests forwarded both ways along every path (closed after a callback, reopened by a
poor callback then closed, returned as wrongly routed, extended then closed, left
unsigned, signed and open); personnel files transferred both ways (one held as incomplete until the
missing parts came) and a certificate answered by the holding city.

The summary checks the invariants on what both services answer: every 12333 request in
exactly one state, the same in both cities' views and the planned one; the other city's
answers include the first city's postings; a withdrawn seeker is absent from the other
city (its profile and its answers).

Time: the services run on the real clock and the demo does not move it. Deadlines count
from the day a request is forwarded (or a file requested), so none passes during a run:
the summary shows each open request's deadlines and checks that nothing is flagged
overdue, which is right on the calendar. The stack's processes stay on the real clock;
overdue requests across a holiday are shown by ``tests/test_job_matching_overdue_e2e.py``
on shifted clocks (the kit's ``CLOCK_START``).

Seekers' and callers' ID numbers, names and phones go only into request bodies; nothing
here prints or logs them (people are named by their plan key).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx
from rich.progress import Progress

from chengyu_demo.driver import DemoDriver, View, bearer, not_ready
from chengyu_demo.jobs import JobsPlan, PlannedFile, PlannedRequest, PlannedSeeker
from chengyu_demo.stack import CITIES, City, other_city

__all__ = ["SERVICE", "JobsDemoError", "JobsReport", "jobs_summary_lines", "run_jobs_demo"]

SERVICE = "job-matching"
BATCH = 1000
#: Seekers per city whose matches the summary shows (with explanations).
SHOWN = 1


class JobsDemoError(RuntimeError):
    """The jobs part cannot run (a service does not answer); the message says what to do."""


@dataclass
class JobsReport:
    """What the jobs part did and what both cities answered (no personal data)."""

    seed: int
    day: str
    postings: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CITIES, 0))
    seekers: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CITIES, 0))
    shared: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CITIES, 0))
    refused: Counter[str] = field(default_factory=Counter)
    #: Seconds until the other city's answers held all of a city's postings.
    seen_after: dict[str, float] = field(default_factory=dict)
    #: Postings of the other city among the matches of seekers who want both cities.
    other_city_matches: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CITIES, 0))
    withdrawn: int = 0
    withdrawn_still_seen: int = 0
    shown: list[str] = field(default_factory=list)
    fair: str = ""
    fair_cities: list[str] = field(default_factory=list)
    #: Request key -> state in cq / cd / planned.
    requests: dict[str, list[str]] = field(default_factory=dict)
    overdue: dict[str, bool] = field(default_factory=dict)
    #: The open requests' deadlines as both cities show them (``sign_by``/``resolve_by``).
    deadlines: list[str] = field(default_factory=list)
    files: Counter[str] = field(default_factory=Counter)
    files_moved: int = 0
    certificate: str = ""
    unfinished: int = 0
    problems: Counter[str] = field(default_factory=Counter)
    example: str = ""
    example_city: str = ""

    @property
    def requests_agree(self) -> bool:
        """Every request in one state, the same in both cities and the planned one."""
        return bool(self.requests) and all(
            cq == cd == planned for cq, cd, planned in self.requests.values()
        )

    @property
    def invariants_hold(self) -> bool:
        """The requests agree, none flagged overdue (no deadline passes during a run on the
        real clock), the other city answers with the first city's postings, a withdrawn
        seeker is gone there."""
        return (
            self.requests_agree
            and not any(self.overdue.values())
            and all(self.other_city_matches.values())
            and len(self.seen_after) == len(CITIES)
            and self.withdrawn > 0
            and self.withdrawn_still_seen == 0
        )

    @property
    def ok(self) -> bool:
        """Every call answered as a clerk expects and every invariant holds."""
        return not self.problems and self.unfinished == 0 and self.invariants_hold

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (for the marker file)."""
        data = asdict(self)
        data["refused"] = dict(self.refused)
        data["files"] = dict(self.files)
        data["problems"] = dict(self.problems)
        data["ok"] = self.ok
        return data


class _Driver(DemoDriver):
    """The HTTP side of one run of the jobs part."""

    def __init__(
        self,
        plan: JobsPlan,
        clients: dict[City, httpx.AsyncClient],
        progress: Progress,
        *,
        concurrency: int,
        wait_seconds: float,
    ) -> None:
        self.plan = plan
        self.report = JobsReport(seed=plan.seed, day=plan.today.isoformat())
        super().__init__(
            clients,
            progress,
            self.report.problems,
            concurrency=concurrency,
            wait_seconds=wait_seconds,
        )
        self.posting_ids: dict[str, str] = {}  # plan key -> posting_id
        self.seeker_refs: dict[str, str] = {}  # plan key -> seeker_ref
        self.request_ids: dict[str, str] = {}  # plan key -> request_id

    def _not_seen(self, city: City, path: str) -> None:
        super()._not_seen(city, path)
        self.report.unfinished += 1

    async def _post(self, what: str, city: City, path: str, body: View | None) -> View | None:
        return await self._call(what, city, "POST", path, body, 200, 201)

    # -- postings and seekers ------------------------------------------------------------

    async def publish(self) -> None:
        """Each city's postings and seekers in batches; how long until the other city
        answers with all of a city's postings."""
        task = self.progress.add_task(
            "postings and seekers", total=len(self.plan.postings) + len(self.plan.seekers)
        )
        started = time.monotonic()

        async def city_postings(city: City) -> None:
            planned = self.plan.postings_of(city)
            for first in range(0, len(planned), BATCH):
                chunk = planned[first : first + BATCH]
                body = {"postings": [p.body for p in chunk]}
                view = await self._post("publish postings", city, "/postings/batch", body)
                if view is not None:
                    for accepted in view["accepted"]:
                        self.posting_ids[chunk[accepted["index"]].key] = accepted["posting_id"]
                    self.report.postings[city] += len(view["accepted"])
                    for refused in view["refused"]:
                        self.report.refused[f"posting: {refused['code']}"] += 1
                self.progress.advance(task, len(chunk))

        await asyncio.gather(*(city_postings(c) for c in CITIES))

        async def seen_in_other(city: City) -> None:
            path = f"/postings?city={city}&state=open&per_page=1"
            other = other_city(city)
            view = await self._until(
                other,
                path,
                lambda v: int(v["total"]) >= self.report.postings[city],
                self._deadline(),
            )
            if view is not None:
                self.report.seen_after[city] = round(time.monotonic() - started, 1)

        seen = asyncio.gather(*(seen_in_other(c) for c in CITIES))

        async def city_seekers(city: City) -> None:
            planned = self.plan.seekers_of(city)
            for first in range(0, len(planned), BATCH):
                chunk = planned[first : first + BATCH]
                body = {"seekers": [s.body for s in chunk]}
                view = await self._post("register seekers", city, "/seekers/batch", body)
                if view is not None:
                    for accepted in view["accepted"]:
                        seeker = chunk[accepted["index"]]
                        self.seeker_refs[seeker.key] = accepted["seeker_ref"]
                        self.report.shared[city] += bool(seeker.body["consent_other_city"])
                    self.report.seekers[city] += len(view["accepted"])
                    for refused in view["refused"]:
                        self.report.refused[f"seeker: {refused['code']}"] += 1
                self.progress.advance(task, len(chunk))

        await asyncio.gather(*(city_seekers(c) for c in CITIES))
        await seen

    async def withdraw_consents(self) -> None:
        """The planned seekers withdraw consent: the other city no longer knows them."""
        for seeker in (s for s in self.plan.seekers if s.withdraws):
            ref = self.seeker_refs.get(seeker.key)
            if ref is None:
                continue
            other = other_city(seeker.city)
            # Shared first (the other city knows the profile), then withdrawn.
            await self._until(other, f"/seekers/{ref}", lambda _: True, self._deadline())
            body = {"given": False}
            if await self._post("withdraw consent", seeker.city, f"/seekers/{ref}/consent", body):
                self.report.withdrawn += 1
            gone = await self._gone(other, f"/seekers/{ref}")
            self.report.withdrawn_still_seen += not gone

    async def _gone(self, city: City, path: str) -> bool:
        """Whether ``path`` answers 404 in ``city`` within the wait."""
        loop = asyncio.get_running_loop()
        deadline = self._deadline()
        while True:
            answer = await self.send(city, "GET", path)
            if answer.status == 404:
                return True
            if loop.time() > deadline:
                return False
            await asyncio.sleep(0.5)

    # -- matching ------------------------------------------------------------------------

    async def matches(self) -> None:
        """Matches both ways: for seekers who want both cities, the other city's postings
        among their matches; a few shown with their explanations; a withdrawn seeker in
        no posting's matches of the other city."""
        for city in CITIES:
            other = other_city(city)
            # Withdrawing consent takes a profile out of the other city only: its own
            # city still matches it, so only the other city's withdrawals count here.
            withdrawn = {
                self.seeker_refs.get(s.key) for s in self.plan.seekers_of(other) if s.withdraws
            }
            wanting_both = [
                s
                for s in self.plan.seekers_of(city)
                if set(s.body["desired_cities"]) == set(CITIES)
                and s.key in self.seeker_refs
                and not s.withdraws
            ]
            for n, seeker in enumerate(wanting_both[:10]):
                ref = self.seeker_refs[seeker.key]
                view = await self._call(
                    "seeker's matches", city, "GET", f"/seekers/{ref}/matches?limit=10", None, 200
                )
                if view is None:
                    continue
                self.report.other_city_matches[city] += sum(
                    m["city"] == other for m in view["matches"]
                )
                if n < SHOWN:
                    self._show_seeker(seeker, view)
            # Seekers for a posting of the other city, asked here: none of the other
            # city's seekers who withdrew.
            posting = next(
                (p for p in self.plan.postings_of(other) if p.key in self.posting_ids), None
            )
            if posting is None:
                continue
            path = f"/postings/{self.posting_ids[posting.key]}/matches?limit=50"
            view = await self._call("posting's matches", city, "GET", path, None, 200)
            if view is not None:
                self.report.withdrawn_still_seen += sum(
                    m["seeker_ref"] in withdrawn for m in view["matches"]
                )
                if city == "cq":
                    self._show_posting(posting.body, view)

    def _show_seeker(self, seeker: PlannedSeeker, view: View) -> None:
        body = seeker.body
        self.report.shown.append(
            f"seeker {seeker.key} ({seeker.city}; wants {body['occupation_codes'][0]},"
            f" {body['education']}, {'/'.join(body['desired_cities'])};"
            f" {view['considered']} postings considered):"
        )
        for match in view["matches"][:3]:
            self.report.shown.append(
                f"  {match['score']:.2f} {match['city']} {match['title']}"
                f" @ {match['employer_name']}"
            )
            for name, factor in match["factors"].items():
                self.report.shown.append(
                    f"       {name:<10} {factor['score']:.2f}  {factor['why']}"
                )

    def _show_posting(self, posting: View, view: View) -> None:
        self.report.shown.append(
            f"posting '{posting['title']}' ({posting['occupation_code']}), seekers of both"
            f" cities ({view['considered']} considered):"
        )
        for match in view["matches"][:3]:
            why = "; ".join(f["why"] for f in match["factors"].values())
            self.report.shown.append(f"  {match['score']:.2f} {match['city']} {why}")

    # -- the fair ------------------------------------------------------------------------

    async def fair(self) -> None:
        """A joint fair of both cities' postings, organised by one city, seen by the other."""
        ids = [self.posting_ids[k] for k in self.plan.fair_postings if k in self.posting_ids]
        body = {**self.plan.fair, "posting_ids": ids}
        view = await self._post("schedule fair", self.plan.fair_city, "/fairs", body)
        if view is None:
            return
        fair_id = view["fair_id"]
        other = other_city(self.plan.fair_city)
        seen = await self._until(
            other, f"/fairs/{fair_id}", lambda v: len(v["postings"]) == len(ids), self._deadline()
        )
        if seen is not None:
            self.report.fair = f"{seen['title']} ({seen['starts_on']}..{seen['ends_on']})"
            self.report.fair_cities = sorted({p["city"] for p in seen["postings"]})

    # -- 12333 requests ------------------------------------------------------------------

    async def hotline(self) -> None:
        """Every planned request along its path, both directions at once."""
        task = self.progress.add_task("12333 requests", total=len(self.plan.requests))

        async def one(planned: PlannedRequest) -> None:
            await self._request(planned)
            self.progress.advance(task)

        await asyncio.gather(*(one(r) for r in self.plan.requests))

    async def _seen(self, city: City, path: str, done: Callable[[View], bool]) -> View | None:
        return await self._until(city, path, done, self._deadline())

    async def _request(self, planned: PlannedRequest) -> None:
        sender, receiver = planned.from_city, planned.to_city
        view = await self._post("forward 12333 request", sender, "/hotline/requests", planned.body)
        if view is None:
            return
        path = f"/hotline/requests/{view['request_id']}"
        self.request_ids[planned.key] = view["request_id"]
        if not self.report.example:
            self.report.example = f"{str(self.clients[receiver].base_url).rstrip('/')}{path}"
            self.report.example_city = receiver

        def state(*states: str) -> Callable[[View], bool]:
            return lambda v: v["state"] in states

        if await self._seen(receiver, path, state("forwarded")) is None:
            return
        kind = planned.path
        if kind == "returned":
            await self._post("return request", receiver, f"{path}/return", {"reason": _WRONG})
            return
        if kind == "unsigned":
            return
        if await self._post("sign for request", receiver, f"{path}/sign", None) is None:
            return
        if kind == "signed":
            await self._seen(sender, path, state("signed"))
            return
        if kind == "extended" and not await self._extend(sender, receiver, path):
            return
        if not await self._resolve(sender, receiver, path):
            return
        feedback = "basically-satisfied" if kind == "extended" else "satisfied"
        if kind == "reopened":
            body = {"feedback": "dissatisfied"}
            if await self._post("call back", sender, f"{path}/callback", body) is None:
                return
            if await self._seen(receiver, path, state("reopened")) is None:
                return
            if not await self._resolve(sender, receiver, path):
                return
        body = {"feedback": feedback}
        if await self._post("call back", sender, f"{path}/callback", body) is not None:
            await self._seen(receiver, path, state("closed"))

    async def _extend(self, sender: City, receiver: City, path: str) -> bool:
        body = {"working_days": 3, "reason": "需调取对方城市社保缴费记录，核实后答复"}
        asked = await self._post("ask for an extension", receiver, f"{path}/extensions", body)
        if asked is None:
            return False
        extension = asked["extension_id"]
        if await self._seen(sender, path, lambda v: _has_extension(v, extension)) is None:
            return False
        decided = await self._post(
            "decide extension",
            sender,
            f"{path}/extensions/{extension}/decide",
            {"approved": True, "reason": "同意延期"},
        )
        if decided is None:
            return False
        resolve_by = decided.get("resolve_by")
        return (
            await self._seen(receiver, path, lambda v: v.get("resolve_by") == resolve_by)
            is not None
        )

    async def _resolve(self, sender: City, receiver: City, path: str) -> bool:
        body = {"resolution": "已联系相关单位核实处理，并向来电人说明政策依据"}
        if await self._post("resolve request", receiver, f"{path}/resolve", body) is None:
            return False
        return await self._seen(sender, path, lambda v: v["state"] == "resolved") is not None

    async def read_requests(self) -> None:
        """Every request as both cities see it at the end."""
        for planned in self.plan.requests:
            request_id = self.request_ids.get(planned.key)
            if request_id is None:
                continue
            states = []
            flags = []
            for city in CITIES:
                view = await self._get(city, f"/hotline/requests/{request_id}")
                states.append("-" if view is None else str(view["state"]))
                flags.append(view is not None and _overdue(view))
            self.report.requests[planned.key] = [*states, planned.end_state]
            self.report.overdue[planned.key] = all(flags)
            if view is not None and states[0] in ("forwarded", "signed", "reopened"):
                due = view["sign_by"] if states[0] == "forwarded" else view["resolve_by"]
                self.report.deadlines.append(f"{planned.key} {states[0]} due {due}")
            if any(flags) != all(flags):
                self.problems["overdue flagged in one city only"] += 1

    # -- personnel files -----------------------------------------------------------------

    async def files(self) -> None:
        """Each planned file held, found from the other city, transferred there."""
        for planned in self.plan.files:
            await self._file(planned)
        await self._certificate()

    async def _file(self, planned: PlannedFile) -> None:
        holder, to = planned.holder, planned.to_city
        body = {
            "id_number": planned.id_number,
            "centre_id": planned.centre[0],
            "centre_name": planned.centre[1],
            "held_since": planned.held_since.isoformat(),
        }
        if await self._post("record file held", holder, "/personnel-files", body) is None:
            return
        lookup = {"id_number": planned.id_number}
        if not await self._held_in(to, lookup, holder):
            return
        asked = await self._post(
            "request transfer",
            to,
            "/personnel-files/transfers",
            {"id_number": planned.id_number, "to_centre_id": planned.to_centre[0]},
        )
        if asked is None:
            return
        path = f"/personnel-files/transfers/{asked['transfer_id']}"

        def state(*states: str) -> Callable[[View], bool]:
            return lambda v: v["state"] in states

        if await self._seen(holder, path, state("requested")) is None:
            return
        sent = {"method": "confidential-courier", "tracking_number": f"JY{planned.key.upper()}01"}
        if await self._post("dispatch file", holder, f"{path}/dispatch", sent) is None:
            return
        if await self._seen(to, path, state("dispatched")) is None:
            return
        received = {
            "complete": not planned.incomplete,
            "missing_parts": list(planned.missing_parts),
        }
        if await self._post("receive file", to, f"{path}/receive", received) is None:
            return
        if planned.incomplete:
            self.report.files["held as incomplete"] += 1
            if await self._seen(holder, path, state("incomplete")) is None:
                return
            parts = {"method": "tracked-post", "tracking_number": f"EMS{planned.key.upper()}02"}
            if await self._post("supplement file", holder, f"{path}/supplement", parts) is None:
                return
            if await self._seen(to, path, state("supplemented")) is None:
                return
            if await self._post("complete transfer", to, f"{path}/complete", None) is None:
                return
        done = await self._seen(holder, path, state("completed"))
        if done is not None:
            self.report.files["completed"] += 1
            self.report.files_moved += await self._held_in(holder, lookup, to)

    async def _held_in(self, city: City, lookup: View, holder: City) -> bool:
        """Whether ``city``'s lookup finds the file held by ``holder`` (and only there)."""
        loop = asyncio.get_running_loop()
        deadline = self._deadline()
        while True:
            answer = await self.send(city, "POST", "/personnel-files/lookup", lookup)
            if answer.status == 200:
                cities = [h["city"] for h in answer.json()["holdings"]]
                if cities == [holder]:
                    return True
            if loop.time() > deadline:
                self._not_seen(city, "/personnel-files/lookup")
                return False
            await asyncio.sleep(0.5)

    async def _certificate(self) -> None:
        holder = self.plan.certificate_holder
        planned = next((f for f in self.plan.files if f.to_city == holder), None)
        if planned is None or self.report.files["completed"] == 0:
            return
        # The file transferred to ``holder`` is held there now: the other city asks.
        asker = other_city(holder)
        body = {"id_number": planned.id_number, "kind": "file-held", "purpose": "办理落户手续"}
        asked = await self._post(
            "request certificate", asker, "/personnel-files/certificates", body
        )
        if asked is None:
            return
        path = f"/personnel-files/certificates/{asked['certificate_id']}"
        if await self._seen(holder, path, lambda _: True) is None:
            return
        answer = {
            "issued": True,
            "certificate_number": f"DA{self.plan.today:%Y%m%d}01",
            "document_text": "兹证明该同志人事档案现存放于我中心。",
            "reason": "档案齐全",
        }
        if await self._post("answer certificate", holder, f"{path}/answer", answer) is None:
            return
        seen = await self._seen(asker, path, lambda v: v.get("state") not in (None, "requested"))
        if seen is not None:
            self.report.certificate = str(seen.get("state"))


_WRONG = "该诉求属来电人户籍所在地办理事项，非本市受理范围"


def _overdue(view: View) -> bool:
    """Whether a request's view flags it overdue (``overdue``: a flag or the steps)."""
    flag = view.get("overdue")
    return bool(flag)


def _has_extension(view: View, extension_id: str) -> bool:
    return any(e.get("extension_id") == extension_id for e in view.get("extensions", []))


async def run_jobs_demo(
    plan: JobsPlan,
    urls: dict[City, str],
    *,
    tokens: Mapping[City, str],
    progress: Progress,
    concurrency: int = 8,
    wait_seconds: float = 60.0,
) -> JobsReport:
    """Drive ``plan`` through the job-matching services at ``urls`` as each city's
    human-resources clerk (``tokens``); what happened.

    Raises :class:`JobsDemoError` when a service is not ready."""
    async with (
        httpx.AsyncClient(base_url=urls["cq"], timeout=120, headers=bearer(tokens["cq"])) as cq,
        httpx.AsyncClient(base_url=urls["cd"], timeout=120, headers=bearer(tokens["cd"])) as cd,
    ):
        clients: dict[City, httpx.AsyncClient] = {"cq": cq, "cd": cd}
        problem = await not_ready(clients, SERVICE)
        if problem is not None:
            raise JobsDemoError(problem)
        driver = _Driver(
            plan, clients, progress, concurrency=concurrency, wait_seconds=wait_seconds
        )
        await driver.publish()
        await driver.withdraw_consents()
        await driver.matches()
        await driver.fair()
        await driver.hotline()
        await driver.read_requests()
        await driver.files()
        return driver.report


# -- output --------------------------------------------------------------------------------

_MORE = " " * 22


def jobs_summary_lines(report: JobsReport) -> list[str]:
    """The end-of-run summary of the jobs part, one line per fact (no personal data)."""
    refused = ", ".join(f"{n} x {what}" for what, n in sorted(report.refused.items()))
    lines = [
        f"jobs demo seed {report.seed} on {report.day}",
        f"  postings            cq {report.postings['cq']}, cd {report.postings['cd']};"
        f" seekers cq {report.seekers['cq']}, cd {report.seekers['cd']}"
        f" ({report.shared['cq']} + {report.shared['cd']} consented to the other city)"
        + (f"; refused {refused}" if refused else ""),
        "  other city answers  "
        + (
            ", ".join(
                f"{c}'s postings in {other_city(c)} after {report.seen_after[c]} s"
                for c in CITIES
                if c in report.seen_after
            )
            or "NOT SEEN"
        ),
        f"{_MORE}other city's postings among the matches of seekers wanting both cities:"
        f" cq {report.other_city_matches['cq']}, cd {report.other_city_matches['cd']}",
        f"  consent withdrawn   {report.withdrawn} seekers;"
        + (
            " gone from the other city (profile and answers)"
            if report.withdrawn_still_seen == 0
            else f" STILL SEEN {report.withdrawn_still_seen} times in the other city"
        ),
    ]
    lines += [f"  {line}" for line in report.shown]
    lines.append(
        "  fair                "
        + (
            f"{report.fair}, postings of {' and '.join(report.fair_cities)}"
            if report.fair
            else "NOT SEEN in the other city"
        )
    )
    ended = Counter(states[0] for states in report.requests.values())
    lines.append(
        f"  12333 requests      {len(report.requests)}: "
        + ", ".join(f"{n} {state}" for state, n in sorted(ended.items()))
    )
    disagree = [k for k, (cq, cd, planned) in report.requests.items() if not cq == cd == planned]
    lines.append(
        f"{_MORE}each in one state, the same in both cities and as planned: "
        + ("yes" if report.requests_agree else f"NO ({', '.join(disagree[:5])})")
    )
    flagged = sum(report.overdue.values())
    lines.append(
        f"{_MORE}overdue: {flagged} (none is due: the services run on the real clock and"
        " every deadline counts from today; e.g. " + ", ".join(report.deadlines[:3]) + ")"
    )
    lines.append(
        "  personnel files     "
        + (", ".join(f"{n} {what}" for what, n in sorted(report.files.items())) or "none")
        + f"; {report.files_moved} found in their new city only;"
        f" certificate {report.certificate or 'NOT ANSWERED'}"
    )
    verdict = "hold" if report.invariants_hold else "DO NOT HOLD"
    lines.append(f"  invariants          {verdict}")
    if report.unfinished:
        lines.append(f"  NOT SEEN            {report.unfinished} effects within the wait")
    for problem, count in sorted(report.problems.items()):
        lines.append(f"  PROBLEM             {count} x {problem}")
    if report.example:
        token = (
            f"$(uv run chengyu token --city {report.example_city} --agency hr --role clerk"
            " --service job-matching)"
        )
        lines.append(
            f'  look at one         curl -s -H "Authorization: Bearer {token}" {report.example}'
        )
    return lines
