"""``chengyu events tail``: print verified, decoded events as they arrive."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from aiokafka import ConsumerRecord

from chengyu_contracts.decode import EventRejected, decode_event
from chengyu_contracts.keys import KeyRegistry
from chengyu_contracts.registry import Registry
from chengyu_kit.kafka_auth import KafkaCredentials
from chengyu_ops.cli_contracts import load_event_registry
from chengyu_ops.cli_login import Bootstrap, PasswordFile, User, login_or_exit
from chengyu_ops.paths import find_project_root, state_home
from chengyu_ops.reading import list_topics, read_records

app = typer.Typer(help="Watch the events on the bus.", no_args_is_help=True)


def default_key_registry() -> Path:
    """The local stack's public key registry."""
    return state_home(find_project_root()) / "keys" / "registry.json"


def describe(record: ConsumerRecord, registry: Registry, keys: KeyRegistry) -> dict[str, Any]:
    """What one record says, verified: the envelope and data, or why it was rejected."""
    position = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
    try:
        event = decode_event(record.value, record.key, registry, keys)
    except EventRejected as rejection:
        return {
            **position,
            "verified": False,
            "reason": rejection.reason,
            "detail": rejection.detail,
        }
    envelope = event.envelope
    # An older version is shown as read (the latest type and data), with the type it
    # was written and signed as.
    written = {"written_type": event.written_type} if event.upcast else {}
    return {
        **position,
        "verified": True,
        "id": envelope.id,
        "type": envelope.type,
        **written,
        "source": envelope.source,
        "subject": envelope.subject,
        "time": envelope.time,
        "keyid": envelope.chengyukeyid,
        "data": event.data.model_dump(mode="json"),
    }


def render(line: dict[str, Any]) -> str:
    """One human-readable line per event."""
    where = f"{line['topic']}/{line['partition']}/{line['offset']}"
    if not line["verified"]:
        return f"{where}  REJECTED {line['reason']}: {line['detail']}"
    data = json.dumps(line["data"], ensure_ascii=False, separators=(",", ":"))
    written = f" (written as {line['written_type']})" if "written_type" in line else ""
    return (
        f"{line['time']}  {where}  {line['type']}{written}  subject={line['subject']}"
        f"  source={line['source']}  verified({line['keyid']})  {data}"
    )


async def _tail(
    bootstrap: str,
    topics: list[str],
    keys: KeyRegistry,
    *,
    from_beginning: bool,
    follow: bool,
    as_json: bool,
    credentials: KafkaCredentials | None = None,
) -> int:
    registry = load_event_registry()
    if not topics:
        topics = [t for t in await list_topics(bootstrap, credentials) if not t.endswith(".dlq")]
    if not topics:
        typer.echo("no topics to tail", err=True)
        return 1
    async for record in read_records(
        bootstrap, topics, from_beginning=from_beginning, follow=follow, credentials=credentials
    ):
        line = describe(record, registry, keys)
        typer.echo(json.dumps(line, ensure_ascii=False) if as_json else render(line))
    return 0


@app.command("tail")
def tail_command(
    topic: Annotated[
        list[str] | None, typer.Option("--topic", "-t", help="Topic to watch (repeatable).")
    ] = None,
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="Start at offset 0, not at the end.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    follow: Annotated[
        bool, typer.Option("--follow/--no-follow", help="Keep waiting for new events.")
    ] = True,
    bootstrap: Bootstrap = None,
    user: User = None,
    password_file: PasswordFile = None,
    keys: Annotated[
        Path | None, typer.Option(envvar="KEY_REGISTRY_FILE", help="Public key registry file.")
    ] = None,
) -> None:
    """Print each event with its signature verified; rejected records say why.

    On the local stack it reads as the read-only ``reader`` principal."""
    registry_file = keys or default_key_registry()
    if not registry_file.exists():
        typer.echo(
            f"error: no key registry at {registry_file}; run `chengyu keys generate`"
            " or pass --keys",
            err=True,
        )
        raise typer.Exit(1)
    key_registry = KeyRegistry.from_json_file(registry_file)
    login = login_or_exit(bootstrap, user, password_file, principal="reader")
    try:
        code = asyncio.run(
            _tail(
                login.bootstrap,
                list(topic or []),
                key_registry,
                from_beginning=from_beginning,
                follow=follow,
                as_json=as_json,
                credentials=login.credentials,
            )
        )
    except LookupError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        code = 0
    raise typer.Exit(code)
