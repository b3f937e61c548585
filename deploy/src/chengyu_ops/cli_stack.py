"""``chengyu stack up|down|status``: the local two-city stack."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from chengyu_kit.local.kafka import KafkaError
from chengyu_kit.local.oidc import OidcError
from chengyu_kit.local.postgres import PostgresError
from chengyu_ops.stack import ComponentStatus, Stack, StackError
from chengyu_ops.topics import TopicSpecError

app = typer.Typer(
    help="The local stack: Kafka, PostgreSQL, topics and the services.",
    no_args_is_help=True,
)

_FAILURES = (StackError, KafkaError, OidcError, PostgresError, TopicSpecError, OSError)


def _print_table(components: list[ComponentStatus]) -> None:
    width = max(len(c.name) for c in components)
    for c in components:
        pid = f"pid {c.pid}" if c.pid is not None else ""
        typer.echo(f"  {c.name:<{width}}  {c.state:<8} {c.address}  {pid}".rstrip())
        if c.detail:
            typer.echo(f"  {'':<{width}}  {'':<8} {c.detail}")
        if c.log:
            typer.echo(f"  {'':<{width}}  {'':<8} log: {c.log}")


@app.command()
def up(
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each step.")] = 120,
) -> None:
    """Start Kafka, PostgreSQL, the topics and the services; return when all are ready."""
    stack = Stack()
    try:
        components = stack.up(typer.echo, timeout=timeout)
    except _FAILURES as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"\nChengyu stack is up (state in {stack.home}):")
    _print_table(components)


@app.command()
def down(
    timeout: Annotated[float, typer.Option(help="Seconds to wait before SIGKILL.")] = 30,
) -> None:
    """Stop everything the stack started (by pid). Data is kept."""
    stack = Stack()
    try:
        stack.down(typer.echo, timeout=timeout)
    except _FAILURES as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Show each component with its address and state. Always exits 0."""
    try:
        stack = Stack()
        components = stack.status()
    except _FAILURES as exc:
        typer.echo(f"error: {exc}", err=True)
        return
    if as_json:
        document = {
            "home": str(stack.home),
            "components": [c.as_dict() for c in components],
        }
        typer.echo(json.dumps(document, indent=2))
        return
    typer.echo(f"Chengyu stack (state in {stack.home}):")
    _print_table(components)
