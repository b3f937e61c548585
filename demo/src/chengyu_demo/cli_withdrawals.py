"""The fund part's withdrawals (提取) and loans over HTTP, after its transfers have ended.

:class:`WithdrawalDriver` handles the workload's planned withdrawals as a clerk of the city
that holds the account would (assess, apply, then pay or refuse), grants the planned loan
once the lending city counts the other city's deposits, has the other city ask about it
(loan query, 互查) and pays the repayment withdrawal with that answer. At the end it reads
every withdrawal back, so the money check uses what the services hold:
deposits - withdrawals paid = balances.

Resident ID numbers go only into request bodies; people are named by their plan key.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx
from rich.progress import Progress, TaskID

from chengyu_demo.driver import DemoDriver, RetryPolicy, View
from chengyu_demo.fund import CLERK_REFUSAL
from chengyu_demo.stack import CITIES, City

if TYPE_CHECKING:
    from chengyu_demo.fund import PlannedLoan, PlannedWithdrawal, Workload

__all__ = [
    "LOST_WITHDRAWAL",
    "LoanSeen",
    "MoneyReport",
    "WithdrawalDriver",
    "WithdrawalSeen",
    "money_lines",
]

#: A withdrawal applied for whose answer was lost and whose id nothing shows.
LOST_WITHDRAWAL = "apply withdrawal: answer lost, withdrawal id unknown"
MONTHS_RULE = "consecutive-months"
QUERY_PURPOSE = "loan-repayment-withdrawal"


@dataclass
class WithdrawalSeen:
    """How one planned withdrawal went, as the services answered (no personal data)."""

    person: str
    scenario: str
    city: str
    kind: str
    expected: str
    expected_code: str | None
    # "paid" | "refused" | "not-allowed" (by its assessment) | "skipped" | "failed"
    state: str = "skipped"
    code: str | None = None  # the clerk's reason code, or the assessment's refusal codes
    amount_fen: int = 0
    withdrawal_id: str | None = None
    months_rule: str = ""  # the consecutive-months rule with its figures
    before_transfer: str = ""  # move-rent: the assessment before the transfer
    account_closed: bool = False
    loan_query_id: str | None = None

    @property
    def as_planned(self) -> bool:
        """Whether it ended as the plan says (a refusal at assessment: for its code only)."""
        if self.state != self.expected:
            return False
        return self.expected == "paid" or self.code == self.expected_code


@dataclass
class LoanSeen:
    """The planned loan as granted, and the other city's loan query about it."""

    person: str
    city: str
    asking_city: str
    loan_id: str | None = None
    amount_fen: int = 0
    term_months: int = 0
    annual_rate_bp: int = 0
    monthly_instalment_fen: int = 0
    bank: str = ""
    start_month: str = ""
    # The lending city's eligibility rules with their figures (deposits of both cities).
    eligibility: list[str] = field(default_factory=list)
    query_id: str | None = None
    query_state: str = "not asked"  # "answered" | "waiting" | "unanswered" | "not asked"
    answered_at: str | None = None
    outstanding_fen: int | None = None
    as_of_month: str | None = None
    instalments_left: int | None = None


@dataclass
class MoneyReport:
    """What the withdrawals and loans did, and what the services hold of them at the end."""

    withdrawals: list[WithdrawalSeen] = field(default_factory=list)
    loans: list[LoanSeen] = field(default_factory=list)
    # Withdrawals paid, by city, as read back from the services (GET /withdrawals/{id}).
    withdrawn_fen: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CITIES, 0))
    unread_withdrawals: int = 0
    # Waits that ended before the awaited effect showed (eligibility, a query's answer).
    unfinished: int = 0
    looked_up: int = 0

    @property
    def not_as_planned(self) -> int:
        """Withdrawals that ended otherwise than planned (skipped ones are not counted)."""
        return sum(1 for w in self.withdrawals if w.state not in ("skipped",) and not w.as_planned)

    @property
    def skipped(self) -> int:
        """Withdrawals left out (an account not opened, a transfer that did not complete)."""
        return sum(1 for w in self.withdrawals if w.state == "skipped")


def _body(planned: PlannedWithdrawal, loan_id: str | None, query_id: str | None) -> View:
    body: View = {
        "kind": planned.kind,
        "amount_fen": planned.amount_fen,
        "proofs": [{"kind": p.kind, "reference": p.reference} for p in planned.proofs],
    }
    if loan_id is not None:
        body["loan_id"] = loan_id
        body["loan_query_id"] = query_id
    return body


def _rule_detail(view: View, rule: str) -> str:
    """The figures of ``rule`` in an assessment or a withdrawal (``""`` when absent)."""
    for result in view.get("rules", []):
        if result["rule"] == rule:
            return str(result["detail"])
    return ""


class WithdrawalDriver(DemoDriver):
    """The HTTP side of the fund part's withdrawals and loans."""

    def __init__(
        self,
        workload: Workload,
        clients: dict[City, httpx.AsyncClient],
        progress: Progress,
        problems: Counter[str],
        unconfirmed: Counter[str],
        *,
        concurrency: int,
        wait_seconds: float,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(
            clients,
            progress,
            problems,
            concurrency=concurrency,
            wait_seconds=wait_seconds,
            retry=retry,
        )
        self.workload = workload
        self.unconfirmed = unconfirmed
        self.report = MoneyReport()
        self.seen: dict[tuple[str, str], WithdrawalSeen] = {}
        for planned in workload.withdrawals:
            seen = WithdrawalSeen(
                person=planned.person,
                scenario=workload.person(planned.person).scenario,
                city=planned.city,
                kind=planned.kind,
                expected=planned.expected,
                expected_code=planned.expected_code,
            )
            self.seen[(planned.person, planned.city)] = seen
            self.report.withdrawals.append(seen)

    # -- before the transfers ---------------------------------------------------------------

    async def assess_before_transfers(self, accounts: dict[tuple[str, City], str]) -> None:
        """For each ``move-rent`` withdrawal, what the rent rule says before the transfer
        brings the months of home over: the assessment's codes and months figures."""
        for planned in self.workload.withdrawals:
            seen = self.seen[(planned.person, planned.city)]
            account_id = accounts.get((planned.person, planned.city))
            if seen.scenario != "move-rent" or account_id is None:
                continue
            view = await self._call(
                "assess withdrawal",
                planned.city,
                "POST",
                f"/accounts/{account_id}/withdrawal-assessment",
                _body(planned, None, None),
                200,
            )
            if view is not None:
                verdict = "allowed" if view["allowed"] else ", ".join(view["refusals"])
                seen.before_transfer = f"{verdict} ({_rule_detail(view, MONTHS_RULE)})"

    # -- after the transfers ----------------------------------------------------------------

    async def run(
        self, accounts: dict[tuple[str, City], str], ready: set[tuple[str, City]]
    ) -> None:
        """Handle every planned withdrawal and loan. ``accounts``: the account of each person
        in each city; ``ready``: those whose plan held so far (opened, moved as planned)."""
        task = self.progress.add_task(
            "withdrawals and loans",
            total=len(self.workload.withdrawals) + len(self.workload.loans),
        )
        borrowers = {loan.person for loan in self.workload.loans}
        jobs = [
            self._withdraw(planned, accounts, ready, task)
            for planned in self.workload.withdrawals
            if planned.person not in borrowers
        ]
        jobs += [self._borrow(loan, accounts, ready, task) for loan in self.workload.loans]
        await asyncio.gather(*jobs)

    async def _withdraw(
        self,
        planned: PlannedWithdrawal,
        accounts: dict[tuple[str, City], str],
        ready: set[tuple[str, City]],
        task: TaskID,
        *,
        loan_id: str | None = None,
        query_id: str | None = None,
    ) -> None:
        seen = self.seen[(planned.person, planned.city)]
        account_id = accounts.get((planned.person, planned.city))
        try:
            if account_id is None or (planned.person, planned.city) not in ready:
                return  # stays "skipped"
            seen.loan_query_id = query_id
            await self._handle(planned, seen, account_id, _body(planned, loan_id, query_id))
        finally:
            self.progress.advance(task)

    async def _handle(
        self, planned: PlannedWithdrawal, seen: WithdrawalSeen, account_id: str, body: View
    ) -> None:
        """Assess, as a clerk does first; apply if allowed; then pay or refuse."""
        city = planned.city
        seen.state = "failed"  # until it gets further
        assessment = await self._call(
            "assess withdrawal",
            city,
            "POST",
            f"/accounts/{account_id}/withdrawal-assessment",
            body,
            200,
        )
        if assessment is None:
            return
        seen.months_rule = _rule_detail(assessment, MONTHS_RULE)
        if not assessment["allowed"]:
            seen.state, seen.code = "not-allowed", ", ".join(assessment["refusals"])
            return
        applied = await self._apply(city, account_id, body)
        if applied is None:
            return
        seen.withdrawal_id = applied["withdrawal_id"]
        seen.amount_fen = int(applied["amount_fen"])
        seen.months_rule = _rule_detail(applied, MONTHS_RULE) or seen.months_rule
        path = f"/withdrawals/{seen.withdrawal_id}"
        if planned.expected == "refused":
            code, reason = CLERK_REFUSAL
            decided = await self._decide(
                city, path, "refuse", {"reason_code": code, "reason": reason}, "refused"
            )
        else:
            decided = await self._decide(city, path, "pay", None, "paid")
        if decided is None:
            return
        seen.state, seen.code = decided["state"], decided["reason_code"]
        if planned.kind == "retirement":
            account = await self._get(city, f"/accounts/{account_id}")
            seen.account_closed = account is not None and account["status"] == "closed"

    async def _apply(self, city: City, account_id: str, body: View) -> View | None:
        """Apply for the withdrawal (201). A retry after a lost answer that finds the account
        held (``withdrawal-pending``) looks at the withdrawal holding it: ours when its kind
        and amount are ours."""
        answer = await self.send(city, "POST", f"/accounts/{account_id}/withdrawals", body)
        if answer.status == 201:
            view: View = answer.json()
            return view
        if answer.code == "withdrawal-pending" and answer.maybe_applied_before:
            account = await self._get(city, f"/accounts/{account_id}")
            held = None if account is None else account.get("withdrawal_id")
            found = None if held is None else await self._get(city, f"/withdrawals/{held}")
            if found is not None and (found["kind"], found["amount_fen"]) == (
                body["kind"],
                body["amount_fen"] if body["amount_fen"] is not None else found["amount_fen"],
            ):
                self.report.looked_up += 1
                return found
            self.unconfirmed[LOST_WITHDRAWAL] += 1
            return None
        self._problem("apply withdrawal", answer)
        return None

    async def _decide(
        self, city: City, path: str, step: str, body: View | None, target: str
    ) -> View | None:
        """Pay or refuse (200). A retry after a lost answer refused as ``illegal-transition``
        is fine when the withdrawal shows the state our first attempt took it to."""
        answer = await self.send(city, "POST", f"{path}/{step}", body)
        if answer.status == 200:
            view: View = answer.json()
            return view
        if answer.code == "illegal-transition" and answer.maybe_applied_before:
            found = await self._get(city, path)
            if found is not None and found["state"] == target:
                self.report.looked_up += 1
                return found
        self._problem(f"{step} withdrawal", answer)
        return None

    # -- the loan -------------------------------------------------------------------------

    async def _borrow(
        self,
        loan: PlannedLoan,
        accounts: dict[tuple[str, City], str],
        ready: set[tuple[str, City]],
        task: TaskID,
    ) -> None:
        """Grant the loan once the lending city counts the other city's deposits, have the
        other city ask about it, then pay the repayment withdrawal with the answer."""
        seen = LoanSeen(loan.person, loan.city, loan.asking_city)
        self.report.loans.append(seen)
        try:
            if (loan.person, loan.asking_city) in ready:
                await self._grant(loan, seen)
        finally:
            self.progress.advance(task)
        if seen.loan_id is not None:
            await self._ask(loan, seen)
        answered = seen.loan_id is not None and seen.query_state == "answered"
        for repayment in self.workload.withdrawals:
            if repayment.person != loan.person:
                continue
            if not answered:  # nothing confirms the loan: the repayment stays "skipped"
                self.progress.advance(task)
                continue
            await self._withdraw(
                repayment, accounts, ready, task, loan_id=seen.loan_id, query_id=seen.query_id
            )

    async def _grant(self, loan: PlannedLoan, seen: LoanSeen) -> None:
        person = self.workload.person(loan.person)
        # The other city's deposits reach the lending city over the bus: wait until it
        # counts enough of them for the planned amount.
        deadline = self._deadline()
        loop = asyncio.get_running_loop()
        while True:
            view = await self._call(
                "loan eligibility",
                loan.city,
                "POST",
                "/loan-eligibility",
                {"resident_id": person.resident_id},
                200,
            )
            if view is None:
                return
            seen.eligibility = [f"{r['rule']}: {r['detail']}" for r in view["rules"]]
            if view["eligible"] and view["ceiling_fen"] >= loan.amount_fen:
                break
            if loop.time() > deadline:
                self.report.unfinished += 1
                self._not_seen(loan.city, "/loan-eligibility")
                return
            await asyncio.sleep(0.5)
        granted = await self._call(
            "grant loan",
            loan.city,
            "POST",
            "/loans",
            {
                "resident_id": person.resident_id,
                "amount_fen": loan.amount_fen,
                "term_months": loan.term_months,
                "bank": loan.bank,
                "start_month": loan.start_month,
            },
            201,
        )
        if granted is None:
            return
        seen.loan_id = granted["loan_id"]
        seen.amount_fen = int(granted["amount_fen"])
        seen.term_months = int(granted["term_months"])
        seen.annual_rate_bp = int(granted["annual_rate_bp"])
        seen.monthly_instalment_fen = int(granted["monthly_instalment_fen"])
        seen.bank = granted["bank"]
        seen.start_month = granted["start_month"]

    async def _ask(self, loan: PlannedLoan, seen: LoanSeen) -> None:
        person = self.workload.person(loan.person)
        asked = await self._call(
            "ask loan query",
            loan.asking_city,
            "POST",
            "/loan-queries",
            {"resident_id": person.resident_id, "purpose": QUERY_PURPOSE},
            202,
        )
        if asked is None:
            return
        seen.query_id = asked["query_id"]
        seen.query_state = asked["state"]
        path = f"/loan-queries/{seen.query_id}"
        view, done = await self._poll(
            loan.asking_city, path, lambda v: v["state"] != "waiting", self._deadline()
        )
        if not done:
            self.report.unfinished += 1
            self._not_seen(loan.asking_city, path)
        if view is None:
            return
        seen.query_state = view["state"]
        seen.answered_at = view["answered_at"]
        for statement in view["loans"] or []:
            if statement["loan_id"] == seen.loan_id:
                seen.outstanding_fen = int(statement["outstanding_fen"])
                seen.as_of_month = statement["as_of_month"]
                seen.instalments_left = len(statement["remaining"])

    # -- what the services hold -------------------------------------------------------------

    async def read_withdrawals(self) -> None:
        """Read every withdrawal the demo applied for back: the paid ones' amounts by city
        (the money check's withdrawals), and each one's state as the service keeps it."""
        known = [w for w in self.report.withdrawals if w.withdrawal_id is not None]

        async def one(seen: WithdrawalSeen) -> None:
            city: City = "cq" if seen.city == "cq" else "cd"
            view = await self._get(city, f"/withdrawals/{seen.withdrawal_id}")
            if view is None:
                self.report.unread_withdrawals += 1
                return
            if view["state"] == "paid":
                self.report.withdrawn_fen[city] += int(view["amount_fen"])
            if view["state"] != seen.state:
                self._problem("read withdrawal", None, f"{view['state']} there, {seen.state} here")

        await asyncio.gather(*(one(seen) for seen in known))


# -- output ------------------------------------------------------------------------------


def _yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d} yuan"


def _instant(text: str | None) -> str:
    """An ISO instant to the second (``2026-12-03T07:38:47Z``)."""
    if text is None:
        return "?"
    return text[:19] + "Z" if text.endswith(("Z", "+00:00")) else text


def _paid_line(paid: list[WithdrawalSeen]) -> str:
    """``rent 4 (cq 1, cd 3), retirement 1 (cd 1)``: the paid withdrawals by kind and city."""
    parts = []
    for kind in dict.fromkeys(w.kind for w in paid):
        of_kind = [w for w in paid if w.kind == kind]
        cities = ", ".join(
            f"{city} {n}" for city in CITIES if (n := sum(1 for w in of_kind if w.city == city))
        )
        parts.append(f"{kind} {len(of_kind)} ({cities})")
    return ", ".join(parts) or "none"


def money_lines(report: MoneyReport, planned: int) -> list[str]:
    """The summary lines of the withdrawals and the loan (counts, sums, figures; no
    personal data): what was paid, refused and not allowed, the stories, the loan."""
    if not report.withdrawals and not report.loans:
        return []
    states = Counter(w.state for w in report.withdrawals)
    paid = [w for w in report.withdrawals if w.state == "paid"]
    lines = [
        f"  withdrawals         {len(report.withdrawals) - states['skipped']} handled of"
        f" {planned} planned: {len(paid)} paid, {_yuan(sum(w.amount_fen for w in paid))}",
        f"                      paid: {_paid_line(paid)}",
    ]
    for w in report.withdrawals:
        if w.state == "refused":
            lines.append(
                f"                      refused by a {w.city} clerk after applying ({w.code}):"
                f" {w.person}'s {w.kind} of {_yuan(w.amount_fen)}, the account's hold freed"
            )
        elif w.state == "not-allowed":
            lines.append(
                f"                      not allowed at assessment ({w.code}): {w.person}'s"
                f" {w.kind} in {w.city}, {w.months_rule}"
            )
        elif w.state == "failed":
            lines.append(f"                      FAILED: {w.person}'s {w.kind} in {w.city}")
    if report.not_as_planned:
        lines.append(f"                      {report.not_as_planned} ended otherwise than planned")
    elif len(report.withdrawals) > report.skipped:
        lines.append("                      each one ended as planned")
    if report.skipped:
        lines.append(
            f"                      {report.skipped} skipped (an account not opened, a"
            " transfer or the loan not as planned)"
        )
    for w in report.withdrawals:
        if w.scenario == "move-rent" and w.state != "skipped":
            home = "cq" if w.city == "cd" else "cd"
            lines.append(
                f"  rent after a move   {w.person} moved {home} -> {w.city}, rent in {w.city}"
            )
            if w.before_transfer:
                lines.append(f"    before the move   {w.before_transfer}")
            lines.append(f"    after it          {w.state} {_yuan(w.amount_fen)}: {w.months_rule}")
    for w in report.withdrawals:
        if w.kind == "retirement" and w.state != "skipped":
            closed = "the account closed" if w.account_closed else "the account NOT closed"
            lines.append(
                f"  retirement (销户)   {w.person} in {w.city}: {w.state} {_yuan(w.amount_fen)},"
                f" the whole balance; {closed}"
            )
    for loan in report.loans:
        lines.extend(_loan_lines(loan, report))
    return lines


def _loan_lines(loan: LoanSeen, report: MoneyReport) -> list[str]:
    if loan.loan_id is None:
        return [f"  loan                {loan.person} in {loan.city}: NOT GRANTED"]
    rate = f"{loan.annual_rate_bp // 100}.{loan.annual_rate_bp % 100:02d} %"
    lines = [
        f"  loan                {loan.person} in {loan.city}: {_yuan(loan.amount_fen)} over"
        f" {loan.term_months} months at {rate}, {_yuan(loan.monthly_instalment_fen)} a month"
        f" from {loan.start_month} ({loan.bank})",
    ]
    months = next((e for e in loan.eligibility if e.startswith(MONTHS_RULE)), "")
    if months:
        lines.append(f"                      counted: {months}")
    if loan.query_state == "answered":
        owed = "no such loan in the answer"
        if loan.outstanding_fen is not None:
            owed = (
                f"{_yuan(loan.outstanding_fen)} outstanding as of {loan.as_of_month},"
                f" {loan.instalments_left} instalments left"
            )
        lines.append(
            f"  loan query (互查)   {loan.asking_city} asked {loan.city}: answered at"
            f" {_instant(loan.answered_at)}, signed by {loan.city} (accepted in"
            f" {loan.asking_city} only under {loan.city}'s key): {owed}"
        )
    else:
        state = loan.query_state.upper()
        lines.append(f"  loan query (互查)   {loan.asking_city} asked {loan.city}: {state}")
    for w in report.withdrawals:
        if w.person == loan.person and w.kind == "loan-repayment":
            lines.append(
                f"  repayment           {w.person} in {w.city} towards {loan.city}'s loan,"
                f" with the answer to its query: {w.state} {_yuan(w.amount_fen)}"
            )
    return lines
