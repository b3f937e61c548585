"""``chengyu contracts``: the committed JSON Schemas and AsyncAPI document versus the code."""

from __future__ import annotations

from pathlib import Path

import typer

import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
from chengyu_contracts.asyncapi import write_asyncapi
from chengyu_contracts.compat import check_contracts
from chengyu_contracts.registry import REGISTRY
from chengyu_contracts.schemas import write_schemas
from chengyu_ops.paths import find_project_root

# Problems that regenerating the files fixes; every other kind is a breaking change.
_REGENERABLE = frozenset({"stale", "missing", "orphan", "unreadable"})

app = typer.Typer(help="Event contracts: schemas, AsyncAPI, compatibility.", no_args_is_help=True)


def _contracts_dir() -> Path:
    return find_project_root() / "contracts"


@app.command("check")
def check_command() -> None:
    """Fail when the committed schemas differ from the code or a change would break consumers."""
    folder = _contracts_dir()
    problems = check_contracts(REGISTRY, folder / "schemas", asyncapi_file=folder / "asyncapi.json")
    for problem in problems:
        typer.echo(f"{problem.type} {problem.field or '-'} [{problem.kind}]: {problem.message}")
    if problems:
        raise typer.Exit(1)
    typer.echo(f"contracts match the code: {len(REGISTRY.specs())} event types")


@app.command("generate")
def generate_command() -> None:
    """Write the JSON Schema of every event type and the AsyncAPI document.

    Refuses when the code would break consumers of a committed schema: regenerating
    must never be the way a breaking change slips in.
    """
    folder = _contracts_dir()
    breaking = [
        problem
        for problem in check_contracts(REGISTRY, folder / "schemas")
        if problem.kind not in _REGENERABLE
    ]
    for problem in breaking:
        typer.echo(f"{problem.type} {problem.field or '-'} [{problem.kind}]: {problem.message}")
    if breaking:
        typer.echo("refusing to overwrite committed schemas with a breaking change", err=True)
        raise typer.Exit(1)
    written = write_schemas(REGISTRY, folder / "schemas")
    asyncapi = write_asyncapi(REGISTRY, folder)
    typer.echo(f"wrote {len(written)} schemas and {asyncapi}")
