"""``chengyu topics apply``: make the Kafka topics match ``deploy/topics.yaml``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from chengyu_kit.local.kafka import ADMIN
from chengyu_ops.cli_login import Bootstrap, PasswordFile, User, login_or_exit
from chengyu_ops.paths import find_project_root
from chengyu_ops.topics import TopicSpecError, apply_topics, load_topic_specs

app = typer.Typer(help="Kafka topics as code.", no_args_is_help=True)


@app.command("apply")
def apply_command(
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Topic file (default deploy/topics.yaml).")
    ] = None,
    bootstrap: Bootstrap = None,
    user: User = None,
    password_file: PasswordFile = None,
    replication_factor: Annotated[
        int | None, typer.Option(help="Override every topic's replication factor.")
    ] = None,
    min_insync_replicas: Annotated[
        int | None, typer.Option(help="Override every topic's min.insync.replicas.")
    ] = None,
) -> None:
    """Create missing topics, alter configs, add partitions; exit 1 on any problem.

    On the local stack it logs in as the broker's admin."""
    path = file if file is not None else find_project_root() / "deploy" / "topics.yaml"
    try:
        specs = load_topic_specs(
            path, replication_factor=replication_factor, min_insync_replicas=min_insync_replicas
        )
    except TopicSpecError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    login = login_or_exit(bootstrap, user, password_file, principal=ADMIN)
    servers = login.bootstrap
    try:
        changes = asyncio.run(apply_topics(servers, specs, credentials=login.credentials))
    except Exception as exc:
        typer.echo(
            f"error: cannot apply topics at {servers}: {type(exc).__name__}: {exc}", err=True
        )
        raise typer.Exit(1) from None
    if not changes:
        typer.echo(f"no topics declared in {path}")
    for change in changes:
        typer.echo(
            f"{change.topic}: {change.action}" + (f" ({change.detail})" if change.detail else "")
        )
    if any(change.action == "problem" for change in changes):
        raise typer.Exit(1)
