"""Kafka authentication and ACLs on a real secured broker: SCRAM logins, the principals and
ACLs of ``deploy/acls.yaml`` as ``chengyu acls apply`` applies them, and the clear failures
of a service with a wrong password or a missing ACL."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.conn import create_conn
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    SaslAuthenticationFailed,
    TopicAuthorizationFailedError,
)

from chengyu_contracts.cities import CITIES
from chengyu_kit.db import create_pool
from chengyu_kit.health import Readiness
from chengyu_kit.kafka_auth import KafkaCredentials, check_access, client_options
from chengyu_kit.local.aio import run_sync
from chengyu_kit.local.kafka import KafkaCluster
from chengyu_kit.local.postgres import LocalPostgres
from chengyu_kit.metrics import KitMetrics
from chengyu_kit.migrations import apply_migrations, kit_migrations
from chengyu_kit.relay import OutboxRelay
from chengyu_kit.runtime import KafkaAccessError
from chengyu_kit.testing import KeyFiles
from chengyu_ops.acls import KafkaPrincipals
from chengyu_ops.keys import AGENCIES
from chengyu_ops.reading import read_records
from chengyu_ops.topics import load_topic_specs
from tests.conftest import PROJECT_ROOT, service_settings, tally_runtime
from tests.support.kafka_io import (
    apply_project_acls,
    apply_project_topics,
    fresh_kafka,
    publish_raw,
)
from tests.support.tally import tally_registry
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

TOPICS = load_topic_specs(PROJECT_ROOT / "deploy" / "topics.yaml")
DOMAIN = [t.name for t in TOPICS if not t.name.endswith(".dlq")]
DEAD = [t.name for t in TOPICS if t.name.endswith(".dlq")]


@dataclass(frozen=True)
class Secured:
    """A secured cluster with the project's topics, principals and ACLs."""

    cluster: KafkaCluster
    principals: KafkaPrincipals
    names: list[str]

    @property
    def bootstrap(self) -> str:
        return self.cluster.bootstrap_servers

    def login(self, principal: str) -> KafkaCredentials:
        return self.principals.credentials(principal)

    def apply(self) -> list[str]:
        """``chengyu acls apply``'s work on this cluster, as (subject, action) lines."""
        changes = apply_project_acls(self.bootstrap, self.principals)
        return [f"{c.subject}: {c.action}" for c in changes]


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    folder = tmp_path_factory.mktemp("secured")
    with fresh_kafka(folder / "kafka") as cluster:
        setup = Secured(cluster, KafkaPrincipals(folder / "kafka-users"), [])
        run_sync(lambda: apply_project_topics(cluster.bootstrap_servers))  # topics only
        first = setup.apply()  # another password folder: every principal gets a new one
        assert any(line.endswith(": created-user") for line in first)
        # one record on every domain topic, written by the admin, for the readers to read
        for topic in DOMAIN:
            run_sync(
                lambda topic=topic: publish_raw(  # type: ignore[misc]
                    cluster.bootstrap_servers, topic, [(b"k", b"{}", [])]
                )
            )
        yield setup


def test_acls_apply_twice_changes_nothing_the_second_time(secured: Secured) -> None:
    second = secured.apply()
    assert len(second) == 1 and second[0].endswith(": unchanged"), second


def test_every_city_and_agency_has_a_principal_with_a_private_password(secured: Secured) -> None:
    for agency in AGENCIES:
        for city in CITIES:
            file = secured.login(f"{city}-{agency}").password_file
            assert file.stat().st_mode & 0o777 == 0o600
    assert secured.principals.folder.stat().st_mode & 0o777 == 0o700


async def test_a_wrong_password_is_refused(secured: Secured) -> None:
    host, _, port = secured.bootstrap.partition(":")
    with pytest.raises(SaslAuthenticationFailed) as refused:
        await create_conn(
            host,
            int(port),
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism="SCRAM-SHA-512",
            sasl_plain_username="cq-hpf",
            sasl_plain_password="not-" + secured.login("cq-hpf").password(),
        )
    assert refused.value.errno == 58  # SASL_AUTHENTICATION_FAILED


async def _producer(
    bootstrap: str, login: KafkaCredentials, *, idempotent: bool = True
) -> AIOKafkaProducer:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=idempotent,
        request_timeout_ms=5000,
        **client_options(login),
    )
    await producer.start()
    return producer


async def test_cq_mi_cannot_write_fund_transfer(secured: Secured) -> None:
    producer = await _producer(secured.bootstrap, secured.login("cq-mi"))
    try:
        with pytest.raises(TopicAuthorizationFailedError) as denied:
            await producer.send_and_wait("fund.transfer", b"{}", key=b"t-1")
        assert denied.value.errno == 29  # TOPIC_AUTHORIZATION_FAILED
        # ... while its own domain is open to it
        await producer.send_and_wait("medins.care.dlq", b"{}", key=b"p-1")
    finally:
        await producer.stop()


async def test_cq_mi_cannot_join_the_fund_transfer_group(secured: Secured) -> None:
    consumer = AIOKafkaConsumer(
        "medins.contribution",
        bootstrap_servers=secured.bootstrap,
        group_id="fund-transfer.cq",
        **client_options(secured.login("cq-mi")),
    )
    try:
        with pytest.raises(GroupAuthorizationFailedError) as denied:
            await consumer.start()  # finding the group's coordinator is already refused
            await consumer.getmany(timeout_ms=5000)
        assert denied.value.errno == 30  # GROUP_AUTHORIZATION_FAILED
    finally:
        with contextlib.suppress(Exception):
            await consumer.stop()


async def test_a_missing_acl_is_named(secured: Secured) -> None:
    missing = await check_access(
        secured.bootstrap,
        secured.login("cq-mi"),
        reads=["fund.transfer", "medins.care"],
        groups=["fund-transfer.cq", "insurance-years.cq"],
    )
    assert missing == [
        f"Kafka at {secured.bootstrap}: User:cq-mi lacks ACL READ on topic 'fund.transfer'",
        f"Kafka at {secured.bootstrap}: User:cq-mi lacks ACL READ on group 'fund-transfer.cq'",
    ]


async def test_an_agency_reads_what_it_consumes_in_its_own_group(secured: Secured) -> None:
    consumer = AIOKafkaConsumer(
        "fund.transfer",
        "fund.account",
        bootstrap_servers=secured.bootstrap,
        group_id="fund-transfer.cd",
        auto_offset_reset="earliest",
        **client_options(secured.login("cd-hpf")),
    )
    await consumer.start()
    try:
        records: list[object] = []
        for _ in range(20):
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(batch)
            if len(records) >= 2:
                break
        assert len(records) >= 2
    finally:
        await consumer.stop()


@pytest.mark.parametrize("reader", ["reader", "auditor"])
async def test_readers_read_every_domain_topic_and_write_none(
    secured: Secured, reader: str
) -> None:
    login = secured.login(reader)
    seen = {
        record.topic
        async for record in read_records(
            secured.bootstrap, DOMAIN, from_beginning=True, follow=False, credentials=login
        )
    }
    assert seen == set(DOMAIN)
    # An idempotent producer is refused at once: it may write nowhere (no IdempotentWrite,
    # which Kafka grants with any topic's Write) ...
    with pytest.raises(ClusterAuthorizationFailedError):
        idempotent = await _producer(secured.bootstrap, login)
        try:
            await idempotent.send_and_wait(DOMAIN[0], b"{}", key=b"k")
        finally:
            await idempotent.stop()
    # ... and a plain one is refused topic by topic.
    producer = await _producer(secured.bootstrap, login, idempotent=False)
    try:
        for topic in [*DOMAIN, *DEAD]:
            with pytest.raises(TopicAuthorizationFailedError):
                await producer.send_and_wait(topic, b"{}", key=b"k")
    finally:
        await producer.stop()
    # dead letters hold what a service refused: auditors read them, downstream readers not
    readable = await check_access(secured.bootstrap, login, reads=DEAD, groups=[])
    assert (readable == []) is (reader == "auditor")


async def test_a_service_with_a_wrong_password_says_so_in_one_line(
    secured: Secured,
    postgres: LocalPostgres,
    key_files: KeyFiles,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    wrong = tmp_path / "wrong.password"
    wrong.write_text(secrets.token_urlsafe(24))
    wrong.chmod(0o600)
    name = f"wrongpw_{uuid.uuid4().hex[:8]}"
    await postgres.ensure_database(name)
    settings = service_settings(
        "cq",
        kafka=secured.bootstrap,
        database_url=postgres.dsn(name),
        keys=key_files,
        kafka_username="cq-hpf",
        kafka_password_file=wrong,
    )
    runtime = tally_runtime(settings, tally_registry(f"t{uuid.uuid4().hex[:8]}.tally"))
    with pytest.raises(KafkaAccessError) as refused:
        await runtime.start()
    line = str(refused.value)
    assert "\n" not in line
    assert f"Kafka at {secured.bootstrap} refused principal 'cq-hpf'" in line
    assert "SASL authentication failed" in line
    assert not runtime.readiness.ready
    assert runtime.readiness.report()["kafka"]["ready"] is False
    await asyncio.wait_for(runtime.close_database(), 10)
    assert wrong.read_text() not in caplog.text + line


async def test_a_relay_denied_a_topic_names_the_write_acl_it_lacks(
    secured: Secured, postgres: LocalPostgres
) -> None:
    name = f"denied_{uuid.uuid4().hex[:8]}"
    await postgres.ensure_database(name)
    pool = await create_pool(postgres.dsn(name))
    try:
        await apply_migrations(pool, kit_migrations())
        await pool.execute(
            "INSERT INTO outbox (topic, key, value, header_names, header_values, event_id)"
            " VALUES ('fund.transfer', 't-1', '{}', '{}', '{}', $1)",
            str(uuid.uuid4()),
        )
        readiness = Readiness()
        relay = OutboxRelay(
            postgres.dsn(name),
            secured.bootstrap,
            metrics=KitMetrics(),
            readiness=readiness,
            poll_interval=0.2,
            credentials=secured.login("cq-mi"),
        )
        await relay.start()
        try:
            detail = await wait_for(
                lambda: _relay_detail(readiness), lambda d: "lacks ACL" in d, timeout=30
            )
        finally:
            await relay.stop(timeout=2)
        assert detail == (
            f"User:cq-mi lacks ACL WRITE on topic(s) fund.transfer at {secured.bootstrap}"
        )
        assert not readiness.ready
        # nothing was written: the row waits in the outbox for the ACL (or a fix)
        assert await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 1
    finally:
        await pool.close()


async def _relay_detail(readiness: Readiness) -> str:
    state = readiness.components.get("relay")
    return state.detail if state else ""
