"""``chengyu-demo``: drive seeded workloads through both cities' services: the fund part
here, the insurance, elder, blood and jobs parts in :mod:`chengyu_demo.cli_insurance`,
:mod:`chengyu_demo.cli_elder`, :mod:`chengyu_demo.cli_blood` and
:mod:`chengyu_demo.cli_jobs`; the command runs them in turn (or one, ``--only``, from the
table :data:`PART_SPECS`) and records each seed's runs.

The fund workload comes from :mod:`chengyu_demo.fund` (pure); this module only speaks HTTP to
the clerks' API, exactly as a clerk's client would: open accounts, record deposits, request
transfers in the receiving city, follow them until they end, then handle withdrawals and a
loan (:mod:`chengyu_demo.cli_withdrawals`), then read the balances and the withdrawals back.

Resident ID numbers and names go only into request bodies; nothing here prints or logs them
(people are named by their plan key, ``p007``).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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

from chengyu_contracts.policy_book import policy_day
from chengyu_demo.blood import blood_plan
from chengyu_demo.cli_blood import SERVICE as BLOOD
from chengyu_demo.cli_blood import BloodDemoError, blood_summary_lines, run_blood_demo
from chengyu_demo.cli_elder import SERVICE as ELDER
from chengyu_demo.cli_elder import ElderDemoError, elder_summary_lines, run_elder_demo
from chengyu_demo.cli_insurance import SERVICE as INSURANCE
from chengyu_demo.cli_insurance import (
    InsuranceDemoError,
    insurance_summary_lines,
    run_insurance_demo,
)
from chengyu_demo.cli_jobs import SERVICE as JOBS
from chengyu_demo.cli_jobs import JobsDemoError, jobs_summary_lines, run_jobs_demo
from chengyu_demo.cli_withdrawals import (
    LOST_WITHDRAWAL,
    MoneyReport,
    WithdrawalDriver,
    money_lines,
)
from chengyu_demo.driver import DemoDriver, RetryPolicy, bearer, not_ready
from chengyu_demo.elder import generate_elder_workload
from chengyu_demo.fund import generate_workload
from chengyu_demo.insurance import generate_insurance_workload
from chengyu_demo.jobs import jobs_plan
from chengyu_demo.stack import (
    CITIES,
    City,
    NoIdentityProvider,
    clerk_tokens,
    default_url,
    find_project_root,
    state_home,
)

if TYPE_CHECKING:
    from chengyu_demo.fund import PlannedAccount, PlannedTransfer, Workload

__all__ = [
    "DemoReport",
    "Part",
    "demo_command",
    "main",
    "read_marker",
    "run_demo",
    "summary_lines",
    "write_marker",
]

SERVICE = "fund-transfer"
DEFAULT_SEED = 2025
TERMINAL = frozenset({"completed", "rejected", "reverted"})
POLL_SECONDS = 0.5


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
    # The deposits the demo made (its own bookkeeping, for the summary's counts).
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
    # What the services' databases hold at the end, read back over HTTP: every balance,
    # and every deposit once (by person, city and month, wherever its history now is).
    balances_fen: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CITIES, 0))
    recorded_fen: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CITIES, 0))
    unread_accounts: int = 0
    # Calls that were made but whose outcome the demo could not learn (an answer lost to a
    # killed service and nothing to look it up by), by what they were.
    unconfirmed: Counter[str] = field(default_factory=Counter)
    # Lost answers whose outcome a lookup (GET) confirmed, and attempts repeated.
    looked_up: int = 0
    retries: int = 0
    example_transfer: str = ""
    # The withdrawals and the loan, and the withdrawals paid as the services hold them.
    money: MoneyReport = field(default_factory=MoneyReport)

    @property
    def withdrawn_fen(self) -> int:
        """The withdrawals paid in both cities, as read back from the services."""
        return sum(self.money.withdrawn_fen.values())

    @property
    def conserved(self) -> bool:
        """Whether both cities together hold exactly the deposits they recorded less the
        withdrawals they paid, to the fen."""
        return sum(self.balances_fen.values()) == (
            sum(self.recorded_fen.values()) - self.withdrawn_fen
        )

    @property
    def money_confirmed(self) -> bool:
        """Whether the demo saw every account and withdrawal its calls made: each one was
        read, and no transfer's or withdrawal's answer was lost (its receiving account or
        its withdrawal may be one the demo cannot see)."""
        return (
            self.unread_accounts == 0
            and self.money.unread_withdrawals == 0
            and not any(
                what.startswith("request transfer") or what == LOST_WITHDRAWAL
                for what in self.unconfirmed
            )
        )

    @property
    def ok(self) -> bool:
        """Every call answered as a clerk expects, every transfer ended, every withdrawal
        and the loan as planned and in time, no fen lost."""
        return (
            not self.problems
            and self.unfinished == 0
            and self.conserved
            and self.money.not_as_planned == 0
            and self.money.unfinished == 0
        )

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (for the marker file)."""
        data = asdict(self)
        data["outcomes"] = dict(self.outcomes)
        data["problems"] = dict(self.problems)
        data["unconfirmed"] = dict(self.unconfirmed)
        data["conserved"] = self.conserved
        data["money"]["not_as_planned"] = self.money.not_as_planned
        return data


@dataclass
class _Settled:
    """How one transfer ended, as the receiving city sees it."""

    state: str
    reason_code: str | None
    account_id: str | None


# What an answer lost to a killed service, then retried, may say about the first attempt.
_LOST_OPEN = "open account: answer lost, account id unknown"
_LOST_TRANSFER = "request transfer: answer lost, transfer id unknown"
_LOST_THEN_OTHERWISE = "request transfer: answer lost, retry ended otherwise than planned"


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
        retry: RetryPolicy | None = None,
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
            retry=retry,
        )
        self.skipped: set[str] = set()  # people whose accounts could not all be opened
        self.accounts: set[tuple[City, str]] = set()  # every account the demo touched
        # (person, city) -> the person's account there now (opened, or credited to).
        self.account_ids: dict[tuple[str, City], str] = {}
        self.ended: dict[str, list[str]] = {}  # person -> outcomes of their transfers

    # -- accounts and deposits -----------------------------------------------------------

    async def open_accounts(self) -> None:
        """Open every planned account and record its deposits."""
        accounts_task = self.progress.add_task("open accounts", total=len(self.workload.accounts))
        deposits_task = self.progress.add_task("record deposits", total=self.workload.deposit_count)
        await asyncio.gather(
            *(
                self._open(account, accounts_task, deposits_task)
                for account in self.workload.accounts
            )
        )

    async def _open(self, planned: PlannedAccount, accounts: TaskID, deposits: TaskID) -> None:
        person = self.workload.person(planned.person)
        answer = await self.send(
            planned.city,
            "POST",
            "/accounts",
            {"resident_id": person.resident_id, "name": person.name, "kind": planned.kind},
        )
        self.progress.advance(accounts)
        if answer.status != 201:
            if answer.code == "already-has-account" and answer.maybe_applied_before:
                # Our own first attempt opened it and its answer was lost: made, but
                # without its id no deposit can go to it (a service that honours the
                # Idempotency-Key replays the 201 instead).
                self.report.accounts_opened[planned.city] += 1
                self.report.unconfirmed[_LOST_OPEN] += 1
            elif answer.status != 409:
                # A 409 (already-has-account) without a lost answer means an earlier,
                # unfinished run created this person: not a fault, but their plan no
                # longer holds. Either way, leave the person's transfers out.
                self._problem("open account", answer)
            self.skipped.add(person.key)
            self.progress.advance(deposits, len(planned.deposits))
            return
        account_id: str = answer.json()["account_id"]
        self.accounts.add((planned.city, account_id))
        self.account_ids[(planned.person, planned.city)] = account_id
        self.report.accounts_opened[planned.city] += 1
        for deposit in planned.deposits:
            if await self._deposit(planned.city, account_id, deposit.month, deposit.amount_fen):
                self.report.deposits += 1
                self.report.deposited_fen += deposit.amount_fen
            self.progress.advance(deposits)

    async def _deposit(self, city: City, account_id: str, month: str, amount_fen: int) -> bool:
        """Record one deposit; whether the account holds it afterwards."""
        path = f"/accounts/{account_id}/deposits"
        answer = await self.send(city, "POST", path, {"month": month, "amount_fen": amount_fen})
        if answer.status == 201:
            return True
        if answer.code == "duplicate-month" and answer.maybe_applied_before:
            # The first attempt's answer was lost: the account says whether it was ours.
            account = await self.send(city, "GET", f"/accounts/{account_id}")
            if account.status == 200 and any(
                d["month"] == month and d["amount_fen"] == amount_fen and d["city"] == city
                for d in account.json()["deposits"]
            ):
                self.report.looked_up += 1
                return True
        self._problem("record deposit", answer)
        return False

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
        body = {
            "resident_id": person.resident_id,
            "name": person.name,
            "from_city": planned.from_city,
        }
        answer = await self.send(planned.to_city, "POST", "/transfers", body)
        if answer.status != 202:
            if answer.code == "transfer-in-progress" and answer.maybe_applied_before:
                # Our first attempt started it and its answer (with its id) was lost.
                self.report.requested += 1
                self.report.unconfirmed[_LOST_TRANSFER] += 1
                self.ended.setdefault(planned.person, []).append("unknown")
            else:
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
            if answer.maybe_applied_before:
                # The lost first attempt may have been applied (and this is a second
                # transfer of an account that already left): not known to differ.
                self.report.unconfirmed[_LOST_THEN_OTHERWISE] += 1
            else:
                self.report.not_as_planned += 1
        if settled.account_id is not None:
            if (planned.to_city, settled.account_id) not in self.accounts:
                # The person had no open account there: the credit opened one.
                self.report.opened_by_transfers[planned.to_city] += 1
            self.accounts.add((planned.to_city, settled.account_id))
            if settled.state == "completed":
                self.account_ids[(planned.person, planned.to_city)] = settled.account_id
        if settled.state == "completed" and not self.report.example_transfer:
            url = str(self.clients[planned.to_city].base_url).rstrip("/")
            self.report.example_transfer = f"{url}/transfers/{transfer_id}"

    async def _settle(self, city: City, transfer_id: str, deadline: float) -> _Settled | None:
        """Poll the receiving city until the transfer ends; None past ``deadline``."""
        loop = asyncio.get_running_loop()
        while True:
            answer = await self.send(city, "GET", f"/transfers/{transfer_id}")
            if answer.status == 200:
                view = answer.json()
                if view["state"] in TERMINAL:
                    return _Settled(view["state"], view["reason_code"], view["account_id"])
            if loop.time() > deadline:
                return None
            await asyncio.sleep(POLL_SECONDS)

    # -- what the services hold ----------------------------------------------------------

    async def read_balances(self) -> None:
        """Read every account the demo opened or a transfer credited: its balance, and each
        deposit once (a transferred history appears in the closed account and in the one
        it moved to; a month is paid once per person and city)."""
        task = self.progress.add_task("read balances", total=len(self.accounts))
        recorded: dict[tuple[str, str, str], int] = {}

        async def one(city: City, account_id: str) -> None:
            answer = await self.send(city, "GET", f"/accounts/{account_id}")
            if answer.status == 200:
                view = answer.json()
                self.report.balances_fen[city] += int(view["balance_fen"])
                for d in view["deposits"]:
                    recorded[(view["person_ref"], d["city"], d["month"])] = int(d["amount_fen"])
            else:
                self.report.unread_accounts += 1
                self._problem("read account", answer)
            self.progress.advance(task)

        await asyncio.gather(*(one(city, account_id) for city, account_id in self.accounts))
        for (_, city, _), amount in recorded.items():
            self.report.recorded_fen[city] = self.report.recorded_fen.get(city, 0) + amount

    def as_planned_so_far(self) -> set[tuple[str, City]]:
        """The (person, city) whose withdrawal or loan may go ahead: every account of the
        person opened, and each of their transfers completed as planned."""
        ready: set[tuple[str, City]] = set()
        for person in self.workload.people:
            if person.key in self.skipped:
                continue
            planned = [t.expected for t in self.workload.transfers if t.person == person.key]
            if self.ended.get(person.key, []) != planned:
                continue
            ready.update((person.key, city) for city in CITIES)
        return ready


async def run_demo(
    workload: Workload,
    urls: dict[City, str],
    *,
    tokens: Mapping[City, str],
    progress: Progress,
    concurrency: int = 8,
    wait_seconds: float = 180.0,
    retry: RetryPolicy | None = None,
) -> DemoReport:
    """Drive ``workload`` through the services at ``urls`` as a clerk of each city
    (``tokens``: a clerk's access token per city) and report what happened."""
    async with (
        httpx.AsyncClient(base_url=urls["cq"], timeout=30, headers=bearer(tokens["cq"])) as cq,
        httpx.AsyncClient(base_url=urls["cd"], timeout=30, headers=bearer(tokens["cd"])) as cd,
    ):
        clients: dict[City, httpx.AsyncClient] = {"cq": cq, "cd": cd}
        problem = await not_ready(clients, "fund-transfer")
        if problem is not None:
            raise DemoError(problem)
        driver = _Driver(
            workload,
            clients,
            progress,
            concurrency=concurrency,
            wait_seconds=wait_seconds,
            retry=retry,
        )
        money = WithdrawalDriver(
            workload,
            clients,
            progress,
            driver.report.problems,
            driver.report.unconfirmed,
            concurrency=concurrency,
            wait_seconds=wait_seconds,
            retry=retry,
        )
        driver.report.money = money.report
        try:
            await driver.open_accounts()
            await money.assess_before_transfers(driver.account_ids)
            for wave in sorted({t.wave for t in workload.transfers}):
                await driver.run_wave(wave)
            await money.run(driver.account_ids, driver.as_planned_so_far())
            await driver.read_balances()
            await money.read_withdrawals()
        finally:
            driver.report.retries = sum(driver.retries.values()) + sum(money.retries.values())
            driver.report.looked_up += money.report.looked_up
        driver.report.skipped_people = len(driver.skipped)
        return driver.report


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
    for what, count in sorted(report.unconfirmed.items()):
        lines.append(f"  NOT CONFIRMED       {count} x {what} (a service was killed?)")
    if report.not_as_planned:
        lines.append(f"                      {report.not_as_planned} ended otherwise than planned")
    elif report.requested and not report.unfinished:
        lines.append("                      each one ended as planned")
    if report.skipped_people or report.skipped_transfers:
        lines.append(
            f"  skipped             {report.skipped_people} people, "
            f"{report.skipped_transfers} transfers (an earlier, unfinished run?)"
        )
    lines.extend(money_lines(report.money, len(workload.withdrawals)))
    for city in CITIES:
        lines.append(
            f"  balance in {city}       {report.balances_fen[city]:,} fen"
            f" ({_yuan(report.balances_fen[city])}); deposits recorded there"
            f" {report.recorded_fen[city]:,} fen, withdrawals paid there"
            f" {report.money.withdrawn_fen[city]:,} fen"
        )
    recorded = sum(report.recorded_fen.values())
    remaining = recorded - report.withdrawn_fen
    lines.append(
        f"  deposits - paid     {recorded:,} fen of deposits recorded - {report.withdrawn_fen:,}"
        f" fen of withdrawals paid = {remaining:,} fen, both cities together"
    )
    if report.conserved:
        verdict = "equals deposits - withdrawals paid, to the fen: conserved"
    elif not report.money_confirmed:
        # Some account or withdrawal the calls made could not be read or found: no verdict.
        verdict = (
            f"vs {remaining:,} fen: NOT CONFIRMED ({report.unread_accounts} accounts and"
            f" {report.money.unread_withdrawals} withdrawals unread, answers lost)"
        )
    else:
        verdict = f"DIFFERS from the {remaining:,} fen of deposits - withdrawals paid"
    lines.append(f"  balances, both      {total:,} fen (read from both cities' APIs), {verdict}")
    if report.retries or report.looked_up:
        lines.append(
            f"  retried             {report.retries} calls while a service did not answer;"
            f" {report.looked_up} lost answers confirmed by a lookup"
        )
    for problem, count in sorted(report.problems.items()):
        lines.append(f"  PROBLEM             {count} x {problem}")
    if report.example_transfer:
        # As an auditor (reads both cities); the token is asked for when the line is run.
        token = (
            "$(uv run chengyu token --city cq --role auditor --agency audit"
            " --service fund-transfer)"
        )
        auth = f'-H "Authorization: Bearer {token}"'
        lines.append(f"  look at one         curl -s {auth} {report.example_transfer}")
    return lines


# -- the command -------------------------------------------------------------------------


class Part(StrEnum):
    """A part of the demo: one service's workload on both cities."""

    fund = "fund"
    insurance = "insurance"
    elder = "elder"
    blood = "blood"
    jobs = "jobs"


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
    return (given or default_url(service, city)).rstrip("/")


@dataclass
class _PartRun:
    """One part's finished run: its report, summary and the options it ran with."""

    report: dict[str, Any]
    lines: list[str]
    ok: bool
    options: dict[str, Any]


@dataclass(frozen=True)
class _Options:
    """The command's options that size and pace the parts."""

    seed: int
    people: int
    transfers: float
    elders: int
    blood_days: int
    jobs_postings: int
    jobs_seekers: int
    concurrency: int
    wait: float


def _run_fund(o: _Options, urls: dict[City, str], progress: Progress) -> _PartRun:
    today = policy_day(datetime.now(UTC))
    workload = generate_workload(o.seed, today=today, people=o.people, transfer_share=o.transfers)
    report = asyncio.run(
        run_demo(
            workload,
            urls,
            tokens=clerk_tokens(SERVICE),
            progress=progress,
            concurrency=o.concurrency,
            wait_seconds=o.wait,
        )
    )
    return _PartRun(
        report.as_dict(),
        summary_lines(report, workload),
        report.ok,
        {"people": o.people, "transfer_share": o.transfers},
    )


def _run_insurance(o: _Options, urls: dict[City, str], progress: Progress) -> _PartRun:
    today = policy_day(datetime.now(UTC))
    workload = generate_insurance_workload(o.seed, today=today, people=o.people)
    report = asyncio.run(
        run_insurance_demo(
            workload,
            urls,
            tokens=clerk_tokens(INSURANCE),
            progress=progress,
            concurrency=o.concurrency,
            wait_seconds=o.wait,
        )
    )
    return _PartRun(
        report.as_dict(),
        insurance_summary_lines(report, workload),
        report.ok,
        {"people": o.people},
    )


def _run_elder(o: _Options, urls: dict[City, str], progress: Progress) -> _PartRun:
    today = policy_day(datetime.now(UTC))
    workload = generate_elder_workload(o.seed, today=today, elders=o.elders)
    report = asyncio.run(
        run_elder_demo(
            workload,
            urls,
            tokens=clerk_tokens(ELDER),
            progress=progress,
            concurrency=o.concurrency,
            wait_seconds=min(o.wait, 60),
        )
    )
    return _PartRun(
        report.as_dict(), elder_summary_lines(report, workload), report.ok, {"elders": o.elders}
    )


def _run_blood(o: _Options, urls: dict[City, str], progress: Progress) -> _PartRun:
    # The history ends just before now: every movement is reported after the fact.
    plan = blood_plan(o.seed, end=datetime.now(UTC) - timedelta(minutes=5), days=o.blood_days)
    report = asyncio.run(
        run_blood_demo(
            plan,
            urls,
            seed=o.seed,
            tokens=clerk_tokens(BLOOD),
            progress=progress,
            concurrency=o.concurrency,
            wait_seconds=min(o.wait, 120),
        )
    )
    return _PartRun(
        report.as_dict(), blood_summary_lines(report), report.ok, {"days": o.blood_days}
    )


def _run_jobs(o: _Options, urls: dict[City, str], progress: Progress) -> _PartRun:
    plan = jobs_plan(
        o.seed,
        now=datetime.now(UTC),
        postings=o.jobs_postings,
        seekers=o.jobs_seekers,
    )
    report = asyncio.run(
        run_jobs_demo(
            plan,
            urls,
            tokens=clerk_tokens(JOBS),
            progress=progress,
            concurrency=o.concurrency,
            wait_seconds=min(o.wait, 120),
        )
    )
    options = {"postings": o.jobs_postings, "seekers": o.jobs_seekers}
    return _PartRun(report.as_dict(), jobs_summary_lines(report), report.ok, options)


@dataclass(frozen=True)
class _PartSpec:
    """A part of the demo: the service it drives, how it runs, and the error it raises
    when that service cannot be driven (the message says what to do)."""

    service: str
    run: Callable[[_Options, dict[City, str], Progress], _PartRun]
    error: type[Exception]


#: Every part, in the order the command runs them.
PART_SPECS: dict[Part, _PartSpec] = {
    Part.fund: _PartSpec(SERVICE, _run_fund, DemoError),
    Part.insurance: _PartSpec(INSURANCE, _run_insurance, InsuranceDemoError),
    Part.elder: _PartSpec(ELDER, _run_elder, ElderDemoError),
    Part.blood: _PartSpec(BLOOD, _run_blood, BloodDemoError),
    Part.jobs: _PartSpec(JOBS, _run_jobs, JobsDemoError),
}
PARTS: tuple[Part, ...] = tuple(PART_SPECS)


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
        Part | None,
        typer.Option(help="Run one part only (default: fund, then insurance, elder, blood, jobs)."),
    ] = None,
    elders: Annotated[
        int, typer.Option(min=10, max=5000, help="How many synthetic elders in the elder part.")
    ] = 300,
    blood_days: Annotated[
        int, typer.Option(min=14, max=30, help="Days of both blood centres' history.")
    ] = 30,
    jobs_postings: Annotated[
        int, typer.Option(min=20, max=20000, help="Postings of both cities in the jobs part.")
    ] = 300,
    jobs_seekers: Annotated[
        int, typer.Option(min=20, max=20000, help="Seekers of both cities in the jobs part.")
    ] = 200,
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
    cq_elder_url: Annotated[
        str | None, typer.Option(help="Chongqing's elder-allowance API (default: the stack's).")
    ] = None,
    cd_elder_url: Annotated[
        str | None, typer.Option(help="Chengdu's elder-allowance API (default: the stack's).")
    ] = None,
    cq_blood_url: Annotated[
        str | None, typer.Option(help="Chongqing's blood-dispatch API (default: the stack's).")
    ] = None,
    cd_blood_url: Annotated[
        str | None, typer.Option(help="Chengdu's blood-dispatch API (default: the stack's).")
    ] = None,
    cq_jobs_url: Annotated[
        str | None, typer.Option(help="Chongqing's job-matching API (default: the stack's).")
    ] = None,
    cd_jobs_url: Annotated[
        str | None, typer.Option(help="Chengdu's job-matching API (default: the stack's).")
    ] = None,
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Requests in flight at once.")
    ] = 8,
    wait: Annotated[
        float,
        typer.Option(
            min=1,
            help="Seconds to wait for each wave of transfers, for the loan's eligibility and"
            " its query's answer, and for each insurance step (ledgers, retirement requests,"
            " care recognitions), to end.",
        ),
    ] = 180,
) -> None:
    """Run realistic, seeded workloads on the stack's services of both cities.

    fund: accounts, deposits and transfers both ways on fund-transfer; some transfers fail
    for real reasons (no account in the sending city: rejected; a month paid in both
    cities: reverted); then withdrawals (rent after a move counting the months brought
    over, rent in both cities, one refused by a clerk, one refused at assessment, a
    retirement closing an account) and a loan granted in Chengdu, confirmed to Chongqing by
    a loan query and repaid from there; deposits - withdrawals paid = balances.
    insurance: careers spanning both cities on insurance-years, with
    months paid in both, deemed years, corrections, retirement-city requests (some refused,
    some in both cities at once: one wins) and care assessments recognised or refused.
    elder: a register of elders of both cities on elder-allowance and a year of monthly
    payment runs (2026-01..2026-12) with moves, deaths, verifications and applications in
    the other city, assessments and institutions; the invariants checked at the end.
    blood: a month of both blood centres' collections and issues on blood-dispatch (one
    red-cell group short in each city, every stock-low answered by the other city: accept,
    dispatch with a logger, receive, one temperature breach quarantined) and a rare donor
    found and recalled across the cities; every unit in one place, units conserved.
    jobs: postings and key-group seekers of both cities on job-matching, matches both ways
    with their explanations, a consent withdrawn, a joint fair, 12333 requests forwarded
    both ways along every path (returned, extended, reopened, left unsigned, open) and
    personnel files transferred (one incomplete, then supplemented);
    every request in one state in both cities.
    Each part of a seed runs once per stack: run again, it shows where its summary is
    (pass another --seed for more).
    """
    given: dict[Part, tuple[str | None, str | None]] = {
        Part.fund: (cq_url, cd_url),
        Part.insurance: (cq_insurance_url, cd_insurance_url),
        Part.elder: (cq_elder_url, cd_elder_url),
        Part.blood: (cq_blood_url, cd_blood_url),
        Part.jobs: (cq_jobs_url, cd_jobs_url),
    }
    urls: dict[Part, dict[City, str]] = {
        part: {
            "cq": _url(spec.service, "cq", given[part][0]),
            "cd": _url(spec.service, "cd", given[part][1]),
        }
        for part, spec in PART_SPECS.items()
    }
    options = _Options(
        seed, people, transfers, elders, blood_days, jobs_postings, jobs_seekers, concurrency, wait
    )
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
        spec = PART_SPECS[part]
        started = datetime.now(UTC)
        try:
            with Progress(*_COLUMNS, console=Console(stderr=True)) as progress:
                run = spec.run(options, urls[part], progress)
        except (spec.error, NoIdentityProvider) as error:
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


def main() -> None:
    """Entry point of the ``chengyu-demo`` console script."""
    typer.run(demo_command)


if __name__ == "__main__":
    main()
