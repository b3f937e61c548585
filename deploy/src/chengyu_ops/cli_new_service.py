"""``chengyu new-service NAME --domain D --agency A``: scaffold a service on the kit's shape."""

from __future__ import annotations

import typer

from chengyu_ops.new_service import ScaffoldError, scaffold_service
from chengyu_ops.paths import find_project_root


def new_service_command(
    name: str = typer.Argument(..., help="kebab-case service name, e.g. elder-allowance"),
    domain: str = typer.Option(..., help="one word: events/<domain>.py and topics <domain>.*"),
    agency: str = typer.Option(..., help="the agency whose key signs its events, e.g. ca"),
) -> None:
    """Write services/NAME (an example event, handler, route, migration and tests), its
    events module and its topic; then lock, sync and regenerate the contracts."""
    root = find_project_root()
    try:
        written = scaffold_service(root, name, domain, agency)
    except ScaffoldError as error:
        typer.echo(f"new-service: {error}", err=True)
        raise typer.Exit(2) from None
    for path in written:
        typer.echo(f"wrote {path.relative_to(root)}")
    typer.echo(
        "next: uv lock && uv sync --all-packages; uv run chengyu contracts generate; "
        f"uv run pytest services/{name}"
    )
