"""``chengyu demo``: drive seeded workloads through both cities' services: the fund part
here, the insurance part in :mod:`chengyu_ops.cli_demo_insurance`; the command runs both
(or one, ``--only``) and records each seed's runs.

The fund workload comes from :mod:`chengyu_ops.demo` (pure); this module only speaks HTTP to
the clerks' API, exactly as a clerk's client would: open accounts, record deposits, request
transfers in the receiving city, follow them until they end, then read the balances.

Resident ID numbers and names go only into request bodies; nothing here prints or logs them
(people are named by their plan key, ``p007``).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import httpx
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from chengyu_ops.demo_driver import DemoDriver
from chengyu_ops.keys import CITIES
from chengyu_ops.paths import find_project_root, state_home
from chengyu_ops.services import City, find_service

if TYPE_CHECKING:
    from chengyu_ops.demo import PlannedAccount, PlannedTransfer, Workload

__all__ = ["DemoReport", "Part", "demo_command", "read_marker", "run_demo", "write_marker"]

SERVICE = "fund-transfer"
DEFAULT_SEED = 2025
TERMINAL = frozenset({"completed", "rejected", "reverted"})
POLL_SECONDS = 0.5

_T = TypeVar("_T")


class DemoError(RuntimeError):
    """The demo cannot run (a service does not answer); the message says what to do."""


@dataclass
class DemoReport:
    """What the demo did and what the services hold at its end (no personal data)."""

    seed: int
    day: str
    people: int
    accounts_opened: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CITIES, 0))
    # Accounts the receiving city opened when crediting a person who had none there.
    opened_by_transfers: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CITIES, 0))
    deposits: int = 0
    deposited_fen: int = 0
    requested: int = 0
    # "completed", "rejected/no-such-account", ...: how each requested transfer ended.
    outcomes: Counter[str] = field(default_factory=Counter)
    not_as_planned: int = 0
    unfinished: int = 0
    skipped_people: int = 0
    skipped_transfers: int = 0
    problems: Counter[str] = field(default_factory=Counter)
    balances_fen: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CITIES, 0))
    example_transfer: str = ""

    @property
    def conserved(self) -> bool:
        """Whether both cities together hold exactly what was deposited."""
        return sum(self.balances_fen.values()) == self.deposited_fen

    @property
    def ok(self) -> bool:
        """Every call answered as a clerk expects, every transfer ended, no fen lost."""
        return not self.problems and self.unfinished == 0 and self.conserved

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (for the marker file)."""
        data = asdict(self)
        data["outcomes"] = dict(self.outcomes)
        data["problems"] = dict(self.problems)
        data["conserved"] = self.conserved
        return data


@dataclass
class _Settled:
    """How one transfer ended, as the receiving city sees it."""

    state: str
    reason_code: str | None
    account_id: str | None


class _Driver(DemoDriver):
    """The HTTP side of one demo run."""

    def __init__(
        self,
        workload: Workload,
        clients: dict[City, httpx.AsyncClient],
        progress: Progress,
        *,
        concurrency: int,
        wait_seconds: float,
    ) -> None:
        self.workload = workload
        self.report = DemoReport(
            seed=workload.seed, day=workload.today.isoformat(), people=len(workload.people)
        )
        super().__init__(
            clients,
            progress,
            self.report.problems,
            concurrency=concurrency,
            wait_seconds=wait_seconds,
        )
        self.skipped: set[str] = set()  # people whose accounts could not all be opened
        self.accounts: set[tuple[City, str]] = set()  # every account the demo touched
        self.ended: dict[str, list[str]] = {}  # person -> outcomes of their transfers

    # -- accounts and deposits -----------------------------------------------------------

    async def open_accounts(self) -> None:
        """Open every planned account and record its deposits."""
        accounts_task = self.progress.add_task("open accounts", total=len(self.workload.accounts))
        deposits_task = self.progress.add_task("record deposits", total=self.workload.deposit_count)
        await asyncio.gather(
            *(
                self._limited(partial(self._open, account, accounts_task, deposits_task))
                for account in self.workload.accounts
            )
        )

    async def _open(self, planned: PlannedAccount, accounts: TaskID, deposits: TaskID) -> None:
        person = self.workload.person(planned.person)
        client = self.clients[planned.city]
        try:
            answer = await client.post(
                "/accounts",
                json={"resident_id": person.resident_id, "name": person.name, "kind": planned.kind},
            )
        except httpx.HTTPError as error:
            self._problem("open account", None, type(error).__name__)
            answer = None
        self.progress.advance(accounts)
        if answer is None or answer.status_code != 201:
            # A 409 (already-has-account) means an earlier, unfinished run created this
            # person: not a fault, but their plan no longer holds. Either way, leave the
            # person's transfers out.
            if answer is not None and answer.status_code != 409:
                self._problem("open account", answer)
            self.skipped.add(person.key)
            self.progress.advance(deposits, len(planned.deposits))
            return
        account_id: str = answer.json()["account_id"]
        self.accounts.add((planned.city, account_id))
        self.report.accounts_opened[planned.city] += 1
        for deposit in planned.deposits:
            try:
                answer = await client.post(
                    f"/accounts/{account_id}/deposits",
                    json={"month": deposit.month, "amount_fen": deposit.amount_fen},
                )
            except httpx.HTTPError as error:
                self._problem("record deposit", None, type(error).__name__)
            else:
                if answer.status_code == 201:
                    self.report.deposits += 1
                    self.report.deposited_fen += deposit.amount_fen
                else:
                    self._problem("record deposit", answer)
            self.progress.advance(deposits)

    # -- transfers ---------------------------------------------------------------------

    async def run_wave(self, number: int) -> None:
        """Request the transfers of wave ``number`` and wait until they end."""
        planned = [t for t in self.workload.wave(number) if self._may_request(t)]
        if not planned:
            return
        task = self.progress.add_task(f"transfers, wave {number}", total=len(planned))
        deadline = asyncio.get_running_loop().time() + self.wait_seconds
        await asyncio.gather(*(self._transfer(t, task, deadline) for t in planned))

    def _may_request(self, transfer: PlannedTransfer) -> bool:
        if transfer.person in self.skipped:
            self.report.skipped_transfers += 1
            return False
        # A trip back needs the trip there to have arrived.
        if transfer.wave > 1 and self.ended.get(transfer.person, []) != ["completed"]:
            self.report.skipped_transfers += 1
            return False
        return True

    async def _transfer(self, planned: PlannedTransfer, task: TaskID, deadline: float) -> None:
        person = self.workload.person(planned.person)
        client = self.clients[planned.to_city]
        body = {
            "resident_id": person.resident_id,
            "name": person.name,
            "from_city": planned.from_city,
        }
        try:
            answer = await self._limited(lambda: client.post("/transfers", json=body))
        except httpx.HTTPError as error:
            self._problem("request transfer", None, type(error).__name__)
            self.progress.advance(task)
            return
        if answer.status_code != 202:
            self._problem("request transfer", answer)
            self.progress.advance(task)
            return
        self.report.requested += 1
        transfer_id: str = answer.json()["transfer_id"]
        settled = await self._settle(planned.to_city, transfer_id, deadline)
        self.progress.advance(task)
        if settled is None:
            self.report.unfinished += 1
            return
        label = (
            settled.state
            if settled.reason_code is None
            else (f"{settled.state}/{settled.reason_code}")
        )
        self.report.outcomes[label] += 1
        self.ended.setdefault(planned.person, []).append(settled.state)
        if (settled.state, settled.reason_code) != (planned.expected, planned.expected_reason):
            self.report.not_as_planned += 1
        if settled.account_id is not None:
            if (planned.to_city, settled.account_id) not in self.accounts:
                # The person had no open account there: the credit opened one.
                self.report.opened_by_transfers[planned.to_city] += 1
            self.accounts.add((planned.to_city, settled.account_id))
        if settled.state == "completed" and not self.report.example_transfer:
            url = str(client.base_url).rstrip("/")
            self.report.example_transfer = f"{url}/transfers/{transfer_id}"

    async def _settle(self, city: City, transfer_id: str, deadline: float) -> _Settled | None:
        """Poll the receiving city until the transfer ends; None past ``deadline``."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                answer = await self._limited(
                    lambda: self.clients[city].get(f"/transfers/{transfer_id}")
                )
            except httpx.HTTPError:
                answer = None  # a restarting service: keep asking until the deadline
            if answer is not None and answer.status_code == 200:
                view = answer.json()
                if view["state"] in TERMINAL:
                    return _Settled(view["state"], view["reason_code"], view["account_id"])
            if loop.time() > deadline:
                return None
            await asyncio.sleep(POLL_SECONDS)

    # -- balances ----------------------------------------------------------------------

    async def read_balances(self) -> None:
        """Sum the balances of every account the demo opened or a transfer credited."""
        task = self.progress.add_task("read balances", total=len(self.accounts))

        async def one(city: City, account_id: str) -> None:
            try:
                answer = await self._limited(
                    lambda: self.clients[city].get(f"/accounts/{account_id}")
                )
            except httpx.HTTPError as error:
                self._problem("read account", None, type(error).__name__)
            else:
                if answer.status_code == 200:
                    self.report.balances_fen[city] += int(answer.json()["balance_fen"])
                else:
                    self._problem("read account", answer)
            self.progress.advance(task)

        await asyncio.gather(*(one(city, account_id) for city, account_id in self.accounts))


async def run_demo(
    workload: Workload,
    urls: dict[City, str],
    *,
    progress: Progress,
    concurrency: int = 8,
    wait_seconds: float = 180.0,
) -> DemoReport:
    """Drive ``workload`` through the services at ``urls`` and report what happened."""
    async with (
        httpx.AsyncClient(base_url=urls["cq"], timeout=30) as cq,
        httpx.AsyncClient(base_url=urls["cd"], timeout=30) as cd,
    ):
        clients: dict[City, httpx.AsyncClient] = {"cq": cq, "cd": cd}
        await _check_ready(clients)
        driver = _Driver(
            workload, clients, progress, concurrency=concurrency, wait_seconds=wait_seconds
        )
        await driver.open_accounts()
        for wave in sorted({t.wave for t in workload.transfers}):
            await driver.run_wave(wave)
        await driver.read_balances()
        driver.report.skipped_people = len(driver.skipped)
        return driver.report


async def _check_ready(clients: dict[City, httpx.AsyncClient]) -> None:
    for city, client in clients.items():
        try:
            answer = await client.get("/readyz")
        except httpx.HTTPError:
            answer = None
        if answer is None or answer.status_code != 200:
            raise DemoError(
                f"the {city} fund-transfer service at {client.base_url} is not ready;"
                " start the stack with `make up DEMO=0` (or `uv run chengyu stack up`)"
            )


# -- output ------------------------------------------------------------------------------


def _yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d} yuan"


def summary_lines(report: DemoReport, workload: Workload) -> list[str]:
    """The end-of-run summary, one line per fact (counts and sums only)."""
    expected = sum(workload.expected_outcomes().values())
    completed = report.outcomes.get("completed", 0)
    by_reason = {
        state: ", ".join(
            f"{label.split('/', 1)[1]} {count}"
            for label, count in sorted(report.outcomes.items())
            if label.startswith(f"{state}/")
        )
        for state in ("rejected", "reverted")
    }
    failed = {
        state: sum(n for label, n in report.outcomes.items() if label.startswith(state))
        for state in ("rejected", "reverted")
    }
    total = sum(report.balances_fen.values())
    lines = [
        f"demo seed {report.seed} on {report.day}: {report.people} people",
        f"  accounts opened     cq {report.accounts_opened['cq']}, "
        f"cd {report.accounts_opened['cd']} by clerks; cq {report.opened_by_transfers['cq']}, "
        f"cd {report.opened_by_transfers['cd']} by transfers",
        f"  deposits            {report.deposits:,} ({_yuan(report.deposited_fen)})",
        f"  transfers           {report.requested} requested of {expected} planned:"
        f" {completed} completed",
        f"                      {failed['rejected']} rejected ({by_reason['rejected'] or '-'})",
        f"                      {failed['reverted']} reverted ({by_reason['reverted'] or '-'})",
    ]
    if report.unfinished:
        lines.append(f"                      {report.unfinished} NOT ENDED within the wait")
    if report.not_as_planned:
        lines.append(f"                      {report.not_as_planned} ended otherwise than planned")
    elif report.requested and not report.unfinished:
        lines.append("                      each one ended as planned")
    if report.skipped_people or report.skipped_transfers:
        lines.append(
            f"  skipped             {report.skipped_people} people, "
            f"{report.skipped_transfers} transfers (an earlier, unfinished run?)"
        )
    for city in CITIES:
        lines.append(
            f"  balance in {city}       {report.balances_fen[city]:,} fen"
            f" ({_yuan(report.balances_fen[city])})"
        )
    verdict = "equals the deposits: conserved" if report.conserved else "DIFFERS from deposits"
    lines.append(f"  both cities         {total:,} fen, {verdict}")
    for problem, count in sorted(report.problems.items()):
        lines.append(f"  PROBLEM             {count} x {problem}")
    if report.example_transfer:
        lines.append(f"  look at one         curl -s {report.example_transfer}")
    return lines


# -- the command -------------------------------------------------------------------------


class Part(StrEnum):
    """A part of the demo: one service's workload on both cities."""

    fund = "fund"
    insurance = "insurance"


PARTS: tuple[Part, ...] = (Part.fund, Part.insurance)
_COLUMNS = (
    TextColumn("{task.description:<22}"),
    BarColumn(),
    MofNCompleteColumn(),
    TimeElapsedColumn(),
)


def _marker(seed: int) -> Path:
    """Where the finished runs with ``seed`` are recorded (with the stack's other state)."""
    return state_home(find_project_root()) / "demo" / f"seed-{seed}.json"


def read_marker(path: Path) -> dict[str, dict[str, Any]]:
    """The finished runs a seed's marker records, by part (``fund``, ``insurance``).

    A marker written before the demo had parts (``urls`` at its top) records the fund
    part; a missing or unreadable one records nothing (it is rewritten after the next run).
    """
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    parts = data.get("parts")
    if isinstance(parts, dict):
        return {name: run for name, run in parts.items() if isinstance(run, dict)}
    if "urls" in data:
        return {Part.fund.value: data}
    return {}


def write_marker(path: Path, runs: dict[str, dict[str, Any]]) -> None:
    """Record ``runs`` (by part) as the seed's marker."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"parts": runs}, indent=2, ensure_ascii=False) + "\n")


def _url(service: str, city: City, given: str | None) -> str:
    return (given or find_service(service, city).url).rstrip("/")


@dataclass
class _PartRun:
    """One part's finished run: its report, summary and the options it ran with."""

    report: dict[str, Any]
    lines: list[str]
    ok: bool
    options: dict[str, Any]


def _run_fund(
    seed: int,
    people: int,
    transfers: float,
    urls: dict[City, str],
    progress: Progress,
    concurrency: int,
    wait: float,
) -> _PartRun:
    # Imported here, not at the top: the other `chengyu` commands must work without the
    # services' packages (the workspace installs them).
    from chengyu_contracts.policy_book import policy_day
    from chengyu_ops.demo import generate_workload

    today = policy_day(datetime.now(UTC))
    workload = generate_workload(seed, today=today, people=people, transfer_share=transfers)
    report = asyncio.run(
        run_demo(workload, urls, progress=progress, concurrency=concurrency, wait_seconds=wait)
    )
    return _PartRun(
        report.as_dict(),
        summary_lines(report, workload),
        report.ok,
        {"people": people, "transfer_share": transfers},
    )


def _run_insurance(
    seed: int,
    people: int,
    urls: dict[City, str],
    progress: Progress,
    concurrency: int,
    wait: float,
) -> _PartRun:
    from chengyu_contracts.policy_book import policy_day
    from chengyu_ops.cli_demo_insurance import insurance_summary_lines, run_insurance_demo
    from chengyu_ops.demo_insurance import generate_insurance_workload

    today = policy_day(datetime.now(UTC))
    workload = generate_insurance_workload(seed, today=today, people=people)
    report = asyncio.run(
        run_insurance_demo(
            workload, urls, progress=progress, concurrency=concurrency, wait_seconds=wait
        )
    )
    return _PartRun(
        report.as_dict(), insurance_summary_lines(report, workload), report.ok, {"people": people}
    )


def demo_command(
    people: Annotated[
        int, typer.Option(min=1, max=5000, help="How many synthetic people in each part.")
    ] = 60,
    transfers: Annotated[
        float,
        typer.Option(
            min=0.0, max=1.0, help="Share of the people whose account moves to the other city."
        ),
    ] = 0.5,
    seed: Annotated[int, typer.Option(help="Seed of the workload: same seed, same people.")] = (
        DEFAULT_SEED
    ),
    only: Annotated[
        Part | None, typer.Option(help="Run one part only (default: fund, then insurance).")
    ] = None,
    cq_url: Annotated[
        str | None, typer.Option(help="Chongqing's fund-transfer API (default: the stack's).")
    ] = None,
    cd_url: Annotated[
        str | None, typer.Option(help="Chengdu's fund-transfer API (default: the stack's).")
    ] = None,
    cq_insurance_url: Annotated[
        str | None, typer.Option(help="Chongqing's insurance-years API (default: the stack's).")
    ] = None,
    cd_insurance_url: Annotated[
        str | None, typer.Option(help="Chengdu's insurance-years API (default: the stack's).")
    ] = None,
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Requests in flight at once.")
    ] = 8,
    wait: Annotated[
        float,
        typer.Option(
            min=1,
            help="Seconds to wait for each wave of transfers, and for each insurance step"
            " (ledgers, retirement requests, care recognitions), to end.",
        ),
    ] = 180,
) -> None:
    """Run realistic, seeded workloads on the stack's services of both cities.

    fund: accounts, deposits and transfers both ways on fund-transfer; some transfers fail
    for real reasons (no account in the sending city: rejected; a month paid in both
    cities: reverted). insurance: careers spanning both cities on insurance-years, with
    months paid in both, deemed years, corrections, retirement-city requests (some refused,
    some in both cities at once: one wins) and care assessments recognised or refused.
    Each part of a seed runs once per stack: run again, it shows where its summary is
    (pass another --seed for more).
    """
    from chengyu_ops.cli_demo_insurance import SERVICE as INSURANCE
    from chengyu_ops.cli_demo_insurance import InsuranceDemoError

    urls: dict[Part, dict[City, str]] = {
        Part.fund: {"cq": _url(SERVICE, "cq", cq_url), "cd": _url(SERVICE, "cd", cd_url)},
        Part.insurance: {
            "cq": _url(INSURANCE, "cq", cq_insurance_url),
            "cd": _url(INSURANCE, "cd", cd_insurance_url),
        },
    }
    marker = _marker(seed)
    runs = read_marker(marker)
    failed = False
    for part in (only,) if only is not None else PARTS:
        earlier = runs.get(part.value)
        if earlier is not None and earlier.get("urls") == urls[part]:
            typer.echo(
                f"demo: seed {seed} ({part.value}) already ran on this stack at"
                f" {earlier.get('finished_at')} (summary in {marker}); pass another --seed"
                " to add another workload"
            )
            continue
        started = datetime.now(UTC)
        try:
            with Progress(*_COLUMNS, console=Console(stderr=True)) as progress:
                if part is Part.fund:
                    run = _run_fund(
                        seed, people, transfers, urls[part], progress, concurrency, wait
                    )
                else:
                    run = _run_insurance(seed, people, urls[part], progress, concurrency, wait)
        except (DemoError, InsuranceDemoError) as error:
            # One part's service being down should not hide what the other part shows.
            typer.echo(f"error: {error}", err=True)
            failed = True
            continue
        seconds = (datetime.now(UTC) - started).total_seconds()
        for line in run.lines:
            typer.echo(line)
        typer.echo(f"  took                {seconds:.1f} s")
        runs[part.value] = {
            "urls": urls[part],
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "seconds": round(seconds, 1),
            **run.options,
            "report": run.report,
        }
        write_marker(marker, runs)
        failed = failed or not run.ok
    if failed:
        raise typer.Exit(1)
