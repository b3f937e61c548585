"""The blood part of ``chengyu-demo``: drive a seeded month of both cities' blood centres
through their blood-dispatch services.

The history comes from :func:`chengyu_demo.blood.blood_plan` (pure); this module only
speaks HTTP to the blood centres' API, as a centre's information system and its clerks
would: day by day each city's collections in one batch (``POST /units/batch``), then its
issues, expiries and discards (``POST /units/{din}/issue|expire|discard``), each with the
``at`` it happened, in time order. One red-cell group runs short in each city: its level
crosses into orange, then red, and every ``stock-low`` is answered by the other city's
automatic offer, which the low city accepts; the other city dispatches it with a
temperature logger, the low city receives it (one shipment's logger shows a breach: its
units go into quarantine). A rare donor is registered in Chengdu, found from Chongqing and
recalled; Chengdu answers the recall.

The summary checks the invariants on what the services answer: every unit of the history
in exactly one place (one city's stock, in transit, or gone), units conserved per city and
in total (collected = in stock + in transit + issued + expired + discarded), every
stock-low answered. A history already on this stack (its first DIN is known) is not
reported again: the run answers what is still open and reads the stored state back.

The rare donor's ID number, name and phone go only into the registration's body; nothing
here prints or logs them, nor any DIN's donor (DINs name units, not people).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from rich.progress import Progress

from chengyu_contracts.resident_id import synthesize_resident_id
from chengyu_demo.blood import BloodPlan, Step
from chengyu_demo.driver import POLL_SECONDS, DemoDriver, View, bearer, not_ready
from chengyu_demo.stack import CITIES, City, other_city

__all__ = ["SERVICE", "BloodDemoError", "BloodReport", "blood_summary_lines", "run_blood_demo"]

SERVICE = "blood-dispatch"
IN_STOCK = frozenset({"available", "reserved", "quarantined"})
GONE = ("issued", "expired", "discarded")
PLACES = ("in stock", "in transit", *GONE)
#: The logger's extremes in tenths of °C: in range for red cells (2-6 °C), and a breach.
COLDEST_C10 = 30
WARMEST_C10 = 45
BREACH_WARMEST_C10 = 80
#: The rare donor: registered in Chengdu, searched and recalled from Chongqing.
DONOR_CITY: City = "cd"
RARE_PHENOTYPE = "Jk(a-b-)"


class BloodDemoError(RuntimeError):
    """The blood part cannot run (a service does not answer); the message says what to
    do."""


@dataclass
class BloodReport:
    """What the blood part did and what both cities answered (counts only)."""

    seed: int
    history: str
    days: int
    #: False when the history's DINs were already known on this stack (not reported again).
    history_new: bool = True
    collected: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CITIES, 0))
    movements: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CITIES, 0))
    #: Expiries the service's own sweep had recorded before the centre reported them.
    expired_by_sweep: int = 0
    stock_lows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CITIES, 0))
    unanswered: int = 0
    offers: int = 0
    accepted: int = 0
    shipments: int = 0
    units_shipped: int = 0
    received: Counter[str] = field(default_factory=Counter)
    breaches: int = 0
    rare_registered: bool = False
    rare_found: bool = False
    recall_answer: str = ""
    # The invariants, on what the services show at the end.
    units_planned: int = 0
    census: dict[str, dict[str, int]] = field(
        default_factory=lambda: {c: dict.fromkeys(PLACES, 0) for c in CITIES}
    )
    misplaced: int = 0
    missing: int = 0
    planned: dict[str, dict[str, int]] = field(default_factory=dict)
    unfinished: int = 0
    problems: Counter[str] = field(default_factory=Counter)
    example: str = ""
    example_city: str = ""

    def conserved(self, city: str) -> bool:
        """Collected in ``city`` = in stock + in transit + issued + expired + discarded,
        issued and discarded as the centre reported."""
        found, planned = self.census[city], self.planned.get(city, {})
        return (
            sum(found.values()) == planned.get("collect", 0)
            and found["issued"] == planned.get("issue", 0)
            and found["discarded"] == planned.get("discard", 0)
        )

    @property
    def invariants_hold(self) -> bool:
        """Every unit in one place, units conserved per city (and so in total), every
        stock-low answered."""
        return (
            self.misplaced == 0
            and self.missing == 0
            and all(self.conserved(c) for c in CITIES)
            and self.unanswered == 0
            and all(self.stock_lows.values())
        )

    @property
    def ok(self) -> bool:
        """Every call answered as a clerk expects and every invariant holds."""
        return not self.problems and self.unfinished == 0 and self.invariants_hold

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (for the marker file)."""
        data = asdict(self)
        data["received"] = dict(self.received)
        data["problems"] = dict(self.problems)
        data["ok"] = self.ok
        return data


class _Driver(DemoDriver):
    """The HTTP side of one run of the blood part."""

    def __init__(
        self,
        plan: BloodPlan,
        seed: int,
        clients: dict[City, httpx.AsyncClient],
        progress: Progress,
        *,
        concurrency: int,
        wait_seconds: float,
    ) -> None:
        self.plan = plan
        days = round((plan.end - plan.start) / timedelta(days=1))
        self.report = BloodReport(
            seed=seed,
            history=f"{plan.start:%Y-%m-%d %H:%M}..{plan.end:%Y-%m-%d %H:%M} UTC",
            days=days,
        )
        super().__init__(
            clients,
            progress,
            self.report.problems,
            concurrency=concurrency,
            wait_seconds=wait_seconds,
        )
        self.breach_sent = False

    def _not_seen(self, city: City, path: str) -> None:
        super()._not_seen(city, path)
        self.report.unfinished += 1

    # -- the history -----------------------------------------------------------------------

    async def history_known(self) -> bool:
        """Whether this stack already holds the history (its first collected DIN)."""
        first = next(s for s in self.plan.steps if s.kind == "collect")
        view = await self._get(first.city, f"/units/{first.din}")
        return view is not None and view.get("own") is not None

    async def replay(self) -> None:
        """Day by day: each city's collections in one batch, then its other movements one
        by one in time order (both cities at once)."""
        task = self.progress.add_task("movements", total=len(self.plan.steps))
        for day in self.plan.days():
            await asyncio.gather(*(self._city_day(city, day, task) for city in CITIES))

    async def _city_day(self, city: City, day: list[Step], task: Any) -> None:
        collected = [s for s in day if s.city == city and s.kind == "collect"]
        for first in range(0, len(collected), 1000):
            chunk = collected[first : first + 1000]
            rows = [s.row(line) for line, s in enumerate(chunk, start=2)]
            view = await self._call(
                "record units", city, "POST", "/units/batch", {"rows": rows}, 200
            )
            if view is not None:
                self.report.collected[city] += view["recorded"] + view["unchanged"]
                for rejected in view["rejected"]:
                    self.problems[f"record units: row refused {rejected['error']}"] += 1
            self.progress.advance(task, len(chunk))
        for step in (s for s in day if s.city == city and s.kind != "collect"):
            await self._move(step)
            self.progress.advance(task)

    async def _move(self, step: Step) -> None:
        path = f"/units/{step.din}/{step.kind}"
        answer = await self.send(step.city, "POST", path, {"at": step.at.isoformat()})
        if answer.status == 200:
            self.report.movements[step.city] += 1
            return
        if answer.status == 409 and step.kind == "expire":
            # The service's sweep recorded the expiry first.
            unit = await self._get(step.city, f"/units/{step.din}")
            if unit is not None and (unit.get("own") or {}).get("state") == "expired":
                self.report.expired_by_sweep += 1
                self.report.movements[step.city] += 1
                return
        self._problem(f"report {step.kind}", answer)

    # -- the stock-lows and their answers --------------------------------------------------

    async def stock_lows(self) -> dict[City, list[View]]:
        """Each city's stock-low requests once every short city has one, each has an
        offer (or ended) and nothing changed since the last look."""
        deadline = self._deadline()
        loop = asyncio.get_running_loop()
        previous: dict[City, list[str]] | None = None
        while True:
            found: dict[City, list[View]] = {}
            for city in CITIES:
                listed = await self._get(city, "/requests")
                items = [] if listed is None else listed["items"]
                found[city] = sorted(
                    (
                        r
                        for r in items
                        if r["origin"] == "stock-low" and r["requesting_city"] == city
                    ),
                    key=lambda r: str(r["requested_at"]),
                )
            ids = {c: [r["request_id"] for r in found[c]] for c in CITIES}
            settled = all(found[c] for c in self.plan.short) and all(
                r["offers"] or r["state"] in ("closed", "cancelled")
                for c in CITIES
                for r in found[c]
            )
            if settled and ids == previous:
                return found
            if loop.time() > deadline:
                self.report.unfinished += 1
                return found
            previous = ids if settled else None
            await asyncio.sleep(2 * POLL_SECONDS)

    async def answer_stock_lows(self) -> None:
        """Every offer on every stock-low accepted, dispatched and received."""
        lows = await self.stock_lows()
        for city in CITIES:
            self.report.stock_lows[city] = len(lows[city])
        task = self.progress.add_task("stock-lows answered", total=sum(map(len, lows.values())))
        for city in CITIES:
            for request in lows[city]:
                if not request["offers"]:
                    self.report.unanswered += 1
                for offer in request["offers"]:
                    self.report.offers += 1
                    await self._follow(city, request["request_id"], offer)
                if not self.report.example and request["offers"]:
                    url = str(self.clients[city].base_url).rstrip("/")
                    self.report.example = f"{url}/requests/{request['request_id']}"
                    self.report.example_city = city
                self.progress.advance(task)

    async def _follow(self, city: City, request_id: str, offer: View) -> None:
        """One offer of ``city``'s request from its first open step to its receipt."""
        supplier = other_city(city)
        offer_id = offer["offer_id"]
        at = f"/requests/{request_id}/offers/{offer_id}"
        state = offer["state"]

        def offer_in(*states: str) -> Callable[[View], bool]:
            def done(view: View) -> bool:
                return any(
                    o["offer_id"] == offer_id and o["state"] in states for o in view["offers"]
                )

            return done

        if state == "offered":
            if await self._call("accept offer", city, "POST", f"{at}/accept", None, 200) is None:
                return
            self.report.accepted += 1
            state = "accepted"
        if state == "accepted":
            path = f"/requests/{request_id}"
            if await self._until(supplier, path, offer_in("accepted"), self._deadline()) is None:
                return
            logger = f"LOG-{supplier.upper()}-{self.report.shipments + 1:03d}"
            shipment = await self._call(
                "dispatch offer",
                supplier,
                "POST",
                f"{at}/dispatch",
                {"temperature_logger_id": logger},
                200,
                201,
            )
            if shipment is None:
                return
            self.report.shipments += 1
            self.report.units_shipped += len(shipment["units"])
            state = "dispatched"
        if state == "dispatched":
            request = await self._until(
                city, f"/requests/{request_id}", offer_in("dispatched"), self._deadline()
            )
            if request is None:
                return
            mine = next(o for o in request["offers"] if o["offer_id"] == offer_id)
            await self._receive(city, supplier, str(mine["shipment_id"]))

    async def _receive(self, city: City, supplier: City, shipment_id: str) -> None:
        path = f"/shipments/{shipment_id}"
        if await self._until(city, path, lambda _: True, self._deadline()) is None:
            return
        warmest = WARMEST_C10 if self.breach_sent else BREACH_WARMEST_C10
        self.breach_sent = True
        body = {"min_temperature_c10": COLDEST_C10, "max_temperature_c10": warmest}
        received = await self._call(
            "receive shipment", city, "POST", f"{path}/receive", body, 200, 201
        )
        if received is None:
            return
        self.report.breaches += received["temperature_in_range"] is False
        for receipt in received["receipts"]:
            self.report.received[receipt["state"]] += 1
        # The sender learns of the receipt over the bus: its units leave transit.
        await self._until(supplier, path, lambda s: s["state"] == "received", self._deadline())

    # -- the rare-blood registry -----------------------------------------------------------

    async def rare_donor(self) -> None:
        """A rare donor of Chengdu, found from Chongqing, recalled, the recall answered."""
        asker = other_city(DONOR_CITY)
        today = datetime.now(UTC).date()
        body = {
            # Synthetic: a valid shape, never a real person's on purpose.
            "id_number": synthesize_resident_id(
                "510104", date(1988, 4, 12), self.report.seed % 500, "female"
            ),
            "name": "测试献血者",
            "phone": "13800000000",
            "abo": "O",
            "rhd": "pos",
            "phenotypes": [RARE_PHENOTYPE],
            "consent_given": True,
            "last_donation_on": (today - timedelta(days=200)).isoformat(),
        }
        donor = await self._call(
            "register rare donor", DONOR_CITY, "POST", "/rare-donors", body, 200, 201
        )
        if donor is None:
            return
        self.report.rare_registered = True
        ref = donor["donor_ref"]
        query = f"/rare-donors/search?phenotype={RARE_PHENOTYPE}&abo=O"
        found = await self._until(
            asker,
            query,
            lambda v: any(m["donor_ref"] == ref for m in v["items"]),
            self._deadline(),
        )
        if found is None:
            return
        self.report.rare_found = True
        recall = await self._call(
            "request recall",
            asker,
            "POST",
            "/recalls",
            {
                "donor_ref": ref,
                "urgency": "urgent",
                "needed_by": (today + timedelta(days=3)).isoformat(),
            },
            201,
        )
        if recall is None:
            return
        path = f"/recalls/{recall['recall_id']}"
        if await self._until(DONOR_CITY, path, lambda _: True, self._deadline()) is None:
            return
        answered = await self._call(
            "answer recall", DONOR_CITY, "POST", f"{path}/answer", {"answer": "will-donate"}, 200
        )
        if answered is None:
            return
        seen = await self._until(asker, path, lambda v: v["state"] != "requested", self._deadline())
        if seen is not None:
            self.report.recall_answer = str(seen["answer"])

    # -- the end ---------------------------------------------------------------------------

    async def census(self) -> None:
        """Every unit of the history in both cities: where it is; the invariants."""
        collected = [s for s in self.plan.steps if s.kind == "collect"]
        report = self.report
        report.units_planned = len(collected)
        report.planned = {
            c: dict.fromkeys(("collect", "issue", "expire", "discard"), 0) for c in CITIES
        }
        for s in self.plan.steps:
            report.planned[s.city][s.kind] += 1
        in_transit: set[str] = set()
        for city in CITIES:
            listed = await self._get(city, "/shipments?state=in-transit")
            in_transit |= {s["shipment_id"] for s in ([] if listed is None else listed["items"])}
        task = self.progress.add_task("census", total=len(collected))

        async def one(step: Step) -> None:
            held: list[View] = []
            for city in CITIES:
                view = await self._get(city, f"/units/{step.din}")
                if view is not None and view.get("own") is not None:
                    held.append(view["own"])
            self.progress.advance(task)
            if not held:
                report.missing += 1
                return
            stocked = [u for u in held if u["state"] in IN_STOCK]
            gone = [u for u in held if u["state"] in GONE]
            moving = [u for u in held if u["state"] == "in-transit"]
            if len(stocked) + len(gone) > 1:
                report.misplaced += 1
                return
            if stocked or gone:
                place = "in stock" if stocked else gone[0]["state"]
                if any(u["shipment_id"] in in_transit for u in moving):
                    report.misplaced += 1
                    return
            elif len(moving) == 1 and moving[0]["shipment_id"] in in_transit:
                place = "in transit"
            else:
                report.misplaced += 1
                return
            report.census[str(held[0]["collected_in"])][place] += 1

        await asyncio.gather(*(one(s) for s in collected))


async def run_blood_demo(
    plan: BloodPlan,
    urls: dict[City, str],
    *,
    seed: int,
    tokens: Mapping[City, str],
    progress: Progress,
    concurrency: int = 8,
    wait_seconds: float = 60.0,
) -> BloodReport:
    """Drive ``plan`` through the blood-dispatch services at ``urls`` as each city's
    blood centre clerk (``tokens``); what happened.

    Raises :class:`BloodDemoError` when a service is not ready."""
    async with (
        httpx.AsyncClient(base_url=urls["cq"], timeout=120, headers=bearer(tokens["cq"])) as cq,
        httpx.AsyncClient(base_url=urls["cd"], timeout=120, headers=bearer(tokens["cd"])) as cd,
    ):
        clients: dict[City, httpx.AsyncClient] = {"cq": cq, "cd": cd}
        problem = await not_ready(clients, SERVICE)
        if problem is not None:
            raise BloodDemoError(problem)
        driver = _Driver(
            plan, seed, clients, progress, concurrency=concurrency, wait_seconds=wait_seconds
        )
        if await driver.history_known():
            driver.report.history_new = False
        else:
            await driver.replay()
        await driver.answer_stock_lows()
        await driver.rare_donor()
        await driver.census()
        return driver.report


# -- output --------------------------------------------------------------------------------

_MORE = " " * 22


def blood_summary_lines(report: BloodReport) -> list[str]:
    """The end-of-run summary of the blood part, one line per fact (counts only)."""
    lines = [
        f"blood demo seed {report.seed}: {report.days} days of both blood centres,"
        f" {report.history}",
    ]
    if report.history_new:
        lines.append(
            f"  history             reported: collected cq {report.collected['cq']:,},"
            f" cd {report.collected['cd']:,}; movements cq {report.movements['cq']:,},"
            f" cd {report.movements['cd']:,} ({report.expired_by_sweep} expiries the"
            " service's sweep recorded first)"
        )
    else:
        lines.append(
            "  history             already on this stack (its DINs are known): not reported"
            " again; the stored state is read back"
        )
    lines += [
        f"  stock-lows          cq {report.stock_lows['cq']}, cd {report.stock_lows['cd']},"
        f" {report.unanswered} without an offer; {report.offers} offers, {report.accepted}"
        " accepted in this run",
        f"  shipments           {report.shipments} dispatched with a temperature logger,"
        f" {report.units_shipped} units; received: "
        + (", ".join(f"{n} {state}" for state, n in sorted(report.received.items())) or "-")
        + f" ({report.breaches} with a temperature breach)",
        "  rare donor          registered in "
        + (DONOR_CITY if report.rare_registered else "NOT registered")
        + (
            f", found from {other_city(DONOR_CITY)}"
            if report.rare_found
            else ", NOT found from the other city"
        )
        + f"; recall answered: {report.recall_answer or 'NOT SEEN'}",
    ]
    for city in CITIES:
        found = report.census[city]
        lines.append(
            f"  collected in {city}     {sum(found.values()):,} units = "
            + " + ".join(f"{found[p]:,} {p}" for p in PLACES)
            + (
                "; conserved"
                if report.conserved(city)
                else f"; NOT CONSERVED (planned {report.planned.get(city)})"
            )
        )
    verdict = "hold" if report.invariants_hold else "DO NOT HOLD"
    total = sum(sum(f.values()) for f in report.census.values())
    lines += [
        f"  invariants          {verdict}: {total:,} of {report.units_planned:,} units found,"
        f" {report.misplaced} in more than one place, {report.missing} nowhere;",
        f"{_MORE}every stock-low answered: {'yes' if report.unanswered == 0 else 'NO'}",
    ]
    if report.unfinished:
        lines.append(f"  NOT SEEN            {report.unfinished} effects within the wait")
    for problem, count in sorted(report.problems.items()):
        lines.append(f"  PROBLEM             {count} x {problem}")
    if report.example:
        token = (
            f"$(uv run chengyu token --city {report.example_city} --agency blood --role clerk"
            " --service blood-dispatch)"
        )
        lines.append(
            f'  look at one         curl -s -H "Authorization: Bearer {token}" {report.example}'
        )
    return lines
