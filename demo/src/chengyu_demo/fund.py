"""The workload of ``chengyu-demo``, as pure data: people, accounts, deposits, transfers.

:func:`generate_workload` turns a seed (and the day it runs on) into the same workload every
time; nothing here does I/O. ``chengyu_demo.cli`` drives it against the two cities'
fund-transfer services over HTTP.

Everyone is synthetic: resident ID numbers are made with
:func:`chengyu_contracts.resident_id.synthesize_resident_id` from the cities' real county
codes, names combine common surnames and given names. Each person follows one scenario:

``stay``
    an account and months of deposits in the home city, no transfer.
``move``
    moves to the other city, whose clerk requests the account from the home city:
    completed.
``merge``
    as ``move``, but the person already pays into a new account in the other city (later
    months): the histories merge, completed.
``round-trip``
    moves there (wave 1) and back home (wave 2, once wave 1 has ended): completed twice.
``no-account``
    the home city's clerk requests an account from the other city, where the person never
    paid: rejected with ``no-such-account``.
``conflict``
    a month was paid in both cities while changing jobs: the receiving city cannot merge
    the histories (``history-conflict``) and the sending city restores the account:
    reverted.

Then withdrawals (提取) and a loan, after every transfer has ended; each of these people
has a scenario of their own:

``move-rent``
    a worker of Chongqing who has just started paying in Chengdu, one month fewer than
    Chengdu's rent rule asks for; Chengdu's clerk brings the Chongqing account over (a
    ``move`` whose histories merge) and the worker withdraws for rent in Chengdu. Before
    the transfer the rent rule refuses (``too-few-months``); after it, Chongqing's months
    count like Chengdu's and it is paid.
``rent``
    stays and withdraws for rent at home (paid); their homes alternate, so both cities pay.
``rent-refused``
    stays and applies for rent; a clerk refuses it after applying (the rental contract was
    not registered): the account's hold is freed, nothing paid.
``too-few-months``
    a new job a month short of the rent rule: the assessment refuses ``too-few-months`` and
    the clerk applies for nothing.
``retirement``
    leaves the scheme (销户提取): the whole balance paid, the account closed.
``borrow``
    pays in one city and buys a home in the other, which grants a provident-fund loan
    counting the deposits reported from the first (互认互贷); the first city asks the lending
    city about the loan (互查) and, with its answer, pays a withdrawal towards the loan.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from chengyu_contracts.cities import CITY_NAMES
from chengyu_contracts.masking import mask_name, mask_resident_id
from chengyu_contracts.months import Month, month_range
from chengyu_contracts.resident_id import Sex, synthesize_resident_id
from chengyu_demo.stack import CITIES, City, other_city
from chengyu_fund_transfer.policy import (
    CityPolicy,
    PolicyBook,
    WithdrawalKind,
    WithdrawalRule,
    default_policies,
)

__all__ = [
    "CITIES",
    "CITY_REGIONS",
    "GIVEN_NAMES",
    "SURNAMES",
    "City",
    "Outcome",
    "Person",
    "PlannedAccount",
    "PlannedDeposit",
    "PlannedLoan",
    "PlannedProof",
    "PlannedTransfer",
    "PlannedWithdrawal",
    "Scenario",
    "WithdrawalOutcome",
    "Workload",
    "generate_workload",
    "other_city",
    "scenario_counts",
]

Kind = Literal["employee", "flexible"]
Outcome = Literal["completed", "rejected", "reverted"]
Scenario = Literal[
    "stay",
    "move",
    "merge",
    "round-trip",
    "no-account",
    "conflict",
    "move-rent",
    "rent",
    "rent-refused",
    "too-few-months",
    "retirement",
    "borrow",
]
#: How a planned withdrawal ends: paid; refused by a clerk after applying; or not allowed by
#: its assessment, so never applied for.
WithdrawalOutcome = Literal["paid", "refused", "not-allowed"]
PlannedKind = Literal["rent", "retirement", "loan-repayment"]

#: County-level codes (GB/T 2260) of the cities' districts: where resident ID numbers of
#: people born there start.
CITY_REGIONS: dict[City, tuple[str, ...]] = {
    # Chongqing: Wanzhou 500101 ... Bishan 500120.
    "cq": tuple(f"5001{n:02d}" for n in range(1, 21)),
    # Chengdu: Jinjiang, Qingyang, Jinniu, Wuhou, Chenghua, Longquanyi, Qingbaijiang, Xindu,
    # Wenjiang, Shuangliu, Pidu, Xinjin, Jintang, Dayi, Pujiang, Dujiangyan, Pengzhou,
    # Qionglai, Chongzhou, Jianyang.
    "cd": (
        *("510104", "510105", "510106", "510107", "510108", "510112", "510113", "510114"),
        *("510115", "510116", "510117", "510118", "510121", "510129", "510131", "510181"),
        *("510182", "510183", "510184", "510185"),
    ),
}

# Frequent surnames, and given names (one or two characters) common across generations.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢钟谭陆汪范金石廖贾夏付方邹熊秦邱江尹雷侯龙陶黎贺顾毛龚邵万严向"
)
GIVEN_NAMES = (
    *("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟"),
    *("涛", "明", "超", "霞", "平", "刚", "鑫", "琳", "婷", "宇", "浩", "凯", "健", "欣"),
    *("秀英", "秀兰", "桂英", "建华", "建国", "志强", "海燕", "晓燕", "俊杰", "子涵", "雨涵"),
    *("梓轩", "欣怡", "浩然", "思远", "佳怡", "文博", "一诺", "嘉怡", "天佑", "雪梅", "红梅"),
    *("德华", "国庆", "小龙", "春燕", "玉兰", "明辉", "晓东", "丽娟", "家豪", "诗涵", "宏伟"),
)

# What the receiving city's clerk sees at the end of each failing scenario.
EXPECTED: dict[Scenario, tuple[Outcome, str | None]] = {
    "move": ("completed", None),
    "merge": ("completed", None),
    "round-trip": ("completed", None),
    "no-account": ("rejected", "no-such-account"),
    "conflict": ("reverted", "history-conflict"),
    "move-rent": ("completed", None),
}

# Share of the people with a transfer that follow each scenario; "move" takes the rest.
_SHARES: dict[Scenario, float] = {
    "merge": 0.2,
    "round-trip": 0.15,
    "no-account": 0.15,
    "conflict": 0.15,
}
# Below this many transfers the shares round to nothing; from it on each scenario occurs.
_ALL_SCENARIOS_FROM = len(_SHARES) + 1
# Of those who stay, one each withdraws in these ways or borrows, and about a tenth (at least
# two) withdraw for rent, from this many people who stay on; fewer stay, none of them.
_ONE_EACH: tuple[Scenario, ...] = ("rent-refused", "too-few-months", "retirement", "borrow")
_RENT_SHARE = 0.1
_WITHDRAWALS_FROM = len(_ONE_EACH) + 2
# The home city of each withdrawal scenario (rent alternates, Chengdu first): the mover and
# the borrower start in Chongqing, as in the walk-through of services/fund-transfer.
_HOMES: dict[Scenario, City] = {
    "move-rent": "cq",
    "borrow": "cq",
    "rent-refused": "cq",
    "too-few-months": "cd",
    "retirement": "cd",
}
# A clerk's refusal of an applied rent withdrawal (a proof that does not hold).
CLERK_REFUSAL = ("proof-not-genuine", "租赁合同未经备案，不能作为租房提取凭证")
# Banks paying out provident-fund loans in each city (the borrower names one).
BANKS: dict[City, tuple[str, ...]] = {
    "cq": ("重庆银行", "重庆农村商业银行", "中国建设银行重庆市分行", "中国工商银行重庆市分行"),
    "cd": (
        "成都银行",
        "中国建设银行四川省分行",
        "中国工商银行四川省分行",
        "中国农业银行四川省分行",
    ),
}
LOAN_TERMS_MONTHS = (120, 180, 240, 300, 360)
# Proof kinds and the prefixes of their (synthetic) file numbers.
_PROOF_PREFIXES = {
    "rental-contract": "ZL",
    "no-home-certificate": "WF",
    "retirement-or-exit-certificate": "TX",
    "loan-contract": "JK",
    "purchase-contract": "GF",
    "purchase-invoice": "FP",
    "hospital-diagnosis": "ZD",
    "medical-expense-receipts": "YF",
}


@dataclass(frozen=True)
class Person:
    """A synthetic person. ``key`` (``p007``) names them in the plan and in any output;
    the number and the name go only to the services' HTTP API."""

    key: str
    resident_id: str
    name: str
    home_city: City
    scenario: Scenario

    def __repr__(self) -> str:
        # Keeps the number and the name out of logs and tracebacks that print a person.
        return (
            f"Person({self.key}, {mask_resident_id(self.resident_id)}, {mask_name(self.name)},"
            f" home={self.home_city}, {self.scenario})"
        )


@dataclass(frozen=True)
class PlannedDeposit:
    """One month's deposit, in whole fen."""

    month: str  # YYYY-MM
    amount_fen: int


@dataclass(frozen=True)
class PlannedAccount:
    """An account a clerk opens for ``person`` in ``city``, with its deposits in order."""

    person: str  # Person.key
    city: City
    kind: Kind
    deposits: tuple[PlannedDeposit, ...]

    @property
    def deposited_fen(self) -> int:
        """The sum of its planned deposits."""
        return sum(d.amount_fen for d in self.deposits)


@dataclass(frozen=True)
class PlannedTransfer:
    """A transfer the clerk of ``to_city`` requests from ``from_city``.

    Wave 2 transfers are requested once every wave 1 transfer has ended (a trip back needs
    the trip there to be complete).
    """

    person: str  # Person.key
    from_city: City
    to_city: City
    wave: int
    expected: Outcome
    expected_reason: str | None


@dataclass(frozen=True)
class PlannedProof:
    """A proof the applicant shows: its kind and a file number (no personal data)."""

    kind: str
    reference: str


@dataclass(frozen=True)
class PlannedWithdrawal:
    """A withdrawal a clerk of ``city`` handles once every transfer has ended.

    ``amount_fen`` is None for retirement (the whole balance). ``expected`` says how it
    ends; ``expected_code`` is the clerk's refusal code (``refused``) or the assessment's
    (``not-allowed``). A ``loan-repayment`` repays the workload's loan of the same person,
    confirmed by the lending city's answer to a loan query.
    """

    person: str  # Person.key
    city: City
    kind: PlannedKind
    amount_fen: int | None
    proofs: tuple[PlannedProof, ...]
    expected: WithdrawalOutcome
    expected_code: str | None = None


@dataclass(frozen=True)
class PlannedLoan:
    """A loan a clerk of ``city`` grants once the person is eligible there; the other city
    then asks about it (loan query) before a repayment withdrawal."""

    person: str  # Person.key
    city: City
    amount_fen: int
    term_months: int
    bank: str
    start_month: str  # YYYY-MM, the first instalment
    # The ceiling the plan expects the lending city to find once every deposit of the other
    # city is reported there (``min(balance x multiple, cap)``).
    ceiling_fen: int

    @property
    def asking_city(self) -> City:
        """The city that asks the lending city about the loan."""
        return other_city(self.city)


@dataclass(frozen=True)
class Workload:
    """Everything ``chengyu-demo`` does, in order: open the accounts with their deposits,
    request the transfers wave by wave, then handle the withdrawals and grant the loans."""

    seed: int
    today: date
    people: tuple[Person, ...]
    accounts: tuple[PlannedAccount, ...]
    transfers: tuple[PlannedTransfer, ...]
    withdrawals: tuple[PlannedWithdrawal, ...] = ()
    loans: tuple[PlannedLoan, ...] = ()

    def person(self, key: str) -> Person:
        """The person of ``key``."""
        for person in self.people:
            if person.key == key:
                return person
        raise KeyError(key)

    def wave(self, number: int) -> tuple[PlannedTransfer, ...]:
        """The transfers of wave ``number``."""
        return tuple(t for t in self.transfers if t.wave == number)

    @property
    def deposit_count(self) -> int:
        """How many deposits the workload records."""
        return sum(len(a.deposits) for a in self.accounts)

    @property
    def deposited_fen(self) -> int:
        """The sum of all deposits: what both cities hold together at the end."""
        return sum(a.deposited_fen for a in self.accounts)

    def expected_outcomes(self) -> Counter[tuple[Outcome, str | None]]:
        """How many transfers should end in each (outcome, reason)."""
        return Counter((t.expected, t.expected_reason) for t in self.transfers)

    def expected_withdrawals(self) -> Counter[tuple[WithdrawalOutcome, str | None]]:
        """How many withdrawals should end in each (outcome, code)."""
        return Counter((w.expected, w.expected_code) for w in self.withdrawals)

    def account_of(self, person: str, city: City) -> PlannedAccount | None:
        """The planned account of ``person`` in ``city``, if any."""
        for account in self.accounts:
            if (account.person, account.city) == (person, city):
                return account
        return None

    def loan_of(self, person: str) -> PlannedLoan:
        """The planned loan of ``person``."""
        for loan in self.loans:
            if loan.person == person:
                return loan
        raise KeyError(person)


def scenario_counts(people: int, transfer_share: float) -> dict[Scenario, int]:
    """How many people follow each scenario.

    ``round(people * transfer_share)`` people have a transfer; from
    :data:`_ALL_SCENARIOS_FROM` of them on, each failing and special scenario gets at least
    one, so every outcome shows up in a small demo too; one of two or more plain moves is a
    ``move-rent``. Of those who stay, from :data:`_WITHDRAWALS_FROM` on, one each is a
    ``rent-refused``, ``too-few-months``, ``retirement`` and ``borrow`` and a tenth (at
    least two) are ``rent``.
    """
    if people < 0:
        raise ValueError("people must not be negative")
    if not 0.0 <= transfer_share <= 1.0:
        raise ValueError("transfer_share must be between 0 and 1")
    movers = round(people * transfer_share)
    counts: dict[Scenario, int] = {}
    for scenario, share in _SHARES.items():
        wanted = round(movers * share)
        counts[scenario] = max(1, wanted) if movers >= _ALL_SCENARIOS_FROM else wanted
    counts["move"] = movers - sum(counts.values())
    if counts["move"] < 0:  # rounding up the small ones overshot: give it back
        counts["merge"] += counts["move"]
        counts["move"] = 0
    counts["move-rent"] = 1 if counts["move"] >= 2 else 0
    counts["move"] -= counts["move-rent"]
    stay = people - movers
    withdrawing = stay >= _WITHDRAWALS_FROM
    for scenario in _ONE_EACH:
        counts[scenario] = 1 if withdrawing else 0
    counts["rent"] = max(2, round(stay * _RENT_SHARE)) if withdrawing else 0
    counts["stay"] = stay - sum(counts[s] for s in (*_ONE_EACH, "rent"))
    return counts


def generate_workload(
    seed: int,
    *,
    today: date,
    people: int = 60,
    transfer_share: float = 0.5,
    policies: Sequence[CityPolicy] | None = None,
) -> Workload:
    """The workload of ``seed`` on day ``today`` (China's day: no month after it is used).

    The same arguments give the same workload. Flexible workers' deposits lie within the
    minimum and maximum of their city's policy in force on ``today`` (the services check
    them against that one); ``policies`` defaults to the services' default policies.
    """
    if people > 5000:
        raise ValueError("at most 5000 people: resident ID numbers must stay unique")
    book = PolicyBook(default_policies() if policies is None else policies)
    rng = random.Random(seed)
    counts = scenario_counts(people, transfer_share)
    scenarios: list[Scenario] = [s for s, n in counts.items() for _ in range(n)]
    rng.shuffle(scenarios)
    current = Month.of(today)

    people_out: list[Person] = []
    plan = _Plan()
    seen_ids: set[str] = set()
    renters = 0
    for index, scenario in enumerate(scenarios):
        # Alternate home cities so that transfers go both ways in equal numbers; the
        # withdrawal scenarios have theirs (rent alternates on its own, Chengdu first).
        home: City = _HOMES.get(scenario, CITIES[index % 2])
        if scenario == "rent":
            home = CITIES[(renters + 1) % 2]
            renters += 1
        person = _person(rng, f"p{index + 1:03d}", home, scenario, today, seen_ids)
        people_out.append(person)
        _plan(rng, person, current, book, today, plan)
    return Workload(
        seed=seed,
        today=today,
        people=tuple(people_out),
        accounts=tuple(plan.accounts),
        transfers=tuple(plan.transfers),
        withdrawals=tuple(plan.withdrawals),
        loans=tuple(plan.loans),
    )


def _person(
    rng: random.Random, key: str, home: City, scenario: Scenario, today: date, seen: set[str]
) -> Person:
    # Most people were born in the city they work in; some in the other one.
    born_in = home if rng.random() < 0.8 else other_city(home)
    while True:
        # Of working age: 22 to 58 years old today.
        birth = today - timedelta(days=rng.randint(22 * 365 + 6, 58 * 365))
        sex: Sex = rng.choice(("male", "female"))
        number = synthesize_resident_id(
            rng.choice(CITY_REGIONS[born_in]), birth, rng.randint(0, 499), sex
        )
        if number not in seen:
            seen.add(number)
            break
    name = rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)
    return Person(key, number, name, home, scenario)


@dataclass
class _Plan:
    """What the people's scenarios add up to, as they are planned one by one."""

    accounts: list[PlannedAccount] = field(default_factory=list)
    transfers: list[PlannedTransfer] = field(default_factory=list)
    withdrawals: list[PlannedWithdrawal] = field(default_factory=list)
    loans: list[PlannedLoan] = field(default_factory=list)


def _rule(book: PolicyBook, city: City, today: date, kind: WithdrawalKind) -> WithdrawalRule:
    """The rule of withdrawal ``kind`` in ``city`` on ``today`` (the demo plans only kinds in
    force, so a policy without it is a mistake in the policies given)."""
    rule = book.policy_for(city, today).withdrawals.get(kind)
    if rule is None:
        raise ValueError(f"{kind} withdrawals are not in force in {CITY_NAMES[city]} on {today}")
    return rule


def _proofs(rng: random.Random, rule: WithdrawalRule, current: Month) -> tuple[PlannedProof, ...]:
    """A proof of every kind ``rule`` requires, each with a synthetic file number."""
    return tuple(
        PlannedProof(
            kind, f"{_PROOF_PREFIXES.get(kind, 'PZ')}-{current.year}-{rng.randint(1, 9999):04d}"
        )
        for kind in sorted(rule.required_proofs)
    )


def _plan(
    rng: random.Random,
    person: Person,
    current: Month,
    book: PolicyBook,
    today: date,
    plan: _Plan,
) -> None:
    """The accounts, transfers, withdrawals and loans of one person's scenario."""
    home, away = person.home_city, other_city(person.home_city)
    scenario = person.scenario
    if scenario in ("move-rent", "too-few-months", "borrow"):
        _plan_withdrawal_history(rng, person, current, book, today, plan)
        return
    # The months paid at home: a run of 6 to 36 months ending this month or up to 6 months
    # ago; exactly 6 months ago when months paid in the other city follow it. Those who
    # withdraw for rent pay still (this month or the last), or the rent rule would refuse.
    length = rng.randint(6, 36)
    pays_away = scenario in ("merge", "conflict")
    renting = scenario in ("rent", "rent-refused")
    last_home = current.plus(-6 if pays_away else -rng.randint(0, 1 if renting else 6))
    first_home = last_home.plus(-(length - 1))
    account = _account(rng, person.key, home, first_home, last_home, book, today)
    plan.accounts.append(account)

    if scenario == "merge":
        # A new job in the other city right after leaving home: the months that follow.
        last_away = last_home.plus(rng.randint(1, 6))
        plan.accounts.append(
            _account(rng, person.key, away, last_home.next(), last_away, book, today)
        )
    elif scenario == "conflict":
        # Paid in both cities for the last one or two months of the old job.
        overlap = rng.randint(1, 2)
        first_away = last_home.plus(1 - overlap)
        last_away = last_home.plus(rng.randint(1, 6))
        plan.accounts.append(_account(rng, person.key, away, first_away, last_away, book, today))
    elif renting:
        plan.withdrawals.append(
            _rent(rng, person, home, account.deposited_fen, current, book, today)
        )
    elif scenario == "retirement":
        rule = _rule(book, home, today, "retirement")
        plan.withdrawals.append(
            PlannedWithdrawal(
                person.key, home, "retirement", None, _proofs(rng, rule, current), "paid"
            )
        )

    if scenario in ("move", "merge", "conflict", "round-trip"):
        outcome, reason = EXPECTED[scenario]
        plan.transfers.append(PlannedTransfer(person.key, home, away, 1, outcome, reason))
    if scenario == "round-trip":
        plan.transfers.append(PlannedTransfer(person.key, away, home, 2, "completed", None))
    if scenario == "no-account":
        # The home city's clerk asks the other city, where this person never paid.
        outcome, reason = EXPECTED[scenario]
        plan.transfers.append(PlannedTransfer(person.key, away, home, 1, outcome, reason))


# How each rent scenario's withdrawal ends, and its code.
_RENT_OUTCOMES: dict[Scenario, tuple[WithdrawalOutcome, str | None]] = {
    "rent": ("paid", None),
    "move-rent": ("paid", None),
    "rent-refused": ("refused", CLERK_REFUSAL[0]),
    "too-few-months": ("not-allowed", "too-few-months"),
}
# The most a rent withdrawal asks for where the rule sets no cap.
_RENT_AT_MOST_FEN = 450_000


def _rent(
    rng: random.Random,
    person: Person,
    city: City,
    balance_fen: int,
    current: Month,
    book: PolicyBook,
    today: date,
) -> PlannedWithdrawal:
    """A rent withdrawal in ``city`` of whole hundreds of yuan from 1,000 yuan, within the
    rule's caps and the planned balance (so that only the rule the scenario is about can
    refuse it), ending as the person's scenario says."""
    rule = _rule(book, city, today, "rent")
    caps = [c for c in (rule.monthly_cap_fen, rule.yearly_cap_fen) if c is not None]
    most = min(caps, default=_RENT_AT_MOST_FEN)
    least = min(100_000, most)
    amount = min(rng.randrange(least, most + 1, 10_000), balance_fen)
    outcome, code = _RENT_OUTCOMES[person.scenario]
    return PlannedWithdrawal(
        person.key, city, "rent", amount, _proofs(rng, rule, current), outcome, code
    )


def _plan_withdrawal_history(
    rng: random.Random,
    person: Person,
    current: Month,
    book: PolicyBook,
    today: date,
    plan: _Plan,
) -> None:
    """The scenarios whose deposit months are shaped by a rule: ``move-rent`` and
    ``too-few-months`` by the rent rule's months, ``borrow`` by the lending city's."""
    home, away = person.home_city, other_city(person.home_city)
    before = current.previous()  # the rules count months up to the month before this one
    if person.scenario == "too-few-months":
        # A new job: one month fewer than the rent rule asks for, up to last month.
        needed = _rule(book, home, today, "rent").min_consecutive_months
        short = max(needed - 1, 0)
        account = _account(rng, person.key, home, before.plus(1 - short), before, book, today)
        plan.accounts.append(account)
        plan.withdrawals.append(
            _rent(rng, person, home, account.deposited_fen, current, book, today)
        )
        return
    if person.scenario == "move-rent":
        # Paid at home, then here for one month fewer than the rent rule asks for, up to
        # last month: only the months brought over from home make up the difference.
        needed = _rule(book, away, today, "rent").min_consecutive_months
        short = max(needed - 1, 0)
        last_home = before.plus(-short)
        first_home = last_home.plus(1 - rng.randint(6, 36))
        home_account = _account(rng, person.key, home, first_home, last_home, book, today)
        plan.accounts.append(home_account)
        balance = home_account.deposited_fen
        if short:
            away_account = _account(rng, person.key, away, last_home.next(), before, book, today)
            plan.accounts.append(away_account)
            balance += away_account.deposited_fen
        plan.transfers.append(PlannedTransfer(person.key, home, away, 1, "completed", None))
        plan.withdrawals.append(_rent(rng, person, away, balance, current, book, today))
        return
    # borrow: pays at home still, long enough for the lending city's loan rule and the
    # home city's repayment rule; buys a home in the other city, which lends.
    lending = book.policy_for(away, today)
    repayment = _rule(book, home, today, "loan-repayment")
    longest = max(lending.loan_min_consecutive_months, repayment.min_consecutive_months + 1)
    last = current.plus(-rng.randint(0, 1))
    first = last.plus(1 - rng.randint(max(12, longest), max(36, longest)))
    account = _account(rng, person.key, home, first, last, book, today)
    plan.accounts.append(account)
    balance = account.deposited_fen
    ceiling = min(balance * lending.loan_balance_multiple, lending.loan_cap_fen)
    # Whole 10,000 yuan, about half to four fifths of the ceiling.
    share = rng.randint(50, 80)
    amount = min(ceiling, max(1_000_000, ceiling * share // 100 // 1_000_000 * 1_000_000))
    terms = [t for t in LOAN_TERMS_MONTHS if t <= lending.loan_max_term_months]
    loan = PlannedLoan(
        person=person.key,
        city=away,
        amount_fen=amount,
        term_months=rng.choice(terms or [lending.loan_max_term_months]),
        bank=rng.choice(BANKS[away]),
        start_month=str(current.next()),
        ceiling_fen=ceiling,
    )
    plan.loans.append(loan)
    # Towards the loan: most of the home balance, whole hundreds of yuan.
    towards = min(balance // 10_000 * 10_000, amount)
    plan.withdrawals.append(
        PlannedWithdrawal(
            person.key,
            home,
            "loan-repayment",
            towards,
            _proofs(rng, repayment, current),
            "paid",
        )
    )


def _account(
    rng: random.Random,
    person: str,
    city: City,
    first: Month,
    last: Month,
    book: PolicyBook,
    today: date,
) -> PlannedAccount:
    """An account of ``city`` with a deposit for each month from ``first`` to ``last``."""
    kind: Kind = "flexible" if rng.random() < 0.45 else "employee"
    policy = book.policy_for(city, today)
    amount = _monthly_amount(rng, kind, policy)
    deposits: list[PlannedDeposit] = []
    for month in month_range(first, last):
        if rng.random() < 0.1:  # a raise, a new contract, a changed contribution base
            amount = _monthly_amount(rng, kind, policy)
        deposits.append(PlannedDeposit(str(month), amount))
    return PlannedAccount(person, city, kind, tuple(deposits))


def _monthly_amount(rng: random.Random, kind: Kind, policy: CityPolicy) -> int:
    """A plausible monthly deposit in fen, a whole number of yuan."""
    if kind == "employee":
        # Employer and employee each pay 5-12 % of a monthly wage of 3,000-25,000 yuan.
        wage_yuan = rng.randint(3_000, 25_000)
        rate_percent = rng.randint(5, 12)
        return max(1, wage_yuan * rate_percent * 2 // 100) * 100
    # Flexible workers pay the whole deposit themselves, mostly near the minimum: a draw
    # skewed to the low end, rounded down to 10 yuan, kept within the city's bounds.
    low, high = policy.flexible_deposit_min_fen, policy.flexible_deposit_max_fen
    drawn = int(rng.triangular(low, high, low)) // 1_000 * 1_000
    return min(high, max(low, drawn))
