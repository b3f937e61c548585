"""Provident-fund transfers under faults: money is conserved, nothing is credited twice.

Both cities' service processes run on a real Kafka (a fresh one per scenario) and real
PostgreSQL. A seeded workload opens accounts and records months of deposits, then each
city's clerks request transfers from the other; some must fail for real reasons (no
account in the sending city: rejected ``no-such-account``; a month deposited in both
cities: reverted ``history-conflict``). While the saga runs on the bus, the first
scenario SIGKILLs and restarts service processes of both cities; in the second, every
saga and deposit event is published a second time right behind the original (the same
signed bytes, the same event id), and after the saga the whole log twice more, which
must change no row. Both end with the same checks, made on the cities' databases:

- every transfer ends as its kind must, and both cities' views of it agree;
- the balances of all accounts in both cities add up to the deposits recorded;
- each city credited exactly the transfers completed towards it, each once;
- whoever moved holds exactly their deposit months in the receiving city, and the other
  accounts are as the deposits left them (a reverted transfer's account restored);
- no event was dead-lettered.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal, TypeVar

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from chengyu_contracts.cities import CITIES, City, other_city
from chengyu_contracts.events.fund import ACCOUNT_TOPIC, TRANSFER_TOPIC
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.outbox import OutgoingRecord
from chengyu_kit.testing import kafka_options
from tests.support import redelivery
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

Kind = Literal["moves", "no-account", "conflict"]
CONSUMED_TOPICS = (TRANSFER_TOPIC, ACCOUNT_TOPIC)
# How each kind of transfer must end, in both cities: state and reason code.
EXPECTED_END: dict[Kind, tuple[str, str | None]] = {
    "moves": ("completed", None),
    "no-account": ("rejected", "no-such-account"),
    "conflict": ("reverted", "history-conflict"),
}
MONTHS = [f"{year}-{m:02d}" for year in (2025, 2026) for m in range(1, 13)][:22]  # to 2026-10
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗"
GIVEN = ("伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰")
BATCHES = 6  # transfer batches; Chengdu and Chongqing request them in turn
PER_BATCH = 40  # 240 transfers in all
CHUNK = 20  # concurrent clerk requests to one city

T = TypeVar("T")


# ---- both cities, their databases and their bus ------------------------------------------


@dataclass
class TwoCities:
    cq: FundCity
    cd: FundCity
    bootstrap: str
    databases: dict[City, asyncpg.Pool]
    # Held while the test sends a batch of requests to a city, and while its process is
    # killed and restarting: no request of the test is ever in flight to a killed process
    # (a retried POST /transfers could request a second transfer).
    gates: dict[City, asyncio.Lock] = field(
        default_factory=lambda: {city: asyncio.Lock() for city in CITIES}
    )

    def __getitem__(self, city: City) -> FundCity:
        return self.cq if city == "cq" else self.cd

    async def settled(self) -> None:
        """Wait until both cities consumed every record of the fund topics and published
        every event of their outboxes."""
        groups = [self[city].settings.consumer_group for city in CITIES]
        await bus_settled(self.bootstrap, CONSUMED_TOPICS, groups, list(self.databases.values()))


@pytest.fixture
async def cities(tmp_path: Path, postgres: LocalPostgres) -> AsyncIterator[TwoCities]:
    keys = hpf_key_files(tmp_path / "keys")
    with fresh_kafka(tmp_path / "kafka") as cluster:
        await apply_project_topics(cluster.bootstrap_servers)
        settings = await both_cities_settings(postgres, kafka=cluster.bootstrap_servers, keys=keys)
        async with running_city(settings["cq"]) as cq, running_city(settings["cd"]) as cd:
            pools = {
                c: await asyncpg.create_pool(settings[c].database_url, min_size=1, max_size=2)
                for c in CITIES
            }
            try:
                yield TwoCities(cq, cd, cluster.bootstrap_servers, pools)
            finally:
                for pool in pools.values():
                    await pool.close()


# ---- the workload ------------------------------------------------------------------------


@dataclass
class Person:
    """One person of the workload: the deposits made for them in each city, their
    accounts there, and the one transfer requested for them."""

    resident: str
    name: str
    kind: Kind
    from_city: City
    to_city: City
    account_kind: Literal["employee", "flexible"]
    deposits: dict[City, dict[str, int]]  # city -> month -> fen, deposits made there
    accounts: dict[City, str] = field(default_factory=dict)  # city -> account id
    transfer_id: str = ""

    def deposit_set(self, *cities: City) -> frozenset[tuple[str, int, str]]:
        """(month, fen, city of origin) of the deposits made in ``cities``."""
        return frozenset((m, fen, c) for c in cities for m, fen in self.deposits[c].items())

    def deposited(self, *cities: City) -> int:
        return sum(fen for c in cities for fen in self.deposits[c].values())


def plan_batches(rng: random.Random) -> list[list[Person]]:
    """``BATCHES`` batches of people, each batch's transfers requested by one city:
    60% move, 20% have no account to send, 20% have a month deposited in both cities."""
    batches: list[list[Person]] = []
    serial = 0
    for b in range(BATCHES):
        to_city: City = "cd" if b % 2 == 0 else "cq"
        batch = []
        for _ in range(PER_BATCH):
            serial += 1
            draw = rng.random()
            kind: Kind = "no-account" if draw < 0.2 else "conflict" if draw < 0.4 else "moves"
            batch.append(plan_person(rng, serial, kind, other_city(to_city), to_city))
        batches.append(batch)
    return batches


def plan_person(
    rng: random.Random, serial: int, kind: Kind, from_city: City, to_city: City
) -> Person:
    sending: list[str] = []
    receiving: list[str] = []
    if kind == "moves":
        sending = rng.sample(MONTHS, rng.randint(0, 6))  # some accounts were never paid into
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

    def amount() -> int:
        return rng.randrange(24_000, 600_001)  # within both cities' flexible-worker bounds

    return Person(
        resident=resident_id(from_city, serial),
        name=rng.choice(SURNAMES) + rng.choice(GIVEN),
        kind=kind,
        from_city=from_city,
        to_city=to_city,
        account_kind=rng.choice(("employee", "flexible")),
        deposits={
            from_city: {m: amount() for m in sending},
            to_city: {m: amount() for m in receiving},
        },
        accounts={c: "" for c in CITIES if c in accounts},
    )


async def in_chunks(calls: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
    """Run the calls ``CHUNK`` at a time; their results in order."""
    results: list[T] = []
    for start in range(0, len(calls), CHUNK):
        results.extend(await asyncio.gather(*(call() for call in calls[start : start + CHUNK])))
    return results


async def open_accounts_and_deposit(cities: TwoCities, people: Sequence[Person]) -> int:
    """Open everyone's accounts and record their deposits through the clerks' API; the
    fen deposited, as the API accepted them."""
    deposited = 0
    for city in CITIES:
        owners = [p for p in people if city in p.accounts]
        opened = await in_chunks(
            [partial(cities[city].open_account, p.resident, p.name, p.account_kind) for p in owners]
        )
        for person, account_id in zip(owners, opened, strict=True):
            person.accounts[city] = account_id
        deposits = [
            (p.accounts[city], m, fen) for p in owners for m, fen in p.deposits[city].items()
        ]
        await in_chunks([partial(cities[city].deposit, *d) for d in deposits])
        deposited += sum(fen for _, _, fen in deposits)
    return deposited


async def request_transfers(cities: TwoCities, batch: Sequence[Person]) -> None:
    """The receiving city's clerks request the batch's transfers (one city per batch)."""
    (to_city,) = {p.to_city for p in batch}
    async with cities.gates[to_city]:
        ids = await in_chunks(
            [
                partial(cities[to_city].request_transfer, p.resident, p.name, p.from_city)
                for p in batch
            ]
        )
    for person, transfer_id in zip(batch, ids, strict=True):
        person.transfer_id = transfer_id


# ---- faults ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kill:
    city: City
    # Unfinished transfers when the process died, by city, role and state, e.g.
    # "cq sending funds_sent": money frozen in Chongqing and not yet credited in Chengdu.
    in_flight: dict[str, int]
    restart_seconds: float  # from the kill until the process was ready again

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


async def kill_and_restart(cities: TwoCities, victims: Sequence[City], after: float) -> list[Kill]:
    """SIGKILL the victims' processes ``after`` seconds of work (counted once no request of
    the test is in flight to them) and start them again; no request is sent to them until
    they are ready."""
    async with contextlib.AsyncExitStack() as gates:
        for city in CITIES:  # always in the same order, so two kills never deadlock
            if city in victims:
                await gates.enter_async_context(cities.gates[city])
        await asyncio.sleep(after)  # a restarted process works off its backlog meanwhile
        in_flight = await transfers_in_flight(cities)
        start = time.monotonic()
        for city in victims:
            await cities[city].kill()
        # A restarted consumer waits out the dead one's session in its group (10 s).
        await asyncio.gather(*(cities[city].start() for city in victims))
    return [Kill(city, in_flight, round(time.monotonic() - start, 1)) for city in victims]


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


async def every_transfer_ended(
    cities: TwoCities, people: Sequence[Person], timeout: float = 150
) -> None:
    """Wait until both cities hold every transfer in an end state (read from their
    databases; the views are compared through the API afterwards)."""
    ids = [p.transfer_id for p in people]

    async def states() -> dict[City, Counter[str]]:
        seen: dict[City, Counter[str]] = {}
        for city, pool in cities.databases.items():
            rows = await pool.fetch(
                "SELECT transfer_id, state FROM transfer WHERE transfer_id = ANY($1::text[])", ids
            )
            counts = Counter(r["state"] for r in rows)
            counts["missing"] = len(ids) - len(rows)
            seen[city] = counts
        return seen

    def ended(seen: dict[City, Counter[str]]) -> bool:
        return all(sum(c[s] for s in TERMINAL) == len(ids) for c in seen.values())

    await wait_for(states, ended, timeout=timeout, interval=0.5)


# ---- what the databases hold -------------------------------------------------------------


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


async def transfer_views(cities: TwoCities, people: Sequence[Person]) -> dict[City, dict[str, Any]]:
    """Each city's view of every transfer, through the clerks' API."""
    views: dict[City, dict[str, Any]] = {}
    for city in CITIES:
        found = await in_chunks([partial(cities[city].transfer, p.transfer_id) for p in people])
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


# ---- the checks --------------------------------------------------------------------------


async def assert_every_transfer_ended_as_its_kind(
    cities: TwoCities, people: Sequence[Person]
) -> dict[City, dict[str, Any]]:
    views = await transfer_views(cities, people)
    wrong = []
    for p in people:
        receiving, sending = views[p.to_city][p.transfer_id], views[p.from_city][p.transfer_id]
        ends = {(v["role"], v["state"], v["reason_code"]) for v in (receiving, sending)}
        state, reason = EXPECTED_END[p.kind]
        if ends != {("receiving", state, reason), ("sending", state, reason)}:
            wrong.append((p.kind, p.transfer_id, sorted(ends, key=str)))
    assert not wrong, f"{len(wrong)} transfers ended otherwise than expected: {wrong[:5]}"
    return views


async def assert_money_conserved(cities: TwoCities, deposited: int) -> None:
    """The balances of both cities add up to every fen deposited: nothing was lost,
    created, or left in flight."""
    balances = {
        city: await pool.fetchval("SELECT coalesce(sum(balance_fen), 0) FROM account")
        for city, pool in cities.databases.items()
    }
    assert sum(balances.values()) == deposited, (balances, deposited)


async def assert_credited_once(cities: TwoCities, people: Sequence[Person]) -> None:
    """Each city credited exactly the transfers completed towards it, once each, with the
    amount the sending account held."""
    for city, pool in cities.databases.items():
        rows = await pool.fetch("SELECT transfer_id, amount_fen FROM credited_transfer")
        credited = Counter(r["transfer_id"] for r in rows)
        assert max(credited.values(), default=1) == 1
        expected = {
            p.transfer_id: p.deposited(p.from_city)
            for p in people
            if p.kind == "moves" and p.to_city == city
        }
        assert {r["transfer_id"]: r["amount_fen"] for r in rows} == expected


async def assert_accounts_hold_their_deposits(
    cities: TwoCities, people: Sequence[Person], views: dict[City, dict[str, Any]]
) -> None:
    """Whoever moved holds every month deposited for them, with its city of origin, in the
    receiving city, and their old account is closed and empty; everyone else's accounts
    hold what was deposited in them (a reverted transfer's account is restored)."""
    held = {city: await accounts(pool) for city, pool in cities.databases.items()}
    for p in people:
        here, there = held[p.to_city], held[p.from_city]
        receiving = views[p.to_city][p.transfer_id]
        if p.kind == "moves":
            account_id = receiving["account_id"]
            assert account_id == p.accounts.get(p.to_city, account_id)
            everything = (p.from_city, p.to_city)
            assert here[account_id].summary == (
                "active",
                p.deposited(*everything),
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
            assert receiving["person_ref"] not in owners, p


async def assert_nothing_dead_lettered(cities: TwoCities) -> None:
    """No fund event was parked: the dead-letter topics are empty, no inbox holds a
    dead-lettered event, no process logged one."""
    await redelivery.assert_nothing_dead_lettered(
        cities.bootstrap, CONSUMED_TOPICS, cities.databases
    )
    for city in CITIES:
        logged = [line for line in cities[city].output if b"event dead-lettered" in line]
        assert not logged, logged[:3]


async def assert_conserved(cities: TwoCities, people: Sequence[Person], deposited: int) -> None:
    """Every check of this module's docstring."""
    views = await assert_every_transfer_ended_as_its_kind(cities, people)
    await assert_money_conserved(cities, deposited)
    await assert_credited_once(cities, people)
    await assert_accounts_hold_their_deposits(cities, people, views)
    await assert_nothing_dead_lettered(cities)


@contextlib.contextmanager
def timed(what: str) -> Iterator[None]:
    """Print how long ``what`` took (shown with ``-rA`` or on failure)."""
    start = time.monotonic()
    yield
    print(f"{what}: {time.monotonic() - start:.1f}s")


def describe(people: Sequence[Person]) -> str:
    kinds = Counter((p.kind, p.from_city, p.to_city) for p in people)
    return json.dumps({f"{k} {f}->{t}": n for (k, f, t), n in sorted(kinds.items())})


# ---- the scenarios -----------------------------------------------------------------------


async def test_money_is_conserved_while_service_processes_are_killed_mid_saga(
    cities: TwoCities,
) -> None:
    rng = random.Random(20261129)
    batches = plan_batches(rng)
    people = [p for batch in batches for p in batch]
    print(describe(people))
    assert len(people) >= 200 and {p.to_city for p in people} == set(CITIES)
    with timed("accounts and deposits"):
        deposited = await open_accounts_and_deposit(cities, people)

    # After each batch is requested, a process dies while its saga runs (seeded: the city,
    # each at least twice, and the moment) and restarts while the next batch goes to the
    # other city if it can; after the last batch, both die at once.
    each_thrice: list[City] = ["cq", "cd"] * 3
    victims = [[city] for city in rng.sample(each_thrice, BATCHES - 1)] + [list(CITIES)]
    with timed("transfers requested, processes killed and restarted"):
        chaos: list[asyncio.Task[list[Kill]]] = []
        restarting: dict[City, asyncio.Task[list[Kill]]] = {}
        for batch, dying in zip(batches, victims, strict=True):
            # A victim must be up again before it can die mid-saga (a restart takes 10 s).
            await asyncio.gather(*(restarting[city] for city in dying if city in restarting))
            await request_transfers(cities, batch)
            pause = rng.uniform(0.0, 0.15)
            chaos.append(asyncio.create_task(kill_and_restart(cities, dying, after=pause)))
            restarting.update(dict.fromkeys(dying, chaos[-1]))
            await asyncio.sleep(0)  # the kill takes its victims' gates before the next batch
        kills = [kill for killed in await asyncio.gather(*chaos) for kill in killed]
    print(*kills, sep="\n")
    mid_saga = [k for k in kills if k.unfinished > 0]
    assert len(mid_saga) >= 4 and {k.city for k in mid_saga} == set(CITIES), kills
    # Between them, the kills caught transfers at every step: requested and not yet
    # answered, money frozen in the sending city, credited but the old account not closed.
    stages = {where.split(" ", 1)[1] for k in kills for where in k.in_flight}
    assert {"receiving requested", "sending funds_sent", "receiving credited"} <= stages, kills

    with timed("every transfer ended"):
        await every_transfer_ended(cities, people)
    with timed("bus settled"):
        await cities.settled()
    with timed("checks"):
        await assert_conserved(cities, people, deposited)


async def test_events_delivered_twice_during_the_saga_and_again_after_it_change_nothing(
    cities: TwoCities,
) -> None:
    rng = random.Random(1129)
    batches = plan_batches(rng)
    people = [p for batch in batches for p in batch]
    print(describe(people))
    with timed("accounts and deposits"):
        deposited = await open_accounts_and_deposit(cities, people)

    # While the saga runs, every event arrives twice: the echo publishes each one again
    # right behind it (deposit reports included).
    echo = Echo(cities.bootstrap)
    echo.start()
    with timed("transfers requested and ended, every event echoed"):
        for batch in batches:
            await request_transfers(cities, batch)
        await every_transfer_ended(cities, people)
        echoed = await echo.stop()
    with timed("bus settled"):
        await cities.settled()
    # Each city's consumers took every echo for what it is: an event already applied.
    assert {c: await duplicates_seen(cities[c]) for c in CITIES} == {"cq": echoed, "cd": echoed}
    with timed("checks"):
        await assert_conserved(cities, people, deposited)

    # After it: the whole log twice more; once consumed, no row of either city changed.
    before = {city: await redelivery.snapshot(pool) for city, pool in cities.databases.items()}
    with timed("every event delivered twice more"):
        published = await deliver_again(cities.bootstrap, times=2)
    with timed("bus settled"):
        await cities.settled()
    print(f"echoed during the saga: {echoed}; delivered again after it: {published}")
    total = echoed + published
    assert {c: await duplicates_seen(cities[c]) for c in CITIES} == {"cq": total, "cd": total}
    after = {city: await redelivery.snapshot(pool) for city, pool in cities.databases.items()}
    for city in CITIES:
        changed = [t for t in before[city] if before[city][t] != after[city].get(t)]
        assert not changed, f"{city}: delivering everything again changed {changed}"
    await assert_conserved(cities, people, deposited)
