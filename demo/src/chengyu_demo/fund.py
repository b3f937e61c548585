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
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from chengyu_contracts.masking import mask_name, mask_resident_id
from chengyu_contracts.months import Month, month_range
from chengyu_contracts.resident_id import Sex, synthesize_resident_id
from chengyu_demo.stack import CITIES, City, other_city
from chengyu_fund_transfer.policy import CityPolicy, PolicyBook, default_policies

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
    "PlannedTransfer",
    "Scenario",
    "Workload",
    "generate_workload",
    "other_city",
    "scenario_counts",
]

Kind = Literal["employee", "flexible"]
Outcome = Literal["completed", "rejected", "reverted"]
Scenario = Literal["stay", "move", "merge", "round-trip", "no-account", "conflict"]

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
class Workload:
    """Everything ``chengyu-demo`` does, in order: open the accounts with their deposits,
    then request the transfers wave by wave."""

    seed: int
    today: date
    people: tuple[Person, ...]
    accounts: tuple[PlannedAccount, ...]
    transfers: tuple[PlannedTransfer, ...]

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


def scenario_counts(people: int, transfer_share: float) -> dict[Scenario, int]:
    """How many people follow each scenario.

    ``round(people * transfer_share)`` people have a transfer; from
    :data:`_ALL_SCENARIOS_FROM` of them on, each failing and special scenario gets at least
    one, so every outcome shows up in a small demo too.
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
    counts["stay"] = people - movers
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
    accounts: list[PlannedAccount] = []
    transfers: list[PlannedTransfer] = []
    seen_ids: set[str] = set()
    for index, scenario in enumerate(scenarios):
        # Alternate home cities so that transfers go both ways in equal numbers.
        home: City = CITIES[index % 2]
        person = _person(rng, f"p{index + 1:03d}", home, scenario, today, seen_ids)
        people_out.append(person)
        planned = _plan(rng, person, current, book, today)
        accounts.extend(planned[0])
        transfers.extend(planned[1])
    return Workload(
        seed=seed,
        today=today,
        people=tuple(people_out),
        accounts=tuple(accounts),
        transfers=tuple(transfers),
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


def _plan(
    rng: random.Random, person: Person, current: Month, book: PolicyBook, today: date
) -> tuple[list[PlannedAccount], list[PlannedTransfer]]:
    """The accounts and transfers of one person's scenario."""
    home, away = person.home_city, other_city(person.home_city)
    scenario = person.scenario
    # The months paid at home: a run of 6 to 36 months ending this month or up to 6 months
    # ago; exactly 6 months ago when months paid in the other city follow it.
    length = rng.randint(6, 36)
    pays_away = scenario in ("merge", "conflict")
    last_home = current.plus(-6 if pays_away else -rng.randint(0, 6))
    first_home = last_home.plus(-(length - 1))
    accounts = [_account(rng, person.key, home, first_home, last_home, book, today)]

    if scenario == "merge":
        # A new job in the other city right after leaving home: the months that follow.
        last_away = last_home.plus(rng.randint(1, 6))
        accounts.append(_account(rng, person.key, away, last_home.next(), last_away, book, today))
    elif scenario == "conflict":
        # Paid in both cities for the last one or two months of the old job.
        overlap = rng.randint(1, 2)
        first_away = last_home.plus(1 - overlap)
        last_away = last_home.plus(rng.randint(1, 6))
        accounts.append(_account(rng, person.key, away, first_away, last_away, book, today))

    transfers: list[PlannedTransfer] = []
    if scenario in ("move", "merge", "conflict", "round-trip"):
        outcome, reason = EXPECTED[scenario]
        transfers.append(PlannedTransfer(person.key, home, away, 1, outcome, reason))
    if scenario == "round-trip":
        transfers.append(PlannedTransfer(person.key, away, home, 2, "completed", None))
    if scenario == "no-account":
        # The home city's clerk asks the other city, where this person never paid.
        outcome, reason = EXPECTED[scenario]
        transfers.append(PlannedTransfer(person.key, away, home, 1, outcome, reason))
    return accounts, transfers


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
