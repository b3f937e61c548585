"""``chengyu dlq``: list dead-lettered events and re-drive them after a fix."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer
from aiokafka import AIOKafkaProducer, ConsumerRecord

from chengyu_kit import dead_letter
from chengyu_kit.kafka_auth import KafkaCredentials, client_options
from chengyu_kit.local.kafka import ADMIN
from chengyu_ops.cli_login import Bootstrap, PasswordFile, User, login_or_exit
from chengyu_ops.reading import list_topics, read_records

app = typer.Typer(help="Dead-lettered events.", no_args_is_help=True)


def parked_entry(record: ConsumerRecord) -> dict[str, Any]:
    """A dead-lettered record as ops see it: where it is, why, and where it came from."""
    info = dead_letter.dead_letter_info(record.headers)
    return {
        "dlq": f"{record.topic}/{record.partition}/{record.offset}",
        "reason": info.get(dead_letter.REASON, "?"),
        "detail": info.get(dead_letter.DETAIL, ""),
        "from": "/".join(
            info.get(name, "?")
            for name in (
                dead_letter.ORIGINAL_TOPIC,
                dead_letter.ORIGINAL_PARTITION,
                dead_letter.ORIGINAL_OFFSET,
            )
        ),
        "consumer": info.get(dead_letter.CONSUMER, ""),
        "time": info.get(dead_letter.TIME, ""),
        "event_id": info.get(dead_letter.EVENT_ID),
        "event_type": info.get(dead_letter.EVENT_TYPE),
        "redriven_from": info.get(dead_letter.REDRIVEN_FROM),
    }


async def parked_records(
    bootstrap: str, topics: list[str], credentials: KafkaCredentials | None = None
) -> list[ConsumerRecord]:
    """Every record of the given dead-letter topics (all ``*.dlq`` topics if none)."""
    chosen = topics or [t for t in await list_topics(bootstrap, credentials) if t.endswith(".dlq")]
    if not chosen:
        return []
    return [
        record
        async for record in read_records(
            bootstrap,
            chosen,
            from_beginning=True,
            follow=False,
            idle_seconds=1.5,
            credentials=credentials,
        )
    ]


async def redrive(
    bootstrap: str, records: list[ConsumerRecord], credentials: KafkaCredentials | None = None
) -> list[str]:
    """Publish parked records back to their original topics; return where each went."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        enable_idempotence=True,
        acks="all",
        **client_options(credentials),
    )
    await producer.start()
    sent: list[str] = []
    try:
        for record in records:
            info = dead_letter.dead_letter_info(record.headers)
            target = dead_letter.original_topic(info)
            position = f"{record.topic}/{record.partition}/{record.offset}"
            metadata = await producer.send_and_wait(
                target,
                record.value,
                key=record.key,
                headers=dead_letter.redrive_headers(record.headers, position),
            )
            sent.append(f"{position} -> {target}/{metadata.partition}/{metadata.offset}")
    finally:
        await producer.stop()
    return sent


@app.command("list")
def list_command(
    topic: Annotated[
        list[str] | None, typer.Option("--topic", "-t", help="Dead-letter topic (repeatable).")
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Only this reason code.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    bootstrap: Bootstrap = None,
    user: User = None,
    password_file: PasswordFile = None,
) -> None:
    """Show every dead-lettered event with its reason and origin (on the local stack, read
    as the ``auditor`` principal: the only one that reads dead letters besides the admin)."""
    login = login_or_exit(bootstrap, user, password_file, principal="auditor")
    records = asyncio.run(parked_records(login.bootstrap, list(topic or []), login.credentials))
    entries = [parked_entry(r) for r in records]
    entries = [e for e in entries if reason is None or e["reason"] == reason]
    for entry in entries:
        if as_json:
            typer.echo(json.dumps(entry, ensure_ascii=False))
        else:
            typer.echo(
                f"{entry['dlq']}  {entry['reason']}: {entry['detail']}  from {entry['from']}"
                f"  consumer={entry['consumer']}  at {entry['time']}"
                + (f"  event={entry['event_id']}" if entry["event_id"] else "")
            )
    if not as_json:
        typer.echo(f"{len(entries)} dead-lettered event(s)")


@app.command("redrive")
def redrive_command(
    topic: Annotated[str, typer.Option("--topic", "-t", help="The dead-letter topic.")],
    offset: Annotated[
        list[int] | None, typer.Option("--offset", help="Offset to re-drive (repeatable).")
    ] = None,
    partition: Annotated[int | None, typer.Option(help="Only this partition.")] = None,
    reason: Annotated[str | None, typer.Option(help="Every parked event with this reason.")] = None,
    key: Annotated[
        str | None,
        typer.Option(help="Every parked event of this key (aggregate id), in order."),
    ] = None,
    bootstrap: Bootstrap = None,
    user: User = None,
    password_file: PasswordFile = None,
) -> None:
    """Send parked events back to their original topic; the consumer retries them once.
    On the local stack it acts as the broker's admin (an operator's act: no agency's
    principal may write another agency's topics).

    Events parked as ``key-held`` wait behind an earlier event of their key: re-drive a
    key's events together (``--key``) so they are applied in their original order.
    """
    if not offset and reason is None and key is None:
        typer.echo(
            "error: say which events: --offset N (repeatable), --reason CODE or --key ID",
            err=True,
        )
        raise typer.Exit(2)
    login = login_or_exit(bootstrap, user, password_file, principal=ADMIN)
    servers = login.bootstrap
    records = asyncio.run(parked_records(servers, [topic], login.credentials))
    chosen = [
        r
        for r in records
        if (partition is None or r.partition == partition)
        and (not offset or r.offset in offset)
        and (
            reason is None
            or dead_letter.dead_letter_info(r.headers).get(dead_letter.REASON) == reason
        )
        and (key is None or r.key == key.encode())
    ]
    if not chosen:
        typer.echo("error: no parked event matches", err=True)
        raise typer.Exit(1)
    for line in asyncio.run(redrive(servers, chosen, login.credentials)):
        typer.echo(f"re-driven {line}")
