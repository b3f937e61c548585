"""``chengyu contracts``: the committed JSON Schemas and AsyncAPI document versus the code."""

from __future__ import annotations

from pathlib import Path

import typer

from chengyu_contracts.asyncapi import write_asyncapi
from chengyu_contracts.compat import check_contracts
from chengyu_contracts.registry import REGISTRY, Registry
from chengyu_contracts.schemas import write_schemas
from chengyu_ops.paths import find_project_root

# Problems that regenerating the files fixes; every other kind is a breaking change.
_REGENERABLE = frozenset({"stale", "missing", "orphan", "unreadable"})

app = typer.Typer(help="Event contracts: schemas, AsyncAPI, compatibility.", no_args_is_help=True)


def _contracts_dir() -> Path:
    return find_project_root() / "contracts"


def load_event_registry() -> Registry:
    """``REGISTRY`` filled with every event type, imported on first use.

    An event type the registry refuses (e.g. a ``.v2`` without an upcaster from ``.v1``)
    ends the command with the registry's sentence naming it, not with a traceback.
    """
    try:
        import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
    except ValueError as refused:
        typer.echo(f"event registry: {refused}", err=True)
        raise typer.Exit(1) from None
    return REGISTRY


@app.command("check")
def check_command() -> None:
    """Fail when the committed schemas differ from the code or a change would break consumers."""
    registry = load_event_registry()
    folder = _contracts_dir()
    problems = check_contracts(registry, folder / "schemas", asyncapi_file=folder / "asyncapi.json")
    for problem in problems:
        typer.echo(f"{problem.type} {problem.field or '-'} [{problem.kind}]: {problem.message}")
    if problems:
        raise typer.Exit(1)
    typer.echo(f"contracts match the code: {len(registry.specs())} event types")


@app.command("generate")
def generate_command() -> None:
    """Write the JSON Schema of every event type and the AsyncAPI document.

    Refuses when the code would break consumers of a committed schema: regenerating
    must never be the way a breaking change slips in.
    """
    registry = load_event_registry()
    folder = _contracts_dir()
    breaking = [
        problem
        for problem in check_contracts(registry, folder / "schemas")
        if problem.kind not in _REGENERABLE
    ]
    for problem in breaking:
        typer.echo(f"{problem.type} {problem.field or '-'} [{problem.kind}]: {problem.message}")
    if breaking:
        typer.echo("refusing to overwrite committed schemas with a breaking change", err=True)
        raise typer.Exit(1)
    written = write_schemas(registry, folder / "schemas")
    asyncapi = write_asyncapi(registry, folder)
    typer.echo(f"wrote {len(written)} schemas and {asyncapi}")
