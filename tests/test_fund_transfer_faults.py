"""Provident-fund transfers, deposits, withdrawals and loans under faults: money is
conserved, nothing is credited or withdrawn twice, every loan query is answered once.

Both cities' service processes run on a real Kafka (a fresh one per scenario) and real
PostgreSQL, their clocks on 16 November 2026 (the kit's ``CLOCK_START``, carried on over a
restart). A seeded workload opens accounts and records months of deposits; then, in both
cities and interleaved:

- each city's clerks request transfers from the other; some must fail for real reasons (no
  account in the sending city: rejected ``no-such-account``; a month deposited in both
  cities: reverted ``history-conflict``); some accounts are held by a rent withdrawal being
  decided when their transfer is requested (rejected ``withdrawal-pending``), and once it is
  paid or refused the transfer is requested again and completes with what is left;
- people who stay record this month's deposits and withdraw: rent paid or refused (some
  refused, applied for again and paid), one retirement per city that empties and closes the
  account; loans are granted in one city, the other city asks over the bus whether the
  person has a loan there (互查), and some repay it from their account there with a
  loan-repayment withdrawal on the strength of the answer;
- withdrawals are attempted on accounts frozen by a transfer.

In the first scenario service processes of both cities are SIGKILLed and restarted while
this runs. Every write of the workload except a transfer request may be cut off by a kill
and is sent again with its Idempotency-Key (transfer requests are never in flight to a
killed process). While a receiving city is dead, the accounts the other city froze for its
transfers stay frozen: a withdrawal is attempted on some of them then. In the second
scenario every event of the fund topics (``fund.transfer``, ``fund.account``,
``fund.loan-query``) is published a second time right behind the original (the same signed
bytes, the same event id), withdrawals are attempted on accounts seen frozen, and after the
workload the whole log is published twice more, which must change no row. Both end with the
same checks, on the cities' databases and the bus:

- every transfer ends as its kind must, and both cities' views of it agree;
- money: the deposits recorded less the withdrawals paid equal the balances of all accounts
  of both cities, to the fen;
- each city credited exactly the transfers completed towards it, each once, with what the
  sending account held (its deposits less what was withdrawn from it);
- whoever moved holds their deposit months in the receiving city, and every other account
  is as its deposits and withdrawals left it (a reverted transfer's account restored, a
  retired one closed and empty);
- no withdrawal applied twice: the paying city's ``withdrawal`` table holds exactly the
  withdrawals applied for, each paid one once as paid, the other city's
  ``reported_withdrawal`` each paid one once, the bus one event each, whose balance after it
  is the account's balance (or what its transfer carried) and what the other city knows of
  it; no account is still held;
- no withdrawal on a frozen account: every attempt was refused 409 ``account-transferring``
  (in the second scenario also ``account-closed``, when the transfer ended first) with
  nothing written, and no withdrawal was applied for or decided while its account was
  frozen by a transfer (the transfer steps' times);
- every loan query answered once: answered in both cities' ``loan_query`` with the loans
  expected (the one granted, or none), one loan-query-answered event id per query on the
  bus (a record published again after a SIGKILL keeps its id); each loan known in both
  cities;
- no event was dead-lettered.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import secrets
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any, Literal, TypeVar

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from chengyu_contracts.cities import CITIES, City, other_city
from chengyu_contracts.events.fund import ACCOUNT_TOPIC, LOAN_QUERY_TOPIC, TRANSFER_TOPIC
from chengyu_contracts.keys import KeyRegistry
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.outbox import OutgoingRecord
from chengyu_kit.testing import kafka_options
from tests.support import redelivery
from tests.support.audit import domain_topics, invariant_violations
from tests.support.fund import (
    TERMINAL,
    FundCity,
    both_cities_settings,
    hpf_key_files,
    resident_id,
    running_city,
)
from tests.support.insurance import publish_records
from tests.support.kafka_io import apply_project_topics, bus_settled, fresh_kafka, read_all
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

Kind = Literal["moves", "no-account", "conflict", "held"]
Role = Literal[
    "retires",
    "rent-paid",
    "rent-refused",
    "rent-refused-then-paid",
    "borrows",
    "borrows-repays",
    "checked",
]
CONSUMED_TOPICS = (TRANSFER_TOPIC, ACCOUNT_TOPIC, LOAN_QUERY_TOPIC)
# How each kind of transfer must end, in both cities: state and reason code. A held
# person's transfer requested again once the withdrawal was decided must complete.
EXPECTED_END: dict[Kind, tuple[str, str | None]] = {
    "moves": ("completed", None),
    "no-account": ("rejected", "no-such-account"),
    "conflict": ("reverted", "history-conflict"),
    "held": ("rejected", "withdrawal-pending"),
}
AGAIN_END = ("completed", None)
# The processes' clocks: the application month of every withdrawal and loan is November.
CLOCK = datetime(2026, 11, 16, 10, 0, tzinfo=timezone(timedelta(hours=8)))
THIS_MONTH = "2026-11"
MONTHS = [f"{year}-{m:02d}" for year in (2025, 2026) for m in range(1, 13)][:22]  # to 2026-10
RECENT = MONTHS[-3:]  # a rent withdrawal needs three months of deposits before November
HALF_YEAR = MONTHS[-6:]  # a loan repayment six
YEAR = MONTHS[-12:]  # a loan in Chengdu twelve (Chongqing six)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗"
GIVEN = ("伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰")
BATCHES = 6  # transfer batches; Chengdu and Chongqing request them in turn
PER_BATCH = 40  # 240 transfers in all, and those requested again
CHUNK = 20  # concurrent clerk requests to one city
# The people who stay in each city, by what they do (24 in all).
ROLES: tuple[Role, ...] = (
    "retires",
    *("rent-paid",) * 3,
    *("rent-refused",) * 2,
    *("rent-refused-then-paid",) * 2,
    "borrows",
    *("borrows-repays",) * 2,
    "checked",
)
ATTEMPTS_PER_KILL = 5  # withdrawals attempted on accounts frozen for a dead city
RENT_PROOFS = [
    {"kind": "rental-contract", "reference": "ZL-2026-0815"},
    {"kind": "no-home-certificate", "reference": "WF-2026-3301"},
]
RETIREMENT_PROOFS = [{"kind": "retirement-or-exit-certificate", "reference": "TX-2026-0071"}]
LOAN_PROOFS = [{"kind": "loan-contract", "reference": "JK-2026-0042"}]
REFUSAL = {"reason_code": "proof-not-verified", "reason": "The rental contract did not check."}
BANKS: dict[City, str] = {"cq": "中国建设银行重庆分行", "cd": "成都银行"}
LOAN_START = "2026-12"

T = TypeVar("T")


# ---- both cities, their databases and their bus ------------------------------------------


@dataclass
class TwoCities:
    cq: FundCity
    cd: FundCity
    bootstrap: str
    databases: dict[City, asyncpg.Pool]
    started: datetime  # the real time the processes' clocks were first set to CLOCK
    keys: KeyRegistry
    # Held while the test sends a batch of transfer requests to a city, and while its
    # process is killed and restarting: no transfer request is ever in flight to a killed
    # process, and each kill is timed from the end of a batch. The rest of the workload's
    # writes go whenever, each with its Idempotency-Key (FundCity.post_idempotent), so a
    # kill may cut them off.
    gates: dict[City, asyncio.Lock] = field(
        default_factory=lambda: {city: asyncio.Lock() for city in CITIES}
    )

    def __getitem__(self, city: City) -> FundCity:
        return self.cq if city == "cq" else self.cd

    def set_clock(self, city: City) -> None:
        """Set the clock of the city's next process: CLOCK plus the real time since the
        first start, and a few seconds more (more than a process takes to start), so that a
        restarted process's clock does not show a time before what the killed one
        showed."""
        self[city].env["CLOCK_START"] = clock_start(self.started)

    async def settled(self) -> None:
        """Wait until both cities consumed every record of the fund topics and published
        every event of their outboxes."""
        groups = [self[city].settings.consumer_group for city in CITIES]
        await bus_settled(self.bootstrap, CONSUMED_TOPICS, groups, list(self.databases.values()))


def clock_start(started: datetime) -> str:
    return (CLOCK + (datetime.now(UTC) - started) + timedelta(seconds=5)).isoformat()


@pytest.fixture
async def cities(tmp_path: Path, postgres: LocalPostgres) -> AsyncIterator[TwoCities]:
    keys = hpf_key_files(tmp_path / "keys")
    with fresh_kafka(tmp_path / "kafka") as cluster:
        await apply_project_topics(cluster.bootstrap_servers)
        settings = await both_cities_settings(postgres, kafka=cluster.bootstrap_servers, keys=keys)
        started = datetime.now(UTC)
        clock = clock_start(started)
        async with (
            running_city(settings["cq"], CLOCK_START=clock) as cq,
            running_city(settings["cd"], CLOCK_START=clock) as cd,
        ):
            pools = {
                c: await asyncpg.create_pool(settings[c].database_url, min_size=1, max_size=2)
                for c in CITIES
            }
            try:
                registry = KeyRegistry.from_json_file(keys.registry)
                yield TwoCities(cq, cd, cluster.bootstrap_servers, pools, started, registry)
            finally:
                for pool in pools.values():
                    await pool.close()


# ---- the workload ------------------------------------------------------------------------


@dataclass(kw_only=True)
class Saver:
    """Someone with provident-fund accounts: the deposits made for them in each city and
    their accounts there."""

    resident: str
    name: str
    account_kind: Literal["employee", "flexible"]
    deposits: dict[City, dict[str, int]]  # city -> month -> fen, deposits made there
    accounts: dict[City, str] = field(default_factory=dict)  # city -> account id

    def deposit_set(self, *cities: City) -> frozenset[tuple[str, int, str]]:
        """(month, fen, city of origin) of the deposits made in ``cities``."""
        return frozenset((m, fen, c) for c in cities for m, fen in self.deposits[c].items())

    def deposited(self, *cities: City) -> int:
        return sum(fen for c in cities for fen in self.deposits[c].values())


@dataclass(kw_only=True)
class Person(Saver):
    """Someone whose account one city asks the other for: one transfer requested, and for
    a ``held`` person a rent withdrawal applied for just before it and a second transfer
    once the withdrawal was paid (``pays``) or refused."""

    kind: Kind
    from_city: City
    to_city: City
    rent_fen: int = 0
    pays: bool = False
    withdrawal: Withdrawn | None = None
    transfer_id: str = ""
    again_id: str = ""  # held: the transfer requested again after the decision

    def transfers(self) -> list[tuple[str, tuple[str, str | None]]]:
        """Each transfer requested for the person and how it must end."""
        ends = [(self.transfer_id, EXPECTED_END[self.kind])]
        return [*ends, (self.again_id, AGAIN_END)] if self.kind == "held" else ends


@dataclass(kw_only=True)
class Stayer(Saver):
    """Someone who stays in ``home``: this month's deposit (``late``) and what their role
    does there; the other city (``asker``) asks about their loans."""

    role: Role
    home: City
    late: dict[City, int]  # this month's deposit, recorded while the transfers run
    amount_fen: int = 0  # what each rent or repayment withdrawal asks for
    loan: tuple[int, int] | None = None  # amount and term of the loan granted at home
    loan_id: str = ""
    query_id: str = ""

    @property
    def asker(self) -> City:
        return other_city(self.home)


def plan_batches(rng: random.Random) -> list[list[Person]]:
    """``BATCHES`` batches of people, each batch's transfers requested by one city:
    60% move, 15% have no account to send, 15% have a month deposited in both cities, 10%
    have their account held by a withdrawal when the transfer is requested."""
    batches: list[list[Person]] = []
    serial = 0
    for b in range(BATCHES):
        to_city: City = "cd" if b % 2 == 0 else "cq"
        batch = []
        for _ in range(PER_BATCH):
            serial += 1
            draw = rng.random()
            kind: Kind = (
                "no-account"
                if draw < 0.15
                else "conflict"
                if draw < 0.3
                else "held"
                if draw < 0.4
                else "moves"
            )
            batch.append(plan_person(rng, serial, kind, other_city(to_city), to_city))
        batches.append(batch)
    return batches


def amount(rng: random.Random) -> int:
    return rng.randrange(24_000, 600_001)  # within both cities' flexible-worker bounds


def plan_person(
    rng: random.Random, serial: int, kind: Kind, from_city: City, to_city: City
) -> Person:
    sending: list[str] = []
    receiving: list[str] = []
    if kind in ("moves", "held"):
        if kind == "moves":
            sending = rng.sample(MONTHS, rng.randint(0, 6))  # some accounts never paid into
        else:  # enough months for rent
            sending = [*RECENT, *rng.sample(MONTHS[:-3], rng.randint(0, 4))]
        if rng.random() < 0.3:  # some already have an account where they move to
            receiving = rng.sample([m for m in MONTHS if m not in sending], rng.randint(0, 3))
    elif kind == "no-account":
        if rng.random() < 0.5:
            receiving = rng.sample(MONTHS, rng.randint(0, 3))
    else:
        sending = rng.sample(MONTHS, rng.randint(1, 5))
        rest = [m for m in MONTHS if m not in sending]
        receiving = [rng.choice(sending), *rng.sample(rest, rng.randint(0, 2))]
    accounts = {from_city} if kind != "no-account" else set()
    if receiving or rng.random() < 0.15:  # an empty account may wait for them too
        accounts.add(to_city)
    deposits = {
        from_city: {m: amount(rng) for m in sending},
        to_city: {m: amount(rng) for m in receiving},
    }
    balance = sum(deposits[from_city].values())
    return Person(
        resident=resident_id(from_city, serial),
        name=rng.choice(SURNAMES) + rng.choice(GIVEN),
        kind=kind,
        from_city=from_city,
        to_city=to_city,
        account_kind=rng.choice(("employee", "flexible")),
        deposits=deposits,
        accounts={c: "" for c in CITIES if c in accounts},
        rent_fen=rng.randrange(10_000, min(450_000, balance) + 1) if kind == "held" else 0,
        pays=rng.random() < 0.5,
    )


def plan_stayers(rng: random.Random) -> list[Stayer]:
    """The people of ``ROLES`` in each city, in a seeded order."""
    stayers = [
        plan_stayer(rng, 500 + n, home, role)
        for n, (home, role) in enumerate((h, r) for h in CITIES for r in ROLES)
    ]
    rng.shuffle(stayers)
    return stayers


def plan_stayer(rng: random.Random, serial: int, home: City, role: Role) -> Stayer:
    asker = other_city(home)
    if role in ("borrows", "borrows-repays"):
        months = [*YEAR, *rng.sample(MONTHS[:-12], rng.randint(0, 3))]
    elif role.startswith("rent"):
        months = [*RECENT, *rng.sample(MONTHS[:-3], rng.randint(0, 6))]
    else:
        months = rng.sample(MONTHS, rng.randint(1, 8))
    deposits: dict[City, dict[str, int]] = {home: {m: amount(rng) for m in months}, asker: {}}
    if role == "borrows-repays":  # and an account in the asking city, to repay from
        deposits[asker] = {m: amount(rng) for m in HALF_YEAR}
    balance = sum(deposits[home].values())
    withdrawing = balance if role.startswith("rent") else sum(deposits[asker].values())
    return Stayer(
        resident=resident_id(home, serial),
        name=rng.choice(SURNAMES) + rng.choice(GIVEN),
        account_kind=rng.choice(("employee", "flexible")),
        deposits=deposits,
        accounts={c: "" for c in CITIES if c == home or deposits[c]},
        role=role,
        home=home,
        late={home: amount(rng)} if rng.random() < 0.6 else {},
        amount_fen=rng.randrange(10_000, min(450_000, withdrawing) + 1) if withdrawing else 0,
        loan=(
            (rng.randrange(1_000_000, min(15 * balance, 20_000_000) + 1), rng.choice((120, 360)))
            if role.startswith("borrows")
            else None
        ),
    )


async def in_chunks(calls: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
    """Run the calls ``CHUNK`` at a time; their results in order."""
    results: list[T] = []
    for start in range(0, len(calls), CHUNK):
        results.extend(await asyncio.gather(*(call() for call in calls[start : start + CHUNK])))
    return results


# ---- what the clerks did, as the services answered ----------------------------------------


@dataclass
class Withdrawn:
    """A withdrawal applied for, and how it was decided."""

    withdrawal_id: str
    city: City
    account_id: str
    kind: str
    amount_fen: int
    state: str = "applied"
    balance_after_fen: int | None = None  # once paid: the account's balance after it


@dataclass(frozen=True)
class Attempt:
    """A withdrawal attempted on an account frozen by a transfer, and its answer."""

    city: City
    account_id: str
    status: int
    code: str


@dataclass
class Ledger:
    """The fen deposited, each account's balance as the test's writes left it (until a
    transfer moves it), the withdrawals applied for, and the attempts on frozen accounts."""

    deposited: int = 0
    balances: Counter[str] = field(default_factory=Counter)
    withdrawals: list[Withdrawn] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)

    def paid(self) -> list[Withdrawn]:
        return [w for w in self.withdrawals if w.state == "paid"]

    def withdrawn_from(self, account_id: str) -> int:
        return sum(w.amount_fen for w in self.paid() if w.account_id == account_id)


async def open_accounts_and_deposit(
    cities: TwoCities, ledger: Ledger, savers: Sequence[Saver]
) -> None:
    """Open everyone's accounts and record their deposits through the clerks' API."""
    for city in CITIES:
        owners = [s for s in savers if city in s.accounts]
        opened = await in_chunks(
            [partial(cities[city].open_account, s.resident, s.name, s.account_kind) for s in owners]
        )
        for saver, account_id in zip(owners, opened, strict=True):
            saver.accounts[city] = account_id
            ledger.balances[account_id] = saver.deposited(city)
        deposits = [
            (s.accounts[city], m, fen) for s in owners for m, fen in s.deposits[city].items()
        ]
        await in_chunks([partial(cities[city].deposit, *d) for d in deposits])
        ledger.deposited += sum(fen for _, _, fen in deposits)


async def deposit_this_month(
    cities: TwoCities, ledger: Ledger, saver: Saver, city: City, fen: int
) -> None:
    account_id = saver.accounts[city]
    body = {"month": THIS_MONTH, "amount_fen": fen}
    answer = await cities[city].post_idempotent(f"/accounts/{account_id}/deposits", body)
    assert answer.status_code == 201, answer.text
    saver.deposits[city][THIS_MONTH] = fen
    ledger.deposited += fen
    ledger.balances[account_id] += fen


async def apply_for_withdrawal(
    cities: TwoCities, ledger: Ledger, city: City, account_id: str, body: dict[str, Any]
) -> Withdrawn:
    """Apply for a withdrawal, which must be accepted (201, the account held)."""
    answer = await cities[city].post_idempotent(f"/accounts/{account_id}/withdrawals", body)
    assert answer.status_code == 201, answer.text
    view = answer.json()
    assert (view["state"], view["account_id"]) == ("applied", account_id), view
    applied = Withdrawn(view["withdrawal_id"], city, account_id, view["kind"], view["amount_fen"])
    if body["kind"] == "retirement":  # the whole balance
        assert applied.amount_fen == ledger.balances[account_id], (view, ledger.balances)
    ledger.withdrawals.append(applied)
    return applied


async def decide(cities: TwoCities, ledger: Ledger, withdrawal: Withdrawn, *, pay: bool) -> None:
    """Pay or refuse an applied withdrawal."""
    path = f"/withdrawals/{withdrawal.withdrawal_id}/{'pay' if pay else 'refuse'}"
    answer = await cities[withdrawal.city].post_idempotent(path, None if pay else REFUSAL)
    assert answer.status_code == 200, answer.text
    withdrawal.state = answer.json()["state"]
    assert withdrawal.state == ("paid" if pay else "refused"), answer.text
    if pay:
        ledger.balances[withdrawal.account_id] -= withdrawal.amount_fen
        withdrawal.balance_after_fen = ledger.balances[withdrawal.account_id]


def rent(amount_fen: int) -> dict[str, Any]:
    return {"kind": "rent", "amount_fen": amount_fen, "proofs": RENT_PROOFS}


async def request_transfers(
    cities: TwoCities, people: Sequence[Person], *, again: bool = False
) -> None:
    """The receiving city's clerks request the people's transfers (one city at a time),
    or request them ``again``."""
    (to_city,) = {p.to_city for p in people}
    async with cities.gates[to_city]:
        ids = await in_chunks(
            [
                partial(cities[to_city].request_transfer, p.resident, p.name, p.from_city)
                for p in people
            ]
        )
    for person, transfer_id in zip(people, ids, strict=True):
        if again:
            person.again_id = transfer_id
        else:
            person.transfer_id = transfer_id


async def hold_accounts(cities: TwoCities, ledger: Ledger, batch: Sequence[Person]) -> None:
    """Apply for the held people's rent withdrawals: their accounts are held when their
    transfers are requested."""
    held = [p for p in batch if p.kind == "held"]
    applied = await in_chunks(
        [
            partial(
                apply_for_withdrawal,
                cities,
                ledger,
                p.from_city,
                p.accounts[p.from_city],
                rent(p.rent_fen),
            )
            for p in held
        ]
    )
    for person, withdrawal in zip(held, applied, strict=True):
        person.withdrawal = withdrawal


async def decide_and_transfer_again(
    cities: TwoCities, ledger: Ledger, batch: Sequence[Person]
) -> None:
    """Once the held people's transfers were rejected, pay or refuse their withdrawals and
    request the transfers again."""
    held = [p for p in batch if p.kind == "held"]
    if not held:
        return
    await transfers_ended(cities, [p.transfer_id for p in held], in_cities=[held[0].to_city])
    decisions = []
    for p in held:
        assert p.withdrawal is not None
        decisions.append(partial(decide, cities, ledger, p.withdrawal, pay=p.pays))
    await in_chunks(decisions)
    await request_transfers(cities, held, again=True)


async def stay(cities: TwoCities, ledger: Ledger, stayer: Stayer) -> None:
    """What a stayer does, in order: this month's deposit, then the withdrawals, the loan
    and the other city's question of their role."""
    for city, fen in stayer.late.items():
        await deposit_this_month(cities, ledger, stayer, city, fen)
    home, account_id = stayer.home, stayer.accounts[stayer.home]
    role = stayer.role
    if role == "retires":
        body: dict[str, Any] = {
            "kind": "retirement",
            "amount_fen": None,
            "proofs": RETIREMENT_PROOFS,
        }
        retired = await apply_for_withdrawal(cities, ledger, home, account_id, body)
        await decide(cities, ledger, retired, pay=True)
    elif role.startswith("rent-"):
        pays = {"rent-paid": [True], "rent-refused": [False]}.get(role, [False, True])
        for pay in pays:
            withdrawal = await apply_for_withdrawal(
                cities, ledger, home, account_id, rent(stayer.amount_fen)
            )
            await decide(cities, ledger, withdrawal, pay=pay)
    if stayer.loan is not None:
        stayer.loan_id = await grant_loan(cities, stayer)
    if role in ("borrows", "borrows-repays", "checked"):
        answer = await ask_about_loans(cities, stayer)
        expected = [stayer.loan_id] if stayer.loan_id else []
        assert [loan["loan_id"] for loan in answer["loans"]] == expected, answer
    if role == "borrows-repays":
        body = {
            "kind": "loan-repayment",
            "amount_fen": stayer.amount_fen,
            "proofs": LOAN_PROOFS,
            "loan_id": stayer.loan_id,
            "loan_query_id": stayer.query_id,
        }
        asker = stayer.asker
        repaid = await apply_for_withdrawal(cities, ledger, asker, stayer.accounts[asker], body)
        await decide(cities, ledger, repaid, pay=True)


async def grant_loan(cities: TwoCities, stayer: Stayer) -> str:
    assert stayer.loan is not None
    amount_fen, term = stayer.loan
    body = {
        "resident_id": stayer.resident,
        "amount_fen": amount_fen,
        "term_months": term,
        "bank": BANKS[stayer.home],
        "start_month": LOAN_START,
    }
    answer = await cities[stayer.home].post_idempotent("/loans", body)
    assert answer.status_code == 201, answer.text
    loan_id: str = answer.json()["loan_id"]
    return loan_id


async def ask_about_loans(cities: TwoCities, stayer: Stayer) -> dict[str, Any]:
    """The asking city's question about the stayer's loans at home, and its answer once it
    came over the bus."""
    asker = cities[stayer.asker]
    purpose = "loan-repayment-withdrawal" if stayer.role == "borrows-repays" else "check"
    body = {"resident_id": stayer.resident, "purpose": purpose}
    answer = await asker.post_idempotent("/loan-queries", body)
    assert answer.status_code == 202, answer.text
    stayer.query_id = answer.json()["query_id"]

    async def query() -> dict[str, Any]:
        found = await asker.get_patiently(f"/loan-queries/{stayer.query_id}")
        assert found.status_code == 200, found.text
        view: dict[str, Any] = found.json()
        return view

    view = await wait_for(query, lambda q: q["state"] != "waiting", timeout=120, interval=0.25)
    assert view["state"] == "answered", view
    return view


async def withdraw_from_frozen_accounts(cities: TwoCities, ledger: Ledger, dead: City) -> int:
    """While ``dead``'s process is down: attempt a withdrawal on accounts the other city
    froze for transfers ``dead`` has not yet credited. Nothing can unfreeze them until
    ``dead`` is back (its copy has not even seen the funds, so no credit or refusal of it
    can be on the bus). How many were attempted."""
    living = other_city(dead)
    waiting = await cities.databases[dead].fetch(
        "SELECT transfer_id FROM transfer WHERE role = 'receiving' AND state = 'requested'"
    )
    frozen = await cities.databases[living].fetch(
        "SELECT a.account_id FROM transfer t JOIN account a"
        " ON a.account_id = t.account_id AND a.transfer_id = t.transfer_id"
        " WHERE t.role = 'sending' AND t.state = 'funds_sent' AND a.status = 'transferring'"
        " AND t.transfer_id = ANY($1::text[]) ORDER BY t.transfer_id LIMIT $2",
        [r["transfer_id"] for r in waiting],
        ATTEMPTS_PER_KILL,
    )
    accounts = [r["account_id"] for r in frozen]
    await asyncio.gather(*(attempt(cities, ledger, living, a) for a in accounts))
    return len(accounts)


async def withdraw_from_moving_accounts(
    cities: TwoCities, ledger: Ledger, batch: Sequence[Person]
) -> None:
    """Attempt a withdrawal on a few accounts of the batch's movers as soon as they are
    seen frozen (without faults, the transfer may end before the attempt arrives)."""
    movers = [p for p in batch if p.kind == "moves"]
    from_city = batch[0].from_city
    ids = [p.accounts[from_city] for p in movers]
    for _ in range(40):
        frozen = await cities.databases[from_city].fetch(
            "SELECT account_id FROM account WHERE status = 'transferring'"
            " AND account_id = ANY($1::text[]) ORDER BY account_id LIMIT $2",
            ids,
            ATTEMPTS_PER_KILL,
        )
        if frozen:
            accounts = [r["account_id"] for r in frozen]
            await asyncio.gather(*(attempt(cities, ledger, from_city, a) for a in accounts))
            return
        await asyncio.sleep(0.05)


async def attempt(cities: TwoCities, ledger: Ledger, city: City, account_id: str) -> None:
    answer = await cities[city].post_idempotent(f"/accounts/{account_id}/withdrawals", rent(10_000))
    code = "" if answer.status_code == 201 else answer.json().get("error", "")
    ledger.attempts.append(Attempt(city, account_id, answer.status_code, code))


# ---- faults ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kill:
    city: City
    # Unfinished transfers when the process died, by city, role and state, e.g.
    # "cq sending funds_sent": money frozen in Chongqing and not yet credited in Chengdu.
    in_flight: dict[str, int]
    restart_seconds: float  # from the kill until the process was ready again
    attempts: int  # withdrawals attempted on accounts frozen for it while it was dead

    @property
    def unfinished(self) -> int:
        """Transfers whose saga had not ended in the city that requested them."""
        return sum(n for where, n in self.in_flight.items() if " receiving " in where)


async def transfers_in_flight(cities: TwoCities) -> dict[str, int]:
    """Unfinished transfers in both cities' databases, by city, role and state."""
    counts: dict[str, int] = {}
    for city, pool in cities.databases.items():
        rows = await pool.fetch(
            "SELECT role, state, count(*) AS n FROM transfer"
            " WHERE state <> ALL($1::text[]) GROUP BY role, state",
            list(TERMINAL),
        )
        counts.update({f"{city} {r['role']} {r['state']}": r["n"] for r in rows})
    return counts


async def kill_and_restart(
    cities: TwoCities, ledger: Ledger, victims: Sequence[City], after: float
) -> list[Kill]:
    """SIGKILL the victims' processes ``after`` seconds of work (counted once no transfer
    request is in flight to them) and start them again; no transfer is requested of them
    until they are ready. While one city alone is dead, withdrawals are attempted on the
    accounts the other city froze for it."""
    async with contextlib.AsyncExitStack() as gates:
        for city in CITIES:  # always in the same order, so two kills never deadlock
            if city in victims:
                await gates.enter_async_context(cities.gates[city])
        await asyncio.sleep(after)  # a restarted process works off its backlog meanwhile
        in_flight = await transfers_in_flight(cities)
        start = time.monotonic()
        for city in victims:
            await cities[city].kill()
        attempts = 0
        if len(victims) == 1:
            attempts = await withdraw_from_frozen_accounts(cities, ledger, dead=victims[0])
        for city in victims:
            cities.set_clock(city)
        # A restarted consumer waits out the dead one's session in its group (10 s).
        await asyncio.gather(*(cities[city].start() for city in victims))
    elapsed = round(time.monotonic() - start, 1)
    return [Kill(city, in_flight, elapsed, attempts) for city in victims]


@dataclass
class Echo:
    """While it runs, publishes every record of the consumed fund topics once more, right
    behind the original in its partition: the same key, value and headers, so the same
    signed event with the same id, as an at-least-once redelivery would bring it."""

    bootstrap: str
    echoed: int = 0
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> int:
        """Echo what is on the topics now, then stop; how many records were echoed."""
        assert self._task is not None
        self._stop.set()
        await self._task
        return self.echoed

    async def _run(self) -> None:
        consumer = AIOKafkaConsumer(
            *CONSUMED_TOPICS,
            bootstrap_servers=self.bootstrap,
            **kafka_options(self.bootstrap),
            group_id=f"echo-{secrets.token_hex(4)}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            acks="all",
            linger_ms=5,
            **kafka_options(self.bootstrap),
        )
        await consumer.start()
        await producer.start()
        originals: set[bytes] = set()
        try:
            while True:
                sent = []
                for tp, records in (await consumer.getmany(timeout_ms=200)).items():
                    for r in records:
                        if r.value in originals:
                            continue  # our own echo of it
                        originals.add(r.value)
                        sent.append(
                            await producer.send(
                                tp.topic, r.value, key=r.key, headers=list(r.headers)
                            )
                        )
                await asyncio.gather(*sent)
                self.echoed += len(sent)
                if self._stop.is_set() and not sent and await self._at_end(consumer):
                    return
        finally:
            await producer.stop()
            await consumer.stop()

    @staticmethod
    async def _at_end(consumer: AIOKafkaConsumer) -> bool:
        assigned = list(consumer.assignment())
        assert assigned, "the echo consumer has no partitions"
        ends = await consumer.end_offsets(assigned)
        return all([await consumer.position(tp) >= end for tp, end in ends.items()])


async def deliver_again(bootstrap: str, times: int) -> int:
    """Publish every record of the consumed fund topics again, ``times`` times: the same
    signed event with the same id, behind the originals. The records published."""
    records: list[OutgoingRecord] = []
    for topic in CONSUMED_TOPICS:
        found = await read_all(bootstrap, topic)
        assert found, f"nothing on {topic} to deliver again"
        records.extend(OutgoingRecord(r.topic, r.key, r.value, tuple(r.headers)) for r in found)
    await publish_records(bootstrap, records * times)
    return len(records) * times


# ---- waiting -----------------------------------------------------------------------------


async def transfers_ended(
    cities: TwoCities,
    ids: Sequence[str],
    *,
    in_cities: Sequence[City] = CITIES,
    timeout: float = 150,
) -> None:
    """Wait until the cities hold every transfer of ``ids`` in an end state (read from
    their databases; the views are compared through the API afterwards)."""

    async def states() -> dict[City, Counter[str]]:
        seen: dict[City, Counter[str]] = {}
        for city in in_cities:
            rows = await cities.databases[city].fetch(
                "SELECT transfer_id, state FROM transfer WHERE transfer_id = ANY($1::text[])", ids
            )
            counts = Counter(r["state"] for r in rows)
            counts["missing"] = len(ids) - len(rows)
            seen[city] = counts
        return seen

    def ended(seen: dict[City, Counter[str]]) -> bool:
        return all(sum(c[s] for s in TERMINAL) == len(ids) for c in seen.values())

    await wait_for(states, ended, timeout=timeout, interval=0.5)


def transfer_ids(people: Sequence[Person]) -> list[str]:
    return [transfer_id for p in people for transfer_id, _ in p.transfers()]


# ---- what the databases and the bus hold -------------------------------------------------


@dataclass(frozen=True)
class AccountRow:
    person_ref: str
    status: str
    balance_fen: int
    deposits: frozenset[tuple[str, int, str]]  # (month, fen, city of origin)

    @property
    def summary(self) -> tuple[str, int, frozenset[tuple[str, int, str]]]:
        return (self.status, self.balance_fen, self.deposits)


async def accounts(pool: asyncpg.Pool) -> dict[str, AccountRow]:
    """Every account of a city's database by id, with its deposit rows."""
    deposits: dict[str, set[tuple[str, int, str]]] = {}
    for r in await pool.fetch("SELECT account_id, month, amount_fen, city_of_origin FROM deposit"):
        deposits.setdefault(r["account_id"], set()).add(
            (r["month"], r["amount_fen"], r["city_of_origin"])
        )
    rows = await pool.fetch("SELECT account_id, person_ref, status, balance_fen FROM account")
    return {
        r["account_id"]: AccountRow(
            r["person_ref"],
            r["status"],
            r["balance_fen"],
            frozenset(deposits.get(r["account_id"], ())),
        )
        for r in rows
    }


async def transfer_views(cities: TwoCities, ids: Sequence[str]) -> dict[City, dict[str, Any]]:
    """Each city's view of every transfer, through the clerks' API."""
    views: dict[City, dict[str, Any]] = {}
    for city in CITIES:
        found = await in_chunks([partial(cities[city].transfer, t) for t in ids])
        views[city] = {view["transfer_id"]: view for view in found}
    return views


async def duplicates_seen(city: FundCity) -> int:
    """Events the city's consumers recognised as already applied (from ``/metrics``)."""
    answer = await city.client.get("/metrics")
    assert answer.status_code == 200, answer.text
    return sum(
        int(sample.value)
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
        if sample.name == "chengyu_events_consumed_total"
        and sample.labels.get("outcome") == "duplicate"
    )


async def events_on_the_bus(
    bootstrap: str, topic: str, event_type: str, key: str
) -> dict[str, dict[str, dict[str, Any]]]:
    """The events of ``event_type`` on ``topic`` by their data's ``key`` field, then by
    event id (a record published again keeps its id), with their data."""
    found: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for record in await read_all(bootstrap, topic):
        event = json.loads(record.value)
        if event["type"] == f"cn.chengyu.fund.{event_type}.v1":
            found[event["data"][key]][event["id"]] = event["data"]
    return found


def jsonb(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


# ---- the checks --------------------------------------------------------------------------


@dataclass
class Workload:
    """Everyone of a scenario and what the clerks did."""

    people: list[Person]
    stayers: list[Stayer]
    ledger: Ledger = field(default_factory=Ledger)

    def describe(self) -> str:
        kinds = Counter((p.kind, p.from_city, p.to_city) for p in self.people)
        roles = Counter(s.role for s in self.stayers)
        return json.dumps(
            {
                **{f"{k} {f}->{t}": n for (k, f, t), n in sorted(kinds.items())},
                **{f"stays: {role}": n for role, n in sorted(roles.items())},
            }
        )


async def assert_every_transfer_ended_as_its_kind(
    cities: TwoCities, people: Sequence[Person]
) -> dict[City, dict[str, Any]]:
    views = await transfer_views(cities, transfer_ids(people))
    wrong = []
    for p in people:
        for transfer_id, (state, reason) in p.transfers():
            receiving, sending = views[p.to_city][transfer_id], views[p.from_city][transfer_id]
            ends = {(v["role"], v["state"], v["reason_code"]) for v in (receiving, sending)}
            if ends != {("receiving", state, reason), ("sending", state, reason)}:
                wrong.append((p.kind, transfer_id, sorted(ends, key=str)))
    assert not wrong, f"{len(wrong)} transfers ended otherwise than expected: {wrong[:5]}"
    return views


async def assert_money_conserved(cities: TwoCities, ledger: Ledger) -> None:
    """The balances of both cities add up to every fen deposited less every fen withdrawn:
    nothing was lost, created, or left in flight; the cities paid what the clerks did."""
    balances = {
        city: await pool.fetchval("SELECT coalesce(sum(balance_fen), 0) FROM account")
        for city, pool in cities.databases.items()
    }
    paid = sum(w.amount_fen for w in ledger.paid())
    assert sum(balances.values()) == ledger.deposited - paid, (balances, ledger.deposited, paid)
    paid_there = {
        city: await pool.fetchval(
            "SELECT coalesce(sum(amount_fen), 0) FROM withdrawal WHERE state = 'paid'"
        )
        for city, pool in cities.databases.items()
    }
    assert sum(paid_there.values()) == paid, (paid_there, paid)


def carried(ledger: Ledger, person: Person) -> int:
    """What the person's transfer carried, if it completed: the sending account's deposits
    less what was withdrawn from it."""
    return person.deposited(person.from_city) - ledger.withdrawn_from(
        person.accounts[person.from_city]
    )


async def assert_credited_once(cities: TwoCities, work: Workload) -> None:
    """Each city credited exactly the transfers completed towards it, once each, with the
    amount the sending account held."""
    for city, pool in cities.databases.items():
        rows = await pool.fetch("SELECT transfer_id, amount_fen FROM credited_transfer")
        credited = Counter(r["transfer_id"] for r in rows)
        assert max(credited.values(), default=1) == 1
        expected = {
            p.transfer_id if p.kind == "moves" else p.again_id: carried(work.ledger, p)
            for p in work.people
            if p.kind in ("moves", "held") and p.to_city == city
        }
        assert {r["transfer_id"]: r["amount_fen"] for r in rows} == expected


async def assert_accounts_hold_their_deposits(
    cities: TwoCities, work: Workload, views: dict[City, dict[str, Any]]
) -> dict[City, dict[str, AccountRow]]:
    """Whoever moved holds every month deposited for them, with its city of origin, in the
    receiving city, and what was left of their money; their old account is closed and
    empty. Everyone else's accounts hold what was deposited in them less what was
    withdrawn (a reverted transfer's account is restored, a retired one closed)."""
    held = {city: await accounts(pool) for city, pool in cities.databases.items()}
    for p in work.people:
        here, there = held[p.to_city], held[p.from_city]
        if p.kind in ("moves", "held"):
            moved = views[p.to_city][p.transfer_id if p.kind == "moves" else p.again_id]
            account_id = moved["account_id"]
            assert account_id == p.accounts.get(p.to_city, account_id)
            everything = (p.from_city, p.to_city)
            assert here[account_id].summary == (
                "active",
                p.deposited(p.to_city) + carried(work.ledger, p),
                p.deposit_set(*everything),
            ), p
            old = there[p.accounts[p.from_city]]
            assert (old.status, old.balance_fen) == ("closed", 0), p
            continue
        for city, accounts_there in ((p.to_city, here), (p.from_city, there)):
            if city in p.accounts:
                assert accounts_there[p.accounts[city]].summary == (
                    "active",
                    p.deposited(city),
                    p.deposit_set(city),
                ), p
        if p.kind == "no-account":
            owners = {a.person_ref for a in there.values()}
            assert views[p.to_city][p.transfer_id]["person_ref"] not in owners, p
    for s in work.stayers:
        for city, account_id in s.accounts.items():
            retired = s.role == "retires" and city == s.home
            assert held[city][account_id].summary == (
                "closed" if retired else "active",
                s.deposited(city) - work.ledger.withdrawn_from(account_id),
                s.deposit_set(city),
            ), s
    return held


async def assert_withdrawn_once(
    cities: TwoCities, work: Workload, held: dict[City, dict[str, AccountRow]]
) -> None:
    """Each city's ``withdrawal`` table holds exactly the withdrawals applied for there,
    as decided; each paid one is in the other city's ``reported_withdrawal`` once and on
    the bus once, with the balance after it, which is its account's balance now (or what
    its transfer carried) and what the other city knows of the account; no account is
    still held by a withdrawal."""
    ledger = work.ledger
    paid = ledger.paid()
    for city, pool in cities.databases.items():
        rows = await pool.fetch(
            "SELECT withdrawal_id, account_id, kind, amount_fen, state FROM withdrawal"
        )
        assert {r["withdrawal_id"]: tuple(r)[1:] for r in rows} == {
            w.withdrawal_id: (w.account_id, w.kind, w.amount_fen, w.state)
            for w in ledger.withdrawals
            if w.city == city
        }
        reported = await cities.databases[other_city(city)].fetch(
            "SELECT withdrawal_id, account_id, amount_fen FROM reported_withdrawal"
        )
        assert {r["withdrawal_id"]: (r["account_id"], r["amount_fen"]) for r in reported} == {
            w.withdrawal_id: (w.account_id, w.amount_fen) for w in paid if w.city == city
        }
        holding = await pool.fetch("SELECT account_id FROM account WHERE withdrawal_id IS NOT NULL")
        assert not holding, [tuple(r) for r in holding]

    events = await events_on_the_bus(
        cities.bootstrap, ACCOUNT_TOPIC, "account-withdrawal-recorded", "withdrawal_id"
    )
    assert {w: len(ids) for w, ids in events.items()} == {w.withdrawal_id: 1 for w in paid}
    last: dict[str, dict[str, Any]] = {}  # account id -> the report of its last withdrawal
    for w in paid:  # in the order they were applied for, one account's after another
        (report,) = events[w.withdrawal_id].values()
        assert (report["account_id"], report["amount_fen"], report["balance_after_fen"]) == (
            w.account_id,
            w.amount_fen,
            w.balance_after_fen,
        ), (w, report)
        last[w.account_id] = {**report, "city": w.city}
    moved = {p.accounts[p.from_city]: p for p in work.people if p.kind == "held"}
    for account_id, report in last.items():
        city = report["city"]
        if account_id in moved:  # transferred after it: the transfer carried that balance
            person = moved[account_id]
            credited = await cities.databases[person.to_city].fetchval(
                "SELECT amount_fen FROM credited_transfer WHERE transfer_id = $1",
                person.again_id,
            )
            assert credited == report["balance_after_fen"], (person, report)
            continue
        row = held[city][account_id]
        known = await cities.databases[other_city(city)].fetchrow(
            "SELECT balance_fen, closed FROM reported_account WHERE account_id = $1", account_id
        )
        assert known is not None, report
        assert (row.balance_fen, row.status == "closed") == (
            report["balance_after_fen"],
            report["account_closed"],
        ), (row, report)
        assert tuple(known) == (report["balance_after_fen"], report["account_closed"]), report


async def assert_no_withdrawal_on_a_frozen_account(
    cities: TwoCities, ledger: Ledger, refusals: set[str]
) -> int:
    """Every withdrawal attempted on an account in transfer was refused (409 with one of
    ``refusals``) with nothing written, and no withdrawal was applied for or decided while
    its account was frozen by a transfer (from the sending copy's funds_sent step to its
    completed or reverted step). The withdrawals whose account was ever frozen."""
    assert ledger.attempts, "no withdrawal was attempted on an account in transfer"
    wrong = [a for a in ledger.attempts if a.status != 409 or a.code not in refusals]
    assert not wrong, wrong
    attempted = {a.account_id for a in ledger.attempts}
    applied_for = {w.withdrawal_id for w in ledger.withdrawals}
    compared = 0
    for pool in cities.databases.values():
        withdrawals = await pool.fetch(
            "SELECT withdrawal_id, account_id, applied_at, decided_at FROM withdrawal"
        )
        # An attempt wrote nothing: an account attempted on holds only withdrawals that were
        # applied for (a held person's account is frozen after its withdrawal was decided).
        written = {w["withdrawal_id"] for w in withdrawals if w["account_id"] in attempted}
        assert written <= applied_for, written - applied_for
        steps = await pool.fetch(
            "SELECT t.transfer_id, t.account_id, s.state, s.at FROM transfer t"
            " JOIN transfer_step s USING (transfer_id)"
            " WHERE t.role = 'sending' AND t.account_id IS NOT NULL ORDER BY t.transfer_id, s.seq"
        )
        frozen: dict[str, list[tuple[datetime, datetime | None]]] = defaultdict(list)
        since: dict[str, datetime] = {}
        for step in steps:
            if step["state"] == "funds_sent":
                since[step["transfer_id"]] = step["at"]
            elif step["state"] in ("completed", "reverted") and step["transfer_id"] in since:
                start = since.pop(step["transfer_id"])
                frozen[step["account_id"]].append((start, step["at"]))
        assert not since, f"transfers still freezing accounts: {sorted(since)[:5]}"
        for w in withdrawals:
            periods = frozen.get(w["account_id"], [])
            compared += bool(periods)
            for start, end in periods:
                for at in (w["applied_at"], w["decided_at"]):
                    assert at is None or not start <= at <= end, (tuple(w), start, end)
    return compared


async def assert_loan_queries_answered_once(cities: TwoCities, stayers: Sequence[Stayer]) -> None:
    """Every loan query is answered in both cities' ``loan_query`` with the loans expected
    (the loan granted, or none), asked and answered once on the bus (one event id each);
    every loan granted is known in both cities."""
    asked = {s.query_id: s for s in stayers if s.query_id}
    assert asked
    loans = {s.loan_id: s.home for s in stayers if s.loan_id}
    for pool in cities.databases.values():
        rows = {
            r["query_id"]: r
            for r in await pool.fetch(
                "SELECT query_id, asking_city, asked_city, answered_at, loans FROM loan_query"
            )
        }
        assert set(rows) == set(asked)
        for query_id, s in asked.items():
            row = rows[query_id]
            assert (row["asking_city"], row["asked_city"]) == (s.asker, s.home)
            assert row["answered_at"] is not None, tuple(row)
            expected = [s.loan_id] if s.loan_id else []
            assert [loan["loan_id"] for loan in jsonb(row["loans"])] == expected, tuple(row)
        known = await pool.fetch("SELECT loan_id, city FROM loan")
        assert {r["loan_id"]: r["city"] for r in known} == loans
    for event_type in ("loan-query-requested", "loan-query-answered"):
        events = await events_on_the_bus(cities.bootstrap, LOAN_QUERY_TOPIC, event_type, "query_id")
        assert {q: len(ids) for q, ids in events.items()} == dict.fromkeys(asked, 1), event_type


async def assert_nothing_dead_lettered(cities: TwoCities) -> None:
    """No fund event was parked: the dead-letter topics are empty, no inbox holds a
    dead-lettered event, no process logged one."""
    await redelivery.assert_nothing_dead_lettered(
        cities.bootstrap, CONSUMED_TOPICS, cities.databases
    )
    for city in CITIES:
        logged = [line for line in cities[city].output if b"event dead-lettered" in line]
        assert not logged, logged[:3]


async def assert_fund_invariants_hold(cities: TwoCities) -> None:
    """The audit's fund-transfer invariants, recomputed from the bus alone (redeliveries
    and all), agree with what the databases showed: money conserved, nothing credited
    twice, every transfer ended or within its deadline as of the processes' clock."""
    now = datetime.fromisoformat(clock_start(cities.started))
    found = await invariant_violations(cities.bootstrap, domain_topics("fund"), cities.keys, now)
    assert found == [], [f"{v.invariant} at {v.at}: {v.message}" for v in found[:5]]


async def assert_conserved(cities: TwoCities, work: Workload, refusals: set[str]) -> None:
    """Every check of this module's docstring."""
    views = await assert_every_transfer_ended_as_its_kind(cities, work.people)
    await assert_money_conserved(cities, work.ledger)
    await assert_credited_once(cities, work)
    held = await assert_accounts_hold_their_deposits(cities, work, views)
    await assert_withdrawn_once(cities, work, held)
    compared = await assert_no_withdrawal_on_a_frozen_account(cities, work.ledger, refusals)
    await assert_loan_queries_answered_once(cities, work.stayers)
    await assert_nothing_dead_lettered(cities)
    await assert_fund_invariants_hold(cities)
    ledger = work.ledger
    print(
        f"withdrawals: {len(ledger.withdrawals)} applied for, {len(ledger.paid())} paid"
        f" ({sum(w.amount_fen for w in ledger.paid())} fen), {compared} on accounts frozen"
        f" before or after; attempts on frozen accounts: "
        f"{dict(Counter(a.code for a in ledger.attempts))}; deposited {ledger.deposited} fen"
    )


@contextlib.contextmanager
def timed(what: str) -> Iterator[None]:
    """Print how long ``what`` took (shown with ``-rA`` or on failure)."""
    start = time.monotonic()
    yield
    print(f"{what}: {time.monotonic() - start:.1f}s")


def plan(seed: int) -> tuple[random.Random, list[list[Person]], Workload]:
    rng = random.Random(seed)
    batches = plan_batches(rng)
    work = Workload([p for batch in batches for p in batch], plan_stayers(rng))
    print(work.describe())
    return rng, batches, work


def start_round(
    cities: TwoCities, work: Workload, batch: Sequence[Person], n: int
) -> list[asyncio.Task[None]]:
    """What goes on beside the round's transfers: the held people's withdrawals decided
    and their transfers requested again, and the round's stayers' deposits, withdrawals,
    loans and questions."""
    return [
        asyncio.create_task(decide_and_transfer_again(cities, work.ledger, batch)),
        *(asyncio.create_task(stay(cities, work.ledger, s)) for s in work.stayers[n::BATCHES]),
    ]


# ---- the scenarios -----------------------------------------------------------------------


async def test_money_is_conserved_while_service_processes_are_killed_mid_saga(
    cities: TwoCities,
) -> None:
    rng, batches, work = plan(20261129)
    people = work.people
    assert len(people) >= 200 and {p.to_city for p in people} == set(CITIES)
    with timed("accounts and deposits"):
        await open_accounts_and_deposit(cities, work.ledger, [*people, *work.stayers])

    # After each batch is requested, a process dies while its saga runs (seeded: the city,
    # each at least twice, and the moment) and restarts while the next batch goes to the
    # other city if it can; after the last batch, both die at once. Deposits, withdrawals,
    # loans and loan queries go on meanwhile, in both cities.
    each_thrice: list[City] = ["cq", "cd"] * 3
    victims = [[city] for city in rng.sample(each_thrice, BATCHES - 1)] + [list(CITIES)]
    with timed("transfers, deposits, withdrawals and loans; processes killed and restarted"):
        chaos: list[asyncio.Task[list[Kill]]] = []
        restarting: dict[City, asyncio.Task[list[Kill]]] = {}
        rounds: list[asyncio.Task[None]] = []
        for n, (batch, dying) in enumerate(zip(batches, victims, strict=True)):
            # A victim must be up again before it can die mid-saga (a restart takes 10 s).
            await asyncio.gather(*(restarting[city] for city in dying if city in restarting))
            await hold_accounts(cities, work.ledger, batch)
            await request_transfers(cities, batch)
            pause = rng.uniform(0.0, 0.15)
            chaos.append(
                asyncio.create_task(kill_and_restart(cities, work.ledger, dying, after=pause))
            )
            restarting.update(dict.fromkeys(dying, chaos[-1]))
            rounds.extend(start_round(cities, work, batch, n))
            await asyncio.sleep(0)  # the kill takes its victims' gates before the next batch
        kills = [kill for killed in await asyncio.gather(*chaos) for kill in killed]
        await asyncio.gather(*rounds)
    print(*kills, sep="\n")
    resent = {c: (cities[c].resent, cities[c].replayed) for c in CITIES}
    print(f"writes sent again (their process down or killed), of them replayed: {resent}")
    mid_saga = [k for k in kills if k.unfinished > 0]
    assert len(mid_saga) >= 4 and {k.city for k in mid_saga} == set(CITIES), kills
    # Between them, the kills caught transfers at every step: requested and not yet
    # answered, money frozen in the sending city, credited but the old account not closed.
    stages = {where.split(" ", 1)[1] for k in kills for where in k.in_flight}
    assert {"receiving requested", "sending funds_sent", "receiving credited"} <= stages, kills
    # While one city alone was dead, withdrawals were attempted on accounts frozen for it.
    assert sum(k.attempts for k in kills) > 0, kills

    with timed("every transfer ended"):
        await transfers_ended(cities, transfer_ids(people))
    with timed("bus settled"):
        await cities.settled()
    with timed("checks"):
        await assert_conserved(cities, work, {"account-transferring"})


async def test_events_delivered_twice_during_the_saga_and_again_after_it_change_nothing(
    cities: TwoCities,
) -> None:
    _, batches, work = plan(1129)
    with timed("accounts and deposits"):
        await open_accounts_and_deposit(cities, work.ledger, [*work.people, *work.stayers])

    # While the workload runs, every event arrives twice: the echo publishes each one again
    # right behind it (deposit and withdrawal reports, loans and loan queries included).
    echo = Echo(cities.bootstrap)
    echo.start()
    with timed("transfers, deposits, withdrawals and loans; every event echoed"):
        rounds: list[asyncio.Task[None]] = []
        for n, batch in enumerate(batches):
            await hold_accounts(cities, work.ledger, batch)
            await request_transfers(cities, batch)
            await withdraw_from_moving_accounts(cities, work.ledger, batch)
            rounds.extend(start_round(cities, work, batch, n))
        await asyncio.gather(*rounds)
        await transfers_ended(cities, transfer_ids(work.people))
        echoed = await echo.stop()
    with timed("bus settled"):
        await cities.settled()
    # Each city's consumers took every echo for what it is: an event already applied.
    assert {c: await duplicates_seen(cities[c]) for c in CITIES} == {"cq": echoed, "cd": echoed}
    # Without faults a transfer may end before the attempt on its frozen account arrives.
    refusals = {"account-transferring", "account-closed"}
    with timed("checks"):
        await assert_conserved(cities, work, refusals)

    # After it: the whole log twice more; once consumed, no row of either city changed.
    before = {city: await redelivery.snapshot(pool) for city, pool in cities.databases.items()}
    with timed("every event delivered twice more"):
        published = await deliver_again(cities.bootstrap, times=2)
    with timed("bus settled"):
        await cities.settled()
    print(f"echoed during the workload: {echoed}; delivered again after it: {published}")
    total = echoed + published
    assert {c: await duplicates_seen(cities[c]) for c in CITIES} == {"cq": total, "cd": total}
    after = {city: await redelivery.snapshot(pool) for city, pool in cities.databases.items()}
    for city in CITIES:
        changed = [t for t in before[city] if before[city][t] != after[city].get(t)]
        assert not changed, f"{city}: delivering everything again changed {changed}"
    await assert_conserved(cities, work, refusals)
